//! The node data plane of DFaaS: an HTTP gateway that runs functions,
//! forwards a share of them (one hop, signed) to peers by hot-swapped
//! weights, rejects the rest, and answers every request.
//!
//! # Use
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use dfaas_runtime::{NodeConfig, Weights, serve};
//! let config = NodeConfig::load("node.toml")?;          // errors name file, field, value
//! let node = serve(config).await?;                      // binds, loads/creates the key
//! println!("listening on {}", node.local_addr());
//! let peers = node.peer_ids();                          // configured member order
//! let w = Weights::from_fractions(&[0.7, 0.2, 0.1], &peers, 1000)?; // one peer
//! node.set_weights("figlet", w)?;                       // atomic, in-flight requests unaffected
//! let outcome = node.take_slot("figlet");               // dfaas_env::SlotOutcome of the slot that ended
//! node.shutdown().await;
//! # let _ = outcome; Ok(()) }
//! ```
//!
//! # HTTP
//!
//! * `POST|GET|PUT|PATCH|DELETE /function/<name>`: invoke (OpenFaaS paths).
//! * `GET /system/functions`: JSON list (name, backend, invocationCount,
//!   replicas, availableReplicas, weights).
//! * `GET /healthz`: 200 when at least one function can accept work, else 503.
//! * `GET /metrics`: Prometheus text.
//! * `GET|PUT /control/weights/<name>`: read or replace weights (JSON
//!   [`Weights`]); loopback clients only.
//!
//! Responses carry `X-Dfaas-Entry-Node`, `X-Dfaas-Served-By`,
//! `X-Dfaas-Forwarded` and, on 503 rejects, `X-Dfaas-Reject-Reason`
//! (`policy`, `capacity`, `peer-rejected`, `peer-unreachable`). A failed
//! function answers 502; a malformed request 400; an unknown function 404;
//! a body above `max_body_bytes` 413; a forwarded request failing
//! authentication ([`auth`]) 403; the gateway's own deadline 504.

pub mod admission;
pub mod auth;
pub mod backends;
pub mod body;
pub mod budget;
pub mod client;
pub mod config;
pub mod counters;
pub mod forward;
pub mod gateway;
mod handler;
pub mod keys;
mod metrics;
pub mod pair_key;
pub mod peer_address;
pub mod peer_guard;
pub mod response;
pub mod serve;
pub mod server;
pub mod swrr;
pub mod weights;

pub use config::{ConfigError, NodeConfig};
pub use dfaas_env::SlotOutcome;
pub use gateway::Gateway;
pub use keys::NodeKey;
pub use server::{GatewayHandle, RuntimeError, serve, serve_on};
pub use weights::{Weights, WeightsError};
