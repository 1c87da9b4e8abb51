//! `dfaas-reports`: the JSON documents every command writes with `--json`
//! ([`document`]: one schema, tagged by `kind`, versioned) and the figures
//! and Markdown reports drawn from them ([`plot`]: `dfaas report`).
//!
//! It reads the producers' own types from `dfaas-experiments` (simulate,
//! compare, evaluate), `dfaas-live` (cluster, sim2real, live evaluation) and
//! `dfaas-loadgen`; nothing depends on it but the CLI and the Python module.

pub mod document;
pub mod plot;

pub use document::{Document, SCHEMA_VERSION};
