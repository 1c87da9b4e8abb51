//! Node models: how a node turns the requests sent to it in a slot into
//! processed and rejected requests.
//!
//! * [`queue`]: the published marl-dfaas (IPDPSW 2025) CPU/RAM + FIFO queue model;
//! * [`serverless`]: the marl-dfaas master steady-state (PACS) model;
//! * [`capacity`]: a fixed service capacity per node (DFaaS paper, live runtime).

pub mod apportion;
pub mod capacity;
pub mod queue;
pub mod serverless;

use serde::{Deserialize, Serialize};

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
}

impl ModelSpec {
    /// Checks the model's parameters for the nodes `names`: each model's
    /// spec validates itself (errors name `file` and the field).
    pub fn validate(&self, file: &std::path::Path, names: &[String]) -> Result<(), crate::error::ConfigError> {
        match self {
            ModelSpec::Queue(q) => q.validate(file),
            ModelSpec::Serverless(sv) => sv.params(file).map(|_| ()),
            ModelSpec::Capacity(c) => c.validate(file, names),
        }
    }

    /// The model's short name (`queue`, `serverless`, `capacity`).
    pub fn kind(&self) -> &'static str {
        match self {
            ModelSpec::Queue(_) => "queue",
            ModelSpec::Serverless(_) => "serverless",
            ModelSpec::Capacity(_) => "capacity",
        }
    }
}
