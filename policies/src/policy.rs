//! The trait shared by heuristics and learned policies.

use dfaas_env::{Decision, NodeObservation};

/// A per-node load-sharing strategy: observation in, split out, once per slot.
///
/// An instance serves one node. `decide` must return a valid decision with
/// `degree == obs.degree()` and never panic, whatever the observation.
pub trait Policy: Send {
    /// The policy's registry name (e.g. `slack-proportional`).
    fn name(&self) -> &str;

    /// The split of this slot's predicted input on `[local, fwd…, reject]`.
    fn decide(&mut self, obs: &NodeObservation) -> Decision;

    /// Restarts any internal state; stochastic policies reseed from `seed`
    /// (combined with their node index, as [`build`](crate::build) does).
    fn reset(&mut self, seed: u64) {
        let _ = seed;
    }

    /// Whether the policy needs information only the simulator has (a live
    /// agent refuses such a policy).
    fn simulator_only(&self) -> bool {
        false
    }
}

impl<P: Policy + ?Sized> Policy for Box<P> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn decide(&mut self, obs: &NodeObservation) -> Decision {
        (**self).decide(obs)
    }

    fn reset(&mut self, seed: u64) {
        (**self).reset(seed)
    }

    fn simulator_only(&self) -> bool {
        (**self).simulator_only()
    }
}
