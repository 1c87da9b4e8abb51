use serde::{Deserialize, Serialize};

use crate::error::DecisionError;

/// Tolerance on the sum of fractions.
pub const SIMPLEX_TOLERANCE: f64 = 1e-6;

/// A node's split of its slot input: fractions on `[local, fwd_1 … fwd_k, reject]`.
///
/// Always valid: finite, non-negative, summing to one within
/// `SIMPLEX_TOLERANCE` (10⁻⁶). Constructors enforce it; nothing renormalises silently.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    fractions: Vec<f64>,
}

impl Decision {
    /// Validates fractions laid out as `[local, fwd_1 … fwd_k, reject]`.
    pub fn new(fractions: Vec<f64>) -> Result<Self, DecisionError> {
        let sum = checked_sum(&fractions)?;
        if (sum - 1.0).abs() > SIMPLEX_TOLERANCE {
            return Err(DecisionError::BadSum { sum });
        }
        Ok(Self { fractions })
    }

    /// Normalises non-negative finite weights (with a positive sum) into a decision.
    /// This is the explicit way for a policy to build a split from scores.
    pub fn from_weights(mut weights: Vec<f64>) -> Result<Self, DecisionError> {
        let sum = checked_sum(&weights)?;
        if sum <= 0.0 {
            return Err(DecisionError::BadSum { sum });
        }
        for w in &mut weights {
            *w /= sum;
        }
        Ok(Self { fractions: weights })
    }

    /// Everything local, for a node with `degree` neighbours.
    pub fn all_local(degree: usize) -> Self {
        let mut fractions = vec![0.0; degree + 2];
        fractions[0] = 1.0;
        Self { fractions }
    }

    /// Everything rejected, for a node with `degree` neighbours.
    pub fn reject_all(degree: usize) -> Self {
        let mut fractions = vec![0.0; degree + 2];
        fractions[degree + 1] = 1.0;
        Self { fractions }
    }

    /// Number of neighbours this decision addresses.
    pub fn degree(&self) -> usize {
        self.fractions.len() - 2
    }

    /// Fraction kept local.
    pub fn local(&self) -> f64 {
        self.fractions[0]
    }

    /// Fractions forwarded, per neighbour.
    pub fn forwards(&self) -> &[f64] {
        &self.fractions[1..self.fractions.len() - 1]
    }

    /// Fraction rejected on purpose.
    pub fn reject(&self) -> f64 {
        self.fractions[self.fractions.len() - 1]
    }

    /// The whole layout `[local, fwd…, reject]`.
    pub fn as_slice(&self) -> &[f64] {
        &self.fractions
    }

    /// Consumes the decision, returning its fractions.
    pub fn into_vec(self) -> Vec<f64> {
        self.fractions
    }
}

/// Sum of the entries, after checking the length and that each is finite and ≥ 0.
fn checked_sum(v: &[f64]) -> Result<f64, DecisionError> {
    if v.len() < 2 {
        return Err(DecisionError::TooShort { len: v.len() });
    }
    let mut sum = 0.0;
    for (index, &value) in v.iter().enumerate() {
        if !value.is_finite() {
            return Err(DecisionError::NotFinite { index, value });
        }
        if value < 0.0 {
            return Err(DecisionError::Negative { index, value });
        }
        sum += value;
    }
    Ok(sum)
}

impl<'de> Deserialize<'de> for Decision {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<f64>::deserialize(d)?;
        Decision::new(v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_off_simplex() {
        assert!(matches!(Decision::new(vec![0.5, 0.6]), Err(DecisionError::BadSum { .. })));
        assert!(matches!(Decision::new(vec![1.2, -0.2]), Err(DecisionError::Negative { index: 1, .. })));
        assert!(matches!(Decision::new(vec![f64::NAN, 1.0]), Err(DecisionError::NotFinite { index: 0, .. })));
        assert!(matches!(Decision::new(vec![1.0]), Err(DecisionError::TooShort { len: 1 })));
        let msg = Decision::new(vec![0.5, 0.6]).unwrap_err().to_string();
        assert!(msg.contains("1.1"), "{msg}");
    }

    #[test]
    fn accessors_follow_layout() {
        let d = Decision::new(vec![0.2, 0.3, 0.4, 0.1]).unwrap();
        assert_eq!(d.degree(), 2);
        assert_eq!(d.local(), 0.2);
        assert_eq!(d.forwards(), &[0.3, 0.4]);
        assert_eq!(d.reject(), 0.1);
        let w = Decision::from_weights(vec![1.0, 3.0, 0.0]).unwrap();
        assert_eq!(w.as_slice(), &[0.25, 0.75, 0.0]);
        assert!(Decision::from_weights(vec![0.0, 0.0]).is_err());
    }

    #[test]
    fn deserialize_validates() {
        let ok: Decision = serde_json::from_str("[0.5, 0.5]").unwrap();
        assert_eq!(ok.local(), 0.5);
        assert!(serde_json::from_str::<Decision>("[0.5, 0.7]").is_err());
    }
}
