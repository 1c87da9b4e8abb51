//! The neighbour table: the latest [`NodeState`] of every peer, when it
//! arrived, and whether the peer is still usable.
//!
//! A neighbour is *available* when it was heard from within
//! `stale_after_slots` slots and its libp2p connection is up. The slot loop
//! must give an unavailable neighbour weight 0 until it is heard from again.
//! Time is passed in explicitly (`now`) so the table is easy to test.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use dfaas_env::contract::{Advert, Heard};
use libp2p::PeerId;

use crate::messages::NodeState;

/// Staleness rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NeighborConfig {
    pub slot: Duration,
    pub stale_after_slots: u32,
}

impl Default for NeighborConfig {
    fn default() -> Self {
        Self { slot: Duration::from_secs(1), stale_after_slots: 3 }
    }
}

impl NeighborConfig {
    /// Age beyond which a state is stale.
    pub fn max_age(&self) -> Duration {
        self.slot.saturating_mul(self.stale_after_slots)
    }
}

/// What is known about one neighbour.
#[derive(Debug, Clone)]
pub struct Neighbor {
    pub peer_id: PeerId,
    /// Latest state received (`None` if only the connection is known).
    pub state: Option<NodeState>,
    /// When `state` was received.
    pub received_at: Option<Instant>,
    /// Whether a libp2p connection to the peer is up.
    pub connected: bool,
}

impl Neighbor {
    /// Time since the latest state arrived, `None` if nothing was heard.
    pub fn age(&self, now: Instant) -> Option<Duration> {
        self.received_at.map(|t| now.saturating_duration_since(t))
    }

    /// Heard recently enough and still connected.
    pub fn is_available(&self, now: Instant, config: &NeighborConfig) -> bool {
        self.connected && self.age(now).is_some_and(|a| a <= config.max_age())
    }

    /// What the node holds of this neighbour's advert for `function`, in
    /// requests per slot: `None` when it is unavailable (never heard, stale
    /// or disconnected) or does not advertise `function` — the builder then
    /// observes it as unknown and the slot loop keeps its share local.
    pub fn heard(&self, function: &str, now: Instant, config: &NeighborConfig) -> Option<Heard> {
        if !self.is_available(now, config) {
            return None;
        }
        let state = self.state.as_ref()?;
        let f = state.function(function)?;
        let slot = config.slot.as_secs_f64();
        Some(Heard {
            advert: Advert {
                spare_capacity: f.spare_capacity_rps * slot,
                load: f.load,
                capacity: f.capacity_rps * slot,
            },
            degree: state.degree,
            age_seconds: self.age(now)?.as_secs_f64(),
        })
    }
}

/// Neighbours by peer id.
///
/// A table bound to a roster ([`NeighborTable::bind_members`]) speaks for a
/// member only through the peer id its key derives: [`NeighborTable::by_node`]
/// looks the member up by that id, and [`NeighborTable::impostor`] tells the
/// overlay to refuse a state that names a member but comes from another peer.
#[derive(Debug, Default)]
pub struct NeighborTable {
    config: NeighborConfig,
    peers: HashMap<PeerId, Neighbor>,
    members: HashMap<String, PeerId>,
}

impl NeighborTable {
    pub fn new(config: NeighborConfig) -> Self {
        Self { config, peers: HashMap::new(), members: HashMap::new() }
    }

    /// Binds node names to the peer ids of their member keys (this node's
    /// included). Names outside the roster are looked up by what they claim.
    pub fn bind_members(&mut self, members: HashMap<String, PeerId>) {
        self.members = members;
    }

    /// The peer a member's state must come from, if `node` is on the roster.
    pub fn member_peer(&self, node: &str) -> Option<PeerId> {
        self.members.get(node).copied()
    }

    /// `Some(expected)` when `state` names a roster member whose key is not
    /// `from`'s: an insider speaking for another member.
    pub fn impostor(&self, from: &PeerId, state: &NodeState) -> Option<PeerId> {
        self.member_peer(&state.node).filter(|expected| expected != from)
    }

    pub fn config(&self) -> &NeighborConfig {
        &self.config
    }

