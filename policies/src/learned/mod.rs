//! Learned-policy inference: the self-describing policy file written by
//! `training/`, a small pure-Rust MLP forward pass, and [`LearnedPolicy`],
//! which serves one node and refuses a file that does not fit it.
//!
//! ```no_run
//! use dfaas_policies::learned::{NodeContext, load_learned};
//!
//! let node = NodeContext { name: "node_0".into(), neighbors: vec!["node_1".into()], ..Default::default() };
//! let policy = load_learned("models/five.dfpolicy".as_ref(), &node)?;
//! # Ok::<(), dfaas_policies::PolicyError>(())
//! ```

mod encode;
mod file;
mod format;
mod meta;
mod mlp;
#[cfg(feature = "onnx")]
pub mod onnx;
mod policy;

pub use encode::NodeEncoder;
pub use file::LearnedFile;
pub use format::{FORMAT_VERSION, IN_MEMORY, MAGIC, PolicyFile};
pub use meta::{ActionLayout, Activation, LayerMeta, Mode, NetworkMeta, NodeEntry, OutputKind, PolicyMeta};
pub use mlp::{Mlp, MlpScratch, OBS_CLIP, STD_FLOOR, softplus};
pub use policy::{Fallback, LearnedPolicy, NodeContext, drop_sub_request, load_learned};
