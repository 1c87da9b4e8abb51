//! Network links between neighbours: access delay plus transfer time from a
//! per-slot bandwidth (constant, or drawn from a bandwidth trace).
//! PLACEHOLDER — being implemented.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::topology::Topology;

/// Link parameters as written in a scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {}

/// Per-slot link delays of a built federation (fixed by the build seed).
#[derive(Debug, Clone)]
pub struct Links {}

impl Links {
    /// Builds every link's per-slot bandwidth for `max_steps` slots.
    pub fn build(
        spec: &LinkSpec,
        topology: &Topology,
        max_steps: usize,
        build_seed: u64,
        base_dir: &Path,
        file: &Path,
    ) -> Result<Links, ConfigError> {
        let _ = (spec, topology, max_steps, build_seed, base_dir, file);
        Ok(Links {})
    }

    /// One-way delay of a request forwarded from `a` to `b` in `slot`, seconds.
    pub fn forward_delay_s(&self, a: usize, b: usize, slot: usize) -> f64 {
        let _ = (a, b, slot);
        0.0
    }

    /// Delay of the response travelling back from `b` to `a` in `slot`, seconds.
    pub fn return_delay_s(&self, a: usize, b: usize, slot: usize) -> f64 {
        let _ = (a, b, slot);
        0.0
    }
}
