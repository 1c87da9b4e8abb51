//! `dfaas-experiments`: runners that play policies on scenarios, compare
//! them on the same evaluation episodes against the upper reference, and
//! report tables (text and JSON) and per-slot CSV; imports of marl-dfaas
//! configurations. Everything here runs in simulation: live federations are
//! `dfaas-live`, report documents and figures `dfaas-reports`.

pub mod best_fixed;
pub mod compare;
pub mod contender;
pub mod evaluation;
pub mod import;
pub mod paired;
pub mod runner;
pub mod simulate;
pub mod stats;
pub mod table;

pub use compare::{CompareReport, PolicyResult, compare};
pub use contender::Contender;
pub use runner::{EpisodeRun, run_episode};
