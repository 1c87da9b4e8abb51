//! Node models: how a node turns the requests sent to it in a slot into
//! processed and rejected requests.
//!
//! * [`queue`]: the published marl-dfaas (IPDPSW 2025) CPU/RAM + FIFO queue model;
//! * [`serverless`]: the marl-dfaas master steady-state (PACS) model;
//! * [`capacity`]: a fixed service capacity per node (DFaaS paper, live runtime);
//! * [`budget`]: several functions per node sharing its budget of units.
//!
//! Each model is one file (or folder): its spec, which validates itself, and
//! its node, which implements [`NodeModel`]. Adding a model is that file and
//! its registration in [`ModelSpec`] (a variant and one arm in each of
//! `kind`, `validate` and `nodes`); the simulator, the oracle and the
//! stale oracle only see [`NodeModel`].

pub mod apportion;
pub mod budget;
pub mod capacity;
pub mod queue;
pub mod serverless;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::seeds::SimRng;

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

/// One node's model: how it turns the requests sent to it in a slot into
/// processed and rejected requests. Built by [`ModelSpec::nodes`].
pub trait NodeModel: CloneNodeModel + std::fmt::Debug + Send + Sync {
    /// The node's capacity estimate, requests per slot (what observations
    /// and heuristics plan with).
    fn capacity_per_slot(&mut self) -> f64;

    /// Starts an episode (a stateful model empties its state).
    fn reset(&mut self) {}

    /// Requests waiting at the node after the last slot (0 without a queue).
    fn queue_len(&self) -> u32 {
        0
    }

    /// Resolves the node's slot: `flows[0]` is its own local flow, the rest
    /// are forwards in the order they arrive; the rejections of each flow go
    /// to `rejects` (resized to `flows.len()`).
    fn resolve(&mut self, flows: &[u32], rng: &mut SimRng, rejects: &mut Vec<u32>) -> Resolved;

    /// The oracle's loss at load `l`: the expected number lost (`exact =
    /// false`, convex in `l`) or the number this model would reject.
    fn slot_cost(&mut self, l: u32, slot_seconds: f64, exact: bool) -> f64;

    /// Sets the requests the node serves in the coming slot, where its
    /// capacity is decided each slot (a function's part of a shared budget,
    /// [`budget`]); other models ignore it.
    fn set_slot_capacity(&mut self, _per_slot: u32) {}
}

/// A copy of a boxed node, state included (simulators are cloned per
/// worker); every `Clone` model has it.
pub trait CloneNodeModel {
    fn clone_box(&self) -> Box<dyn NodeModel>;
}

impl<T: NodeModel + Clone + 'static> CloneNodeModel for T {
    fn clone_box(&self) -> Box<dyn NodeModel> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn NodeModel> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Which model a scenario uses, with its parameters (explicit units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ModelSpec {
    /// The published IPDPSW 2025 environment.
    Queue(queue::QueueSpec),
    /// The marl-dfaas master steady-state model.
    Serverless(serverless::ServerlessSpec),
    /// Fixed capacity per node.
    Capacity(capacity::CapacitySpec),
    /// Several functions per node sharing its budget (`[[functions]]`).
    Budget(budget::BudgetSpec),
}

impl ModelSpec {
    /// Checks the model's parameters for the nodes `names`: each model's
    /// spec validates itself (errors name `file` and the field).
    pub fn validate(&self, file: &Path, names: &[String]) -> Result<(), ConfigError> {
        match self {
            ModelSpec::Queue(q) => q.validate(file),
            ModelSpec::Serverless(sv) => sv.params(file).map(|_| ()),
            ModelSpec::Capacity(c) => c.validate(file, names),
            ModelSpec::Budget(b) => b.validate(file, names),
        }
    }

    /// The models of `n` nodes with slots of `slot_seconds` (a validated
    /// spec; `file`: the scenario, for files the spec names).
    pub fn nodes(&self, n: usize, slot_seconds: f64, file: &Path) -> Vec<Box<dyn NodeModel>> {
        match self {
            ModelSpec::Queue(q) => (0..n).map(|_| Box::new(queue::QueueNode::new(q)) as Box<dyn NodeModel>).collect(),
            ModelSpec::Serverless(sv) => {
                let params = sv.params(file).expect("validated at scenario load");
                (0..n)
                    .map(|_| Box::new(serverless::PerfCache::new(params, slot_seconds)) as Box<dyn NodeModel>)
                    .collect()
            }
            ModelSpec::Capacity(c) => (0..n)
                .map(|i| {
                    let node =
                        capacity::CapacityNode::new(c.capacity_rps.get(i), slot_seconds, c.overload, c.service_time_s);
                    Box::new(node) as Box<dyn NodeModel>
                })
                .collect(),
            // One per agent; the simulator sets each slot's capacity.
            ModelSpec::Budget(b) => (0..n)
                .map(|_| {
                    Box::new(capacity::CapacityNode::new(0.0, slot_seconds, b.overload.unwrap_or_default(), None))
                        as Box<dyn NodeModel>
                })
                .collect(),
        }
    }

    /// Whether forwards reach a node in its neighbour order (the queue
    /// model, as published) rather than in sender order.
    pub fn receiver_order(&self) -> bool {
        matches!(self, ModelSpec::Queue(_))
    }

    /// The queue capacity the queue model's reward is scored with (`None`:
    /// the rejection reward of the other models).
    pub fn reward_queue_capacity(&self) -> Option<u32> {
        match self {
            ModelSpec::Queue(q) => Some(q.queue_capacity),
            _ => None,
        }
    }

    /// The model's short name (`queue`, `serverless`, `capacity`, `budget`).
    pub fn kind(&self) -> &'static str {
        match self {
            ModelSpec::Queue(_) => "queue",
            ModelSpec::Serverless(_) => "serverless",
            ModelSpec::Capacity(_) => "capacity",
            ModelSpec::Budget(_) => "budget",
        }
    }
}
