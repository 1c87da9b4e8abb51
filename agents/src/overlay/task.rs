//! The swarm task: owns the libp2p `Swarm` and reacts to its events and to commands.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance};
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{DialError, ListenError, SwarmEvent};
use libp2p::{Multiaddr, PeerId, Swarm, identify, kad, ping};
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval};
use tracing::{debug, info, warn};

use super::behaviour::{Behaviour, BehaviourEvent, KAD_PROTOCOL};
use super::{
    Command, Counters, OverlayConfig, OverlayError, OverlayEvent, OverlayHandle, OverlayState, PeerInfo, lock,
};
use crate::messages::{DecodeError, NodeState};
use crate::neighbors::NeighborTable;

struct Task {
    swarm: Swarm<Behaviour>,
    shared: Arc<OverlayState>,
    events: mpsc::Sender<OverlayEvent>,
    topic: IdentTopic,
    bootstrap: Vec<(PeerId, Multiaddr)>,
    allow_list: Option<HashSet<PeerId>>,
    max_peers: usize,
    /// One warning per source and window for denied connections and dropped gossip.
    warnings: super::log_limit::LogLimiter,
    /// Neighbours disconnected and silent this long are forgotten.
    forget_after: Duration,
}

/// How often a repeated warning from one source is logged.
const WARN_EVERY: Duration = Duration::from_secs(30);

pub(crate) async fn start(
    config: OverlayConfig,
) -> Result<(OverlayHandle, mpsc::Receiver<OverlayEvent>), OverlayError> {
    let keypair = config.identity.keypair.clone();
    let peer_id = config.identity.peer_id;
    let bootstrap = config.bootstrap_peers().map_err(OverlayError::Config)?;
    if config.listen.is_empty() {
        return Err(OverlayError::Config("no listen address".into()));
    }
    let shared = Arc::new(OverlayState {
        peer_id,
        counters: Arc::new(Counters::default()),
        peers: Mutex::new(HashMap::new()),
        listen_addrs: Mutex::new(Vec::new()),
        neighbors: Mutex::new({
            let mut table = NeighborTable::new(config.neighbors);
            table.bind_members(config.members.clone());
            table
        }),
        events_lost: Default::default(),
    });

    let transport =
        super::transport::build(&keypair, config.psk, Arc::clone(&shared.counters)).map_err(OverlayError::Transport)?;
    let behaviour = Behaviour::new(&keypair, &config).map_err(OverlayError::Config)?;
    let swarm_config =
        libp2p::swarm::Config::with_tokio_executor().with_idle_connection_timeout(config.idle_connection_timeout);
    let mut swarm = Swarm::new(transport, behaviour, peer_id, swarm_config);

    let topic = IdentTopic::new(config.topic.clone());
    swarm
        .behaviour_mut()
        .gossipsub
        .subscribe(&topic)
        .map_err(|e| OverlayError::Config(format!("subscribe {}: {e}", config.topic)))?;
    let mut listeners = Vec::new();
    for addr in &config.listen {
        let id = swarm
            .listen_on(addr.clone())
            .map_err(|e| OverlayError::Listen { addr: addr.clone(), reason: e.to_string() })?;
        listeners.push((id, addr.clone()));
    }

    let (events, rx) = mpsc::channel(config.event_buffer.max(1));
    let (commands, command_rx) = mpsc::channel(64);
    let mut task = Task {
        swarm,
        shared: Arc::clone(&shared),
        events,
        topic,
        bootstrap,
        allow_list: config.allow_list.clone(),
        max_peers: config.max_peers,
        warnings: super::log_limit::LogLimiter::new(WARN_EVERY),
        forget_after: config.neighbors.max_age().saturating_mul(10).max(Duration::from_secs(60)),
    };

    task.await_listeners(listeners).await?;

    for (peer, addr) in task.bootstrap.clone() {
        task.swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
        task.dial(peer, Some(addr));
    }
    info!(%peer_id, addrs = ?lock(&shared.listen_addrs), "overlay started");

    let join = tokio::spawn(task.run(command_rx, config.redial_interval));
    let handle = OverlayHandle { shared, commands, task: Arc::new(tokio::sync::Mutex::new(Some(join))) };
    Ok((handle, rx))
}

