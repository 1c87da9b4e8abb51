//! `random` — the marl-dfaas random baseline: a uniform draw on the simplex
//! (Dirichlet(1,…,1), i.e. normalised Exp(1) draws) over `[local, fwd…, reject]`.
//! Neighbours never heard from get 0 (a node cannot forward to them).
//! Seeded per node; `reset(seed)` reseeds.
//!
//! Where a scenario declares the published 3-way action `[local, forward,
//! reject]` (the marl-dfaas paper's even-floor split), [`RandomSplit::three_way`]
//! draws uniformly on that 3-simplex, as marl-dfaas's random policy does; a
//! draw on the `(k + 2)`-simplex collapsed to three parts would forward
//! `k / (k + 2)` of the load on average instead of 1/3.

use dfaas_env::seeds::SimRng;
use dfaas_env::{Decision, NodeObservation};
use rand::RngExt;
use rand_distr::Exp1;

use super::common::{known, node_rng};
use crate::Policy;

/// A uniformly random split, seeded from `(seed, node)`.
#[derive(Debug, Clone)]
pub struct RandomSplit {
    node: usize,
    rng: SimRng,
    three_way: bool,
}

impl RandomSplit {
    /// A random policy for `node`, seeded from `(seed, node)`: uniform on `[local, fwd…, reject]`.
    pub fn new(node: usize, seed: u64) -> Self {
        Self { node, rng: node_rng(seed, node), three_way: false }
    }

    /// Uniform on the 3-way action `[local, forward, reject]` (decisions of length 3).
    pub fn three_way(node: usize, seed: u64) -> Self {
        Self { three_way: true, ..Self::new(node, seed) }
    }
}

impl Policy for RandomSplit {
    fn name(&self) -> &str {
        "random"
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        if self.three_way {
            let forward_ok = obs.neighbors.iter().any(known);
            let w: [f64; 3] = [self.rng.sample(Exp1), self.rng.sample(Exp1), self.rng.sample(Exp1)];
            let w = vec![w[0], if forward_ok { w[1] } else { 0.0 }, w[2]];
            return Decision::from_weights(w).unwrap_or_else(|_| Decision::all_local(1));
        }
        let mut weights = Vec::with_capacity(obs.degree() + 2);
        weights.push(self.rng.sample::<f64, _>(Exp1));
        for n in &obs.neighbors {
            // Draw for every neighbour so the stream does not depend on who is known.
            let w: f64 = self.rng.sample(Exp1);
            weights.push(if known(n) { w } else { 0.0 });
        }
        weights.push(self.rng.sample::<f64, _>(Exp1));
        Decision::from_weights(weights).unwrap_or_else(|_| Decision::all_local(obs.degree()))
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
    fn three_way_is_uniform_on_the_3_simplex() {
        // Four neighbours: the (k+2)-simplex collapsed would forward 4/6 on average.
        let o = obs(10.0, 5.0, vec![nb(1.0, 0.5, 0.01); 4]);
        let mut p = RandomSplit::three_way(0, 7);
        let (mut sums, n) = ([0.0f64; 3], 20_000);
        for _ in 0..n {
            let d = p.decide(&o);
            assert_eq!(d.as_slice().len(), 3);
            for (s, v) in sums.iter_mut().zip(d.as_slice()) {
                *s += v;
            }
        }
        for s in sums {
            assert!((s / n as f64 - 1.0 / 3.0).abs() < 0.01, "{sums:?}");
        }
        let mut full = RandomSplit::new(0, 7);
        let fwd: f64 = (0..n).map(|_| full.decide(&o).as_slice()[1..5].iter().sum::<f64>()).sum::<f64>() / n as f64;
        assert!((fwd - 4.0 / 6.0).abs() < 0.01, "{fwd}");
    }

    #[test]
    fn seeded_and_reseedable() {
        let o = obs(10.0, 5.0, vec![nb(1.0, 0.5, 0.01), unknown(), nb(1.0, 0.5, 0.01)]);
        let mut a = RandomSplit::new(3, 42);
        let mut b = RandomSplit::new(3, 42);
        let first: Vec<_> = (0..5).map(|_| a.decide(&o)).collect();
        let second: Vec<_> = (0..5).map(|_| b.decide(&o)).collect();
        assert_eq!(first, second);
        assert_ne!(first[0], first[1]);
        a.reset(42);
        assert_eq!(a.decide(&o), first[0]);
        assert_ne!(RandomSplit::new(4, 42).decide(&o), first[0], "nodes get different streams");
        for d in &first {
            assert_eq!(d.degree(), 3);
            assert_eq!(d.forwards()[1], 0.0, "unknown neighbour gets nothing");
        }
    }

    #[test]
    fn mean_is_uniform_over_the_simplex() {
        // Dirichlet(1,1,1,1): each coordinate has mean 1/4.
        let o = obs(10.0, 5.0, vec![nb(1.0, 0.5, 0.01), nb(1.0, 0.5, 0.01)]);
        let mut p = RandomSplit::new(0, 7);
        let n = 20_000;
        let mut sums = [0.0; 4];
        for _ in 0..n {
            for (s, f) in sums.iter_mut().zip(p.decide(&o).as_slice()) {
                *s += f;
            }
        }
        for s in sums {
            assert!((s / n as f64 - 0.25).abs() < 0.01, "{sums:?}");
        }
    }
}
