//! Observation builders for the heuristics' unit tests.

use dfaas_env::{NeighborObs, NodeObservation};

/// A known neighbour with the given spare capacity, load and latency.
pub(crate) fn nb(spare: f64, load: f64, latency: f64) -> NeighborObs {
    NeighborObs {
        spare_capacity: spare,
        load,
        degree: 1,
        latency_s: latency,
        capacity: 0.0,
        age_seconds: Some(0.0),
        ..NeighborObs::default()
    }
}

/// A neighbour never heard from.
pub(crate) fn unknown() -> NeighborObs {
    NeighborObs { spare_capacity: 1e6, load: 0.0, latency_s: 1e-3, ..NeighborObs::default() }
}

/// An observation with predicted input `lambda` and capacity `capacity`.
pub(crate) fn obs(lambda: f64, capacity: f64, neighbors: Vec<NeighborObs>) -> NodeObservation {
    NodeObservation { predicted_input: lambda, capacity, slot_seconds: 1.0, neighbors, ..NodeObservation::default() }
}

/// Asserts a decision's fractions equal `expected` within 1e-12.
pub(crate) fn assert_fractions(d: &dfaas_env::Decision, expected: &[f64]) {
    let got = d.as_slice();
    assert_eq!(got.len(), expected.len(), "got {got:?}, expected {expected:?}");
    for (g, e) in got.iter().zip(expected) {
        assert!((g - e).abs() < 1e-12, "got {got:?}, expected {expected:?}");
    }
}
