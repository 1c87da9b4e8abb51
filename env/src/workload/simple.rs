//! Rate generators in requests per second: normal, constant, step, linear.
//!
//! Deterministic rates become counts per slot by rounding the running total
//! (see [`cumulative_round`]), so fractional rates keep their mean.

use std::path::Path;

use rand::RngExt;
use rand_distr::StandardNormal;

use super::check::{at, at_least, cumulative_round, ordered, per_node, sat_u32};
use crate::error::ConfigError;
use crate::per_node::PerNode;
use crate::seeds::SimRng;

/// Validated `normal` parameters, one value per agent.
#[derive(Debug, Clone)]
pub(super) struct Normal {
    mean: Vec<f64>,
    std: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
}

impl Normal {
    /// Checks the parameters (`min_rps <= max_rps` per node).
    pub fn new(
        file: &Path,
        n: usize,
        mean: &PerNode<f64>,
        std: &PerNode<f64>,
        min: &PerNode<f64>,
        max: &PerNode<f64>,
    ) -> Result<Self, ConfigError> {
        let unit = "requests per second";
        let g = Normal {
            mean: per_node(file, "mean_rps", mean, n, 0.0, unit)?,
            std: per_node(file, "std_rps", std, n, 0.0, unit)?,
            min: per_node(file, "min_rps", min, n, 0.0, unit)?,
            max: per_node(file, "max_rps", max, n, 0.0, unit)?,
        };
        for i in 0..n {
            ordered(file, "workload.min_rps", g.min[i], "workload.max_rps", g.max[i])?;
        }
        Ok(g)
    }

    /// Per slot: `round(clip(N(mean, std), min, max)·slot_seconds)`.
    pub fn generate(&self, n: usize, steps: usize, slot: f64, rng: &mut SimRng) -> Vec<Vec<u32>> {
        (0..n)
            .map(|i| {
                let (m, s, lo, hi) = (at(&self.mean, i), at(&self.std, i), at(&self.min, i), at(&self.max, i));
                (0..steps)
                    .map(|_| {
                        let z: f64 = rng.sample(StandardNormal);
                        let r = (m + s * z).max(lo).min(hi);
                        sat_u32((r * slot).round())
                    })
                    .collect()
            })
            .collect()
    }
}

/// Validated deterministic rate shapes, one value per agent.
#[derive(Debug, Clone)]
pub(super) enum Rates {
    /// A constant rate.
    Constant(Vec<f64>),
    /// `before` until `at_s` (None: the start of slot `max_steps / 2`), then `after`.
    Step { before: Vec<f64>, after: Vec<f64>, at_s: Option<f64> },
    /// Linear from the first to the last slot.
    Linear { from: Vec<f64>, to: Vec<f64> },
}

impl Rates {
    /// Checks a `constant` spec.
    pub fn constant(file: &Path, n: usize, rate: &PerNode<f64>) -> Result<Self, ConfigError> {
        Ok(Rates::Constant(per_node(file, "rate_rps", rate, n, 0.0, "requests per second")?))
    }

    /// Checks a `step` spec.
    pub fn step(
        file: &Path,
        n: usize,
        before: &PerNode<f64>,
        after: &PerNode<f64>,
        at_s: Option<f64>,
    ) -> Result<Self, ConfigError> {
        if let Some(t) = at_s {
            at_least(file, "workload.at_s", t, 0.0, "seconds")?;
        }
        Ok(Rates::Step {
            before: per_node(file, "before_rps", before, n, 0.0, "requests per second")?,
            after: per_node(file, "after_rps", after, n, 0.0, "requests per second")?,
            at_s,
        })
    }

    /// Checks a `linear` spec.
    pub fn linear(file: &Path, n: usize, from: &PerNode<f64>, to: &PerNode<f64>) -> Result<Self, ConfigError> {
        Ok(Rates::Linear {
            from: per_node(file, "from_rps", from, n, 0.0, "requests per second")?,
            to: per_node(file, "to_rps", to, n, 0.0, "requests per second")?,
        })
    }

    /// Expected requests of agent `i` in slot `k` (of `steps`, `slot` seconds each).
    fn expected(&self, i: usize, k: usize, steps: usize, slot: f64) -> f64 {
        match self {
            Rates::Constant(r) => at(r, i) * slot,
            Rates::Step { before, after, at_s } => {
                let change = at_s.unwrap_or((steps / 2) as f64 * slot);
                let start = k as f64 * slot;
                let before_part = (change - start).clamp(0.0, slot);
                at(before, i) * before_part + at(after, i) * (slot - before_part)
            }
            Rates::Linear { from, to } => {
                let x = if steps > 1 { k as f64 / (steps - 1) as f64 } else { 0.0 };
                (at(from, i) + (at(to, i) - at(from, i)) * x) * slot
            }
        }
    }

