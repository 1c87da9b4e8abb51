//! `node-margin` — the DFaaS Node Margin Strategy (dfaas.md §2.4; Filippini et
//! al., 2024), mapped onto the observation's fields.
//!
//! DFaaS measures usage U in percent of a threshold T (overloaded ⇔ U > 100),
//! each node advertises margin = (100 − U)/K to each of its K neighbours
//! (0 if overloaded), and an overloaded node sheds 1 % of its kept load at a
//! time, round robin over the neighbours, accepting a step for neighbour n only
//! if n's margin exceeds the usage the step (plus what n was already given)
//! adds to it; it stops as soon as it is no longer overloaded.
//!
//! Mapping (θ = parameter `threshold`, a fraction of capacity, default 1.0):
//! * own usage U = λ̂ / (θ·C); overloaded ⇔ λ̂ > θ·C;
//! * neighbour j: usage U_j = load_j / θ, K_j = its `degree` (0 counted as 1),
//!   margin_j = (1 − U_j)/K_j, 0 if load_j ≥ min(θ, 1) or j was never heard from;
//! * j's capacity is estimated from its advertisement as C_j = s_j/(1 − load_j)
//!   (spare is the unused share of capacity), so x requests add x/(θ·C_j) to
//!   U_j and a step is accepted iff assigned_j + step < margin_j·θ·C_j
//!   = s_j·(θ − load_j) / ((1 − load_j)·K_j) — which is s_j/K_j for θ = 1;
//! * step = `step` (default 0.01) × the currently kept load; neighbours are
//!   visited in action order (DFaaS's order comes from a Go map).
//!
//! What stays local beyond C is kept (`overflow=local`, default) or rejected
//! (`overflow=reject`). The loop is bounded (it stops when steps become
//! negligible), so a node with no capacity still terminates.

use dfaas_env::{Decision, NodeObservation};

use super::common::{Overflow, count, finish, input_and_capacity, known, load};
use crate::Policy;

/// Upper bound on greedy steps per decision.
const MAX_STEPS: usize = 20_000;

/// Greedy 1 % load shedding to neighbours whose margin covers the added usage.
#[derive(Debug, Clone)]
pub struct NodeMargin {
    threshold: f64,
    step: f64,
    overflow: Overflow,
}

impl NodeMargin {
    /// Default overload threshold, as a fraction of capacity.
    pub const DEFAULT_THRESHOLD: f64 = 1.0;
    /// Default step, as a fraction of the kept load.
    pub const DEFAULT_STEP: f64 = 0.01;

    /// A node-margin policy; a non-positive or non-finite `threshold` or `step`
    /// falls back to its default, `step` is capped at 1.
    pub fn new(threshold: f64, step: f64, overflow: Overflow) -> Self {
        let threshold = if threshold.is_finite() && threshold > 0.0 { threshold } else { Self::DEFAULT_THRESHOLD };
        let step = if step.is_finite() && step > 0.0 { step.min(1.0) } else { Self::DEFAULT_STEP };
        Self { threshold, step, overflow }
    }

    /// How much neighbour `n` may take from this node before its margin is used up.
    fn room(&self, n: &dfaas_env::NeighborObs) -> f64 {
        let l = load(n.load);
        if !known(n) || l >= self.threshold.min(1.0) {
            return 0.0;
        }
        let k = f64::from(n.degree.max(1));
        count(count(n.spare_capacity) * (self.threshold - l) / ((1.0 - l) * k))
    }
}

impl Default for NodeMargin {
    fn default() -> Self {
        Self::new(Self::DEFAULT_THRESHOLD, Self::DEFAULT_STEP, Overflow::Local)
    }
}

