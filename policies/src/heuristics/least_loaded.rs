//! `least-loaded` — after serverlessonedge's edge router `least-impedance`
//! policy (argmin of a destination's weight; peers.md §1.2), with the
//! neighbour's advertised load as the weight: if λ̂ ≤ C everything stays
//! local; otherwise the whole excess λ̂ − C goes to the known neighbour with
//! the lowest load (ties: the first in action order), uncapped. With no known
//! neighbour the excess stays local (`overflow=local`, default) or is
//! rejected (`overflow=reject`).

use dfaas_env::{Decision, NodeObservation};

use super::common::{Overflow, finish, input_and_capacity, known, load};
use crate::Policy;

/// Forwards the excess over capacity to the least loaded known neighbour.
#[derive(Debug, Clone, Default)]
pub struct LeastLoaded {
    overflow: Overflow,
}

impl LeastLoaded {
    /// A least-loaded policy with the given overflow handling.
    pub fn new(overflow: Overflow) -> Self {
        Self { overflow }
    }
}

impl Policy for LeastLoaded {
    fn name(&self) -> &str {
        "least-loaded"
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        let degree = obs.degree();
        let (lambda, capacity) = input_and_capacity(obs);
        if lambda <= capacity {
            return Decision::all_local(degree);
        }
        let mut forwards = vec![0.0; degree];
        let best = (0..degree)
            .filter(|&j| known(&obs.neighbors[j]))
            .min_by(|&a, &b| load(obs.neighbors[a].load).total_cmp(&load(obs.neighbors[b].load)));
        if let Some(j) = best {
            forwards[j] = lambda - capacity;
        }
        finish(obs, &forwards, self.overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heuristics::test_util::*;

    #[test]
    fn picks_lowest_load_among_known() {
        let mut unknown_idle = unknown();
        unknown_idle.load = 0.0;
        let o = obs(40.0, 10.0, vec![nb(5.0, 0.7, 0.01), unknown_idle, nb(5.0, 0.3, 0.01), nb(5.0, 0.3, 0.01)]);
        assert_fractions(&LeastLoaded::default().decide(&o), &[0.25, 0.0, 0.0, 0.75, 0.0, 0.0]);
        assert_fractions(&LeastLoaded::default().decide(&obs(5.0, 10.0, vec![nb(5.0, 0.0, 0.01)])), &[1.0, 0.0, 0.0]);
        assert_fractions(
            &LeastLoaded::new(Overflow::Reject).decide(&obs(40.0, 10.0, vec![unknown()])),
            &[0.25, 0.0, 0.75],
        );
    }
}
