//! When requests are sent: a constant rate or a rate per slot, turned into
//! a list of send times (offsets from the start of the run).

use std::time::Duration;

use super::error::LoadError;

/// Slack for float rounding when counting requests (`0.1 * 30` is 3, not 2).
const EPS: f64 = 1e-9;

/// Request rate over time.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Requests per second, evenly spaced: the i-th request is sent at `i / rate`.
    Constant(f64),
    /// `rates[k]` requests per second during slot `k` (slot `k` starts at
    /// `k * slot`). Each slot's `n` requests are evenly spaced within the
    /// slot, centred (the `j`-th at `(j + ½) / n` of it), so no send falls on
    /// a slot boundary; fractional counts carry over to the next slot.
    PerSlot { rates: Vec<f64>, slot: Duration },
}

/// Where a per-slot schedule puts each slot's sends within the slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spacing {
    /// Evenly spaced, centred (default).
    #[default]
    Even,
    /// At independent uniform times within the slot, drawn from this seed
    /// (sorted; kept 1 % of a slot off its boundaries): a Poisson process
    /// given each slot's count.
    Random(u64),
}

/// One planned send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlannedSend {
    /// Offset from the start of the run.
    pub at: Duration,
    /// Slot index (per-slot schedules only).
    pub slot: Option<u32>,
}

/// The send times of a run, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub sends: Vec<PlannedSend>,
    /// True when the schedule asked for more than the cap and was cut.
    pub capped: bool,
}

impl Schedule {
    /// Checks that rates are finite and non-negative and slots are non-zero.
    pub fn validate(&self) -> Result<(), LoadError> {
        let check = |r: f64| {
            if r.is_finite() && r >= 0.0 {
                Ok(())
            } else {
                Err(LoadError::BadSchedule(format!("rate must be finite and >= 0, got {r}")))
            }
        };
        match self {
            Schedule::Constant(r) => check(*r),
            Schedule::PerSlot { rates, slot } => {
                if slot.is_zero() {
                    return Err(LoadError::BadSchedule("slot length must be > 0".into()));
                }
                rates.iter().try_for_each(|r| check(*r))
            }
        }
    }

    /// Slot length and per-slot rates, for per-slot schedules.
    pub fn slots(&self) -> Option<(Duration, &[f64])> {
        match self {
            Schedule::Constant(_) => None,
            Schedule::PerSlot { rates, slot } => Some((*slot, rates)),
        }
    }

    /// The send times within `duration`, at most `max` of them.
    ///
    /// Constant rate `r`: `floor(r * duration)` sends at `i / r`.
    /// Per slot: slots that start before `duration`, sends before `duration`.
    pub fn plan(&self, duration: Duration, max: usize) -> Result<Plan, LoadError> {
        self.plan_spaced(duration, max, Spacing::Even)
    }

    /// [`Schedule::plan`] with each slot's sends placed by `spacing`
    /// (per-slot schedules; a constant rate is always even).
    pub fn plan_spaced(&self, duration: Duration, max: usize, spacing: Spacing) -> Result<Plan, LoadError> {
        self.validate()?;
        match self {
            Schedule::Constant(rate) => Ok(constant(*rate, duration, max)),
            Schedule::PerSlot { rates, slot } => Ok(per_slot(rates, *slot, duration, max, spacing)),
        }
    }
}

fn constant(rate: f64, duration: Duration, max: usize) -> Plan {
    let want = (rate * duration.as_secs_f64() + EPS).floor();
    let capped = want > max as f64;
    let n = if capped { max } else { want as usize };
    let mut sends = Vec::with_capacity(n);
    for i in 0..n {
        // i < rate * duration, so i / rate is finite and below `duration`.
        match Duration::try_from_secs_f64(i as f64 / rate) {
            Ok(at) => sends.push(PlannedSend { at, slot: None }),
            Err(_) => break,
        }
    }
    Plan { sends, capped }
}

