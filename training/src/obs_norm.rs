//! Running observation statistics (mean and variance per feature), frozen
//! during each rollout and exported with the policy.

use serde::{Deserialize, Serialize};

/// Relative standard deviation under which a feature counts as constant.
pub const NEAR_CONSTANT: f64 = 1e-6;

/// Welford-style running mean and variance over feature vectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningStats {
    pub count: f64,
    pub mean: Vec<f64>,
    pub m2: Vec<f64>,
}

impl RunningStats {
    /// No data yet: mean 0, std 1.
    pub fn new(dim: usize) -> Self {
        Self { count: 0.0, mean: vec![0.0; dim], m2: vec![0.0; dim] }
    }

    /// Adds rows of length `dim` from a flat slice (Chan et al. parallel update).
    pub fn update(&mut self, rows: &[f32]) {
        let dim = self.mean.len();
        if dim == 0 || rows.is_empty() {
            return;
        }
        let n = (rows.len() / dim) as f64;
        let mut bmean = vec![0.0; dim];
        for r in rows.chunks_exact(dim) {
            for (m, &x) in bmean.iter_mut().zip(r) {
                *m += x as f64;
            }
        }
        bmean.iter_mut().for_each(|m| *m /= n);
        let mut bm2 = vec![0.0; dim];
        for r in rows.chunks_exact(dim) {
            for ((s, &x), m) in bm2.iter_mut().zip(r).zip(&bmean) {
                *s += (x as f64 - m).powi(2);
            }
        }
        let total = self.count + n;
        for k in 0..dim {
            let delta = bmean[k] - self.mean[k];
            self.mean[k] += delta * n / total;
            self.m2[k] += bm2[k] + delta * delta * self.count * n / total;
        }
        self.count = total;
    }

    /// Per-feature standard deviation: 1 before any data and for a feature
    /// that did not vary (σ ≤ 1e-6 · max(|mean|, 10⁻³): a constant up to
    /// rounding), so that a value it takes later (live, another federation)
    /// moves the input by its own size instead of saturating the ±10 clip.
    pub fn std(&self) -> Vec<f64> {
        self.m2
            .iter()
            .zip(&self.mean)
            .map(|(&m2, &mean)| {
                let s = if self.count > 1.0 { (m2 / self.count).sqrt() } else { 0.0 };
                if s <= NEAR_CONSTANT * mean.abs().max(1e-3) { 1.0 } else { s }
            })
            .collect()
    }

    /// Frozen f32 mean and std for normalising.
    pub fn frozen(&self) -> (Vec<f32>, Vec<f32>) {
        (self.mean.iter().map(|&m| m as f32).collect(), self.std().iter().map(|&s| s as f32).collect())
    }
}

/// Normalises `x` in place with frozen statistics, clipped to ±10.
pub fn normalize(x: &mut [f32], mean: &[f32], std: &[f32]) {
    for ((v, m), s) in x.iter_mut().zip(mean).zip(std) {
        *v = ((*v - m) / s).clamp(-10.0, 10.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_batch_statistics() {
        let mut s = RunningStats::new(2);
        s.update(&[1.0, 10.0, 3.0, 10.0]);
        s.update(&[5.0, 10.0]);
        assert!((s.mean[0] - 3.0).abs() < 1e-12);
        let std = s.std();
        assert!((std[0] - (8.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(std[1], 1.0, "constant feature: left unscaled");
        let (m, sd) = s.frozen();
        let mut x = [3.0f32, 10.0];
        normalize(&mut x, &m, &sd);
        assert_eq!(x, [0.0, 0.0]);
        // A value the constant feature never took moves the input by its own size.
        let mut x = [3.0f32, 11.5];
        normalize(&mut x, &m, &sd);
        assert_eq!(x, [0.0, 1.5]);
        // A small but real variation keeps its scale.
        let mut t = RunningStats::new(1);
        t.update(&[0.002, 0.0021, 0.0019]);
        assert!((t.std()[0] - 8.164_965_809e-5).abs() < 1e-9, "{:?}", t.std());
    }
}
