//! The DFaaS node control plane (issue 5): node identity, the libp2p overlay
//! with state gossip, the neighbour table and load predictors. The slot loop
//! ties them to the runtime; the control API exposes it; `run_agent` wires a node.

pub mod config;
pub mod control;
pub mod identity;
pub mod messages;
pub mod neighbors;
pub mod node;
pub mod overlay;
pub use dfaas_env::predict;
pub mod slot_loop;
pub mod upstream;

pub use config::{AgentConfig, AgentConfigError, Clock, ManagedFunction, OverlaySettings, PolicyChoice};
pub use control::{ControlClient, ControlContext, ControlError, ControlServer};
pub use identity::{IdentityError, NodeIdentity};
pub use libp2p;
pub use messages::{DecodeError, DropReason, FunctionState, NodeState};
pub use neighbors::{Neighbor, NeighborConfig, NeighborTable};
pub use node::{AgentError, AgentHandle, build_policy, run_agent, run_agent_on};
pub use overlay::{CounterSnapshot, Overlay, OverlayConfig, OverlayError, OverlayEvent, OverlayHandle, PeerInfo};
pub use predict::{Ewma, Holt, Predictor, PredictorSpec};
pub use slot_loop::{
    FunctionParams, NeighborView, Shared, SlotLoop, SlotLoopParams, TickError, TickReport, WEIGHT_SCALE,
};
