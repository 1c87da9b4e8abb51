//! Upper references a comparison always shows: the global node (queue model)
//! and the oracle (serverless and capacity models), and the stale oracle
//! (the oracle planned by each node on one-slot-old information).

mod flow;
pub mod global_node;
mod joint;
pub mod oracle;
pub mod stale_oracle;

pub use oracle::Oracle;
pub use stale_oracle::StaleOracle;
