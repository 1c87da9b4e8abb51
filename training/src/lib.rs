//! Multi-agent PPO on burn (issue 3). So far: the neural-network foundation.
//!
//! - [`special`]: ln Γ and ψ on tensors (differentiable) and on `f64`.
//! - [`dirichlet`]: the Dirichlet action distribution (log-density, entropy,
//!   mean on tensors; sampling on the CPU).
//! - [`nets`]: actor (α = softplus(z) + floor) and critic MLPs.
//! - [`persist`]: network weights to and from checksummed burnpack bytes.
//!
//! Backend: burn 0.22's pure-Rust CPU backend, `Device::flex()`; training
//! code uses `Device::flex().autodiff()`.

pub mod dirichlet;
pub mod nets;
pub mod persist;
pub mod special;

pub use dirichlet::{Dirichlet, DirichletError};
pub use nets::{Activation, Actor, ConfigError, Critic, NetConfig};
pub use persist::PersistError;
