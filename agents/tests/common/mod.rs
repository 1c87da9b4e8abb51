//! Helpers for agent tests: overlays on 127.0.0.1 only, mDNS off, fast
//! timers; a lone node's runtime config.
#![allow(dead_code)]

use std::collections::HashSet;
use std::time::Duration;

use dfaas_agent::overlay::OverlayConfig;
use dfaas_agent::{FunctionState, NeighborConfig, NodeIdentity, NodeState, Overlay, OverlayEvent, OverlayHandle};
use libp2p::pnet::PreSharedKey;
use libp2p::{Multiaddr, PeerId};
use tokio::sync::mpsc::Receiver;
use tokio::task::JoinHandle;

pub struct Node {
    pub name: String,
    pub handle: OverlayHandle,
    pub events: Receiver<OverlayEvent>,
}

pub fn config(identity: NodeIdentity) -> OverlayConfig {
    let mut c = OverlayConfig::new(identity);
    assert!(!c.mdns, "mDNS must stay off in tests");
    c.gossip_heartbeat = Duration::from_millis(100);
    c.redial_interval = Duration::from_millis(200);
    c.discovery_interval = Duration::from_millis(500);
    c.ping_interval = Duration::from_secs(1);
    c.neighbors = NeighborConfig { slot: Duration::from_millis(200), stale_after_slots: 3 };
    c
}

#[derive(Default)]
pub struct Opts {
    pub identity: Option<NodeIdentity>,
    pub bootstrap: Vec<Multiaddr>,
    pub psk: Option<PreSharedKey>,
    pub allow: Option<HashSet<PeerId>>,
    pub listen: Option<Multiaddr>,
}

pub async fn start(name: &str, opts: Opts) -> Node {
    let mut c = config(opts.identity.unwrap_or_else(NodeIdentity::ephemeral));
    c.bootstrap = opts.bootstrap;
    c.psk = opts.psk;
    c.allow_list = opts.allow;
    if let Some(l) = opts.listen {
        c.listen = vec![l];
    }
    let (handle, events) = Overlay::start(c).await.expect("overlay starts");
    Node { name: name.into(), handle, events }
}

pub fn state(name: &str, slot: u64) -> NodeState {
    let mut s = NodeState::new(name, PeerId::random(), slot, "127.0.0.1:18080");
    s.degree = 2;
    s.functions.push(FunctionState {
        name: "figlet".into(),
        spare_capacity_rps: 10.0,
        load: 0.5,
        capacity_rps: 20.0,
        overloaded: false,
        agent_index: None,
    });
    s
}

/// Publishes a fresh state every `period` until aborted.
pub fn publisher(node: &Node, period: Duration) -> JoinHandle<()> {
    let handle = node.handle.clone();
    let name = node.name.clone();
    tokio::spawn(async move {
        let mut slot = 0;
        loop {
            let _ = handle.publish(state(&name, slot)).await;
            slot += 1;
            tokio::time::sleep(period).await;
        }
    })
}

/// Publishes raw bytes, retrying while no peer has subscribed yet.
pub async fn publish_raw(handle: &OverlayHandle, data: Vec<u8>) {
    for _ in 0..100 {
        match handle.publish_raw(data.clone()).await {
            Ok(_) => return,
            Err(dfaas_agent::OverlayError::NoPeers) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("publish failed: {e}"),
        }
    }
    panic!("no peer subscribed within 5 s");
}

/// Waits (bounded) until `cond` holds, polling every 50 ms.
pub async fn eventually(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !cond() {
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Drains pending events, returning the authors of the states among them.
pub fn drain_states(node: &mut Node) -> Vec<(PeerId, NodeState)> {
    let mut out = Vec::new();
    while let Ok(ev) = node.events.try_recv() {
        if let OverlayEvent::State { from, state, .. } = ev {
            out.push((from, state));
        }
    }
    out
}

pub fn has_state_from(node: &Node, peer: &PeerId) -> bool {
    node.handle.with_neighbors(|t| t.get(peer).is_some_and(|n| n.state.is_some()))
}

/// A lone node serving `f` (one instance of 0.1 s), with a listener bound first.
pub async fn solo(dir: &std::path::Path) -> (dfaas_runtime::NodeConfig, tokio::net::TcpListener) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    dfaas_runtime::NodeKey::load_or_generate(dir.join("solo.key")).unwrap();
    let text = format!(
        "node_id = \"solo\"\nlisten = \"{}\"\nkey_file = \"solo.key\"\n\n[[functions]]\nname = \"f\"\n\
         backend = {{ kind = \"synthetic\", warm_s = 0.01, cold_s = 0.01, idle_s = 60.0, max_instances = 2 }}\n\
         admission = {{ max_concurrency = 2, queue = 8 }}\n",
        l.local_addr().unwrap()
    );
    (dfaas_runtime::NodeConfig::from_toml_str(&text, dir.join("solo.toml")).unwrap(), l)
}

/// Where a raw test request goes: a gateway (an address, no token) or an
/// agent's control API (its address and the node's control token).
pub trait Endpoint {
    fn addr(&self) -> std::net::SocketAddr;
    fn token(&self) -> Option<&str> {
        None
    }
}

impl Endpoint for std::net::SocketAddr {
    fn addr(&self) -> std::net::SocketAddr {
        *self
    }
}

/// An agent's control API with the node's token.
pub struct Ctl {
    pub addr: std::net::SocketAddr,
    pub token: String,
}

impl Ctl {
    pub fn of(agent: &dfaas_agent::AgentHandle) -> Ctl {
        Ctl { addr: agent.control_addr(), token: agent.control_token() }
    }
}

impl Endpoint for &Ctl {
    fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }
    fn token(&self) -> Option<&str> {
        Some(&self.token)
    }
}
