//! `proportional-latency` — serverlessonedge's edge router `random`
//! ("random proportional") policy (peers.md §1.2): destination d is chosen
//! with probability (1/w_d) / Σ_k (1/w_k), w_d its latency estimate in
//! seconds. Per slot: if λ̂ ≤ C everything stays local; otherwise the excess
//! λ̂ − C is split over the known neighbours with spare capacity s_j > 0 with
//! exactly those shares, w_j = max(latency_s, floor) (parameter `floor`,
//! default 1e-4 s, guards zero latency), uncapped. With no such neighbour the
//! excess stays local (`overflow=local`, default) or is rejected
//! (`overflow=reject`).

use dfaas_env::{Decision, NodeObservation};

use super::common::{Overflow, count, finish, input_and_capacity, known};
use crate::Policy;

/// Splits the excess over capacity in proportion to inverse latency.
#[derive(Debug, Clone)]
pub struct ProportionalLatency {
    floor: f64,
    overflow: Overflow,
}

impl ProportionalLatency {
    /// Default latency floor, seconds.
    pub const DEFAULT_FLOOR: f64 = 1e-4;

    /// A proportional-latency policy; a non-positive or non-finite `floor`
    /// falls back to the default.
    pub fn new(floor: f64, overflow: Overflow) -> Self {
        let floor = if floor.is_finite() && floor > 0.0 { floor } else { Self::DEFAULT_FLOOR };
        Self { floor, overflow }
    }
}

impl Default for ProportionalLatency {
    fn default() -> Self {
        Self::new(Self::DEFAULT_FLOOR, Overflow::Local)
    }
}

impl Policy for ProportionalLatency {
    fn name(&self) -> &str {
        "proportional-latency"
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        let (lambda, capacity) = input_and_capacity(obs);
        if lambda <= capacity {
            return Decision::all_local(obs.degree());
        }
        let inverse: Vec<f64> = obs
            .neighbors
            .iter()
            .map(|n| if known(n) && count(n.spare_capacity) > 0.0 { 1.0 / n.latency_s.max(self.floor) } else { 0.0 })
            .collect();
        let total: f64 = inverse.iter().sum();
        let excess = lambda - capacity;
        let forwards: Vec<f64> =
            inverse.iter().map(|&w| if total > 0.0 { excess * (w / total) } else { 0.0 }).collect();
        finish(obs, &forwards, self.overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heuristics::test_util::*;

    #[test]
    fn shares_follow_inverse_latency() {
        // Excess 30; latencies 10 ms and 20 ms → shares 2/3 and 1/3 → 20 and 10.
        // The neighbour with no spare and the unknown one get nothing.
        let o = obs(40.0, 10.0, vec![nb(5.0, 0.5, 0.01), nb(0.0, 0.0, 0.001), unknown(), nb(1.0, 0.9, 0.02)]);
        assert_fractions(&ProportionalLatency::default().decide(&o), &[0.25, 0.5, 0.0, 0.0, 0.25, 0.0]);
    }

    #[test]
    fn zero_latency_is_floored() {
        // Latency 0 → 1e-4 s, vs 1e-3 s: shares 10/11 and 1/11 of excess 11.
        let o = obs(21.0, 10.0, vec![nb(5.0, 0.0, 0.0), nb(5.0, 0.0, 1e-3)]);
        assert_fractions(&ProportionalLatency::default().decide(&o), &[10.0 / 21.0, 10.0 / 21.0, 1.0 / 21.0, 0.0]);
        let none = obs(21.0, 10.0, vec![unknown()]);
        assert_fractions(
            &ProportionalLatency::new(1e-4, Overflow::Reject).decide(&none),
            &[10.0 / 21.0, 0.0, 11.0 / 21.0],
        );
        assert_fractions(
            &ProportionalLatency::default().decide(&obs(9.0, 10.0, vec![nb(5.0, 0.0, 0.0)])),
            &[1.0, 0.0, 0.0],
        );
    }
}
