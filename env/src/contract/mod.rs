//! The three contract types: what a node sees, what it decides, what happened.

mod advert;
mod build;
mod decision;
mod observation;
mod outcome;

pub use advert::Advert;
pub use build::{Foresight, Heard, NeighborInput, NodeInput, SharedNode, build_observation, keep_unheard_local};
pub use decision::Decision;
pub use observation::{NeighborObs, NodeObservation};
pub use outcome::SlotOutcome;
