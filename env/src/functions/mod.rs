//! Several functions per node: a scenario's `[[functions]]`, the agents they
//! make (one per node and hosted function, named `node/function`), and how a
//! node's budget is shared among its functions each slot.
//!
//! Agents are node-function pairs, not nodes acting for every function: the
//! decision a node takes for one function (local, forward to each neighbour
//! hosting it, reject) has the same shape as the single-function decision,
//! so every policy, encoding, trainer and exported model works per pair
//! unchanged, and one network serves every function (its observations are in
//! units of the pair's own capacity, which the node derives each slot from
//! its budget and every function's predicted load). A function's neighbours
//! are the same function at the neighbouring nodes that host it.

mod allocate;
mod layout;
mod loss;
mod node_share;
mod spec;
mod workload;

pub use allocate::{estimate, water_fill};
pub use layout::FunctionLayout;
pub use loss::{ColdStart, LossNode};
pub use node_share::{FunctionCost, NodeShare, SlotShare};
pub use spec::{FunctionSpec, serverless_mix, serverless_problem};
pub use workload::load_workload;
