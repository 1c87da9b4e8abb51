//! The three contract types: what a node sees, what it decides, what happened.

mod advert;
mod decision;
mod observation;
mod outcome;

pub use advert::Advert;
pub use decision::Decision;
pub use observation::{NeighborObs, NodeObservation};
pub use outcome::SlotOutcome;
