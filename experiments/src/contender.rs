//! What can be evaluated on a scenario: a per-node policy, or a centralised
//! reference (the oracle, the global node).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dfaas_env::Simulator;
use dfaas_env::models::ModelSpec;
use dfaas_policies::learned::ActionLayout;
use dfaas_policies::learned::LearnedFile;
use dfaas_policies::{LearnedPolicy, NodeContext, Policy, PolicyError, PolicySpec};

/// One entry of a comparison.
#[derive(Debug, Clone)]
pub enum Contender {
    /// The same policy on every node (a heuristic; learned models come later).
    Policy(PolicySpec),
    /// Centralised per-slot optimum (serverless and capacity models).
    Oracle,
    /// The optimum each node plans on one-slot-old information about the
    /// others (serverless and capacity models).
    StaleOracle,
    /// One node with the federation's resources (queue model).
    GlobalNode,
    /// A learned policy file (`dfaas export`'s `.dfpolicy` or an ONNX
    /// policy), one instance per node.
    /// `label` replaces the name from the file's stem (two files of one stem
    /// in one comparison, see [`crate::evaluation::compare_contenders`]).
    Learned { path: PathBuf, file: Arc<LearnedFile>, label: Option<String> },
    /// The best split each node keeps fixed, searched on training episodes
    /// ([`crate::best_fixed`]): the strongest static baseline, and a bound on
    /// decentralised policies where inputs are drawn anew each slot. Found
    /// once per comparison.
    BestFixed(Arc<std::sync::OnceLock<Result<Vec<Vec<f64>>, String>>>),
}

impl Contender {
    /// Parses a policy name (`name` or `name:key=value,…`), `oracle` or `global-node`.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let spec = PolicySpec::parse(text)?;
        Ok(match spec.name() {
            "oracle" => Contender::Oracle,
            "stale-oracle" => Contender::StaleOracle,
            "global-node" => Contender::GlobalNode,
            "best-fixed" => Contender::BestFixed(Arc::default()),
            _ => {
                // Validate now so a typo fails before any episode runs.
                dfaas_policies::build(&spec, 0, 0)?;
                Contender::Policy(spec)
            }
        })
    }

    /// Loads a learned policy file.
    pub fn learned(path: &Path) -> Result<Self, PolicyError> {
        let file = LearnedFile::read(path)?;
        Ok(Contender::Learned { path: path.to_path_buf(), file: Arc::new(file), label: None })
    }

    /// One policy instance per node of `sim` (not for the centralised references).
    pub fn policies(&self, sim: &Simulator, seed: u64) -> Result<Vec<Box<dyn Policy>>, PolicyError> {
        let topo = sim.topology();
        match self {
            // `random` draws on the action space the scenario declares: the
            // 3-way simplex where the published even-floor action is in force.
            Contender::Policy(spec) if spec.name() == "random" && sim.even_floor() => Ok((0..topo.len())
                .map(|i| Box::new(dfaas_policies::heuristics::RandomSplit::three_way(i, seed)) as Box<dyn Policy>)
                .collect()),
            Contender::Policy(spec) => (0..topo.len()).map(|i| dfaas_policies::build(spec, i, seed)).collect(),
            Contender::Learned { path, file, .. } => {
                let three_way = file.action_layout() == ActionLayout::ThreeWay;
                if three_way != sim.even_floor() {
                    let layout = |t: bool| if t { "the 3-way even-floor action" } else { "per-neighbour actions" };
                    return Err(PolicyError::Incompatible {
                        file: path.display().to_string(),
                        what: "action layout".into(),
                        expected: layout(three_way).into(),
                        found: format!("{} (scenario {})", layout(sim.even_floor()), sim.scenario().name),
                    });
                }
                let scenario_file = sim.scenario().path.display().to_string();
                (0..topo.len())
                    .map(|i| {
                        let mut ctx = NodeContext::from_topology(topo, i).expect("node in topology");
                        ctx.period_slots = sim.observation_period_slots();
                        LearnedPolicy::from_file(file, &ctx, path)
                            .map(|p| Box::new(p) as Box<dyn Policy>)
                            .map_err(|e| in_scenario(e, &scenario_file))
                    })
                    .collect()
            }
            Contender::BestFixed(found) => {
                let split = found
                    .get_or_init(|| {
                        crate::best_fixed::search(sim.scenario()).map(|(s, _)| s).map_err(|e| e.to_string())
                    })
                    .as_ref()
                    .map_err(|e| PolicyError::ModelFile { file: "best-fixed".into(), reason: e.clone() })?;
                split
                    .iter()
                    .map(|w| {
                        dfaas_env::Decision::from_weights(w.clone())
                            .map(|d| Box::new(crate::best_fixed::FixedSplit(d)) as Box<dyn Policy>)
                            .map_err(|e| PolicyError::ModelFile { file: "best-fixed".into(), reason: e.to_string() })
                    })
                    .collect()
            }
            Contender::Oracle | Contender::StaleOracle | Contender::GlobalNode => {
                Err(PolicyError::Reference(self.name()))
            }
        }
    }

    /// The upper reference for a scenario: the oracle, or the pooled global
    /// node where the oracle cannot plan (the queue model's 3-way even-floor action).
    pub fn upper_reference(sim: &Simulator) -> Self {
        if sim.even_floor() { Contender::GlobalNode } else { Contender::Oracle }
    }

    /// The references a comparison shows: the stale oracle and the oracle,
    /// and for the queue model the pooled global node too (only it under
    /// the even-floor action).
    pub fn references(sim: &Simulator) -> Vec<Self> {
        match sim.scenario().model {
            ModelSpec::Queue(_) if sim.even_floor() => vec![Contender::GlobalNode],
            ModelSpec::Queue(_) => vec![Contender::StaleOracle, Contender::Oracle, Contender::GlobalNode],
            _ => vec![Contender::StaleOracle, Contender::Oracle],
        }
    }

    /// Whether this is a centralised reference rather than a deployable policy.
    pub fn is_reference(&self) -> bool {
        matches!(self, Contender::Oracle | Contender::StaleOracle | Contender::GlobalNode)
    }

    /// Display name (`all-local`, `static:local=0.7`, `oracle`, …).
    pub fn name(&self) -> String {
        match self {
            Contender::Policy(spec) => spec.to_string(),
            Contender::Oracle => "oracle".into(),
            Contender::StaleOracle => "stale-oracle".into(),
            Contender::GlobalNode => "global-node".into(),
            Contender::BestFixed(_) => "best-fixed".into(),
            Contender::Learned { label: Some(label), .. } => format!("learned:{label}"),
            Contender::Learned { path, label: None, .. } => {
                format!("learned:{}", path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default())
            }
        }
    }
}

/// An incompatibility between a policy file and a scenario's node names the
/// scenario file too (the node's side comes from it).
fn in_scenario(e: PolicyError, scenario_file: &str) -> PolicyError {
    match e {
        PolicyError::Incompatible { file, what, expected, found } => PolicyError::Incompatible {
            file,
            what,
            expected,
            found: format!("{found} (scenario file {scenario_file})"),
        },
        e => e,
    }
}
