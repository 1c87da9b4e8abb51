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
    /// How long a call holds its units, seconds (positive); a serverless
    /// function's warm service time.
    pub service_time_s: f64,
    /// A serverless function: how long a call that starts a new instance
    /// takes, seconds (at least `service_time_s`; needs `idle_timeout_s`).
    /// Either every function of a scenario is serverless or none is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_service_s: Option<f64>,
    /// A serverless function: how long an idle instance stays warm, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_s: Option<f64>,
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

    /// Its cold start, if it is a serverless function (a validated spec).
    pub fn cold_start(&self) -> Option<super::ColdStart> {
        Some(super::ColdStart { cold_service_s: self.cold_service_s?, idle_timeout_s: self.idle_timeout_s? })
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
        if let Some((name, value, reason)) =
            serverless_problem(self.service_time_s, self.cold_service_s, self.idle_timeout_s, self.share)
        {
            return Err(ConfigError::invalid(file, field(name), value, reason));
        }
        if self.max_concurrency == Some(0) {
            return Err(ConfigError::invalid(file, field("max_concurrency"), 0, "must be at least 1 (or absent)"));
        }
        Ok(())
    }
}

/// What is wrong with a function's serverless fields, if anything: `(field,
/// value, reason)`. The scenario's and the agent's `[[functions]]` both
/// check them with it.
pub fn serverless_problem(
    service_time_s: f64,
    cold_service_s: Option<f64>,
    idle_timeout_s: Option<f64>,
    share: Option<f64>,
) -> Option<(&'static str, String, String)> {
    for (name, v) in [("cold_service_s", cold_service_s), ("idle_timeout_s", idle_timeout_s)] {
        if let Some(v) = v
            && !(v.is_finite() && v > 0.0)
        {
            return Some((name, v.to_string(), "must be a positive number of seconds".into()));
        }
    }
    match (cold_service_s, idle_timeout_s) {
        (Some(c), _) if c < service_time_s => Some((
            "cold_service_s",
            c.to_string(),
            format!("a cold start must take at least the warm service_time_s ({service_time_s})"),
        )),
        (Some(_), None) => Some((
            "idle_timeout_s",
            "missing".into(),
            "a serverless function (cold_service_s) needs its instances' idle timeout".into(),
        )),
        (None, Some(_)) => Some((
            "cold_service_s",
            "missing".into(),
            "idle_timeout_s is for serverless functions: give their cold-start time too".into(),
        )),
        (Some(_), Some(_)) if share.is_some() => Some((
            "share",
            share.unwrap_or_default().to_string(),
            "serverless functions (cold_service_s) share the node's units first come, first served: no guaranteed shares"
                .into(),
        )),
        _ => None,
    }
}

/// Where functions mix serverless and plain ones (every function of a node
/// or scenario is serverless, or none is): `(plain, serverless)`, indices of
/// the first of each, given whether each function has a cold start.
pub fn serverless_mix(serverless: impl IntoIterator<Item = bool>) -> Option<(usize, usize)> {
    let (mut plain, mut cold) = (None, None);
    for (k, s) in serverless.into_iter().enumerate() {
        let first = if s { &mut cold } else { &mut plain };
        first.get_or_insert(k);
    }
    plain.zip(cold)
}
