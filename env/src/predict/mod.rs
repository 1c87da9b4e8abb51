//! One-step-ahead predictors of a node's input (requests per slot), shared by
//! the simulator (when a scenario's policies see predicted input) and the
//! live agent, so that both worlds predict alike.
//!
//! Every predictor ignores non-finite observations, predicts 0 before its
//! first observation and never predicts below 0.

mod error;
mod ewma;
mod holt;
mod last_value;
mod seasonal;

pub use error::{NodePredictionError, PredictionError, report, trace_errors, trace_errors_after_idle};
pub use ewma::Ewma;
pub use holt::Holt;
pub use last_value::LastValue;
pub use seasonal::Seasonal;

use serde::{Deserialize, Serialize};

/// A one-step-ahead forecaster fed one value per slot.
pub trait Predictor: Send + Sync + std::fmt::Debug {
    /// Records the value observed in the slot that just ended.
    fn observe(&mut self, value: f64);
    /// The forecast for the next slot (0 before any observation).
    fn predict(&self) -> f64;
    /// A boxed copy (simulators are cloned for parallel rollouts).
    fn box_clone(&self) -> Box<dyn Predictor>;
}

impl Clone for Box<dyn Predictor> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

/// Which predictor to build, with its parameters (scenario and agent files).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PredictorSpec {
    /// The last observed value.
    LastValue,
    /// Exponentially weighted moving average, smoothing `alpha` in (0, 1].
    Ewma { alpha: f64 },
    /// Holt's linear smoothing: level `alpha`, trend `beta`, both in (0, 1].
    Holt { alpha: f64, beta: f64 },
    /// Additive Holt–Winters with a season of `period_slots` slots (a day of
    /// slots for daily patterns): level `alpha`, trend `beta`, season `gamma`.
    Seasonal { period_slots: u32, alpha: f64, beta: f64, gamma: f64 },
}

impl Default for PredictorSpec {
    fn default() -> Self {
        Self::Holt { alpha: 0.5, beta: 0.3 }
    }
}

impl PredictorSpec {
    /// A fresh predictor (nothing observed yet).
    pub fn build(&self) -> Box<dyn Predictor> {
        match *self {
            Self::LastValue => Box::new(LastValue::default()),
            Self::Ewma { alpha } => Box::new(Ewma::new(alpha)),
            Self::Holt { alpha, beta } => Box::new(Holt::new(alpha, beta)),
            Self::Seasonal { period_slots, alpha, beta, gamma } => {
                Box::new(Seasonal::new(period_slots, alpha, beta, gamma))
            }
        }
    }

    /// The spec as a TOML inline table (`{ kind = "holt", alpha = 0.5, beta = 0.3 }`).
    pub fn to_toml_inline(&self) -> String {
        match *self {
            Self::LastValue => "{ kind = \"last_value\" }".into(),
            Self::Ewma { alpha } => format!("{{ kind = \"ewma\", alpha = {alpha:?} }}"),
            Self::Holt { alpha, beta } => format!("{{ kind = \"holt\", alpha = {alpha:?}, beta = {beta:?} }}"),
            Self::Seasonal { period_slots, alpha, beta, gamma } => format!(
                "{{ kind = \"seasonal\", period_slots = {period_slots}, alpha = {alpha:?}, beta = {beta:?}, gamma = {gamma:?} }}"
            ),
        }
    }

    /// Checks the parameters; on error, the offending parameter's name
    /// (`alpha`, `beta`, `gamma`, `period_slots`), its value and why.
    pub fn validate(&self) -> Result<(), (&'static str, String, &'static str)> {
        let unit = |name: &'static str, v: f64| {
            if v > 0.0 && v <= 1.0 { Ok(()) } else { Err((name, v.to_string(), "must be within (0, 1]")) }
        };
        match *self {
            Self::LastValue => Ok(()),
            Self::Ewma { alpha } => unit("alpha", alpha),
            Self::Holt { alpha, beta } => unit("alpha", alpha).and(unit("beta", beta)),
            Self::Seasonal { period_slots, alpha, beta, gamma } => {
                if period_slots < 2 {
                    return Err(("period_slots", period_slots.to_string(), "must be at least 2 slots"));
                }
                unit("alpha", alpha).and(unit("beta", beta)).and(unit("gamma", gamma))
            }
        }
    }
}

/// A smoothing factor clamped to (0, 1] (1 when not finite).
pub(crate) fn clamp_unit(x: f64) -> f64 {
    if x.is_finite() { x.clamp(1e-6, 1.0) } else { 1.0 }
}

#[cfg(test)]
mod tests;
