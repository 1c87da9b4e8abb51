//! The node data plane of DFaaS (issue 4).

pub mod config;
pub mod keys;
pub mod weights;

pub use config::{ConfigError, NodeConfig};
pub use keys::NodeKey;
pub use weights::{Weights, WeightsError};
