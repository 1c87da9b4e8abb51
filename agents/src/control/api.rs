//! Request and response bodies of the control API, defined once: the server
//! writes them and [`super::ControlClient`] reads them. `GET /observation`
//! and `GET /outcome` answer a `NodeObservation` / `SlotOutcome` (or `null`
//! before the first slot), `GET /history` a list of
//! [`TickReport`](crate::TickReport)s, `GET /neighbors` a list of
//! [`NeighborView`](crate::NeighborView)s, `GET /overlay` the gossip
//! counters ([`CounterSnapshot`](crate::CounterSnapshot), `null` without an
//! overlay), `POST /tick` a `TickReport`.

use dfaas_runtime::Weights;
use serde::{Deserialize, Serialize};

/// `GET /weights`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsView {
    pub function: String,
    /// The runtime's peers, in the order of forward fractions and counts.
    pub peers: Vec<String>,
    /// Slots ended so far.
    pub slot: u64,
    /// `[local, peers…, reject]` last pushed (`None` before the first slot).
    pub fractions: Option<Vec<f64>>,
    /// The integer weights in the gateway now.
    pub weights: Option<Weights>,
}

/// `PUT /decision` and the optional body of `POST /tick` (a bare list
/// `[local, fwd…, reject]` is accepted too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub fractions: Vec<f64>,
}

/// The answer of `PUT /decision`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionAccepted {
    pub accepted: Vec<f64>,
    /// The slot it applies to (the next one to end).
    pub for_slot: u64,
}

/// `PUT /policy`: a heuristic spec or a model file (exactly one; a bare spec
/// string is accepted too).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<std::path::PathBuf>,
}

/// The answer of `PUT /policy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySet {
    /// The policy's name.
    pub policy: String,
}

/// Every answer other than 200.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: String,
}
