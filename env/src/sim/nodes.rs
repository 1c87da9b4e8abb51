//! The node models of a built federation, behind one interface.

use crate::models::capacity::CapacityNode;
use crate::models::queue::{self, QueueNode, QueueSpec};
use crate::models::serverless::PerfCache;
use crate::models::{ModelSpec, apportion};
use crate::scenario::Scenario;
use crate::seeds::SimRng;

/// Every node's model instance.
#[derive(Debug, Clone)]
pub enum NodeModels {
    /// Queue model nodes (stateful: their queues persist across slots).
    Queue { spec: QueueSpec, nodes: Vec<QueueNode> },
    /// Serverless model nodes (stateless; memoised solutions).
    Serverless { nodes: Vec<PerfCache> },
    /// Fixed-capacity nodes.
    Capacity { nodes: Vec<CapacityNode> },
}

/// What a node's model did with the flows sent to it in one slot.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resolved {
    /// Requests executed in the slot.
    pub processed: u32,
    /// Queue length after the slot (queue model).
    pub queue_len: Option<u32>,
    /// Mean response time, seconds.
    pub response_time_s: Option<f64>,
}

impl NodeModels {
    /// Builds the models of `n` nodes from a validated scenario.
    pub fn build(s: &Scenario, n: usize) -> Self {
        let slot = s.episode.slot_seconds;
        match &s.model {
            ModelSpec::Queue(q) => {
                NodeModels::Queue { spec: q.clone(), nodes: (0..n).map(|_| QueueNode::new(q)).collect() }
            }
            ModelSpec::Serverless(sv) => {
                let params = sv.params(&s.path).expect("validated at scenario load");
                NodeModels::Serverless { nodes: (0..n).map(|_| PerfCache::new(params, slot)).collect() }
            }
            ModelSpec::Capacity(c) => NodeModels::Capacity {
                nodes: (0..n)
                    .map(|i| CapacityNode::new(c.capacity_rps.get(i), slot, c.overload, c.service_time_s))
                    .collect(),
            },
        }
    }

    /// Each node's capacity estimate, requests per slot.
    pub fn capacity_estimates(&mut self) -> Vec<f64> {
        match self {
            NodeModels::Queue { spec, nodes } => nodes.iter().map(|_| queue::capacity_estimate(spec)).collect(),
            NodeModels::Serverless { nodes } => nodes.iter_mut().map(|c| c.capacity_estimate(100_000) as f64).collect(),
            NodeModels::Capacity { nodes } => nodes.iter().map(|c| c.per_slot as f64).collect(),
        }
    }

    /// Starts an episode (empties queues).
    pub fn reset(&mut self) {
        if let NodeModels::Queue { nodes, .. } = self {
            nodes.iter_mut().for_each(QueueNode::reset);
        }
    }

    /// Queue length of node `i` (0 without a queue).
    pub fn queue_len(&self, i: usize) -> u32 {
        match self {
            NodeModels::Queue { nodes, .. } => nodes[i].queue_len(),
            _ => 0,
        }
    }

    /// Whether forwards are processed in the receiver's neighbour order
    /// (queue model, as published) rather than in sender agent order.
    pub fn receiver_order(&self) -> bool {
        matches!(self, NodeModels::Queue { .. })
    }

    /// Resolves node `i`'s slot. `flows[0]` is its local flow; rejections per
    /// flow go to `rejects`.
    pub fn resolve(&mut self, i: usize, flows: &[u32], rng: &mut SimRng, rejects: &mut Vec<u32>) -> Resolved {
        match self {
            NodeModels::Queue { nodes, .. } => {
                let r = nodes[i].process_slot(flows, rng, rejects);
                Resolved { processed: r.processed, queue_len: Some(r.queue_len), response_time_s: None }
            }
            NodeModels::Serverless { nodes } => {
                let total: u32 = flows.iter().sum();
                if total == 0 {
                    rejects.clear();
                    rejects.resize(flows.len(), 0);
                    return Resolved::default();
                }
                let cache = &mut nodes[i];
                let rejected = cache.rejected(total);
                let resp = cache.get(total).avg_resp_time;
                apportion::proportional(rejected, flows, rejects);
                Resolved { processed: total - rejected, queue_len: None, response_time_s: Some(resp) }
            }
            NodeModels::Capacity { nodes } => {
                let node = &nodes[i];
                let processed = node.resolve(flows, rejects);
                Resolved { processed, queue_len: None, response_time_s: node.service_time_s.filter(|_| processed > 0) }
            }
        }
    }
}
