//! The `[[functions]]` table of a scenario file (explicit units).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::workload::WorkloadSpec;

/// One function hosted by the federation's nodes.
///
/// A call of it holds `cost_units` of its node's `budget_units` for
/// `service_time_s`: the same cost the live synthetic backend charges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionSpec {
    /// Name (letters, digits, `-`, `_`, `.`); agents are `node/name`.
    pub name: String,
    /// Units of the node's budget one call holds while it runs (≥ 1).
    pub cost_units: u32,
    /// How long a call holds its units, seconds (positive).
    pub service_time_s: f64,
    /// Fraction of every hosting node's budget guaranteed to this function
    /// when it has the load for it (0–1; the shares of a node's functions
    /// sum to at most 1). Functions without a share split what the others
    /// leave equally. Unused guarantees go to the functions that need them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// Most calls of this function in service at once on a node (its
    /// instance limit); none: only the budget limits it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u32>,
    /// The nodes hosting it (default: every node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<String>>,
    /// Its own workload for its agents (default: the scenario's `[workload]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadSpec>,
}

impl FunctionSpec {
    /// Unit-seconds of budget one call uses.
    pub fn unit_seconds(&self) -> f64 {
        f64::from(self.cost_units) * self.service_time_s
    }

    /// Checks its own fields (`k`: its index in the file, for messages).
    pub(super) fn validate(&self, file: &Path, k: usize) -> Result<(), ConfigError> {
        let field = |f: &str| format!("functions[{k}].{f}");
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if self.name.is_empty() || !self.name.chars().all(ok_char) {
            return Err(ConfigError::invalid(
                file,
                field("name"),
                format!("{:?}", self.name),
                "must be letters, digits, '-', '_' or '.' (agents are named node/function)",
            ));
        }
        if self.cost_units == 0 {
            return Err(ConfigError::invalid(file, field("cost_units"), 0, "must be at least 1 unit"));
        }
        if !(self.service_time_s.is_finite() && self.service_time_s > 0.0) {
            return Err(ConfigError::invalid(
                file,
                field("service_time_s"),
                self.service_time_s,
                "must be a positive number of seconds",
            ));
        }
        if let Some(s) = self.share
            && !(s.is_finite() && (0.0..=1.0).contains(&s))
        {
            return Err(ConfigError::invalid(
                file,
                field("share"),
                s,
                "must be a fraction of the node's budget in [0, 1]",
            ));
        }
        if self.max_concurrency == Some(0) {
            return Err(ConfigError::invalid(file, field("max_concurrency"), 0, "must be at least 1 (or absent)"));
        }
        Ok(())
    }
}
