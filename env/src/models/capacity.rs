//! Model C: a fixed service capacity per node (the DFaaS paper's r_max, and
//! how a live node admits work).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::apportion;
use crate::error::ConfigError;
use crate::per_node::PerNode;

/// Parameters of the capacity model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacitySpec {
    /// Requests per second each node serves at most (one value, or one per node).
    pub capacity_rps: PerNode<f64>,
    /// Who is served first when a node is overloaded.
    #[serde(default)]
    pub overload: Overload,
    /// Service time of one request in seconds, for latency reporting.
    #[serde(default)]
    pub service_time_s: Option<f64>,
}

impl CapacitySpec {
    /// Checks the parameters for the nodes `names` (errors name `file` and the field).
    pub fn validate(&self, file: &Path, names: &[String]) -> Result<(), ConfigError> {
        let values = self.capacity_rps.checked_values(file, "model.capacity_rps", names)?;
        for (i, v) in values.into_iter().enumerate() {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ConfigError::invalid(
                    file,
                    format!("model.capacity_rps[{i}] ({})", names[i]),
                    v,
                    "must be a non-negative number of requests per second",
                ));
            }
        }
        if let Some(t) = self.service_time_s
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(ConfigError::invalid(file, "model.service_time_s", t, "must be non-negative seconds"));
        }
        Ok(())
    }
}

/// Order of admission at an overloaded node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overload {
    /// The node's own local requests first, then forwards in arrival order.
    #[default]
    LocalFirst,
    /// Rejections shared in proportion to the flows (like the serverless model).
    Proportional,
}

/// A node with a fixed capacity per slot.
#[derive(Debug, Clone)]
pub struct CapacityNode {
    /// Whole requests served per slot.
    pub per_slot: u32,
    /// Admission order.
    pub overload: Overload,
    /// Service time for latency reporting.
    pub service_time_s: Option<f64>,
}

impl CapacityNode {
    /// A node serving `capacity_rps` over slots of `slot_seconds`.
    pub fn new(capacity_rps: f64, slot_seconds: f64, overload: Overload, service_time_s: Option<f64>) -> Self {
        let per_slot = (capacity_rps * slot_seconds + 1e-9).floor().max(0.0) as u32;
        Self { per_slot, overload, service_time_s }
    }

    /// Resolves one slot: `flows[0]` is the local flow, the rest are forwards.
    /// Writes rejections per flow into `rejects`; returns the processed count.
    pub fn resolve(&self, flows: &[u32], rejects: &mut Vec<u32>) -> u32 {
        let total: u32 = flows.iter().sum();
        match self.overload {
            Overload::LocalFirst => apportion::in_order(self.per_slot, flows, rejects),
            Overload::Proportional => apportion::proportional(total.saturating_sub(self.per_slot), flows, rejects),
        }
        total - rejects.iter().sum::<u32>()
    }
}

impl super::NodeModel for CapacityNode {
    fn capacity_per_slot(&mut self) -> f64 {
        self.per_slot as f64
    }

    fn resolve(&mut self, flows: &[u32], _rng: &mut crate::seeds::SimRng, rejects: &mut Vec<u32>) -> super::Resolved {
        let processed = CapacityNode::resolve(self, flows, rejects);
        super::Resolved { processed, queue_len: None, response_time_s: self.service_time_s.filter(|_| processed > 0) }
    }

    fn slot_cost(&mut self, l: u32, _slot_seconds: f64, _exact: bool) -> f64 {
        l.saturating_sub(self.per_slot) as f64
    }

    fn set_slot_capacity(&mut self, per_slot: u32) {
        self.per_slot = per_slot;
    }
}

impl CapacityNode {
    /// The same node reporting `service_time_s` as its response time.
    pub fn with_service_time(mut self, service_time_s: f64) -> Self {
        self.service_time_s = Some(service_time_s);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_per_slot_and_orders() {
        let n = CapacityNode::new(10.0, 5.0, Overload::LocalFirst, None);
        assert_eq!(n.per_slot, 50);
        let mut r = Vec::new();
        assert_eq!(n.resolve(&[40, 20], &mut r), 50);
        assert_eq!(r, vec![0, 10]);
        let p = CapacityNode::new(10.0, 5.0, Overload::Proportional, None);
        assert_eq!(p.resolve(&[40, 20], &mut r), 50);
        // 10 rejections shared 40:20 → 6.67 / 3.33 → (6,3) + 1 to index 0.
        assert_eq!(r, vec![7, 3]);
    }
}