impl Policy for NodeMargin {
    fn name(&self) -> &str {
        "node-margin"
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        let (lambda, capacity) = input_and_capacity(obs);
        let target = self.threshold * capacity;
        if lambda <= target {
            return Decision::all_local(obs.degree());
        }
        let room: Vec<f64> = obs.neighbors.iter().map(|n| self.room(n)).collect();
        let mut assigned = vec![0.0; room.len()];
        let mut candidates: Vec<usize> = (0..room.len()).filter(|&j| room[j] > 0.0).collect();
        let mut keep = lambda;
        let mut cursor = 0;
        for _ in 0..MAX_STEPS {
            if keep <= target || candidates.is_empty() {
                break;
            }
            let step = self.step * keep;
            if step <= lambda * 1e-12 {
                break;
            }
            if cursor >= candidates.len() {
                cursor = 0;
            }
            let j = candidates[cursor];
            if room[j] - assigned[j] > step {
                keep -= step;
                assigned[j] += step;
                cursor += 1;
            } else {
                candidates.remove(cursor);
            }
        }
        finish(obs, &assigned, self.overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heuristics::test_util::*;

    #[test]
    fn sheds_one_percent_steps_until_not_overloaded() {
        // λ̂ = 10.5, C = 10, one neighbour with ample room: the node sheds
        // 1 % of what it keeps until it keeps ≤ 10: 5 steps (10.5·0.99^5 ≈ 9.985).
        let o = obs(10.5, 10.0, vec![nb(100.0, 0.0, 0.01)]);
        let d = NodeMargin::default().decide(&o);
        let kept = 10.5 * 0.99f64.powi(5);
        assert_fractions(&d, &[kept / 10.5, 1.0 - kept / 10.5, 0.0]);
    }

    #[test]
    fn round_robin_and_margin_limits() {
        // λ̂ = 100, C = 10. Neighbour 0: spare 2, degree 2 → room 1 (the first
        // 1 % step, 1.0, does not fit strictly, so it is dropped at once).
        // Neighbour 1: load 1 → margin 0, never used. Neighbour 2: spare 30,
        // degree 1, load 0.5 → room 30. Unknown neighbour 3: never used.
        let mut a = nb(2.0, 0.0, 0.01);
        a.degree = 2;
        let o = obs(100.0, 10.0, vec![a, nb(0.0, 1.0, 0.01), nb(30.0, 0.5, 0.01), unknown()]);
        let d = NodeMargin::default().decide(&o);
        assert_eq!(d.forwards()[0], 0.0);
        assert_eq!(d.forwards()[1], 0.0);
        assert_eq!(d.forwards()[3], 0.0);
        // Neighbour 2 takes 1 % steps while they fit under 30.
        let sent = d.forwards()[2] * 100.0;
        assert!(sent < 30.0 && sent > 29.0, "sent {sent}");
        assert!((d.local() - (1.0 - d.forwards()[2])).abs() < 1e-12);
        let r = NodeMargin::new(1.0, 0.01, Overflow::Reject).decide(&o);
        assert!((r.local() - 0.1).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn even_round_robin_between_equal_neighbours() {
        let o = obs(20.0, 10.0, vec![nb(100.0, 0.0, 0.01), nb(100.0, 0.0, 0.01)]);
        let d = NodeMargin::default().decide(&o);
        let (f0, f1) = (d.forwards()[0], d.forwards()[1]);
        assert!(f0 >= f1 && f0 - f1 < 0.011, "{d:?}");
        assert!(d.local() * 20.0 <= 10.0 && d.local() * 20.0 > 9.8, "{d:?}");
    }

    #[test]
    fn threshold_scales_usage() {
        // θ = 0.8: overloaded above 8; neighbour load 0.4, spare 6 (C_j = 10):
        // room = 6·0.4/0.6 = 4.
        let p = NodeMargin::new(0.8, 0.01, Overflow::Local);
        assert!((p.room(&nb(6.0, 0.4, 0.01)) - 4.0).abs() < 1e-12);
        assert_eq!(p.room(&nb(6.0, 0.8, 0.01)), 0.0);
        let mut p = p;
        assert_fractions(&p.decide(&obs(8.0, 10.0, vec![nb(6.0, 0.4, 0.01)])), &[1.0, 0.0, 0.0]);
        let d = p.decide(&obs(9.0, 10.0, vec![nb(6.0, 0.4, 0.01)]));
        assert!(d.local() * 9.0 <= 8.0 && d.forwards()[0] > 0.0, "{d:?}");
    }

    #[test]
    fn zero_capacity_terminates() {
        let o = obs(1e12, 0.0, vec![nb(1e15, 0.0, 0.01)]);
        let d = NodeMargin::default().decide(&o);
        assert!(d.forwards()[0] > 0.99, "{d:?}");
    }
}
