//! Our policies for upstream DFaaS: `dfaas serve-policy` answers the Go
//! agent's RL-model protocol (`AGENT_RLMODEL_HOST`/`_PORT`, `POST /action`)
//! with any heuristic or learned policy, so an upstream DFaaS federation can
//! run them unchanged. One service answers every node of a federation: it
//! learns each neighbour's state from that neighbour's own reports (see
//! [`broker`] for the rule).

pub mod broker;
pub mod config;
pub mod protocol;
pub mod server;

pub use broker::{Answer, Broker, BrokerError};
pub use config::{ServeConfig, ServedNode};
pub use protocol::{ActionRequest, NodeReport, PeerReport, ProtocolError};
pub use server::{Clock, PolicyService};