    fn entry(&mut self, peer: PeerId) -> &mut Neighbor {
        self.peers.entry(peer).or_insert(Neighbor { peer_id: peer, state: None, received_at: None, connected: false })
    }

    /// Records a validated state from `peer`. A state older than the one held
    /// (lower slot, or same slot and earlier timestamp) is ignored, unless its
    /// timestamp is newer: then the author restarted and counts slots from 0
    /// again. Returns whether the state was kept.
    pub fn record_state(&mut self, peer: PeerId, state: NodeState, now: Instant) -> bool {
        let n = self.entry(peer);
        if let Some(old) = &n.state
            && (state.slot, state.timestamp_ms) < (old.slot, old.timestamp_ms)
            && state.timestamp_ms <= old.timestamp_ms
        {
            return false;
        }
        n.state = Some(state);
        n.received_at = Some(now);
        true
    }

    /// Records that a connection to `peer` came up or went away.
    pub fn set_connected(&mut self, peer: PeerId, connected: bool) {
        self.entry(peer).connected = connected;
    }

    pub fn get(&self, peer: &PeerId) -> Option<&Neighbor> {
        self.peers.get(peer)
    }

    /// The neighbour that is member `node`: the peer its key derives when
    /// the table is bound to a roster, else the freshest peer calling itself
    /// `node`.
    pub fn by_node(&self, node: &str) -> Option<&Neighbor> {
        if let Some(peer) = self.member_peer(node) {
            return self.peers.get(&peer).filter(|n| n.state.as_ref().is_some_and(|s| s.node == node));
        }
        self.peers.values().filter(|n| n.state.as_ref().is_some_and(|s| s.node == node)).max_by_key(|n| n.received_at)
    }

    pub fn is_available(&self, peer: &PeerId, now: Instant) -> bool {
        self.peers.get(peer).is_some_and(|n| n.is_available(now, &self.config))
    }

