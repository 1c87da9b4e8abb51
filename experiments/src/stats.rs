//! Mean and standard deviation over episodes.

use serde::Serialize;

/// Mean ± (population) standard deviation of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct MeanStd {
    pub mean: f64,
    pub std: f64,
}

impl MeanStd {
    /// Summarises `xs` (0 ± 0 when empty).
    pub fn of(xs: &[f64]) -> Self {
        if xs.is_empty() {
            return Self::default();
        }
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        Self { mean, std: var.sqrt() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_std() {
        let m = MeanStd::of(&[1.0, 3.0]);
        assert_eq!((m.mean, m.std), (2.0, 1.0));
        assert_eq!(MeanStd::of(&[]), MeanStd::default());
    }
}
