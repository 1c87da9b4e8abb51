//! What can be evaluated on a scenario: a per-node policy, or a centralised
//! reference (the oracle, the global node).

use dfaas_env::Simulator;
use dfaas_env::models::ModelSpec;
use dfaas_policies::{PolicyError, PolicySpec};

/// One entry of a comparison.
#[derive(Debug, Clone)]
pub enum Contender {
    /// The same policy on every node (a heuristic; learned models come later).
    Policy(PolicySpec),
    /// Centralised per-slot optimum (serverless and capacity models).
    Oracle,
    /// One node with the federation's resources (queue model).
    GlobalNode,
}

impl Contender {
    /// Parses a policy name (`name` or `name:key=value,…`), `oracle` or `global-node`.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let spec = PolicySpec::parse(text)?;
        Ok(match spec.name() {
            "oracle" => Contender::Oracle,
            "global-node" => Contender::GlobalNode,
            _ => {
                // Validate now so a typo fails before any episode runs.
                dfaas_policies::build(&spec, 0, 0)?;
                Contender::Policy(spec)
            }
        })
    }

    /// The upper reference for a scenario's model.
    pub fn upper_reference(sim: &Simulator) -> Self {
        match sim.scenario().model {
            ModelSpec::Queue(_) => Contender::GlobalNode,
            _ => Contender::Oracle,
        }
    }

    /// Whether this is a centralised reference rather than a deployable policy.
    pub fn is_reference(&self) -> bool {
        !matches!(self, Contender::Policy(_))
    }

    /// Display name (`all-local`, `static:local=0.7`, `oracle`, …).
    pub fn name(&self) -> String {
        match self {
            Contender::Policy(spec) => spec.to_string(),
            Contender::Oracle => "oracle".into(),
            Contender::GlobalNode => "global-node".into(),
        }
    }
}
