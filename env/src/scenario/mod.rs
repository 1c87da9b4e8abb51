//! Scenario files (TOML, explicit units): the unit of reproducibility.
//!
//! A scenario names a topology, the node model and its parameters, the
//! workload, links, slot length, episode length and seeds. The same file
//! drives `simulate`, `compare`, `train` and `cluster`.

mod family;
mod validate;

pub use crate::per_node::PerNode;
pub use family::Family;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::links::LinkSpec;
use crate::models::ModelSpec;
use crate::topology::Topology;
use crate::workload::WorkloadSpec;

/// A parsed and validated scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name (defaults to the file stem).
    #[serde(default)]
    pub name: String,
    /// One line on what the scenario reproduces.
    #[serde(default)]
    pub description: String,
    /// Episode length and slot length.
    pub episode: EpisodeSpec,
    /// Seeds.
    #[serde(default)]
    pub seeds: SeedSpec,
    /// The federation graph.
    pub topology: TopologySpec,
    /// The node model.
    pub model: ModelSpec,
    /// The workload.
    pub workload: WorkloadSpec,
    /// Links between neighbours.
    #[serde(default)]
    pub links: LinkSpec,
    /// What the nodes' observations carry beyond the defaults.
    #[serde(default)]
    pub observation: ObservationSpec,
    /// Several functions per node (`[[functions]]`, with the `budget`
    /// model): the agents are then node-function pairs `node/function`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<crate::functions::FunctionSpec>,
    /// Where the file was read from (relative paths inside resolve against its folder).
    #[serde(skip)]
    pub path: PathBuf,
}

/// Time: slots per episode and slot length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpisodeSpec {
    /// Slots per episode (positive).
    pub max_steps: usize,
    /// Slot length, seconds (positive).
    pub slot_seconds: f64,
    /// How a slot's requests arrive over it when the scenario is played
    /// live (the simulator counts them per slot either way).
    #[serde(default, skip_serializing_if = "Arrivals::is_even")]
    pub arrivals: Arrivals,
}

/// How a live slot's requests are spread over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Arrivals {
    /// Evenly spaced (default).
    #[default]
    Even,
    /// At independent uniform times within the slot: a Poisson process
    /// given the slot's count, what the serverless models assume.
    Poisson,
}

impl Arrivals {
    fn is_even(&self) -> bool {
        *self == Arrivals::Even
    }
}

/// Seeds of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSpec {
    /// Master seed: episode seeds are drawn from it at each reset.
    #[serde(default = "default_master")]
    pub master: u64,
    /// Build seed: node and link parameters.
    #[serde(default = "default_build")]
    pub build: u64,
    /// Number of evaluation episodes (their seeds derive from `master`).
    #[serde(default = "default_eval_episodes")]
    pub evaluation_episodes: usize,
    /// Explicit evaluation episode seeds (override `evaluation_episodes`).
    #[serde(default)]
    pub evaluation: Option<Vec<u64>>,
}

fn default_master() -> u64 {
    42
}
fn default_build() -> u64 {
    42
}
fn default_eval_episodes() -> usize {
    10
}

impl Default for SeedSpec {
    fn default() -> Self {
        Self {
            master: default_master(),
            build: default_build(),
            evaluation_episodes: default_eval_episodes(),
            evaluation: None,
        }
    }
}

/// What policies see of a scenario's nodes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationSpec {
    /// The input a node plans with: the slot's true count (`"true"`, as
    /// marl-dfaas reveals it) or a one-step prediction from past slots
    /// (`"predicted"`, as a live agent has it).
    #[serde(default)]
    pub input: InputView,
    /// The predictor when `input = "predicted"` (default: Holt, α 0.5, β 0.3);
    /// `dfaas cluster` gives its agents the same one.
    #[serde(default)]
    pub predictor: Option<crate::predict::PredictorSpec>,
    /// Period of the workload in slots: the normalized encoding (version 2
    /// and later) then carries the slot's phase in it (sin, cos). Absent: no
    /// phase (the features read 0).
    #[serde(default)]
    pub period_slots: Option<u32>,
}

/// Which input a node's observation carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputView {
    /// The slot's true input (perfect foresight of the coming slot).
    #[default]
    True,
    /// A prediction from the previous slots' inputs.
    Predicted,
}

impl ObservationSpec {
    /// The predictor policies plan with, `None` when they see the true input.
    pub fn predictor(&self) -> Option<crate::predict::PredictorSpec> {
        match self.input {
            InputView::True => None,
            InputView::Predicted => Some(self.predictor.unwrap_or_default()),
        }
    }
}

/// The graph: optional node list and marl-dfaas adjacency lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologySpec {
    /// Node names in agent order (default: order of first appearance).
    #[serde(default)]
    pub nodes: Option<Vec<String>>,
    /// Adjacency lines: `"a b c"` means a–b and a–c.
    #[serde(default)]
    pub adjacency: Vec<String>,
    /// A generated graph instead of `nodes` / `adjacency` (nodes `node_0 …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<crate::topology::GeneratorSpec>,
}

