//! `all-local` — the marl-dfaas APL baseline and the DFaaS All Local strategy
//! (dfaas.md §2.1): everything runs locally, nothing is forwarded or rejected
//! on purpose; the platform rejects what does not fit.

use dfaas_env::{Decision, NodeObservation};

use crate::Policy;

/// Keeps every request local.
#[derive(Debug, Clone, Default)]
pub struct AllLocal;

impl Policy for AllLocal {
    fn name(&self) -> &str {
        "all-local"
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        Decision::all_local(obs.degree())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heuristics::test_util::*;

    #[test]
    fn keeps_everything_local_even_when_overloaded() {
        let o = obs(100.0, 10.0, vec![nb(50.0, 0.0, 0.01), nb(50.0, 0.0, 0.01)]);
        assert_fractions(&AllLocal.decide(&o), &[1.0, 0.0, 0.0, 0.0]);
        assert_fractions(&AllLocal.decide(&obs(1.0, 1.0, vec![])), &[1.0, 0.0]);
    }
}
