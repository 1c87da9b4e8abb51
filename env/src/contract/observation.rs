use serde::{Deserialize, Serialize};

/// What one node knows at the start of a slot.
///
/// Counts are requests per slot; `slot_seconds` converts them to rates.
/// The same structure is built by the simulator and by the live agent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NodeObservation {
    /// Agent index of this node in its federation.
    pub node: usize,
    /// Slot number within the episode (0-based).
    pub slot: u32,
    /// Slot length in seconds.
    pub slot_seconds: f64,
    /// Requests arriving in this slot (in the simulator the true count; a live
    /// node knows only its prediction and sets this to the rounded prediction).
    pub input: u32,
    /// Predicted requests for this slot (what a policy should plan with).
    pub predicted_input: f64,
    /// Requests that arrived in the previous slot.
    pub prev_input: u32,
    /// Estimated service capacity of this node, requests per slot.
    pub capacity: f64,
    /// Requests waiting in the node's queue at the start of the slot
    /// (queue model; 0 for models without a queue).
    pub queue_len: u32,
    /// Requests kept local in the previous slot.
    pub prev_local: u32,
    /// Own local requests rejected by the platform in the previous slot.
    pub prev_local_rejects: u32,
    /// Requests rejected on purpose in the previous slot.
    pub prev_rejected: u32,
    /// One entry per neighbour, in the node's action order.
    pub neighbors: Vec<NeighborObs>,
    /// Several functions per node: the node's expected use of its budget in
    /// the coming slot by every function's forecast (1.0 = the whole
    /// budget); 0 for a node with one function.
    #[serde(default)]
    pub node_load: f64,
    /// Several functions per node: the share of the node's budget per slot
    /// one request of this function uses; 0 for a node with one function.
    #[serde(default)]
    pub request_share: f64,
}

/// What a node knows about one neighbour: its own counters towards it and
/// what the neighbour last advertised.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NeighborObs {
    /// Agent index of the neighbour.
    pub node: usize,
    /// Requests this node forwarded to the neighbour in the previous slot.
    pub prev_forwarded: u32,
    /// How many of those the neighbour rejected.
    pub prev_forward_rejects: u32,
    /// Advertised spare capacity for others, requests per slot (0 if unknown).
    pub spare_capacity: f64,
    /// Advertised load: offered requests / capacity (1.0 = fully used).
    pub load: f64,
    /// Advertised number of neighbours of the neighbour (to split its spare).
    pub degree: u32,
    /// Advertised service capacity of the neighbour, requests per slot (0 if unknown).
    #[serde(default)]
    pub capacity: f64,
    /// One-way network delay estimate to the neighbour, seconds.
    pub latency_s: f64,
    /// Age of the advertisement in seconds; `None` if nothing was heard yet.
    pub age_seconds: Option<f64>,
}

impl NodeObservation {
    /// Number of neighbours (the forward part of the action layout).
    pub fn degree(&self) -> usize {
        self.neighbors.len()
    }

    /// Own expected utilisation if everything predicted ran locally.
    pub fn usage(&self) -> f64 {
        if self.capacity > 0.0 {
            self.predicted_input / self.capacity
        } else if self.predicted_input > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    }
}

impl NeighborObs {
    /// Whether the neighbour has advertised anything yet.
    pub fn is_known(&self) -> bool {
        self.age_seconds.is_some()
    }
}
