//! Additive Holt–Winters: Holt's level and trend on the deseasonalised input,
//! and a season of `m` slots.

use super::holt::Holt;
use super::{Predictor, clamp_unit};

/// `ℓ, b ←` Holt on `x − s` (the phase's seasonal term),
/// `s ← γ(x − ℓ) + (1−γ)s`; forecast `ℓ + b + s_next`. During the first
/// season every `s` is 0, so it runs as Holt's method and records each
/// phase's deviation from the level; from then on the seasonal terms adapt.
#[derive(Debug, Clone)]
pub struct Seasonal {
    holt: Holt,
    gamma: f64,
    season: Vec<f64>,
    seen: u64,
}

impl Seasonal {
    /// A season of `period_slots` (at least 1); factors clamped to (0, 1].
    pub fn new(period_slots: u32, alpha: f64, beta: f64, gamma: f64) -> Self {
        Self {
            holt: Holt::new(alpha, beta),
            gamma: clamp_unit(gamma),
            season: vec![0.0; period_slots.max(1) as usize],
            seen: 0,
        }
    }

    fn phase(&self, t: u64) -> usize {
        (t % self.season.len() as u64) as usize
    }
}

impl Predictor for Seasonal {
    fn observe(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        let p = self.phase(self.seen);
        self.holt.observe(value - self.season[p]);
        // The first season only records deviations; later ones smooth them.
        let dev = value - self.holt.level();
        let first = self.seen < self.season.len() as u64;
        self.season[p] = if first { dev } else { self.gamma * dev + (1.0 - self.gamma) * self.season[p] };
        self.seen += 1;
    }

    fn predict(&self) -> f64 {
        if self.seen == 0 {
            return 0.0;
        }
        let s = if self.seen >= self.season.len() as u64 { self.season[self.phase(self.seen)] } else { 0.0 };
        (self.holt.forecast() + s).max(0.0)
    }

    fn box_clone(&self) -> Box<dyn Predictor> {
        Box::new(self.clone())
    }
}
