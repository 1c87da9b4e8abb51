//! `recalc` — the DFaaS Recalc strategy (dfaas.md §2.3, the original 2021
//! algorithm): every node offers its spare capacity split evenly among its own
//! neighbours as a per-neighbour limit, limit_j = s_j / degree_j; an overloaded
//! node (λ̂ > C) forwards its excess λ̂ − C in proportion to the limits offered
//! to it (its HAProxy weights ∝ LimitOut), each capped by its limit (the
//! neighbour answers 429 beyond it). The rest stays local (`overflow=local`,
//! default) or is rejected (`overflow=reject`). Limits are not floored to
//! integers as DFaaS does per second. A neighbour advertising degree 0 is
//! counted as having one neighbour (this node).

use dfaas_env::{Decision, NodeObservation};

use super::common::{Overflow, count, finish, input_and_capacity, known, proportional_capped};
use crate::Policy;

/// Forwards the excess in proportion to the per-neighbour limits offered.
#[derive(Debug, Clone, Default)]
pub struct Recalc {
    overflow: Overflow,
}

impl Recalc {
    /// A recalc policy with the given overflow handling.
    pub fn new(overflow: Overflow) -> Self {
        Self { overflow }
    }
}

impl Policy for Recalc {
    fn name(&self) -> &str {
        "recalc"
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        let (lambda, capacity) = input_and_capacity(obs);
        if lambda <= capacity {
            return Decision::all_local(obs.degree());
        }
        let limits: Vec<f64> = obs
            .neighbors
            .iter()
            .map(|n| if known(n) { count(n.spare_capacity) / f64::from(n.degree.max(1)) } else { 0.0 })
            .collect();
        finish(obs, &proportional_capped(lambda - capacity, &limits), self.overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heuristics::test_util::*;

    #[test]
    fn forwards_within_offered_limits() {
        // Spares 20 (degree 2 → limit 10) and 30 (degree 3 → limit 10); excess 10
        // → 5 and 5; excess 40 → 10 and 10, the rest local or rejected.
        let mut a = nb(20.0, 0.0, 0.01);
        a.degree = 2;
        let mut b = nb(30.0, 0.0, 0.01);
        b.degree = 3;
        let o = obs(20.0, 10.0, vec![a.clone(), b.clone()]);
        assert_fractions(&Recalc::default().decide(&o), &[0.5, 0.25, 0.25, 0.0]);
        let o = obs(50.0, 10.0, vec![a, b]);
        assert_fractions(&Recalc::default().decide(&o), &[0.6, 0.2, 0.2, 0.0]);
        assert_fractions(&Recalc::new(Overflow::Reject).decide(&o), &[0.2, 0.2, 0.2, 0.4]);
    }

    #[test]
    fn local_when_not_overloaded_and_degree_zero_counts_as_one() {
        let mut a = nb(8.0, 0.0, 0.01);
        a.degree = 0;
        assert_fractions(&Recalc::default().decide(&obs(5.0, 10.0, vec![a.clone()])), &[1.0, 0.0, 0.0]);
        assert_fractions(&Recalc::default().decide(&obs(20.0, 10.0, vec![a])), &[0.6, 0.4, 0.0]);
    }
}
