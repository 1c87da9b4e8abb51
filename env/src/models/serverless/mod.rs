//! Model B: the marl-dfaas master environment's steady-state serverless model
//! (the PACS performance model of Mahmoudi and Khazaei), with explicit units
//! and memoised solutions.

pub mod cache;
pub mod perfmodel;
pub mod presets;

pub use cache::PerfCache;
pub use perfmodel::{PerfParams, PerfResult, StateCap, solve};

use serde::{Deserialize, Serialize};

/// Scenario parameters of the serverless model. Either a `preset` name or all
/// four explicit values (explicit values override the preset's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ServerlessSpec {
    /// A named parameter set (see [`presets`]).
    #[serde(default)]
    pub preset: Option<String>,
    /// Warm service time, seconds.
    #[serde(default)]
    pub warm_service_s: Option<f64>,
    /// Cold-start service time, seconds.
    #[serde(default)]
    pub cold_service_s: Option<f64>,
    /// Idle time before a warm instance is reclaimed, seconds.
    #[serde(default)]
    pub idle_timeout_s: Option<f64>,
    /// Maximum number of concurrent instances.
    #[serde(default)]
    pub max_concurrency: Option<u32>,
    /// State-space cap: `faster` (marl-dfaas default) or `full`.
    #[serde(default)]
    pub state_cap: Option<StateCap>,
}

impl ServerlessSpec {
    /// Resolves the preset and explicit values into model parameters.
    /// `file` names the scenario in error messages.
    pub fn params(&self, file: &std::path::Path) -> Result<PerfParams, crate::error::ConfigError> {
        use crate::error::ConfigError;
        let base = match &self.preset {
            Some(name) => Some(presets::preset(name).ok_or_else(|| {
                ConfigError::invalid(
                    file,
                    "model.preset",
                    name,
                    format!("unknown preset; known: {}", presets::PRESET_NAMES.join(", ")),
                )
            })?),
            None => None,
        };
        let pick = |field: &str, explicit: Option<f64>, from: Option<f64>| -> Result<f64, ConfigError> {
            let v = explicit.or(from).ok_or_else(|| {
                ConfigError::invalid(file, format!("model.{field}"), "missing", "give it or name a `preset`")
            })?;
            if !(v.is_finite() && v > 0.0) {
                return Err(ConfigError::invalid(
                    file,
                    format!("model.{field}"),
                    v,
                    "must be a positive number of seconds",
                ));
            }
            Ok(v)
        };
        let warm_s = pick("warm_service_s", self.warm_service_s, base.map(|b| b.warm_s))?;
        let cold_s = pick("cold_service_s", self.cold_service_s, base.map(|b| b.cold_s))?;
        let idle_s = pick("idle_timeout_s", self.idle_timeout_s, base.map(|b| b.idle_s))?;
        let max_concurrency = self.max_concurrency.or(base.map(|b| b.max_concurrency)).ok_or_else(|| {
            ConfigError::invalid(file, "model.max_concurrency", "missing", "give it or name a `preset`")
        })?;
        if max_concurrency == 0 {
            return Err(ConfigError::invalid(file, "model.max_concurrency", 0, "must be at least 1"));
        }
        if warm_s > cold_s {
            return Err(ConfigError::invalid(
                file,
                "model.warm_service_s",
                warm_s,
                format!("must not exceed cold_service_s ({cold_s})"),
            ));
        }
        Ok(PerfParams {
            warm_s,
            cold_s,
            idle_s,
            max_concurrency,
            state_cap: self.state_cap.or(base.map(|b| b.state_cap)).unwrap_or_default(),
        })
    }
}
