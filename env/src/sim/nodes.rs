//! The node models of a built federation, behind one interface
//! ([`NodeModel`]): the simulator never looks at which model it runs.

use crate::models::{NodeModel, Resolved};
use crate::scenario::Scenario;
use crate::seeds::SimRng;

/// Every node's model instance, and the two facts of the model the slot
/// mechanics need.
#[derive(Debug, Clone)]
pub struct NodeModels {
    nodes: Vec<Box<dyn NodeModel>>,
    receiver_order: bool,
    reward_queue_capacity: Option<u32>,
}

impl NodeModels {
    /// Builds the models of `n` nodes from a validated scenario.
    pub fn build(s: &Scenario, n: usize) -> Self {
        let mut nodes = s.model.nodes(n, s.episode.slot_seconds, &s.path);
        // Several functions: each agent reports its function's service time.
        if let (Ok(Some(l)), crate::models::ModelSpec::Budget(b)) = (s.build_layout(), &s.model) {
            let slot = s.episode.slot_seconds;
            for (a, node) in nodes.iter_mut().enumerate() {
                let f = &l.functions()[l.function_of(a)];
                // Serverless functions reject whoever sent the call.
                let overload = if f.cold_start().is_some() {
                    crate::models::capacity::Overload::Proportional
                } else {
                    b.overload.unwrap_or_default()
                };
                *node = Box::new(
                    crate::models::capacity::CapacityNode::new(0.0, slot, overload, None)
                        .with_service_time(f.service_time_s),
                );
            }
        }
        Self { nodes, receiver_order: s.model.receiver_order(), reward_queue_capacity: s.model.reward_queue_capacity() }
    }

    /// Each node's capacity estimate, requests per slot.
    pub fn capacity_estimates(&mut self) -> Vec<f64> {
        self.nodes.iter_mut().map(|m| m.capacity_per_slot()).collect()
    }

    /// Starts an episode (empties queues).
    pub fn reset(&mut self) {
        self.nodes.iter_mut().for_each(|m| m.reset());
    }

    /// Queue length of node `i` (0 without a queue).
    pub fn queue_len(&self, i: usize) -> u32 {
        self.nodes[i].queue_len()
    }

    /// Whether forwards are processed in the receiver's neighbour order
    /// (queue model, as published) rather than in sender agent order.
    pub fn receiver_order(&self) -> bool {
        self.receiver_order
    }

    /// The queue capacity the queue model's reward uses (`None` for the
    /// other models' rejection reward).
    pub fn reward_queue_capacity(&self) -> Option<u32> {
        self.reward_queue_capacity
    }

    /// Resolves node `i`'s slot. `flows[0]` is its local flow; rejections per
    /// flow go to `rejects`.
    pub fn resolve(&mut self, i: usize, flows: &[u32], rng: &mut SimRng, rejects: &mut Vec<u32>) -> Resolved {
        self.nodes[i].resolve(flows, rng, rejects)
    }

    /// Sets agent `i`'s capacity for the coming slot (its part of a shared
    /// budget; see [`NodeModel::set_slot_capacity`]).
    pub fn set_slot_capacity(&mut self, i: usize, per_slot: u32) {
        self.nodes[i].set_slot_capacity(per_slot);
    }

    /// Node `i`'s loss at load `l` for the oracle (see [`NodeModel::slot_cost`]).
    pub fn slot_cost(&mut self, i: usize, l: u32, slot_seconds: f64, exact: bool) -> f64 {
        self.nodes[i].slot_cost(l, slot_seconds, exact)
    }
}
