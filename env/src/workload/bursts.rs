//! On/off bursts: a two-state (ON/OFF) process per agent with exponential
//! sojourn times, and Poisson arrivals at the rate of the current state.

use std::path::Path;

use rand::RngExt;
use rand_distr::{Distribution, Exp1, Poisson};

use super::check::{at, per_node, sat_u32};
use crate::error::ConfigError;
use crate::per_node::PerNode;
use crate::seeds::SimRng;

/// Shortest mean ON/OFF duration accepted, seconds (bounds the work per slot).
pub(super) const MIN_MEAN_S: f64 = 1e-3;

/// Validated `bursts` parameters, one value per agent.
#[derive(Debug, Clone)]
pub(super) struct Bursts {
    on_rate: Vec<f64>,
    off_rate: Vec<f64>,
    mean_on: Vec<f64>,
    mean_off: Vec<f64>,
}

impl Bursts {
    /// Checks the parameters.
    pub fn new(
        file: &Path,
        n: usize,
        on_rate: &PerNode<f64>,
        off_rate: &PerNode<f64>,
        mean_on: &PerNode<f64>,
        mean_off: &PerNode<f64>,
    ) -> Result<Self, ConfigError> {
        let rps = "requests per second";
        Ok(Bursts {
            on_rate: per_node(file, "on_rate_rps", on_rate, n, 0.0, rps)?,
            off_rate: per_node(file, "off_rate_rps", off_rate, n, 0.0, rps)?,
            mean_on: per_node(file, "mean_on_s", mean_on, n, MIN_MEAN_S, "seconds")?,
            mean_off: per_node(file, "mean_off_s", mean_off, n, MIN_MEAN_S, "seconds")?,
        })
    }

    /// Traces `[agent][slot]`. Each agent starts in its stationary state
    /// (ON with probability `mean_on/(mean_on + mean_off)`); given the time
    /// spent ON and OFF in a slot, the slot's count is
    /// `Poisson(on_rate·t_on + off_rate·t_off)`.
    pub fn generate(&self, n: usize, steps: usize, slot: f64, rng: &mut SimRng) -> Vec<Vec<u32>> {
        let slot = if slot.is_finite() && slot > 0.0 { slot } else { 0.0 };
        (0..n)
            .map(|i| {
                let (on_rate, off_rate) = (at(&self.on_rate, i), at(&self.off_rate, i));
                let (m_on, m_off) = (at(&self.mean_on, i).max(MIN_MEAN_S), at(&self.mean_off, i).max(MIN_MEAN_S));
                let mut on = rng.random::<f64>() < m_on / (m_on + m_off);
                let mut left = duration(rng, if on { m_on } else { m_off });
                (0..steps)
                    .map(|_| {
                        let (mut t_on, mut t_off, mut rest) = (0.0, 0.0, slot);
                        while rest > 0.0 {
                            let d = left.min(rest);
                            if on {
                                t_on += d;
                            } else {
                                t_off += d;
                            }
                            left -= d;
                            rest -= d;
                            if left <= 0.0 {
                                on = !on;
                                left = duration(rng, if on { m_on } else { m_off });
                            }
                        }
                        poisson(rng, on_rate * t_on + off_rate * t_off)
                    })
                    .collect()
            })
            .collect()
    }
}

fn duration(rng: &mut SimRng, mean: f64) -> f64 {
    let e: f64 = Exp1.sample(rng);
    e * mean
}

/// A Poisson count (0 for a zero mean, the rounded mean beyond the sampler's range).
fn poisson(rng: &mut SimRng, mean: f64) -> u32 {
    if !(mean.is_finite() && mean > 0.0) {
        return 0;
    }
    match Poisson::new(mean) {
        Ok(p) => sat_u32(p.sample(rng)),
        Err(_) => sat_u32(mean.round()),
    }
}

impl super::Generate for Bursts {
    fn episode(&self, n: usize, steps: usize, slot: f64, rng: &mut SimRng) -> Vec<Vec<u32>> {
        Self::generate(self, n, steps, slot, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::rng;

    fn spec(on: f64, off: f64, mon: f64, moff: f64) -> Bursts {
        let one = PerNode::One;
        Bursts::new(Path::new("s.toml"), 2, &one(on), &one(off), &one(mon), &one(moff)).unwrap()
    }

    #[test]
    fn long_run_mean_rate() {
        let b = spec(20.0, 0.0, 30.0, 90.0);
        let tr = b.generate(2, 50_000, 10.0, &mut rng(4));
        assert!(tr.iter().all(|a| a.len() == 50_000));
        let expected = 20.0 * 30.0 / 120.0 * 10.0; // 50 per slot
        for a in &tr {
            let mean = a.iter().map(|&v| v as f64).sum::<f64>() / a.len() as f64;
            assert!((mean - expected).abs() / expected < 0.06, "mean {mean} vs {expected}");
            // Bursty: many empty slots and some slots far above the mean.
            assert!(a.iter().filter(|&&v| v == 0).count() > 12_000);
            assert!(a.iter().any(|&v| v > 150));
        }
        assert_ne!(tr[0], tr[1]);
    }

    #[test]
    fn off_rate_and_determinism() {
        let b = spec(10.0, 2.0, 5.0, 5.0);
        let a = b.generate(2, 5000, 1.0, &mut rng(1));
        assert_eq!(a, b.generate(2, 5000, 1.0, &mut rng(1)));
        assert_ne!(a, b.generate(2, 5000, 1.0, &mut rng(2)));
        let mean = a[0].iter().map(|&v| v as f64).sum::<f64>() / 5000.0;
        assert!((mean - 6.0).abs() < 0.5, "{mean}");
        assert_eq!(spec(0.0, 0.0, 1.0, 1.0).generate(1, 10, 1.0, &mut rng(1)), vec![vec![0; 10]]);
        assert_eq!(b.generate(1, 3, f64::NAN, &mut rng(1)), vec![vec![0; 3]]);
    }

    #[test]
    fn bad_durations_are_named() {
        let one = PerNode::One;
        let e = Bursts::new(Path::new("s.toml"), 1, &one(1.0), &one(0.0), &one(0.0), &one(1.0)).unwrap_err();
        assert!(e.to_string().contains("workload.mean_on_s"), "{e}");
        let e = Bursts::new(Path::new("s.toml"), 1, &one(-1.0), &one(0.0), &one(1.0), &one(1.0)).unwrap_err();
        assert!(e.to_string().contains("workload.on_rate_rps"), "{e}");
    }
}
