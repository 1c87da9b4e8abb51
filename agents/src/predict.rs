//! Predictors of next slot's input (requests per slot), one per function.
//!
//! Both predictors ignore non-finite observations and clamp predictions at 0.

/// A one-step-ahead forecaster fed one value per slot.
pub trait Predictor: Send {
    /// Records the value observed in the slot that just ended.
    fn observe(&mut self, value: f64);
    /// The forecast for the next slot (0 before any observation).
    fn predict(&self) -> f64;
}

/// Exponentially weighted moving average: `s ← α·x + (1−α)·s`, started at the
/// first observation.
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
}

/// Holt's linear (double exponential) smoothing:
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
        if self.seen == 0 { 0.0 } else { (self.level + self.trend).max(0.0) }
    }
}

/// Which predictor to build (for configs).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PredictorSpec {
    Ewma { alpha: f64 },
    Holt { alpha: f64, beta: f64 },
}

impl Default for PredictorSpec {
    fn default() -> Self {
        Self::Holt { alpha: 0.5, beta: 0.3 }
    }
}

impl PredictorSpec {
    pub fn build(&self) -> Box<dyn Predictor> {
        match *self {
            Self::Ewma { alpha } => Box::new(Ewma::new(alpha)),
            Self::Holt { alpha, beta } => Box::new(Holt::new(alpha, beta)),
        }
    }
}

fn clamp_unit(x: f64) -> f64 {
    if x.is_finite() { x.clamp(1e-6, 1.0) } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(p: &mut dyn Predictor, xs: &[f64]) {
        for &x in xs {
            p.observe(x);
        }
    }

    #[test]
    fn nothing_observed_predicts_zero() {
        assert_eq!(Ewma::new(0.5).predict(), 0.0);
        assert_eq!(Holt::new(0.5, 0.5).predict(), 0.0);
    }

    #[test]
    fn constant_is_exact() {
        for p in [&mut Ewma::new(0.3) as &mut dyn Predictor, &mut Holt::new(0.3, 0.2)] {
            feed(p, &[40.0; 10]);
            assert_eq!(p.predict(), 40.0);
        }
    }

    #[test]
    fn ewma_step_response_by_hand() {
        // alpha 0.5: 0, then 10s: 5, 7.5, 8.75, 9.375
        let mut p = Ewma::new(0.5);
        p.observe(0.0);
        let mut got = Vec::new();
        for _ in 0..4 {
            p.observe(10.0);
            got.push(p.predict());
        }
        assert_eq!(got, vec![5.0, 7.5, 8.75, 9.375]);
    }

    #[test]
    fn holt_by_hand_and_ramp() {
        // x = 10, 12, 13 with alpha = beta = 0.5:
        // after 10: l=10 b=0; after 12: l=12 b=2; after 13: l=.5*13+.5*14=13.5, b=.5*1.5+.5*2=1.75
        let mut p = Holt::new(0.5, 0.5);
        feed(&mut p, &[10.0]);
        assert_eq!(p.predict(), 10.0);
        feed(&mut p, &[12.0]);
        assert_eq!(p.predict(), 14.0);
        feed(&mut p, &[13.0]);
        assert_eq!(p.predict(), 15.25);

        // A perfect ramp is tracked exactly once the trend is initialised.
        let mut p = Holt::new(0.3, 0.1);
        let ramp: Vec<f64> = (0..20).map(|t| 5.0 + 3.0 * t as f64).collect();
        feed(&mut p, &ramp);
        assert!((p.predict() - (5.0 + 3.0 * 20.0)).abs() < 1e-9, "{}", p.predict());

        // After a level shift into a ramp it converges to the ramp.
        let mut p = Holt::new(0.5, 0.3);
        feed(&mut p, &[50.0; 5]);
        let mut err = f64::INFINITY;
        for t in 0..60 {
            let x = 10.0 + 2.0 * t as f64;
            if t > 0 {
                err = (p.predict() - x).abs();
            }
            p.observe(x);
        }
        assert!(err < 0.01, "error after 60 slots: {err}");
    }

    #[test]
    fn bad_values_ignored_and_clamped() {
        let mut p = Holt::new(0.5, 0.5);
        feed(&mut p, &[f64::NAN, 10.0, f64::INFINITY, 0.0, 0.0]);
        assert!(p.predict() >= 0.0 && p.predict().is_finite());
        let mut e = Ewma::new(f64::NAN);
        feed(&mut e, &[3.0, f64::NAN]);
        assert_eq!(e.predict(), 3.0);
        assert!(PredictorSpec::default().build().predict() == 0.0);
    }
}
