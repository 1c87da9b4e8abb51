//! Arithmetic shared by the heuristics: sanitising observed values, placing an
//! excess in proportion to capped shares, and turning counts into a `Decision`.

use dfaas_env::seeds::{SimRng, substream};
use dfaas_env::{Decision, NeighborObs, NodeObservation};

/// Counts are clamped to this many requests per slot, so sums and products
/// stay finite whatever the observation holds.
pub(crate) const MAX_COUNT: f64 = 1e15;

/// What an overloaded node does with the part of its input it keeps beyond its
/// own capacity (parameter `overflow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Keep it local; the platform rejects what does not fit (default).
    #[default]
    Local,
    /// Reject it on purpose.
    Reject,
}

/// A count (requests per slot) made usable: NaN or negative → 0, clamped to [`MAX_COUNT`].
pub(crate) fn count(x: f64) -> f64 {
    if x > 0.0 { x.min(MAX_COUNT) } else { 0.0 }
}

/// An advertised load made comparable: negative → 0, NaN → treated as fully loaded, clamped.
pub(crate) fn load(x: f64) -> f64 {
    if x.is_nan() { MAX_COUNT } else { x.clamp(0.0, MAX_COUNT) }
}

/// Own utilisation λ̂ / C of sanitised counts (infinite for C = 0 with input).
pub(crate) fn usage(lambda: f64, capacity: f64) -> f64 {
    if capacity > 0.0 {
        lambda / capacity
    } else if lambda > 0.0 {
        f64::INFINITY
    } else {
        0.0
    }
}

/// The sanitised predicted input λ̂ and capacity C of an observation.
pub(crate) fn input_and_capacity(obs: &NodeObservation) -> (f64, f64) {
    (count(obs.predicted_input), count(obs.capacity))
}

/// Whether the neighbour may receive forwards (it has advertised something).
pub(crate) fn known(n: &NeighborObs) -> bool {
    n.age_seconds.is_some()
}

/// The per-node random generator of a stochastic policy, derived from `(seed, node)`.
pub(crate) fn node_rng(seed: u64, node: usize) -> SimRng {
    // Salted so that a policy seeded with a simulator's master seed does not
    // replay the simulator's own sub-streams.
    const POLICY_SALT: u64 = 0x504F_4C49_4349_4553; // "POLICIES"
    substream(seed ^ POLICY_SALT, node as u64)
}

/// Splits `excess` over `caps` in proportion to them, each capped by its cap:
/// everything fits → each gets its cap's share of the excess; otherwise each
/// gets its whole cap.
pub(crate) fn proportional_capped(excess: f64, caps: &[f64]) -> Vec<f64> {
    let total: f64 = caps.iter().sum();
    if excess <= 0.0 || total <= 0.0 {
        return vec![0.0; caps.len()];
    }
    if excess >= total {
        return caps.to_vec();
    }
    caps.iter().map(|&c| excess * c / total).collect()
}

/// Turns forwarded counts into a decision: the rest of λ̂ stays local, except
/// that with [`Overflow::Reject`] what stays beyond the capacity C is rejected.
/// No input predicted → all local. Fractions are counts / λ̂.
pub(crate) fn finish(obs: &NodeObservation, forwards: &[f64], overflow: Overflow) -> Decision {
    let degree = obs.degree();
    let (lambda, capacity) = input_and_capacity(obs);
    if lambda <= 0.0 || forwards.len() != degree {
        return Decision::all_local(degree);
    }
    let forwards: Vec<f64> = forwards.iter().map(|&f| count(f)).collect();
    let sent: f64 = forwards.iter().sum();
    let kept = (lambda - sent).max(0.0);
    let reject = match overflow {
        Overflow::Local => 0.0,
        Overflow::Reject => (kept - capacity).max(0.0),
    };
    let mut weights = Vec::with_capacity(degree + 2);
    weights.push(kept - reject);
    weights.extend(forwards);
    weights.push(reject);
    Decision::from_weights(weights).unwrap_or_else(|_| Decision::all_local(degree))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_capped_splits_or_caps() {
        assert_eq!(proportional_capped(40.0, &[20.0, 30.0]), vec![16.0, 24.0]);
        assert_eq!(proportional_capped(80.0, &[20.0, 30.0]), vec![20.0, 30.0]);
        assert_eq!(proportional_capped(10.0, &[0.0, 0.0]), vec![0.0, 0.0]);
        assert!(proportional_capped(10.0, &[]).is_empty());
    }

    #[test]
    fn sanitisers() {
        assert_eq!(count(f64::NAN), 0.0);
        assert_eq!(count(-3.0), 0.0);
        assert_eq!(count(f64::INFINITY), MAX_COUNT);
        assert_eq!(load(f64::NAN), MAX_COUNT);
        assert_eq!(load(-1.0), 0.0);
        assert_eq!(usage(5.0, 0.0), f64::INFINITY);
        assert_eq!(usage(0.0, 0.0), 0.0);
        assert_eq!(usage(5.0, 10.0), 0.5);
    }
}
