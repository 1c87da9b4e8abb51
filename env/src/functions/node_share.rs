//! One node's functions sharing its budget in a slot: what the simulator
//! and a live agent compute alike, from the same numbers.

use super::loss::{ColdStart, LossNode};
use super::{estimate, water_fill};

/// A node's budget and its functions' costs, limits and shares.
#[derive(Debug, Clone)]
pub struct NodeShare {
    /// Budget per slot, unit-seconds (`budget_units × slot_seconds`).
    pub budget: f64,
    /// Per function: unit-seconds one request uses (`cost_units × service_time_s`).
    pub cost: Vec<f64>,
    /// Per function: most requests per slot (its concurrency limit; infinite: none).
    pub limit: Vec<f64>,
    /// Per function: its guaranteed share of the budget, if it has one.
    pub share: Vec<Option<f64>>,
    /// Work that may wait for the next slots, unit-seconds (0: none waits,
    /// what a slot cannot serve is rejected).
    pub queue_work: f64,
    /// Serverless functions (every one with a cold start): calls share the
    /// units with no queue, as a loss system ([`LossNode`]), instead of as
    /// the slot's work.
    pub loss: Option<LossNode>,
}

/// One function's cost on its node, as a scenario's `[[functions]]` and an
/// agent file's `[[functions]]` both give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FunctionCost {
    pub cost_units: u32,
    pub service_time_s: f64,
    pub share: Option<f64>,
    pub max_concurrency: Option<u32>,
    /// A serverless function's cold start (`service_time_s` is then its warm service time).
    pub cold: Option<ColdStart>,
}

impl From<&super::FunctionSpec> for FunctionCost {
    fn from(f: &super::FunctionSpec) -> Self {
        Self {
            cost_units: f.cost_units,
            service_time_s: f.service_time_s,
            share: f.share,
            max_concurrency: f.max_concurrency,
            cold: f.cold_start(),
        }
    }
}

/// Each function's weight for units nobody expects to use: its share, or an
/// equal part of what the functions with shares leave.
pub(crate) fn spare_weights(share: &[Option<f64>]) -> Vec<f64> {
    let given: f64 = share.iter().flatten().sum();
    let unshared = share.iter().filter(|s| s.is_none()).count();
    let rest = if unshared > 0 { (1.0 - given).max(0.0) / unshared as f64 } else { 0.0 };
    share.iter().map(|s| s.unwrap_or(rest)).collect()
}

/// What a node did with one slot's arrivals ([`NodeShare::slot`]), per function.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SlotShare {
    /// Arrivals served now or queued (the rest were rejected).
    pub admitted: Vec<u32>,
    /// Requests served in the slot: queued earlier, then arrived now.
    pub served: Vec<u32>,
    /// Serverless functions: the mean time a served call ran, seconds
    /// (warm and cold starts mixed).
    pub hold_s: Option<Vec<f64>>,
}

impl NodeShare {
    /// A node of `budget_units` hosting `functions`, slots of `slot_seconds`,
    /// `queue_slots` slots of its budget's work allowed to wait: the one
    /// formula the simulator and a live agent build it with (a request uses
    /// `cost_units × service_time_s`; a limit of `c` calls at once serves
    /// `c × slot_seconds / service_time_s` per slot). Where every function
    /// has a cold start they are serverless functions sharing the units as
    /// a loss system ([`LossNode`]; no queue, no shares).
    pub fn of_functions(
        budget_units: u32,
        slot_seconds: f64,
        queue_slots: f64,
        functions: impl IntoIterator<Item = FunctionCost>,
    ) -> Self {
        let functions: Vec<FunctionCost> = functions.into_iter().collect();
        let budget = f64::from(budget_units) * slot_seconds;
        let (mut cost, mut limit, mut share) = (Vec::new(), Vec::new(), Vec::new());
        for f in &functions {
            cost.push(f64::from(f.cost_units) * f.service_time_s);
            limit.push(f.max_concurrency.map_or(f64::INFINITY, |c| f64::from(c) * slot_seconds / f.service_time_s));
            share.push(f.share);
        }
        let loss = (!functions.is_empty() && functions.iter().all(|f| f.cold.is_some())).then(|| {
            let classes =
                functions.iter().map(|f| (f.cost_units, f.service_time_s, f.cold.unwrap(), f.max_concurrency));
            LossNode::new(budget_units, slot_seconds, classes)
        });
        Self { budget, cost, limit, share, queue_work: queue_slots * budget, loss }
    }

