//! Exponentially weighted moving average.

use super::{Predictor, clamp_unit};

/// `s ← α·x + (1−α)·s`, started at the first observation.
#[derive(Debug, Clone)]
pub struct Ewma {
    alpha: f64,
    level: Option<f64>,
}

impl Ewma {
    /// `alpha` is clamped to (0, 1]; 1 means "last value".
    pub fn new(alpha: f64) -> Self {
        Self { alpha: clamp_unit(alpha), level: None }
    }
}

impl Predictor for Ewma {
    fn observe(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.level = Some(match self.level {
            None => value,
            Some(s) => self.alpha * value + (1.0 - self.alpha) * s,
        });
    }

    fn predict(&self) -> f64 {
        self.level.unwrap_or(0.0).max(0.0)
    }

    fn box_clone(&self) -> Box<dyn Predictor> {
        Box::new(self.clone())
    }
}
