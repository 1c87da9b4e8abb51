//! Workloads: how many requests reach each node in each slot.
//! PLACEHOLDER — being implemented.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::scenario::PerNode;
use crate::seeds::SimRng;

/// A workload as written in a scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum WorkloadSpec {
    /// A constant rate per node, requests per second.
    Constant { rate_rps: PerNode<f64> },
}

/// A workload ready to generate episodes (trace files already read).
#[derive(Debug, Clone)]
pub struct Workload {
    spec: WorkloadSpec,
}

impl WorkloadSpec {
    /// Validates the spec and reads any file it names (relative to `base_dir`).
    /// `file` is the scenario path, for error messages.
    pub fn load(
        &self,
        base_dir: &Path,
        file: &Path,
        n_agents: usize,
    ) -> Result<Workload, ConfigError> {
        let _ = (base_dir, file, n_agents);
        Ok(Workload { spec: self.clone() })
    }
}

impl Workload {
    /// Input counts `[agent][slot]` for one episode.
    pub fn generate(
        &self,
        n_agents: usize,
        max_steps: usize,
        slot_seconds: f64,
        rng: &mut SimRng,
    ) -> Vec<Vec<u32>> {
        let _ = rng;
        match &self.spec {
            WorkloadSpec::Constant { rate_rps } => (0..n_agents)
                .map(|i| vec![(rate_rps.get(i) * slot_seconds).round() as u32; max_steps])
                .collect(),
        }
    }
}
