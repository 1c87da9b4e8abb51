//! `slack-proportional` — the DFaaS CloudNet 2021 paper's rule: if λ̂ ≤ C
//! everything stays local; otherwise the excess λ̂ − C goes to the known
//! neighbours with spare capacity s_j > 0, in proportion to s_j and each
//! capped by s_j. What no one can take stays local (`overflow=local`, default)
//! or is rejected (`overflow=reject`). Fractions are counts / λ̂.

use dfaas_env::{Decision, NodeObservation};

use super::common::{Overflow, count, finish, input_and_capacity, known, proportional_capped};
use crate::Policy;

/// Forwards the excess over capacity in proportion to advertised spare capacity.
#[derive(Debug, Clone, Default)]
pub struct SlackProportional {
    overflow: Overflow,
}

impl SlackProportional {
    /// A slack-proportional policy with the given overflow handling.
    pub fn new(overflow: Overflow) -> Self {
        Self { overflow }
    }
}

impl Policy for SlackProportional {
    fn name(&self) -> &str {
        "slack-proportional"
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        let (lambda, capacity) = input_and_capacity(obs);
        if lambda <= capacity {
            return Decision::all_local(obs.degree());
        }
        let caps: Vec<f64> =
            obs.neighbors.iter().map(|n| if known(n) { count(n.spare_capacity) } else { 0.0 }).collect();
        finish(obs, &proportional_capped(lambda - capacity, &caps), self.overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heuristics::test_util::*;

    #[test]
    fn cloudnet_2021_three_nodes() {
        // C = 10, λ̂ = 50, spares 20 and 30: keep 10, forward 16 and 24.
        let o = obs(50.0, 10.0, vec![nb(20.0, 0.0, 0.01), nb(30.0, 0.0, 0.01)]);
        let d = SlackProportional::default().decide(&o);
        assert_fractions(&d, &[0.2, 0.32, 0.48, 0.0]);
        assert_eq!(d.as_slice(), &[0.2, 0.32, 0.48, 0.0]);
    }

    #[test]
    fn caps_and_overflow() {
        // Excess 40, spares 5 and 15: forward 5 and 15, 20 left over.
        let o = obs(50.0, 10.0, vec![nb(5.0, 0.5, 0.01), unknown(), nb(15.0, 0.2, 0.01)]);
        let local = SlackProportional::new(Overflow::Local).decide(&o);
        assert_fractions(&local, &[0.6, 0.1, 0.0, 0.3, 0.0]);
        let reject = SlackProportional::new(Overflow::Reject).decide(&o);
        assert_fractions(&reject, &[0.2, 0.1, 0.0, 0.3, 0.4]);
    }

    #[test]
    fn local_when_not_overloaded() {
        let o = obs(10.0, 10.0, vec![nb(20.0, 0.0, 0.01)]);
        assert_fractions(&SlackProportional::default().decide(&o), &[1.0, 0.0, 0.0]);
    }
}