    /// All neighbours, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Neighbor> {
        self.peers.values()
    }

    /// Available neighbours.
    pub fn available(&self, now: Instant) -> impl Iterator<Item = &Neighbor> + '_ {
        self.peers.values().filter(move |n| n.is_available(now, &self.config))
    }

    /// Forgets neighbours that are disconnected and silent for `older_than`.
    pub fn prune(&mut self, now: Instant, older_than: Duration) {
        self.peers.retain(|_, n| n.connected || n.age(now).is_some_and(|a| a <= older_than));
    }

    pub fn len(&self) -> usize {
        self.peers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::FunctionState;

    fn state(peer: PeerId, slot: u64) -> NodeState {
        let mut s = NodeState::new("node-2", peer, slot, "127.0.0.1:8082");
        s.degree = 2;
        s.functions.push(FunctionState {
            name: "f".into(),
            spare_capacity_rps: 8.0,
            load: 0.6,
            capacity_rps: 12.0,
            overloaded: false,
            agent_index: None,
        });
        s
    }

    #[test]
    fn stale_after_three_slots_then_heard_again() {
        let cfg = NeighborConfig { slot: Duration::from_millis(500), stale_after_slots: 3 };
        let mut t = NeighborTable::new(cfg);
        let p = PeerId::random();
        let t0 = Instant::now();
        assert!(!t.is_available(&p, t0));
        t.set_connected(p, true);
        assert!(!t.is_available(&p, t0), "never heard");
        t.record_state(p, state(p, 1), t0);
        assert!(t.is_available(&p, t0));
        assert!(t.is_available(&p, t0 + Duration::from_millis(1500)));
        assert!(!t.is_available(&p, t0 + Duration::from_millis(1501)));
        let n = t.get(&p).unwrap();
        assert_eq!(n.age(t0 + Duration::from_secs(2)), Some(Duration::from_secs(2)));
        assert_eq!(n.heard("f", t0 + Duration::from_secs(2), &cfg), None, "stale: unheard");
        assert!(n.heard("f", t0 + Duration::from_secs(1), &cfg).is_some());
        // Heard again: available again.
        let t1 = t0 + Duration::from_secs(5);
        t.record_state(p, state(p, 10), t1);
        assert!(t.is_available(&p, t1));
        let h = t.get(&p).unwrap().heard("f", t1, &cfg).unwrap();
        assert_eq!(h.advert.spare_capacity, 4.0, "8 rps over a 0.5 s slot");
        assert_eq!((h.advert.load, h.degree, h.age_seconds), (0.6, 2, 0.0));
        assert_eq!(h.advert.capacity, 6.0, "12 rps over a 0.5 s slot");
        assert_eq!(t.get(&p).unwrap().heard("other", t1, &cfg), None, "a function it does not advertise");
    }

    #[test]
    fn disconnected_is_unavailable() {
        let mut t = NeighborTable::new(NeighborConfig::default());
        let p = PeerId::random();
        let now = Instant::now();
        t.set_connected(p, true);
        t.record_state(p, state(p, 1), now);
        assert_eq!(t.available(now).count(), 1);
        t.set_connected(p, false);
        assert!(!t.is_available(&p, now));
        assert_eq!(t.available(now).count(), 0);
        t.set_connected(p, true);
        assert!(t.is_available(&p, now));
        t.set_connected(p, false);
        t.prune(now + Duration::from_secs(60), Duration::from_secs(30));
        assert!(t.is_empty());
    }

    #[test]
    fn older_states_are_ignored_and_lookup_by_node() {
        let mut t = NeighborTable::new(NeighborConfig::default());
        let p = PeerId::random();
        let now = Instant::now();
        let five = state(p, 5);
        let mut four = state(p, 4);
        four.timestamp_ms = five.timestamp_ms - 1000;
        assert!(t.record_state(p, five.clone(), now));
        assert!(!t.record_state(p, four.clone(), now + Duration::from_millis(10)));
        four.timestamp_ms = five.timestamp_ms;
        assert!(!t.record_state(p, four, now + Duration::from_millis(10)), "same time, lower slot");
        assert_eq!(t.get(&p).unwrap().state.as_ref().unwrap().slot, 5);
        assert_eq!(t.get(&p).unwrap().received_at, Some(now));
        assert_eq!(t.by_node("node-2").unwrap().peer_id, p);
        assert!(t.by_node("node-9").is_none());
    }

    /// An insider with its own key that calls itself `node-2` is named an
    /// impostor, and lookups by name go to the real node-2's key whatever
    /// the insider recorded.
    #[test]
    fn a_bound_table_speaks_for_a_member_only_through_its_key() {
        let mut t = NeighborTable::new(NeighborConfig::default());
        let (real, insider) = (PeerId::random(), PeerId::random());
        t.bind_members(HashMap::from([("node-2".to_string(), real)]));
        let now = Instant::now();
        let forged = state(insider, 9);
        assert_eq!(t.impostor(&insider, &forged), Some(real));
        assert_eq!(t.impostor(&real, &state(real, 9)), None);
        let mut other = state(insider, 9);
        other.node = "node-7".into();
        assert_eq!(t.impostor(&insider, &other), None, "not on the roster: not ours to judge");
        // Even if a forged state got into the table, by_node ignores it.
        t.set_connected(insider, true);
        t.record_state(insider, forged, now);
        assert!(t.by_node("node-2").is_none(), "the real node-2 was not heard yet");
        t.set_connected(real, true);
        t.record_state(real, state(real, 3), now);
        assert_eq!(t.by_node("node-2").unwrap().peer_id, real);
    }

    #[test]
    fn restarted_author_is_heard_although_its_slots_start_again() {
        let mut t = NeighborTable::new(NeighborConfig::default());
        let p = PeerId::random();
        let now = Instant::now();
        let before = state(p, 300);
        let mut after = state(p, 1);
        after.timestamp_ms = before.timestamp_ms + 2000;
        assert!(t.record_state(p, before, now));
        assert!(t.record_state(p, after, now + Duration::from_secs(2)), "newer timestamp, slot restarted");
        assert_eq!(t.get(&p).unwrap().state.as_ref().unwrap().slot, 1);
    }
}
