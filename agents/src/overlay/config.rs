//! Overlay configuration.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use libp2p::multiaddr::Protocol;
use libp2p::pnet::PreSharedKey;
use libp2p::{Multiaddr, PeerId};

use crate::identity::NodeIdentity;
use crate::neighbors::NeighborConfig;

/// Default gossip topic for node states.
pub const STATE_TOPIC: &str = "dfaas/state/1";

/// How one node joins the federation.
#[derive(Clone)]
pub struct OverlayConfig {
    pub identity: NodeIdentity,
    /// Addresses to listen on (default `/ip4/127.0.0.1/tcp/0`).
    pub listen: Vec<Multiaddr>,
    /// Bootstrap peers, each ending in `/p2p/<peer id>`. Unreachable ones are
    /// retried in the background every `redial_interval`; start-up never waits.
    pub bootstrap: Vec<Multiaddr>,
    /// Private-network key: only nodes with the same key can connect.
    pub psk: Option<PreSharedKey>,
    /// Only these peers may connect and author accepted messages (`None`: anyone
    /// who passes the transport, i.e. anyone with the key if `psk` is set).
    pub allow_list: Option<HashSet<PeerId>>,
    /// Node name → the peer id of that member's key (this node included).
    /// A state naming a member is accepted only from that peer; empty: every
    /// state is taken for what it claims (tests of the bare overlay).
    pub members: HashMap<String, PeerId>,
    /// mDNS discovery on the LAN. Off by default: it multicasts on the real
    /// interface and finds nothing on loopback. Needs the `mdns` cargo feature.
    pub mdns: bool,
    pub topic: String,
    pub gossip_heartbeat: Duration,
    pub ping_interval: Duration,
    pub redial_interval: Duration,
    /// Kademlia random-walk (bootstrap) period; Kademlia also walks when its
    /// routing table gains a peer. Peers it finds are dialled (up to `max_peers`).
    pub discovery_interval: Duration,
    pub idle_connection_timeout: Duration,
    pub max_peers: usize,
    /// Staleness rule of the neighbour table the overlay keeps.
    pub neighbors: NeighborConfig,
    /// Capacity of the event channel; events beyond it are counted and dropped.
    pub event_buffer: usize,
}

impl std::fmt::Debug for OverlayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OverlayConfig")
            .field("peer_id", &self.identity.peer_id)
            .field("listen", &self.listen)
            .field("bootstrap", &self.bootstrap)
            .field("psk", &self.psk.map(|k| k.fingerprint().to_string()))
            .field("allow_list", &self.allow_list)
            .field("mdns", &self.mdns)
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl OverlayConfig {
    /// Defaults: listen on 127.0.0.1 (any port), no bootstrap, no psk, no
    /// allow-list, no mDNS.
    pub fn new(identity: NodeIdentity) -> Self {
        Self {
            identity,
            listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("static multiaddr")],
            bootstrap: Vec::new(),
            psk: None,
            allow_list: None,
            members: HashMap::new(),
            mdns: false,
            topic: STATE_TOPIC.into(),
            gossip_heartbeat: Duration::from_millis(500),
            ping_interval: Duration::from_secs(5),
            redial_interval: Duration::from_secs(2),
            discovery_interval: Duration::from_secs(10),
            idle_connection_timeout: Duration::from_secs(3600),
            max_peers: 64,
            neighbors: NeighborConfig::default(),
            event_buffer: 1024,
        }
    }

    /// The bootstrap peers as (peer id, address), or which address lacks `/p2p/`.
    pub(crate) fn bootstrap_peers(&self) -> Result<Vec<(PeerId, Multiaddr)>, String> {
        self.bootstrap
            .iter()
            .map(|a| {
                peer_of(a).map(|p| (p, a.clone())).ok_or_else(|| format!("bootstrap address {a} lacks /p2p/<peer id>"))
            })
            .collect()
    }
}

/// The peer id at the end of a multiaddr, if any.
pub fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    match addr.iter().last() {
        Some(Protocol::P2p(p)) => Some(p),
        _ => None,
    }
}
