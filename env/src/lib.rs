//! `dfaas-env`: the contract types shared by every part of DFaaS, the
//! PettingZoo-shaped [`MultiAgentEnv`] trait, and the federation simulator
//! with its three node models (`queue`, `serverless`, `capacity`).
//!
//! Nothing here knows about HTTP, libp2p or neural networks.

pub mod contract;
pub mod encoding;
pub mod error;
pub mod functions;
pub mod links;
pub mod metrics;
pub mod models;
pub mod multi_agent;
pub mod per_node;
pub mod predict;
pub mod reference;
pub mod reward;
pub mod rounding;
pub mod scenario;
pub mod seeds;
pub mod sim;
pub mod spaces;
pub mod topology;
pub mod workload;

pub use contract::{Advert, Decision, NeighborObs, NodeObservation, SlotOutcome};
pub use error::{ConfigError, DecisionError, EnvError};
pub use multi_agent::{MultiAgentEnv, StepResult};
pub use scenario::Scenario;
pub use sim::Simulator;
pub use spaces::Space;
pub use topology::Topology;