    /// Each function's capacity estimate for a slot in which it expects
    /// `expected` requests of its own, requests per slot: its part of the
    /// budget ([`estimate`]) capped by its limit.
    pub fn capacities(&self, expected: &[f64]) -> Vec<f64> {
        if let Some(loss) = &self.loss {
            return loss.capacities(expected);
        }
        let (demand, weight, spare) = self.weights(|k| expected[k].max(0.0));
        let parts = estimate(self.budget, &demand, &weight, &spare);
        parts.iter().enumerate().map(|(k, u)| (u / self.cost[k]).min(self.limit[k])).collect()
    }

    /// Whole requests each function serves when `offered` reach it.
    pub fn admit(&self, offered: &[u32]) -> Vec<u32> {
        if let Some(loss) = &self.loss {
            return offered.iter().zip(loss.rejected(offered)).map(|(o, r)| o - r).collect();
        }
        let (demand, weight, _) = self.weights(|k| f64::from(offered[k]));
        let parts = water_fill(self.budget, &demand, &weight);
        parts.iter().enumerate().map(|(k, u)| ((u / self.cost[k] + 1e-9).floor().min(self.limit[k])) as u32).collect()
    }

    /// One slot with a queue: what waited (`backlog`, updated in place) is
    /// served first, first come, first served (every function the same
    /// fraction when the budget cannot serve it all); the budget left serves
    /// the arrivals `offered` as [`NodeShare::admit`] does; arrivals it
    /// cannot serve wait while their work fits in `queue_work`, cheapest
    /// function first (a live node admits a call to its budget queue when
    /// the call's own work fits the room left: a cheap call fits where an
    /// expensive one does not), the rest are rejected. With no queue it is
    /// [`NodeShare::admit`].
    pub fn slot(&self, backlog: &mut [u32], offered: &[u32]) -> SlotShare {
        let n = self.cost.len();
        if let Some(loss) = &self.loss {
            let served = self.admit(offered);
            let hold_s = (0..n).map(|k| loss.hold_s(k, f64::from(offered[k]))).collect();
            return SlotShare { admitted: served.clone(), served, hold_s: Some(hold_s) };
        }
        let waiting: f64 = (0..n).map(|k| f64::from(backlog[k]) * self.cost[k]).sum();
        let frac = if waiting > self.budget { self.budget / waiting } else { 1.0 };
        let old: Vec<u32> = (0..n).map(|k| ((f64::from(backlog[k]) * frac) + 1e-9).floor() as u32).collect();
        let used: f64 = (0..n).map(|k| f64::from(old[k]) * self.cost[k]).sum();
        let rest = NodeShare { budget: (self.budget - used).max(0.0), ..self.clone() };
        let new = rest.admit(offered);
        let left: f64 = (0..n).map(|k| f64::from(backlog[k] - old[k]) * self.cost[k]).sum();
        let mut room = (self.queue_work - left).max(0.0);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| self.cost[a].total_cmp(&self.cost[b]));
        let mut queued = vec![0u32; n];
        for k in order {
            let fits = ((room / self.cost[k]) + 1e-9).floor().max(0.0);
            queued[k] = (f64::from(offered[k] - new[k]).min(fits)) as u32;
            room -= f64::from(queued[k]) * self.cost[k];
        }
        let mut out = SlotShare { admitted: vec![0; n], served: vec![0; n], hold_s: None };
        for k in 0..n {
            backlog[k] = backlog[k] - old[k] + queued[k];
            out.admitted[k] = new[k] + queued[k];
            out.served[k] = old[k] + new[k];
        }
        out
    }

    /// Demands (unit-seconds within each limit), sharing weights (the shares
    /// where some function has one, else the demands: proportional sharing)
    /// and the weights the spare units are promised by (shares; functions
    /// without one split what the others leave equally).
    fn weights(&self, requests: impl Fn(usize) -> f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = self.cost.len();
        let demand: Vec<f64> = (0..n).map(|k| requests(k).min(self.limit[k]) * self.cost[k]).collect();
        let spare = spare_weights(&self.share);
        let weight = if self.share.iter().any(Option::is_some) { spare.clone() } else { demand.clone() };
        (demand, weight, spare)
    }
}

