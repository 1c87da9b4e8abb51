use serde::{Deserialize, Serialize};

/// What happened to one node's requests in one slot (all counts per slot).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SlotOutcome {
    /// Requests that arrived at the node from its own users.
    pub input: u32,
    /// Own requests kept local.
    pub local: u32,
    /// Own requests forwarded, per neighbour (action order).
    pub forwarded: Vec<u32>,
    /// Own requests rejected on purpose.
    pub rejected: u32,
    /// Own local requests rejected by this node's platform.
    pub local_rejects: u32,
    /// Own forwarded requests rejected by each neighbour (action order).
    pub forward_rejects: Vec<u32>,
    /// Forwarded requests lost by the published even-floor split (queue model
    /// with `forward_split = "even-floor"` only): neither processed nor rejected
    /// upstream, counted here as lost.
    pub forward_lost: u32,
    /// Forwarded requests received from neighbours.
    pub received: u32,
    /// Received forwards this node's platform rejected.
    pub received_rejects: u32,
    /// Requests executed at this node in the slot, whatever their origin
    /// (for the queue model this includes requests queued earlier).
    pub processed: u32,
    /// Queue length at the end of the slot (queue model only).
    pub queue_len: Option<u32>,
    /// Mean response time at this node, seconds (where the model gives it).
    pub response_time_s: Option<f64>,
    /// Mean one-way network delay of this node's forwards, seconds.
    pub network_delay_s: Option<f64>,
    /// The agent's reward for the slot.
    pub reward: f64,
}

impl SlotOutcome {
    /// Total forwarded by this node.
    pub fn forwarded_total(&self) -> u32 {
        self.forwarded.iter().sum()
    }

    /// Total of this node's forwards rejected by neighbours.
    pub fn forward_rejects_total(&self) -> u32 {
        self.forward_rejects.iter().sum()
    }

    /// Every own request lost: on purpose, locally, or at a neighbour.
    pub fn lost(&self) -> u32 {
        self.rejected + self.local_rejects + self.forward_rejects_total() + self.forward_lost
    }
}
