//! Model A: the published marl-dfaas (IPDPSW 2025, `paise2025`) environment:
//! CPU shares and RAM renewed each slot, a persistent FIFO queue, requests
//! drawn one by one from three classes.
//! PLACEHOLDER — being implemented.

use serde::{Deserialize, Serialize};

use crate::seeds::SimRng;

/// Parameters of the queue model (defaults are the paper's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    /// CPU shares per node per slot.
    #[serde(default = "default_cpu")]
    pub cpu_shares: f64,
    /// RAM per node per slot, MB.
    #[serde(default = "default_ram")]
    pub ram_mb: f64,
    /// Queue capacity, requests.
    #[serde(default = "default_queue")]
    pub queue_capacity: u32,
    /// How a forwarded count is split among neighbours.
    #[serde(default)]
    pub forward_split: ForwardSplit,
}

fn default_cpu() -> f64 {
    1000.0
}
fn default_ram() -> f64 {
    8000.0
}
fn default_queue() -> u32 {
    100
}

impl Default for QueueSpec {
    fn default() -> Self {
        Self {
            cpu_shares: default_cpu(),
            ram_mb: default_ram(),
            queue_capacity: default_queue(),
            forward_split: ForwardSplit::default(),
        }
    }
}

/// How the queue model turns an action into per-neighbour forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardSplit {
    /// Per-neighbour simplex `[local, fwd_1 … fwd_k, reject]`, no loss.
    #[default]
    PerNeighbor,
    /// The published behaviour: a 3-way simplex (local, forward, reject) with
    /// v1 rounding, the forward count split evenly by integer division, the
    /// remainder lost.
    EvenFloor,
}

/// Mean CPU shares of a request (the three classes' means averaged).
pub const MEAN_REQUEST_CPU: f64 = 15.5;

/// One node of the queue model.
#[derive(Debug, Clone)]
pub struct QueueNode {
    _spec: QueueSpec,
}

/// What one slot did at a queue node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueSlot {
    /// Requests executed in the slot (queued ones included).
    pub processed: u32,
    /// Queue length at the end of the slot.
    pub queue_len: u32,
}

impl QueueNode {
    /// A node with an empty queue.
    pub fn new(spec: &QueueSpec) -> Self {
        Self {
            _spec: spec.clone(),
        }
    }

    /// Empties the queue (start of an episode).
    pub fn reset(&mut self) {}

    /// Current queue length.
    pub fn queue_len(&self) -> u32 {
        0
    }

    /// Plays one slot. `flows[0]` is the node's own local count, `flows[1..]`
    /// the forwarded counts from each sender, in the order they are processed.
    /// Writes the rejections of each flow into `rejects`.
    pub fn process_slot(
        &mut self,
        flows: &[u32],
        rng: &mut SimRng,
        rejects: &mut Vec<u32>,
    ) -> QueueSlot {
        let _ = (flows, rng, rejects);
        unimplemented!("queue model")
    }
}

/// The fidelity reward of the published environment (`_reward_fw`), in [0, 1].
pub fn reward_fw(
    local: u32,
    forward: u32,
    reject: u32,
    local_excess: u32,
    forward_reject: u32,
    queue_len_after: u32,
    queue_capacity: u32,
) -> f64 {
    let _ = (
        local,
        forward,
        reject,
        local_excess,
        forward_reject,
        queue_len_after,
        queue_capacity,
    );
    unimplemented!("reward_fw")
}

/// Requests per slot the CPU allows on average.
pub fn capacity_estimate(spec: &QueueSpec) -> f64 {
    spec.cpu_shares / MEAN_REQUEST_CPU
}