impl NodeShare {
    /// Function `k`'s view of its node when the functions expect `expected`
    /// requests (the features the normalized encoding of version 3 reads).
    pub fn shared_node(&self, expected: &[f64], k: usize) -> crate::contract::SharedNode {
        let work: f64 = expected.iter().zip(&self.cost).map(|(e, c)| e.max(0.0) * c).sum();
        let b = self.budget.max(1e-12);
        crate::contract::SharedNode { node_load: work / b, request_share: self.cost[k] / b }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_without_shares_guaranteed_with() {
        let n = NodeShare {
            budget: 4.0,
            cost: vec![2.0, 0.1],
            limit: vec![f64::INFINITY; 2],
            share: vec![None, None],
            queue_work: 0.0,
            loss: None,
        };
        assert_eq!(n.admit(&[4, 40]), vec![1, 13], "a third of each");
        assert_eq!(n.admit(&[1, 10]), vec![1, 10], "fits");
        let c = n.capacities(&[1.0, 10.0]);
        assert!((c[0] - 1.25).abs() < 1e-9 && (c[1] - 15.0).abs() < 1e-9, "{c:?}: 1 unit-s spare, half each");
        let g = NodeShare { share: vec![Some(0.25), None], ..n.clone() };
        assert_eq!(g.admit(&[4, 40]), vec![0, 30], "text guaranteed 3 of 4 unit-s");
        let lim = NodeShare { limit: vec![1.0, f64::INFINITY], ..n };
        assert_eq!(lim.admit(&[4, 0]), vec![1, 0], "a concurrency limit caps the part");
    }

    #[test]
    fn a_queue_carries_work_into_the_next_slot() {
        // 4 unit-s a slot, 4 unit-s may wait.
        let n = NodeShare {
            budget: 4.0,
            cost: vec![2.0, 0.1],
            limit: vec![f64::INFINITY; 2],
            share: vec![None, None],
            queue_work: 4.0,
            loss: None,
        };
        let mut backlog = vec![0, 0];
        // 12 unit-s arrive: 4 served (a third of each).
        let s = n.slot(&mut backlog, &[4, 40]);
        assert_eq!(s.served, vec![1, 13]);
        // 3 images and 27 texts unserved (8.7 unit-s), 4 unit-s of room:
        // the 27 texts (2.7 unit-s) first, then what fits of the images (none: 1.3 < 2).
        assert_eq!(backlog, vec![0, 27]);
        assert_eq!(s.admitted, vec![1, 40]);
        // Next slot, nothing new: the queue is served first.
        let s = n.slot(&mut backlog, &[0, 0]);
        assert_eq!((s.served, s.admitted), (vec![0, 27], vec![0, 0]));
        assert_eq!(backlog, vec![0, 0]);
        // Without a queue, a slot is `admit`.
        let none = NodeShare { queue_work: 0.0, ..n.clone() };
        let s = none.slot(&mut backlog, &[4, 40]);
        assert_eq!((s.served.clone(), s.admitted), (none.admit(&[4, 40]), s.served));
    }
}
