//! The libp2p overlay: connectivity, membership and state gossip.
//!
//! [`Overlay::start`] builds the swarm, starts listening, dials the bootstrap
//! peers (without waiting for them) and runs the swarm in a tokio task. The
//! returned [`OverlayHandle`] publishes states and reads peers, neighbours and
//! counters; the receiver yields [`OverlayEvent`]s, among them every
//! validated [`NodeState`] with its author.

mod behaviour;
mod config;
mod counters;
pub mod log_limit;
mod task;
mod transport;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

pub use behaviour::{KAD_PROTOCOL, MAX_PENDING_INCOMING, MAX_TRANSMIT_BYTES, PROTOCOL_VERSION, connection_limits};
pub use config::{OverlayConfig, STATE_TOPIC, peer_of};
pub use counters::{CounterSnapshot, Counters};
pub use transport::parse_psk;

use crate::messages::{DecodeError, NodeState};
use crate::neighbors::NeighborTable;

/// Something the overlay observed.
#[derive(Debug, Clone)]
pub enum OverlayEvent {
    /// A validated state, authored (and signed) by `from`.
    State { from: PeerId, state: NodeState, received_at: Instant },
    /// First connection to a peer is up.
    Connected(PeerId),
    /// Last connection to a peer is gone.
    Disconnected(PeerId),
    /// A new local listen address.
    Listening(Multiaddr),
}

/// A connected peer.
#[derive(Debug, Clone, Serialize)]
pub struct PeerInfo {
    #[serde(serialize_with = "ser_display")]
    pub peer_id: PeerId,
    /// Remote address of the first connection.
    #[serde(serialize_with = "ser_display")]
    pub address: Multiaddr,
    #[serde(skip)]
    pub connected_since: Instant,
    /// Last sign of life: connection, ping, identify or message.
    #[serde(skip)]
    pub last_seen: Instant,
    pub rtt: Option<Duration>,
    pub agent_version: Option<String>,
    /// Its gossipsub peer score here (negative after invalid messages; below
    /// −80 everything it sends is ignored), as of its latest message.
    pub score: Option<f64>,
}

fn ser_display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Overlay failures.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    #[error("overlay configuration: {0}")]
    Config(String),
    #[error("transport: {0}")]
    Transport(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: Multiaddr, reason: String },
    #[error("state not published, it is invalid: {0}")]
    InvalidState(#[from] DecodeError),
    #[error("no peer subscribed to the state topic yet")]
    NoPeers,
    #[error("publish failed: {0}")]
    Publish(String),
    #[error("dial failed: {0}")]
    Dial(String),
    #[error("the overlay has stopped")]
    Closed,
}

pub(crate) enum Command {
    Publish { data: Vec<u8>, reply: oneshot::Sender<Result<usize, OverlayError>> },
    Dial { addr: Multiaddr, reply: oneshot::Sender<Result<(), OverlayError>> },
    Shutdown,
}

/// State the swarm task shares with handles.
pub(crate) struct OverlayState {
    pub peer_id: PeerId,
    pub counters: Arc<Counters>,
    pub peers: Mutex<HashMap<PeerId, PeerInfo>>,
    pub listen_addrs: Mutex<Vec<Multiaddr>>,
    pub neighbors: Mutex<NeighborTable>,
    pub events_lost: std::sync::atomic::AtomicU64,
}

/// Cloneable access to a running overlay.
#[derive(Clone)]
pub struct OverlayHandle {
    shared: Arc<OverlayState>,
    commands: mpsc::Sender<Command>,
    task: Arc<tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

/// Entry point.
pub struct Overlay;

impl Overlay {
    /// Starts the overlay. Returns once it listens on every configured
    /// address; bootstrap peers are dialled in the background.
    pub async fn start(config: OverlayConfig) -> Result<(OverlayHandle, mpsc::Receiver<OverlayEvent>), OverlayError> {
        task::start(config).await
    }
}

impl OverlayHandle {
    pub fn local_peer_id(&self) -> PeerId {
        self.shared.peer_id
    }

    /// Actual listen addresses (ports resolved).
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        lock(&self.shared.listen_addrs).clone()
    }

    /// Listen addresses ending in `/p2p/<local peer id>`, for others' bootstrap lists.
    pub fn dial_addrs(&self) -> Vec<Multiaddr> {
        self.listen_addrs().into_iter().map(|a| a.with(Protocol::P2p(self.shared.peer_id))).collect()
    }

    /// Publishes this node's state. `peer_id` and `version` are filled in;
    /// the state is validated as receivers will. Returns the payload size.
    pub async fn publish(&self, mut state: NodeState) -> Result<usize, OverlayError> {
        state.peer_id = self.shared.peer_id.to_string();
        state.version = crate::messages::STATE_VERSION;
        state.validate()?;
        self.publish_raw(state.encode()).await
    }

    /// Publishes arbitrary bytes on the state topic (fault injection and tests).
    pub async fn publish_raw(&self, data: Vec<u8>) -> Result<usize, OverlayError> {
        let (reply, rx) = oneshot::channel();
        self.commands.send(Command::Publish { data, reply }).await.map_err(|_| OverlayError::Closed)?;
        rx.await.map_err(|_| OverlayError::Closed)?
    }

    /// Dials an address (with or without `/p2p/`); returns once the dial started.
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), OverlayError> {
        let (reply, rx) = oneshot::channel();
        self.commands.send(Command::Dial { addr, reply }).await.map_err(|_| OverlayError::Closed)?;
        rx.await.map_err(|_| OverlayError::Closed)?
    }

    /// Connected peers.
    pub fn peers(&self) -> Vec<PeerInfo> {
        lock(&self.shared.peers).values().cloned().collect()
    }

    pub fn is_connected(&self, peer: &PeerId) -> bool {
        lock(&self.shared.peers).contains_key(peer)
    }

    /// Runs `f` on the neighbour table the overlay keeps up to date.
    pub fn with_neighbors<R>(&self, f: impl FnOnce(&NeighborTable) -> R) -> R {
        f(&lock(&self.shared.neighbors))
    }

    pub fn counters(&self) -> CounterSnapshot {
        self.shared.counters.snapshot()
    }

    /// Events dropped because the event receiver was full.
    pub fn events_lost(&self) -> u64 {
        self.shared.events_lost.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the swarm task is still running.
    pub fn is_running(&self) -> bool {
        !self.commands.is_closed()
    }

    /// Stops the swarm task, closing every connection, and waits for it.
    pub async fn shutdown(&self) {
        let _ = self.commands.send(Command::Shutdown).await;
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

/// Locks a mutex, recovering the data if a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
