//! The DFaaS node control plane (issue 5): node identity, the libp2p overlay
//! with state gossip, the neighbour table and load predictors. The slot loop
//! that ties them to the runtime builds on these pieces.

pub mod identity;
pub mod messages;
pub mod neighbors;
pub mod overlay;
pub mod predict;

pub use identity::{IdentityError, NodeIdentity};
pub use libp2p;
pub use messages::{DecodeError, DropReason, FunctionState, NodeState};
pub use neighbors::{Neighbor, NeighborConfig, NeighborTable};
pub use overlay::{CounterSnapshot, Overlay, OverlayConfig, OverlayError, OverlayEvent, OverlayHandle, PeerInfo};
pub use predict::{Ewma, Holt, Predictor, PredictorSpec};
