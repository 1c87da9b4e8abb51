//! Upper references a comparison always shows: the global node (queue model)
//! and the oracle (serverless and capacity models).

pub mod global_node;
pub mod oracle;

pub use oracle::Oracle;
