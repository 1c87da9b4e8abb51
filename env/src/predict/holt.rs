//! Holt's linear (double exponential) smoothing.

use super::{Predictor, clamp_unit};

/// `ℓ ← α·x + (1−α)(ℓ + b)`, `b ← β(ℓ − ℓ_prev) + (1−β)·b`, forecast `ℓ + b`.
/// Started with `ℓ = x₀, b = 0`, then `b = x₁ − x₀` at the second observation.
#[derive(Debug, Clone)]
pub struct Holt {
    alpha: f64,
    beta: f64,
    level: f64,
    trend: f64,
    seen: u32,
}

impl Holt {
    /// `alpha` and `beta` are clamped to (0, 1].
    pub fn new(alpha: f64, beta: f64) -> Self {
        Self { alpha: clamp_unit(alpha), beta: clamp_unit(beta), level: 0.0, trend: 0.0, seen: 0 }
    }

    /// The current level ℓ.
    pub(super) fn level(&self) -> f64 {
        self.level
    }

    /// `ℓ + b`, not clamped (0 before any observation).
    pub(super) fn forecast(&self) -> f64 {
        if self.seen == 0 { 0.0 } else { self.level + self.trend }
    }
}

impl Predictor for Holt {
    fn observe(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        match self.seen {
            0 => self.level = value,
            1 => {
                self.trend = value - self.level;
                self.level = value;
            }
            _ => {
                let prev = self.level;
                self.level = self.alpha * value + (1.0 - self.alpha) * (self.level + self.trend);
                self.trend = self.beta * (self.level - prev) + (1.0 - self.beta) * self.trend;
            }
        }
        self.seen = self.seen.saturating_add(1);
    }

    fn predict(&self) -> f64 {
        self.forecast().max(0.0)
    }

    fn box_clone(&self) -> Box<dyn Predictor> {
        Box::new(self.clone())
    }
}
