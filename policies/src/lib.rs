//! `dfaas-policies`: the [`Policy`] trait every node runs once per slot, the
//! heuristic load-sharing strategies, and inference for learned policies
//! ([`learned`]: the policy file format and [`LearnedPolicy`]).
//!
//! A policy maps one node's [`NodeObservation`](dfaas_env::NodeObservation) to a
//! [`Decision`](dfaas_env::Decision) on `[local, fwd_1 … fwd_k, reject]`. Policies
//! are named by a [`PolicySpec`] (`name` or `name:key=value,…`) and built per node
//! with [`build`]. The centralised references `oracle` and `global-node` are
//! computed by the simulator, not here: [`build`] answers
//! [`PolicyError::Reference`] for them. Learned policies are loaded from a
//! file with [`load_learned`].
//!
//! ```
//! use dfaas_env::{NeighborObs, NodeObservation};
//! use dfaas_policies::{PolicySpec, build};
//!
//! // The DFaaS CloudNet 2021 experiment: C = 10, λ̂ = 50, neighbours' spare 20 and 30.
//! let spec: PolicySpec = "slack-proportional:overflow=local".parse()?;
//! let mut policy = build(&spec, 0, 42)?;
//! let nb = |spare| NeighborObs { spare_capacity: spare, age_seconds: Some(0.0), ..Default::default() };
//! let obs = NodeObservation {
//!     predicted_input: 50.0,
//!     capacity: 10.0,
//!     neighbors: vec![nb(20.0), nb(30.0)],
//!     ..Default::default()
//! };
//! assert_eq!(policy.decide(&obs).as_slice(), &[0.2, 0.32, 0.48, 0.0]);
//! # Ok::<(), dfaas_policies::PolicyError>(())
//! ```

mod error;
pub mod heuristics;
pub mod learned;
mod params;
mod policy;
mod registry;
mod spec;

pub use error::PolicyError;
pub use heuristics::Overflow;
pub use learned::{LearnedPolicy, NodeContext, PolicyFile, load_learned};
pub use policy::Policy;
pub use registry::{build, heuristic_names, param_keys, reference_names};
pub use spec::PolicySpec;