impl Scenario {
    /// Reads, parses and validates a scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ConfigError> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Io { file: path.to_path_buf(), source })?;
        Self::from_toml_str(&text, path)
    }

    /// Parses and validates scenario TOML; `path` is used for messages and
    /// for resolving relative file names.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Scenario, ConfigError> {
        let mut s: Scenario = toml::from_str(text).map_err(|e| ConfigError::Parse {
            file: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        s.path = path.to_path_buf();
        if s.name.is_empty() {
            s.name = path.file_stem().map(|x| x.to_string_lossy().into_owned()).unwrap_or_else(|| "scenario".into());
        }
        validate::validate(&s)?;
        Ok(s)
    }

    /// Builds the agent graph (validated at load): the node graph, or with
    /// `[[functions]]` one agent per node and hosted function
    /// ([`crate::functions::FunctionLayout`]).
    pub fn build_topology(&self) -> Result<Topology, ConfigError> {
        match self.build_layout()? {
            Some(l) => Ok(l.agents().clone()),
            None => self.build_node_topology(),
        }
    }

    /// The functions laid over the nodes (`None` without `[[functions]]`).
    pub fn build_layout(&self) -> Result<Option<crate::functions::FunctionLayout>, ConfigError> {
        if self.functions.is_empty() {
            return Ok(None);
        }
        let nodes = self.build_node_topology()?;
        crate::functions::FunctionLayout::build(&self.path, nodes, &self.functions).map(Some)
    }

    /// The workload's input series, one per agent (with `[[functions]]`:
    /// each function's own workload for its agents, the scenario's for the
    /// rest; trace columns named `node/function` are matched by name).
    pub fn load_workload(&self) -> Result<crate::workload::Workload, ConfigError> {
        match self.build_layout()? {
            Some(l) => crate::functions::load_workload(self, &l),
            None => self.workload.load(&self.base_dir(), &self.path, self.build_node_topology()?.len()),
        }
    }

    /// Builds the node graph (the agents' graph too unless the scenario has
    /// `[[functions]]`).
    pub fn build_node_topology(&self) -> Result<Topology, ConfigError> {
        if let Some(g) = &self.topology.generator {
            return g.generate().map(|g| g.topology).map_err(|e| {
                ConfigError::invalid(&self.path, format!("topology.generator.{}", e.field), e.value, e.reason)
            });
        }
        let t = Topology::from_adjacency(self.topology.nodes.as_deref(), &self.topology.adjacency).map_err(|e| {
            let value = match &e {
                crate::topology::TopologyError::UnknownNode(n)
                | crate::topology::TopologyError::SelfLoop(n)
                | crate::topology::TopologyError::Duplicate(n) => n.clone(),
                _ => String::new(),
            };
            ConfigError::invalid(&self.path, "topology", value, e.to_string())
        })?;
        Ok(t)
    }

    /// The scenario as an explicit file: a generated topology written as
    /// `nodes` and `adjacency` lines (neighbour order kept), every per-node
    /// draw as its list of values. Loading the result gives the same federation.
    pub fn expanded_toml(&self) -> Result<String, ConfigError> {
        let topo = self.build_node_topology()?;
        let mut s = self.clone();
        s.topology =
            TopologySpec { nodes: Some(topo.names().to_vec()), adjacency: topo.adjacency_lines(), generator: None };
        let mut value = toml::Value::try_from(&s)
            .map_err(|e| ConfigError::invalid(&self.path, "scenario", &self.name, e.to_string()))?;
        expand_draws(&mut value, topo.len());
        toml::to_string(&value).map_err(|e| ConfigError::invalid(&self.path, "scenario", &self.name, e.to_string()))
    }

    /// Node positions in the unit square, where a `geometric` generator placed
    /// them (`None` for other topologies).
    pub fn positions(&self) -> Option<Vec<(f64, f64)>> {
        self.topology.generator.as_ref()?.generate().ok()?.positions
    }

    /// The federation's links: bandwidths from the build seed, propagation
    /// delays from the node positions when `links.distance_delay_s` is set.
    pub fn build_links(&self, topology: &Topology) -> Result<crate::links::Links, ConfigError> {
        crate::links::Links::build(
            &self.links,
            topology,
            self.episode.max_steps,
            self.seeds.build,
            &self.base_dir(),
            &self.path,
        )?
        .with_distances(self.links.distance_delay_s, self.positions().as_deref(), &self.path)
    }

    /// Folder that relative paths in the file resolve against.
    pub fn base_dir(&self) -> PathBuf {
        self.path.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// The fixed list of evaluation episode seeds.
    pub fn evaluation_seeds(&self) -> Vec<u64> {
        match &self.seeds.evaluation {
            Some(v) => v.clone(),
            None => crate::seeds::evaluation_seeds(self.seeds.master, self.seeds.evaluation_episodes),
        }
    }
}

/// Replaces every per-node draw (`{ uniform = [..], seed = .. }`) under `v`
/// with its `n` values.
fn expand_draws(v: &mut toml::Value, n: usize) {
    match v {
        toml::Value::Table(t) => {
            if let Ok(d) = toml::Value::Table(t.clone()).try_into::<crate::per_node::Draw>() {
                *v = toml::Value::Array((0..n).map(|i| toml::Value::Float(d.value(i))).collect());
                return;
            }
            t.iter_mut().for_each(|(_, x)| expand_draws(x, n));
        }
        toml::Value::Array(a) => a.iter_mut().for_each(|x| expand_draws(x, n)),
        _ => {}
    }
}