impl Task {
    /// Waits until every listener reports an address (port 0 resolved), or
    /// fails naming the address that could not be listened on.
    async fn await_listeners(
        &mut self,
        mut listeners: Vec<(libp2p::core::transport::ListenerId, Multiaddr)>,
    ) -> Result<(), OverlayError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while let Some((_, first)) = listeners.first().cloned() {
            let Ok(event) = tokio::time::timeout_at(deadline, self.swarm.select_next_some()).await else {
                return Err(OverlayError::Listen { addr: first, reason: "no listen address after 5 s".into() });
            };
            match &event {
                SwarmEvent::NewListenAddr { listener_id, .. } => listeners.retain(|(l, _)| l != listener_id),
                SwarmEvent::ListenerClosed { listener_id, reason: Err(e), .. }
                | SwarmEvent::ListenerError { listener_id, error: e } => {
                    let addr = listeners.iter().find(|(l, _)| l == listener_id).map_or(first, |(_, a)| a.clone());
                    return Err(OverlayError::Listen { addr, reason: e.to_string() });
                }
                _ => {}
            }
            self.on_swarm_event(event);
        }
        Ok(())
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>, redial: Duration) {
        let mut redial = interval(redial.max(Duration::from_millis(50)));
        redial.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = commands.recv() => match command {
                    Some(Command::Shutdown) | None => break,
                    Some(command) => self.on_command(command),
                },
                _ = redial.tick() => {
                    self.redial_bootstrap();
                    lock(&self.shared.neighbors).prune(Instant::now(), self.forget_after);
                }
            }
        }
        info!(peer_id = %self.shared.peer_id, "overlay stopped");
        lock(&self.shared.peers).clear();
        let mut table = lock(&self.shared.neighbors);
        let peers: Vec<PeerId> = table.iter().map(|n| n.peer_id).collect();
        for p in peers {
            table.set_connected(p, false);
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { data, reply } => {
                let len = data.len();
                let result = match self.swarm.behaviour_mut().gossipsub.publish(self.topic.clone(), data) {
                    Ok(_) => {
                        Counters::add(&self.shared.counters.published, 1);
                        Counters::add(&self.shared.counters.published_bytes, len as u64);
                        Ok(len)
                    }
                    Err(e) => {
                        Counters::add(&self.shared.counters.publish_failed, 1);
                        Err(match e {
                            gossipsub::PublishError::NoPeersSubscribedToTopic => OverlayError::NoPeers,
                            e => OverlayError::Publish(e.to_string()),
                        })
                    }
                };
                let _ = reply.send(result);
            }
            Command::Dial { addr, reply } => {
                let result = self.swarm.dial(addr).map_err(|e| OverlayError::Dial(e.to_string()));
                let _ = reply.send(result);
            }
            Command::Shutdown => {}
        }
    }

    /// Dials a peer unless already connected or dialling.
    fn dial(&mut self, peer: PeerId, addr: Option<Multiaddr>) {
        let opts = DialOpts::peer_id(peer).condition(PeerCondition::DisconnectedAndNotDialing);
        let opts = match addr {
            Some(addr) => opts.addresses(vec![addr]).build(),
            None => opts.build(),
        };
        if let Err(e) = self.swarm.dial(opts) {
            debug!(%peer, "dial not started: {e}");
        }
    }

    fn redial_bootstrap(&mut self) {
        for (peer, addr) in self.bootstrap.clone() {
            if !self.swarm.is_connected(&peer) {
                self.dial(peer, Some(addr));
            }
        }
    }

    fn allowed(&self, peer: &PeerId) -> bool {
        self.allow_list.as_ref().is_none_or(|l| l.contains(peer))
    }

    fn emit(&self, event: OverlayEvent) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.events.try_send(event) {
            self.shared.events_lost.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn touch(&self, peer: &PeerId, f: impl FnOnce(&mut PeerInfo)) {
        if let Some(info) = lock(&self.shared.peers).get_mut(peer) {
            info.last_seen = Instant::now();
            f(info);
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            SwarmEvent::NewListenAddr { address, .. } => {
                lock(&self.shared.listen_addrs).push(address.clone());
                self.emit(OverlayEvent::Listening(address));
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                lock(&self.shared.listen_addrs).retain(|a| *a != address);
            }
            SwarmEvent::ConnectionEstablished { peer_id, endpoint, num_established, .. }
                if num_established.get() == 1 =>
            {
                let now = Instant::now();
                let info = PeerInfo {
                    peer_id,
                    address: endpoint.get_remote_address().clone(),
                    connected_since: now,
                    last_seen: now,
                    rtt: None,
                    agent_version: None,
                    score: None,
                };
                lock(&self.shared.peers).insert(peer_id, info);
                lock(&self.shared.neighbors).set_connected(peer_id, true);
                debug!(%peer_id, "connected");
                self.emit(OverlayEvent::Connected(peer_id));
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, cause, .. } => {
                lock(&self.shared.peers).remove(&peer_id);
                lock(&self.shared.neighbors).set_connected(peer_id, false);
                debug!(%peer_id, ?cause, "disconnected");
                self.emit(OverlayEvent::Disconnected(peer_id));
            }
            SwarmEvent::IncomingConnectionError { error: ListenError::Denied { cause }, send_back_addr, .. } => {
                Counters::add(&self.shared.counters.connections_denied, 1);
                let ip = send_back_addr.iter().next().map(|p| p.to_string()).unwrap_or_default();
                if let Some(quiet) = self.warnings.allow(&format!("denied {ip}"), Instant::now()) {
                    warn!(%send_back_addr, suppressed = quiet, "incoming connection refused: {cause}");
                }
            }
            SwarmEvent::OutgoingConnectionError { error: DialError::Denied { cause }, peer_id, .. } => {
                Counters::add(&self.shared.counters.connections_denied, 1);
                debug!(?peer_id, "outgoing connection refused: {cause}");
            }
            SwarmEvent::OutgoingConnectionError { error, peer_id, .. } => {
                debug!(?peer_id, "dial failed: {error}");
            }
            SwarmEvent::IncomingConnectionError { error, send_back_addr, .. } => {
                Counters::add(&self.shared.counters.handshake_failed, 1);
                debug!(%send_back_addr, "incoming connection failed: {error}");
            }
            _ => {}
        }
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Gossipsub(gossipsub::Event::Message { propagation_source, message_id, message }) => {
                let len = message.data.len();
                let acceptance = match self.check_message(&message) {
                    Ok(state) => {
                        let from = message.source.unwrap_or(propagation_source);
                        Counters::add(&self.shared.counters.received, 1);
                        Counters::add(&self.shared.counters.received_bytes, len as u64);
                        let now = Instant::now();
                        self.touch(&from, |_| {});
                        lock(&self.shared.neighbors).record_state(from, state.clone(), now);
                        self.emit(OverlayEvent::State { from, state, received_at: now });
                        MessageAcceptance::Accept
                    }
                    Err(e) => {
                        self.shared.counters.drop_message(e.reason(), len);
                        if let Some(quiet) =
                            self.warnings.allow(&format!("gossip {propagation_source}"), Instant::now())
                        {
                            warn!(%propagation_source, source = ?message.source, suppressed = quiet, "gossip message dropped: {e}");
                        }
                        MessageAcceptance::Reject
                    }
                };
                self.swarm.behaviour_mut().gossipsub.report_message_validation_result(
                    &message_id,
                    &propagation_source,
                    acceptance,
                );
                let score = self.swarm.behaviour().gossipsub.peer_score(&propagation_source);
                self.touch(&propagation_source, |p| p.score = score);
            }
            BehaviourEvent::Gossipsub(_) => {}
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                self.touch(&peer_id, |p| p.agent_version = Some(info.agent_version.clone()));
                if info.protocols.contains(&KAD_PROTOCOL) {
                    for addr in info.listen_addrs {
                        self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                    }
                }
            }
            BehaviourEvent::Identify(_) => {}
            BehaviourEvent::Ping(ping::Event { peer, result: Ok(rtt), .. }) => {
                self.touch(&peer, |p| p.rtt = Some(rtt));
            }
            BehaviourEvent::Ping(_) => {}
            BehaviourEvent::Kad(kad::Event::RoutingUpdated { peer, .. }) => {
                let connected = self.swarm.connected_peers().count();
                if self.allowed(&peer) && !self.swarm.is_connected(&peer) && connected < self.max_peers {
                    self.dial(peer, None);
                }
            }
            BehaviourEvent::Kad(_) => {}
            BehaviourEvent::Allow(never) => match never {},
            BehaviourEvent::Mdns(event) => self.on_mdns_event(event),
        }
    }

    /// Authorises and decodes a gossip message.
    fn check_message(&self, message: &gossipsub::Message) -> Result<NodeState, DecodeError> {
        let Some(source) = message.source else {
            return Err(DecodeError::Unauthorised { claimed: String::new(), source_peer: "anonymous".into() });
        };
        if !self.allowed(&source) {
            return Err(DecodeError::Unauthorised {
                claimed: String::new(),
                source_peer: format!("{source} (not on the allow-list)"),
            });
        }
        let state = NodeState::decode(&message.data, &source)?;
        if let Some(expected) = lock(&self.shared.neighbors).impostor(&source, &state) {
            return Err(DecodeError::Impersonation {
                node: state.node,
                expected: expected.to_string(),
                source_peer: source.to_string(),
            });
        }
        Ok(state)
    }

    #[cfg(feature = "mdns")]
    fn on_mdns_event(&mut self, event: libp2p::mdns::Event) {
        if let libp2p::mdns::Event::Discovered(found) = event {
            for (peer, addr) in found {
                if self.allowed(&peer) {
                    self.swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
                    self.dial(peer, Some(addr));
                }
            }
        }
    }

    #[cfg(not(feature = "mdns"))]
    fn on_mdns_event(&mut self, event: std::convert::Infallible) {
        match event {}
    }
}
