//! Observation and action spaces, shaped like Gymnasium's.

use serde::{Deserialize, Serialize};

/// A space a per-agent observation or action lives in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Space {
    /// A box `low ≤ x ≤ high`, element-wise, of `low.len()` elements.
    Box { low: Vec<f32>, high: Vec<f32> },
    /// The probability simplex of dimension `n` (non-negative, summing to one).
    Simplex { n: usize },
}

impl Space {
    /// Number of scalar elements.
    pub fn dim(&self) -> usize {
        match self {
            Space::Box { low, .. } => low.len(),
            Space::Simplex { n } => *n,
        }
    }

    /// Whether `x` lies in the space (simplex within 1e-6 on the sum).
    pub fn contains(&self, x: &[f32]) -> bool {
        match self {
            Space::Box { low, high } => {
                x.len() == low.len() && x.iter().zip(low.iter().zip(high)).all(|(v, (l, h))| v >= l && v <= h)
            }
            Space::Simplex { n } => {
                x.len() == *n
                    && x.iter().all(|v| v.is_finite() && *v >= 0.0)
                    && (x.iter().map(|v| *v as f64).sum::<f64>() - 1.0).abs() <= 1e-6
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_checks_bounds_and_sum() {
        let b = Space::Box { low: vec![0.0, 0.0], high: vec![1.0, 2.0] };
        assert!(b.contains(&[0.5, 2.0]));
        assert!(!b.contains(&[0.5, 2.1]));
        assert!(!b.contains(&[0.5]));
        let s = Space::Simplex { n: 3 };
        assert!(s.contains(&[0.2, 0.3, 0.5]));
        assert!(!s.contains(&[0.2, 0.3, 0.6]));
        assert_eq!(s.dim(), 3);
    }
}