    /// Traces `[agent][slot]`.
    pub fn generate(&self, n: usize, steps: usize, slot: f64) -> Vec<Vec<u32>> {
        (0..n).map(|i| cumulative_round((0..steps).map(|k| self.expected(i, k, steps, slot)))).collect()
    }
}

impl super::Generate for Normal {
    fn episode(&self, n: usize, steps: usize, slot: f64, rng: &mut SimRng) -> Vec<Vec<u32>> {
        Self::generate(self, n, steps, slot, rng)
    }
}

impl super::Generate for Rates {
    fn episode(&self, n: usize, steps: usize, slot: f64, _rng: &mut SimRng) -> Vec<Vec<u32>> {
        Self::generate(self, n, steps, slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::rng;

    const F: &str = "s.toml";

    #[test]
    fn constant_rates_per_node() {
        let r = Rates::constant(Path::new(F), 2, &PerNode::Each(vec![5.0, 0.5])).unwrap();
        let tr = r.generate(2, 6, 2.0);
        assert_eq!(tr, vec![vec![10; 6], vec![1; 6]]);
        let tr = r.generate(2, 10, 1.0);
        assert_eq!(tr[1].iter().sum::<u32>(), 5);
        assert!(tr[1].iter().all(|&v| v <= 1));
    }

    #[test]
    fn step_default_and_mid_slot() {
        let one = |x: f64| PerNode::One(x);
        let r = Rates::step(Path::new(F), 1, &one(5.0), &one(100.0), None).unwrap();
        let tr = r.generate(1, 5, 1.0);
        assert_eq!(tr[0], vec![5, 5, 100, 100, 100]); // marl-dfaas: change at max_steps // 2
        let r = Rates::step(Path::new(F), 1, &one(1.0), &one(3.0), Some(15.0)).unwrap();
        assert_eq!(r.generate(1, 3, 10.0)[0], vec![10, 20, 30]);
        let r = Rates::step(Path::new(F), 1, &one(1.0), &one(3.0), Some(1e9)).unwrap();
        assert_eq!(r.generate(1, 3, 1.0)[0], vec![1, 1, 1]);
    }

    #[test]
    fn linear_matches_upstream_growth() {
        let r = Rates::linear(Path::new(F), 1, &PerNode::One(1.0), &PerNode::One(150.0)).unwrap();
        let tr = &r.generate(1, 288, 1.0)[0];
        assert_eq!((tr[0], tr[287]), (1, 150));
        // Each count is within one request of the expected rate; totals are kept.
        assert!(tr.iter().enumerate().all(|(k, &c)| (c as f64 - (1.0 + 149.0 * k as f64 / 287.0)).abs() < 1.0));
        let total: u32 = tr.iter().sum();
        assert!((total as f64 - 151.0 * 144.0).abs() <= 1.0);
        assert_eq!(r.generate(1, 1, 1.0)[0], vec![1]);
    }

    #[test]
    fn normal_bounds_and_determinism() {
        let one = |x: f64| PerNode::One(x);
        let g = Normal::new(Path::new(F), 3, &one(61.0), &one(32.0), &one(1.0), &one(150.0)).unwrap();
        let a = g.generate(3, 2000, 1.0, &mut rng(1));
        assert_eq!(a, g.generate(3, 2000, 1.0, &mut rng(1)));
        assert_ne!(a, g.generate(3, 2000, 1.0, &mut rng(2)));
        assert!(a.iter().all(|t| t.len() == 2000 && t.iter().all(|&v| (1..=150).contains(&v))));
        let mean = a.concat().iter().map(|&v| v as f64).sum::<f64>() / 6000.0;
        assert!((58.0..66.0).contains(&mean), "{mean}");
        let b = g.generate(1, 100, 10.0, &mut rng(1));
        assert!(b[0].iter().all(|&v| (10..=1500).contains(&v)));
    }

    #[test]
    fn bad_values_are_named() {
        let one = |x: f64| PerNode::One(x);
        let e = Normal::new(Path::new(F), 1, &one(61.0), &one(32.0), &one(10.0), &one(5.0)).unwrap_err();
        assert!(e.to_string().contains("workload.max_rps"), "{e}");
        let e = Rates::constant(Path::new(F), 1, &one(-1.0)).unwrap_err();
        assert!(e.to_string().contains("workload.rate_rps") && e.to_string().contains("-1"));
        let e = Rates::step(Path::new(F), 1, &one(1.0), &one(1.0), Some(-3.0)).unwrap_err();
        assert!(e.to_string().contains("workload.at_s"));
        let e = Rates::linear(Path::new(F), 2, &PerNode::Each(vec![1.0]), &one(1.0)).unwrap_err();
        assert!(e.to_string().contains("workload.from_rps"));
    }
}
