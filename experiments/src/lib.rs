//! `dfaas-experiments`: runners that play policies on scenarios, compare
//! them on the same evaluation episodes against the upper reference, and
//! report tables (text and JSON) and per-slot CSV.

pub mod best_fixed;
pub mod cluster;
pub mod compare;
pub mod contender;
pub mod deployed;
pub mod document;
pub mod evaluation;
pub mod import;
pub mod live_env;
/// The load generator, now its own crate (`dfaas-loadgen`), under its old path.
pub use dfaas_loadgen as loadgen;
pub mod paired;
pub mod plot;
pub mod runner;
pub mod simulate;
pub mod stats;
pub mod table;

pub use compare::{CompareReport, PolicyResult, compare};
pub use contender::Contender;
pub use document::{Document, SCHEMA_VERSION};
pub use runner::{EpisodeRun, run_episode};
