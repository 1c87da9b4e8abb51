//! The control API: its wire types ([`api`]), the server ([`server`]) and a
//! typed client ([`client`]) that LiveEnv, `dfaas cluster`, `dfaas sim2real`
//! and the tests use. A missing or renamed field in an answer is an error
//! naming the route and the field, never a silent zero.

pub mod api;
pub mod client;
pub mod models_dir;
pub mod server;

pub use api::{DecisionAccepted, DecisionBody, ErrorBody, PolicyBody, PolicySet, WeightsView};
pub use client::{ControlClient, ControlError};
pub use server::{ControlContext, ControlServer, MAX_BODY, ManagedView};
