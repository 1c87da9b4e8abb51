//! Model D: several functions per node sharing its budget. Node `i` has
//! `budget_units` (as the live runtime's `budget_units`); a call of a
//! function holds that function's `cost_units` for its `service_time_s`, so
//! a slot of `T` seconds offers `budget_units · T` unit-seconds. Each slot
//! the node shares them among its functions over the requests each receives
//! (own and forwarded): proportionally, or by guaranteed shares where its
//! functions have them ([`crate::functions::water_fill`]); then every
//! function serves its part like a [`super::capacity::CapacityNode`]
//! (admission order `overload`). With `queue_slots`, what a slot cannot
//! serve waits (up to that many slots of the budget's work) and is served
//! first in the next slots; `processed` then counts what ran in the slot.
//!
//! Serverless functions (every function with `cold_service_s` and
//! `idle_timeout_s`) share the units differently: a call holds its units
//! while it runs, warm or cold-starting, and one of the function's
//! instances; a call that finds neither free is rejected (no queue, no
//! shares, whoever sent it): a multi-rate loss system
//! ([`crate::functions::LossNode`]).
//!
//! The functions (`[[functions]]` of the scenario) make the agents; the
//! simulator sets each agent's slot capacity before it resolves.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::capacity::Overload;
use crate::error::ConfigError;
use crate::per_node::PerNode;

/// Parameters of the budget model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSpec {
    /// Units each node's functions share (whole units; one value or one per node).
    pub budget_units: PerNode<f64>,
    /// Who is served first when a function's part is overloaded (default
    /// `local-first`; not with serverless functions, which reject in
    /// proportion to the flows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overload: Option<Overload>,
    /// Work that may wait for later slots, in slots of the node's budget
    /// (default 0: what a slot cannot serve is rejected). Waiting work is
    /// served first, first come, first served; a live node's
    /// `budget_queue_s` is this many slots.
    #[serde(default)]
    pub queue_slots: f64,
}

impl BudgetSpec {
    /// Checks the parameters for the nodes `names` (errors name `file` and the field).
    pub fn validate(&self, file: &Path, names: &[String]) -> Result<(), ConfigError> {
        let values = self.budget_units.checked_values(file, "model.budget_units", names)?;
        if !(self.queue_slots.is_finite() && (0.0..=100.0).contains(&self.queue_slots)) {
            return Err(ConfigError::invalid(
                file,
                "model.queue_slots",
                self.queue_slots,
                "must be within 0..=100 slots",
            ));
        }
        for (i, v) in values.into_iter().enumerate() {
            if !(v.is_finite() && v >= 1.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX)) {
                return Err(ConfigError::invalid(
                    file,
                    format!("model.budget_units[{i}] ({})", names[i]),
                    v,
                    "must be a whole number of units, at least 1",
                ));
            }
        }
        Ok(())
    }

    /// With serverless functions: they have no queue and no admission order
    /// (errors name `file` and the field).
    pub fn validate_serverless(&self, file: &Path) -> Result<(), ConfigError> {
        if self.queue_slots > 0.0 {
            return Err(ConfigError::invalid(
                file,
                "model.queue_slots",
                self.queue_slots,
                "serverless functions (cold_service_s) have no budget queue: a call finds its units free or is rejected",
            ));
        }
        if let Some(o) = self.overload {
            return Err(ConfigError::invalid(
                file,
                "model.overload",
                format!("{o:?}"),
                "serverless functions reject in proportion to the flows: drop it",
            ));
        }
        Ok(())
    }

    /// Node `i`'s budget in whole units.
    pub fn units(&self, i: usize) -> u32 {
        self.budget_units.get(i) as u32
    }
}
