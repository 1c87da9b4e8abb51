//! Additive Holt–Winters: level, trend and a season of `m` slots.

use super::{Predictor, clamp_unit};

/// `ℓ ← α(x − s) + (1−α)(ℓ + b)`, `b ← β(ℓ − ℓ_prev) + (1−β)b`,
/// `s ← γ(x − ℓ) + (1−γ)s` for the slot's phase; forecast `ℓ + b + s_next`.
/// During the first season it runs as Holt's method and records each
/// phase's deviation from the level; from then on the seasonal terms adapt.
#[derive(Debug, Clone)]
pub struct Seasonal {
    alpha: f64,
    beta: f64,
    gamma: f64,
    level: f64,
    trend: f64,
    season: Vec<f64>,
    seen: u64,
}

impl Seasonal {
    /// A season of `period_slots` (at least 1); factors clamped to (0, 1].
    pub fn new(period_slots: u32, alpha: f64, beta: f64, gamma: f64) -> Self {
        Self {
            alpha: clamp_unit(alpha),
            beta: clamp_unit(beta),
            gamma: clamp_unit(gamma),
            level: 0.0,
            trend: 0.0,
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
        let m = self.season.len() as u64;
        let p = self.phase(self.seen);
        match self.seen {
            0 => self.level = value,
            1 => {
                self.trend = value - self.level;
                self.level = value;
            }
            _ => {
                let prev = self.level;
                let s = self.season[p];
                self.level = self.alpha * (value - s) + (1.0 - self.alpha) * (self.level + self.trend);
                self.trend = self.beta * (self.level - prev) + (1.0 - self.beta) * self.trend;
            }
        }
        // The first season only records deviations; later ones smooth them.
        let dev = value - self.level;
        self.season[p] = if self.seen < m { dev } else { self.gamma * dev + (1.0 - self.gamma) * self.season[p] };
        self.seen += 1;
    }

    fn predict(&self) -> f64 {
        if self.seen == 0 {
            return 0.0;
        }
        let m = self.season.len() as u64;
        let s = if self.seen >= m { self.season[self.phase(self.seen)] } else { 0.0 };
        (self.level + self.trend + s).max(0.0)
    }

    fn box_clone(&self) -> Box<dyn Predictor> {
        Box::new(self.clone())
    }
}
