//! `static` — the DFaaS Static strategy (dfaas.md §2.2): a fixed split, by
//! default 60 % local and 40 % shared evenly among the neighbours (parameter
//! `local`). Here the share goes to the neighbours heard from (DFaaS's
//! neighbour table); with none, everything stays local. Fractions are exact,
//! not DFaaS's integer HAProxy weights (60/13/13/13).

use dfaas_env::{Decision, NodeObservation};

use super::common::known;
use crate::Policy;

/// A fixed local fraction, the rest split evenly among known neighbours.
#[derive(Debug, Clone)]
pub struct StaticSplit {
    local: f64,
}

impl StaticSplit {
    /// The default local fraction.
    pub const DEFAULT_LOCAL: f64 = 0.6;

    /// A static split keeping `local` (clamped to [0, 1]) local.
    pub fn new(local: f64) -> Self {
        let local = if local.is_nan() { Self::DEFAULT_LOCAL } else { local.clamp(0.0, 1.0) };
        Self { local }
    }
}

impl Default for StaticSplit {
    fn default() -> Self {
        Self::new(Self::DEFAULT_LOCAL)
    }
}

impl Policy for StaticSplit {
    fn name(&self) -> &str {
        "static"
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        let degree = obs.degree();
        let k = obs.neighbors.iter().filter(|n| known(n)).count();
        if k == 0 {
            return Decision::all_local(degree);
        }
        let share = (1.0 - self.local) / k as f64;
        let mut weights = Vec::with_capacity(degree + 2);
        weights.push(self.local);
        weights.extend(obs.neighbors.iter().map(|n| if known(n) { share } else { 0.0 }));
        weights.push(0.0);
        Decision::from_weights(weights).unwrap_or_else(|_| Decision::all_local(degree))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heuristics::test_util::*;

    #[test]
    fn sixty_forty_among_known() {
        let mut p = StaticSplit::default();
        let o = obs(5.0, 10.0, vec![nb(1.0, 0.0, 0.01), unknown(), nb(0.0, 1.0, 0.01)]);
        assert_fractions(&p.decide(&o), &[0.6, 0.2, 0.0, 0.2, 0.0]);
        assert_fractions(&p.decide(&obs(5.0, 10.0, vec![])), &[1.0, 0.0]);
        assert_fractions(&p.decide(&obs(5.0, 10.0, vec![unknown()])), &[1.0, 0.0, 0.0]);
        let mut q = StaticSplit::new(0.25);
        assert_fractions(&q.decide(&obs(5.0, 10.0, vec![nb(0.0, 0.0, 0.0)])), &[0.25, 0.75, 0.0]);
    }
}
