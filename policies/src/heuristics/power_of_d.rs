//! `power-of-d` — P2PFaaS's `PowerOfNScheduler` (Beraldi & Proietti Mattia,
//! "Power of random choices made efficient for fog computing", IEEE TCC 2020;
//! peers.md §2.3), per slot instead of per request.
//!
//! Own load is usage u = λ̂/C. If u ≤ T (parameter `threshold`, default 1.0)
//! everything runs locally. Otherwise d (parameter `d`, default 1) distinct
//! neighbours are sampled uniformly among those heard from (seeded per node);
//! if the least loaded sampled one advertises a load below u, the excess over
//! the threshold, λ̂ − T·C, is forwarded to it; else everything stays local.
//! P2PFaaS picks at random among the sampled peers less loaded than itself;
//! here the least loaded one is taken (the power-of-d choice; identical for d = 1).
//! The forward is not capped by the neighbour's spare (P2PFaaS does not know
//! it). What stays local beyond C is kept (`overflow=local`, default) or
//! rejected (`overflow=reject`).

use dfaas_env::seeds::SimRng;
use dfaas_env::{Decision, NodeObservation};
use rand::RngExt;

use super::common::{Overflow, finish, input_and_capacity, known, load, node_rng, usage};
use crate::Policy;

/// Threshold rule with d random probes, forwarding to a less loaded neighbour.
#[derive(Debug, Clone)]
pub struct PowerOfD {
    d: usize,
    threshold: f64,
    overflow: Overflow,
    node: usize,
    rng: SimRng,
}

impl PowerOfD {
    /// Default number of probed neighbours.
    pub const DEFAULT_D: usize = 1;
    /// Default load threshold, as a fraction of capacity.
    pub const DEFAULT_THRESHOLD: f64 = 1.0;

    /// A power-of-d policy for `node`, seeded from `(seed, node)`. `d` is at
    /// least 1; a negative or non-finite threshold falls back to the default.
    pub fn new(d: usize, threshold: f64, overflow: Overflow, node: usize, seed: u64) -> Self {
        let threshold = if threshold.is_finite() && threshold >= 0.0 { threshold } else { Self::DEFAULT_THRESHOLD };
        Self { d: d.max(1), threshold, overflow, node, rng: node_rng(seed, node) }
    }
}

impl Policy for PowerOfD {
    fn name(&self) -> &str {
        "power-of-d"
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        let degree = obs.degree();
        let (lambda, capacity) = input_and_capacity(obs);
        let own = usage(lambda, capacity);
        if own <= self.threshold {
            return Decision::all_local(degree);
        }
        let mut pool: Vec<usize> = (0..degree).filter(|&j| known(&obs.neighbors[j])).collect();
        let picks = self.d.min(pool.len());
        // Partial Fisher–Yates: the first `picks` entries become the sample.
        for i in 0..picks {
            let k = self.rng.random_range(i..pool.len());
            pool.swap(i, k);
        }
        let best = pool[..picks]
            .iter()
            .copied()
            .min_by(|&a, &b| load(obs.neighbors[a].load).total_cmp(&load(obs.neighbors[b].load)));
        let mut forwards = vec![0.0; degree];
        if let Some(j) = best
            && load(obs.neighbors[j].load) < own
        {
            forwards[j] = (lambda - self.threshold * capacity).max(0.0);
        }
        finish(obs, &forwards, self.overflow)
    }

    fn reset(&mut self, seed: u64) {
        self.rng = node_rng(seed, self.node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heuristics::test_util::*;

    #[test]
    fn forwards_excess_to_least_loaded_probe() {
        // d = degree: all probed; λ̂ = 30, C = 10 (u = 3); loads 0.9 and 0.2.
        let o = obs(30.0, 10.0, vec![nb(0.0, 0.9, 0.01), nb(0.0, 0.2, 0.01), unknown()]);
        let mut p = PowerOfD::new(5, 1.0, Overflow::Local, 0, 1);
        assert_fractions(&p.decide(&o), &[1.0 / 3.0, 0.0, 2.0 / 3.0, 0.0, 0.0]);
        // Threshold 0.5: forward λ̂ − 0.5·C = 25.
        let mut p = PowerOfD::new(5, 0.5, Overflow::Local, 0, 1);
        assert_fractions(&p.decide(&o), &[5.0 / 30.0, 0.0, 25.0 / 30.0, 0.0, 0.0]);
    }

    #[test]
    fn local_below_threshold_or_when_probes_are_busier() {
        let mut p = PowerOfD::new(2, 1.0, Overflow::Local, 0, 1);
        assert_fractions(&p.decide(&obs(10.0, 10.0, vec![nb(5.0, 0.0, 0.01)])), &[1.0, 0.0, 0.0]);
        // u = 2, neighbours at 2.5 and 3: stay local, or reject the excess.
        let busy = obs(20.0, 10.0, vec![nb(0.0, 2.5, 0.01), nb(0.0, 3.0, 0.01)]);
        assert_fractions(&p.decide(&busy), &[1.0, 0.0, 0.0, 0.0]);
        let mut r = PowerOfD::new(2, 1.0, Overflow::Reject, 0, 1);
        assert_fractions(&r.decide(&busy), &[0.5, 0.0, 0.0, 0.5]);
    }

    #[test]
    fn d_one_samples_uniformly_among_known() {
        let o = obs(20.0, 10.0, vec![nb(0.0, 0.1, 0.01), unknown(), nb(0.0, 0.1, 0.01)]);
        let mut p = PowerOfD::new(1, 1.0, Overflow::Local, 2, 9);
        let mut hits = [0usize; 3];
        for _ in 0..2000 {
            let d = p.decide(&o);
            for (h, f) in hits.iter_mut().zip(d.forwards()) {
                if *f > 0.0 {
                    *h += 1;
                }
            }
        }
        assert_eq!(hits[1], 0);
        assert_eq!(hits[0] + hits[2], 2000);
        assert!(hits[0] > 850 && hits[2] > 850, "{hits:?}");
    }
}
