//! The composed libp2p behaviour.

use std::collections::HashSet;

use libp2p::allow_block_list::{self, AllowedPeers};
use libp2p::identity::Keypair;
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{PeerId, StreamProtocol, gossipsub, identify, kad, ping};

use super::OverlayConfig;

/// Kademlia protocol of the federation (kept apart from the public IPFS DHT).
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/dfaas/kad/1.0.0");
/// Identify protocol version string.
pub const PROTOCOL_VERSION: &str = "/dfaas/1.0.0";
/// Largest gossip frame the codec accepts; larger ones are dropped by libp2p
/// before validation. Messages between this and
/// [`crate::messages::MAX_MESSAGE_BYTES`] reach the validator and are counted.
pub const MAX_TRANSMIT_BYTES: usize = 64 * 1024;

#[cfg(feature = "mdns")]
pub(crate) type MdnsBehaviour = libp2p::mdns::tokio::Behaviour;
#[cfg(not(feature = "mdns"))]
pub(crate) type MdnsBehaviour = libp2p::swarm::dummy::Behaviour;

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    /// Caps on connections (first, so that it refuses before others act).
    pub limits: libp2p::connection_limits::Behaviour,
    pub allow: Toggle<allow_block_list::Behaviour<AllowedPeers>>,
    pub gossipsub: gossipsub::Behaviour,
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    pub kad: kad::Behaviour<kad::store::MemoryStore>,
    pub mdns: Toggle<MdnsBehaviour>,
}

impl Behaviour {
    pub(crate) fn new(key: &Keypair, config: &OverlayConfig) -> Result<Self, String> {
        let peer_id = key.public().to_peer_id();
        let allow = config.allow_list.as_ref().map(|list: &HashSet<PeerId>| {
            let mut b = allow_block_list::Behaviour::<AllowedPeers>::default();
            for p in list {
                b.allow_peer(*p);
            }
            b
        });

        let gossip_config = gossipsub::ConfigBuilder::default()
            .validation_mode(gossipsub::ValidationMode::Strict)
            .validate_messages()
            .max_transmit_size(MAX_TRANSMIT_BYTES)
            .heartbeat_interval(config.gossip_heartbeat)
            .build()
            .map_err(|e| format!("gossipsub config: {e}"))?;
        let mut gossipsub =
            gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Signed(key.clone()), gossip_config)
                .map_err(|e| format!("gossipsub: {e}"))?;
        gossipsub
            .with_peer_score(peer_score(&config.topic), score_thresholds())
            .map_err(|e| format!("gossipsub peer scoring: {e}"))?;

        let identify = identify::Behaviour::new(
            identify::Config::new(PROTOCOL_VERSION.into(), key.public())
                .with_agent_version(format!("dfaas-agent/{}", env!("CARGO_PKG_VERSION"))),
        );
        let ping = ping::Behaviour::new(ping::Config::new().with_interval(config.ping_interval));

        let mut kad_config = kad::Config::new(KAD_PROTOCOL);
        kad_config.set_periodic_bootstrap_interval(Some(config.discovery_interval));
        let mut kad = kad::Behaviour::with_config(peer_id, kad::store::MemoryStore::new(peer_id), kad_config);
        // Serve the DHT even without a confirmed external address (loopback, LAN).
        kad.set_mode(Some(kad::Mode::Server));

        let mdns = if config.mdns { Some(new_mdns(peer_id)?) } else { None };

        let limits = libp2p::connection_limits::Behaviour::new(connection_limits(config.max_peers));

        Ok(Self { limits, allow: allow.into(), gossipsub, identify, ping, kad, mdns: mdns.into() })
    }
}

/// Handshakes under way at once from unknown dialers, at most.
pub const MAX_PENDING_INCOMING: u32 = 16;

/// Peer scoring (gossipsub v1.1) that punishes invalid messages only: every
/// message this node rejects (malformed, wrong version, invalid, spoofed,
/// impersonating a member) costs its sender `-(count²)`, decaying by 10 % a
/// second. At 4 recent invalid messages a peer falls below the gossip
/// threshold (no gossip to or from it), at 8 below the publish threshold, at
/// 9 below the graylist threshold: everything it sends is ignored until the
/// count decays (about 10 s). Delivery-rate penalties stay off (one state per
/// slot is far below any useful delivery threshold), and so does the
/// same-address penalty (a test federation runs on one loopback address).
pub fn peer_score(topic: &str) -> gossipsub::PeerScoreParams {
    let t = gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        time_in_mesh_weight: 0.0,
        first_message_deliveries_weight: 0.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: -1.0,
        invalid_message_deliveries_decay: 0.9,
        ..Default::default()
    };
    let mut p = gossipsub::PeerScoreParams {
        ip_colocation_factor_weight: 0.0,
        decay_interval: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    p.topics.insert(gossipsub::IdentTopic::new(topic).hash(), t);
    p
}

/// The gossipsub default thresholds: gossip −10, publish −50, graylist −80.
pub fn score_thresholds() -> gossipsub::PeerScoreThresholds {
    gossipsub::PeerScoreThresholds::default()
}

/// Connection caps for a node that keeps up to `max_peers` peers: two
/// connections per peer (a simultaneous dial), [`MAX_PENDING_INCOMING`]
/// handshakes in progress, and twice `max_peers` established in all — a
/// flood of raw connections is refused before any handshake work.
pub fn connection_limits(max_peers: usize) -> libp2p::connection_limits::ConnectionLimits {
    let peers = u32::try_from(max_peers).unwrap_or(u32::MAX);
    libp2p::connection_limits::ConnectionLimits::default()
        .with_max_pending_incoming(Some(MAX_PENDING_INCOMING))
        .with_max_established_per_peer(Some(2))
        .with_max_established(Some(peers.saturating_mul(2).max(4)))
}

#[cfg(feature = "mdns")]
fn new_mdns(peer_id: PeerId) -> Result<MdnsBehaviour, String> {
    libp2p::mdns::tokio::Behaviour::new(libp2p::mdns::Config::default(), peer_id).map_err(|e| format!("mdns: {e}"))
}

#[cfg(not(feature = "mdns"))]
fn new_mdns(_peer_id: PeerId) -> Result<MdnsBehaviour, String> {
    Err("mdns requested, but this build lacks the `mdns` cargo feature".into())
}
