//! `dfaas-training`: multi-agent PPO on burn, trained offline in the
//! simulator, exported as policy files that `dfaas-policies` loads.
//!
//! - [`special`]: ln Γ and ψ on tensors (differentiable) and on `f64`.
//! - [`dirichlet`]: the Dirichlet action distribution.
//! - [`nets`]: actor (α = softplus(z) + floor) and critic MLPs.
//! - [`persist`]: network weights to and from checksummed burnpack bytes.
//! - [`config`]: experiment files and presets (paper, master, default).
//! - [`layout`]: agents → networks (independent or shared), encodings, masks.
//! - [`rollout`]: parallel, seeded experience collection.
//! - [`gae`], [`ppo`]: advantages and the clipped-surrogate update.
//! - [`trainer`], [`checkpoint`]: the loop, checkpoints and resume.
//! - [`logging`]: TensorBoard event files, `scalars.csv`, progress bar.
//!
//! Backend: burn 0.22's pure-Rust CPU backend, `Device::flex()`; training
//! uses `Device::flex().autodiff()`.

pub mod checkpoint;
pub mod compute;
pub mod config;
pub mod dirichlet;
pub mod export;
pub mod gae;
pub mod layout;
pub mod logging;
pub mod nets;
pub mod obs_norm;
pub mod persist;
pub mod ppo;
pub mod rollout;
pub mod special;
pub mod trainer;

pub use config::TrainConfig;
pub use dirichlet::{Dirichlet, DirichletError};
pub use nets::{Activation, Actor, ConfigError, Critic, NetConfig};
pub use persist::PersistError;
pub use trainer::Trainer;
