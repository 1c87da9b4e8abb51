//! The last observed value ("naive" forecast).

use super::Predictor;

/// Predicts the value of the slot that just ended.
#[derive(Debug, Clone, Default)]
pub struct LastValue {
    last: Option<f64>,
}

impl Predictor for LastValue {
    fn observe(&mut self, value: f64) {
        if value.is_finite() {
            self.last = Some(value);
        }
    }

    fn predict(&self) -> f64 {
        self.last.unwrap_or(0.0).max(0.0)
    }

    fn box_clone(&self) -> Box<dyn Predictor> {
        Box::new(self.clone())
    }
}
