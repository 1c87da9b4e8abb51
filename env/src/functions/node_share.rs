//! One node's functions sharing its budget in a slot: what the simulator
//! and a live agent compute alike, from the same numbers.

use super::{estimate, water_fill};

/// A node's budget and its functions' costs, limits and shares.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeShare {
    /// Budget per slot, unit-seconds (`budget_units × slot_seconds`).
    pub budget: f64,
    /// Per function: unit-seconds one request uses (`cost_units × service_time_s`).
    pub cost: Vec<f64>,
    /// Per function: most requests per slot (its concurrency limit; infinite: none).
    pub limit: Vec<f64>,
    /// Per function: its guaranteed share of the budget, if it has one.
    pub share: Vec<Option<f64>>,
}

impl NodeShare {
    /// Each function's capacity estimate for a slot in which it expects
    /// `expected` requests of its own, requests per slot: its part of the
    /// budget ([`estimate`]) capped by its limit.
    pub fn capacities(&self, expected: &[f64]) -> Vec<f64> {
        let (demand, weight, spare) = self.weights(|k| expected[k].max(0.0));
        let parts = estimate(self.budget, &demand, &weight, &spare);
        parts.iter().enumerate().map(|(k, u)| (u / self.cost[k]).min(self.limit[k])).collect()
    }

    /// Whole requests each function serves when `offered` reach it.
    pub fn admit(&self, offered: &[u32]) -> Vec<u32> {
        let (demand, weight, _) = self.weights(|k| f64::from(offered[k]));
        let parts = water_fill(self.budget, &demand, &weight);
        parts.iter().enumerate().map(|(k, u)| ((u / self.cost[k] + 1e-9).floor().min(self.limit[k])) as u32).collect()
    }

    /// Demands (unit-seconds within each limit), sharing weights (the shares
    /// where some function has one, else the demands: proportional sharing)
    /// and the weights the spare units are promised by (shares; functions
    /// without one split what the others leave equally).
    fn weights(&self, requests: impl Fn(usize) -> f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = self.cost.len();
        let demand: Vec<f64> = (0..n).map(|k| requests(k).min(self.limit[k]) * self.cost[k]).collect();
        let given: f64 = self.share.iter().flatten().sum();
        let unshared = self.share.iter().filter(|s| s.is_none()).count();
        let rest = if unshared > 0 { (1.0 - given).max(0.0) / unshared as f64 } else { 0.0 };
        let spare: Vec<f64> = self.share.iter().map(|s| s.unwrap_or(rest)).collect();
        let weight = if self.share.iter().any(Option::is_some) { spare.clone() } else { demand.clone() };
        (demand, weight, spare)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_without_shares_guaranteed_with() {
        let n = NodeShare { budget: 4.0, cost: vec![2.0, 0.1], limit: vec![f64::INFINITY; 2], share: vec![None, None] };
        assert_eq!(n.admit(&[4, 40]), vec![1, 13], "a third of each");
        assert_eq!(n.admit(&[1, 10]), vec![1, 10], "fits");
        let c = n.capacities(&[1.0, 10.0]);
        assert!((c[0] - 1.25).abs() < 1e-9 && (c[1] - 15.0).abs() < 1e-9, "{c:?}: 1 unit-s spare, half each");
        let g = NodeShare { share: vec![Some(0.25), None], ..n.clone() };
        assert_eq!(g.admit(&[4, 40]), vec![0, 30], "text guaranteed 3 of 4 unit-s");
        let lim = NodeShare { limit: vec![1.0, f64::INFINITY], ..n };
        assert_eq!(lim.admit(&[4, 0]), vec![1, 0], "a concurrency limit caps the part");
    }
}
