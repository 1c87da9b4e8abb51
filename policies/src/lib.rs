//! `dfaas-policies`: the [`Policy`] trait every node runs once per slot, and
//! the heuristic load-sharing strategies the learned policies are compared with.
//!
//! A policy maps one node's [`NodeObservation`](dfaas_env::NodeObservation) to a
//! [`Decision`](dfaas_env::Decision) on `[local, fwd_1 … fwd_k, reject]`. Policies
//! are named by a [`PolicySpec`] (`name` or `name:key=value,…`) and built per node
//! with [`build`]. The centralised references `oracle` and `global-node` are
//! computed by the simulator, not here: [`build`] answers
//! [`PolicyError::Reference`] for them.

mod error;
pub mod heuristics;
mod params;
mod policy;
mod registry;
mod spec;

pub use error::PolicyError;
pub use heuristics::Overflow;
pub use policy::Policy;
pub use registry::{build, heuristic_names, param_keys, reference_names};
pub use spec::PolicySpec;
