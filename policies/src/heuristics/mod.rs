//! The heuristic strategies (see `docs/POLICIES.md`): each file names its origin and rule.
//!
//! All of them see only what a live node can see, never forward to a neighbour
//! never heard from (`age_seconds == None`), and plan in requests per slot.

mod all_local;
mod common;
mod least_loaded;
mod node_margin;
mod power_of_d;
mod proportional_latency;
mod random;
mod recalc;
mod slack_proportional;
mod static_split;

pub use all_local::AllLocal;
pub use common::Overflow;
pub use least_loaded::LeastLoaded;
pub use node_margin::NodeMargin;
pub use power_of_d::PowerOfD;
pub use proportional_latency::ProportionalLatency;
pub use random::RandomSplit;
pub use recalc::Recalc;
pub use slack_proportional::SlackProportional;
pub use static_split::StaticSplit;

#[cfg(test)]
pub(crate) mod test_util;