fn per_slot(rates: &[f64], slot: Duration, duration: Duration, max: usize, spacing: Spacing) -> Plan {
    use rand::{RngExt, SeedableRng};
    let slot_s = slot.as_secs_f64();
    let mut plan = Plan::default();
    let mut rng = match spacing {
        Spacing::Even => None,
        Spacing::Random(seed) => Some(rand_pcg::Pcg64::seed_from_u64(seed)),
    };
    let mut offsets = Vec::new();
    let (mut cum, mut done) = (0.0_f64, 0.0_f64);
    'slots: for (k, &rate) in rates.iter().enumerate() {
        let Ok(k32) = u32::try_from(k) else { break };
        let Some(start) = slot.checked_mul(k32) else { break };
        if start >= duration {
            break;
        }
        cum += rate * slot_s;
        let total = (cum + EPS).floor();
        // Ask for one more than room left so that going over the cap is seen.
        let room = (max - plan.sends.len()) as f64 + 1.0;
        let n = (total - done).max(0.0).min(room) as u64;
        done = total;
        offsets.clear();
        match rng.as_mut() {
            // Centred: half a gap after the slot starts, half before it ends.
            None => offsets.extend((0..n).map(|j| (j as f64 + 0.5) / n as f64)),
            Some(r) => {
                offsets.extend((0..n).map(|_| 0.01 + 0.98 * r.random::<f64>()));
                offsets.sort_by(f64::total_cmp);
            }
        }
        for &u in &offsets {
            let at = start + slot.mul_f64(u);
            if at >= duration {
                break;
            }
            if plan.sends.len() >= max {
                plan.capped = true;
                break 'slots;
            }
            plan.sends.push(PlannedSend { at, slot: Some(k32) });
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_count_and_spacing() {
        let p = Schedule::Constant(200.0).plan(Duration::from_secs(1), 1_000_000).unwrap();
        assert_eq!(p.sends.len(), 200);
        assert_eq!(p.sends[1].at, Duration::from_millis(5));
        assert!(!p.capped);
        let p = Schedule::Constant(0.1).plan(Duration::from_secs(30), 10).unwrap();
        assert_eq!(p.sends.len(), 3);
    }

    #[test]
    fn cap_and_bad_rates() {
        let p = Schedule::Constant(1e300).plan(Duration::from_secs(1), 5).unwrap();
        assert_eq!((p.sends.len(), p.capped), (5, true));
        for r in [f64::NAN, -1.0, f64::INFINITY] {
            assert!(Schedule::Constant(r).plan(Duration::from_secs(1), 5).is_err());
        }
        let zero = Schedule::PerSlot { rates: vec![1.0], slot: Duration::ZERO };
        assert!(zero.plan(Duration::from_secs(1), 5).is_err());
    }

    #[test]
    fn random_spacing_keeps_counts_and_slots() {
        let s = Schedule::PerSlot { rates: vec![10.0, 30.0, 0.0, 20.0], slot: Duration::from_millis(250) };
        let even = s.plan(Duration::from_secs(1), 1000).unwrap();
        let a = s.plan_spaced(Duration::from_secs(1), 1000, Spacing::Random(7)).unwrap();
        let b = s.plan_spaced(Duration::from_secs(1), 1000, Spacing::Random(7)).unwrap();
        let c = s.plan_spaced(Duration::from_secs(1), 1000, Spacing::Random(8)).unwrap();
        assert_eq!(a, b, "same seed, same sends");
        assert_ne!(a, c);
        let count = |p: &Plan, k| p.sends.iter().filter(|x| x.slot == Some(k)).count();
        for k in 0..4 {
            assert_eq!(count(&a, k), count(&even, k), "slot {k}");
        }
        for w in a.sends.windows(2) {
            assert!(w[0].at <= w[1].at, "in order");
        }
        for x in &a.sends {
            let k = x.slot.unwrap();
            let start = Duration::from_millis(250) * k;
            assert!(x.at > start && x.at < start + Duration::from_millis(250), "{x:?} within its slot");
        }
    }

    #[test]
    fn per_slot_counts_carry_and_cut() {
        let s = Schedule::PerSlot { rates: vec![10.0, 30.0, 0.0, 20.0], slot: Duration::from_millis(250) };
        let p = s.plan(Duration::from_secs(1), 1000).unwrap();
        let count = |k| p.sends.iter().filter(|x| x.slot == Some(k)).count();
        // 2.5 -> 2, cumulative 10 -> 8, 10 -> 0, 15 -> 5.
        assert_eq!([count(0), count(1), count(2), count(3)], [2, 8, 0, 5]);
        assert!(p.sends.iter().all(|x| x.at < Duration::from_millis(250) * (x.slot.unwrap() + 1)));
        let p = s.plan(Duration::from_millis(500), 1000).unwrap();
        assert_eq!(p.sends.len(), 10);
        let p = s.plan(Duration::from_secs(1), 4).unwrap();
        assert_eq!((p.sends.len(), p.capped), (4, true));
        let huge = Schedule::PerSlot { rates: vec![1e308, 1e308], slot: Duration::from_secs(100) };
        assert_eq!(huge.plan(Duration::from_secs(200), 3).unwrap().sends.len(), 3);
    }
}
