//! Upper references: the global node (queue model) and the oracle.

pub mod global_node;
