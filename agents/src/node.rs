//! One DFaaS node: the runtime (data plane), the overlay, the slot loop and
//! the control API, started by [`run_agent`] and stopped by
//! [`AgentHandle::shutdown`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use dfaas_policies::{NodeContext, Policy};
use dfaas_runtime::{Gateway, GatewayHandle};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{AgentConfig, Clock, PolicyChoice};
use crate::control::ManagedView;
use crate::control::{ControlContext, ControlServer};
use crate::identity::NodeIdentity;
use crate::neighbors::NeighborConfig;
use crate::overlay::{Overlay, OverlayConfig, OverlayHandle};
use crate::slot_loop::{FunctionParams, Shared, SlotLoop, SlotLoopParams};
use dfaas_env::functions::{FunctionCost, NodeShare};

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("runtime: {0}")]
    Runtime(#[from] dfaas_runtime::RuntimeError),
    #[error("overlay: {0}")]
    Overlay(#[from] crate::overlay::OverlayError),
    #[error("policy: {0}")]
    Policy(#[from] dfaas_policies::PolicyError),
    #[error("control API on {addr}: {source}")]
    Control {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the runtime has no function `{0}`")]
    NoFunction(String),
}

/// A running node.
pub struct AgentHandle {
    runtime: GatewayHandle,
    overlay: OverlayHandle,
    control: ControlServer,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts a node; the runtime binds `config.runtime.listen`.
pub async fn run_agent(config: AgentConfig) -> Result<AgentHandle, AgentError> {
    let runtime = dfaas_runtime::serve(config.runtime.clone()).await?;
    start_with(config, runtime).await
}

/// Starts a node whose runtime serves on a listener bound by the caller.
pub async fn run_agent_on(config: AgentConfig, runtime_listener: TcpListener) -> Result<AgentHandle, AgentError> {
    let runtime = dfaas_runtime::serve_on(config.runtime.clone(), runtime_listener).await?;
    start_with(config, runtime).await
}

/// Builds the configured policy for node `name` with `peers` in action order.
pub fn build_policy(
    choice: &PolicyChoice,
    name: &str,
    peers: &[String],
    node_index: usize,
    seed: u64,
    period_slots: Option<u32>,
) -> Result<Box<dyn Policy>, dfaas_policies::PolicyError> {
    match choice {
        PolicyChoice::Heuristic(spec) => dfaas_policies::build(spec, node_index, seed),
        PolicyChoice::Model(path) => dfaas_policies::load_learned(
            path,
            &NodeContext { name: name.into(), neighbors: peers.to_vec(), period_slots },
        ),
    }
}

async fn start_with(config: AgentConfig, runtime: GatewayHandle) -> Result<AgentHandle, AgentError> {
    match start_rest(&config, &runtime).await {
        Ok(parts) => Ok(parts.into_handle(runtime)),
        Err(e) => {
            runtime.shutdown().await;
            Err(e)
        }
    }
}

struct Parts {
    overlay: OverlayHandle,
    control: ControlServer,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Parts {
    fn into_handle(self, runtime: GatewayHandle) -> AgentHandle {
        AgentHandle {
            runtime,
            overlay: self.overlay,
            control: self.control,
            shared: self.shared,
            stop: self.stop,
            tasks: self.tasks,
        }
    }
}

async fn start_rest(config: &AgentConfig, runtime: &GatewayHandle) -> Result<Parts, AgentError> {
    let gateway: Arc<Gateway> = runtime.gateway();
    let names = gateway.function_names();
    if let Some(missing) =
        std::iter::once(&config.function).chain(config.functions.iter().map(|f| &f.name)).find(|f| !names.contains(f))
    {
        return Err(AgentError::NoFunction(missing.clone()));
    }
    let peers = gateway.peer_ids();
    let mut all: Vec<&str> = peers.iter().map(String::as_str).chain([gateway.node_id()]).collect();
    all.sort_unstable();
    let node_index = config.node_index.unwrap_or_else(|| all.iter().position(|x| *x == gateway.node_id()).unwrap_or(0));
    let views = managed_views(config, gateway.node_id(), &peers, node_index)?;
    let shareds: Vec<Arc<Shared>> = views.iter().map(|v| Arc::clone(&v.shared)).collect();

    let slot = Duration::from_secs_f64(config.slot_seconds.max(0.001));
    let neighbor_config = NeighborConfig { slot, stale_after_slots: config.overlay.stale_after_slots.max(1) };
    let oc = overlay_config(config, &gateway, neighbor_config);
    let (overlay, mut events) = Overlay::start(oc).await?;

    let mut tasks = Vec::new();
    // The overlay keeps the neighbour table itself; drain its events.
    tasks.push(tokio::spawn(async move { while events.recv().await.is_some() {} }));

    let shared = Arc::clone(&shareds[0]);
    let (stop, stopped) = watch::channel(false);
    let mut slot_loop = SlotLoop::new(
        Arc::clone(&gateway),
        Some(overlay.clone()),
        Arc::clone(&shared),
        SlotLoopParams {
            function: config.function.clone(),
            capacity_rps: config.capacity_rps,
            slot_seconds: config.slot_seconds,
            stale_after_slots: config.overlay.stale_after_slots,
            predictor: config.predictor.build(),
            http_addr: runtime.local_addr().to_string(),
            node_index: Some(node_index),
        },
    );
    if let Some(share) = node_share(config) {
        let first = config.functions.first().map(|f| (f.node_index, f.peers.clone())).unwrap_or((None, None));
        let more = config.functions[1..]
            .iter()
            .zip(&shareds[1..])
            .map(|(f, s)| FunctionParams {
                function: f.name.clone(),
                shared: Arc::clone(s),
                predictor: config.predictor.build(),
                agent_index: f.node_index,
                peers: f.peers.clone(),
            })
            .collect();
        slot_loop = slot_loop.with_functions(share, first, more);
    }
    // Timer clock: the loop runs on its own task. External clock: the
    // control API's `POST /tick` runs one iteration at a time.
    let (timed, ticker) = match config.clock {
        Clock::Timer => (Some(slot_loop), None),
        Clock::External => (None, Some(Arc::new(tokio::sync::Mutex::new(slot_loop)))),
    };
    let ctx = Arc::new(ControlContext {
        functions: views,
        gateway,
        overlay: Some(overlay.clone()),
        neighbor_config,
        seed: config.seed,
        period_slots: config.period_slots,
        models_dir: config.models_dir.clone(),
        ticker,
    });
    let control = match ControlServer::start(config.control_listen, ctx).await {
        Ok(c) => c,
        Err(source) => {
            overlay.shutdown().await;
            return Err(AgentError::Control { addr: config.control_listen, source });
        }
    };
    if let Some(slot_loop) = timed {
        tasks.push(tokio::spawn(slot_loop.run(stopped)));
    }
    Ok(Parts { overlay, control, shared, stop, tasks })
}

/// Each managed function with its own policy, as its control routes see
/// it: the node itself for one function, node-function agents
/// (`node/function`, peers `peer/function`) for several.
fn managed_views(
    config: &AgentConfig,
    node: &str,
    peers: &[String],
    node_index: usize,
) -> Result<Vec<ManagedView>, AgentError> {
    let view = |function: &str, agent: String, agent_index: usize, mine: Vec<String>, peer_agents: Vec<String>| {
        let p = build_policy(&config.policy, &agent, &peer_agents, agent_index, config.seed, config.period_slots)?;
        Ok::<_, AgentError>(ManagedView {
            function: function.to_string(),
            shared: Shared::new(p),
            agent,
            agent_index,
            peers: mine,
            peer_agents,
        })
    };
    if config.functions.is_empty() {
        return Ok(vec![view(&config.function, node.to_string(), node_index, peers.to_vec(), peers.to_vec())?]);
    }
    config
        .functions
        .iter()
        .map(|f| {
            let mine: Vec<String> = match &f.peers {
                Some(p) => peers.iter().filter(|m| p.contains(m)).cloned().collect(),
                None => peers.to_vec(),
            };
            let agents = mine.iter().map(|p| format!("{p}/{}", f.name)).collect();
            view(&f.name, format!("{node}/{}", f.name), f.node_index.unwrap_or(node_index), mine, agents)
        })
        .collect()
}

/// The node's budget shared by its functions, as the simulator's `budget`
/// model shares it (`None` for one function with a fixed capacity).
fn node_share(config: &AgentConfig) -> Option<NodeShare> {
    let units = config.runtime.budget_units?;
    if config.functions.is_empty() {
        return None;
    }
    let costs = config.functions.iter().map(|f| FunctionCost {
        cost_units: f.cost_units,
        service_time_s: f.service_time_s,
        share: f.share,
        max_concurrency: f.max_concurrency,
        cold: f.cold,
    });
    // Capacities only: the runtime's budget queue does the waiting.
    Some(NodeShare::of_functions(units, config.slot_seconds, 0.0, costs))
}

/// The overlay's settings: the runtime's key and members, the config's
/// listen/bootstrap/PSK/allow-list/mDNS, gossip and redial paced by the slot.
fn overlay_config(config: &AgentConfig, gateway: &Gateway, neighbors: NeighborConfig) -> OverlayConfig {
    // One key per member: the overlay speaks with the runtime's key, and a
    // state naming a member is accepted only from the peer its key derives.
    let identity = NodeIdentity::from_member_key(gateway.node_key());
    let mut members = HashMap::from([(gateway.node_id().to_string(), identity.peer_id)]);
    for m in &config.runtime.members {
        // The runtime config validated every key.
        if let Some(peer) = dfaas_runtime::keys::decode_public_key(&m.public_key)
            .and_then(|k| crate::identity::member_peer_id(k.as_bytes()))
        {
            members.insert(m.id.clone(), peer);
        }
    }
    let slot = neighbors.slot;
    let mut oc = OverlayConfig::new(identity);
    oc.listen = vec![config.overlay.listen.clone()];
    oc.bootstrap = config.overlay.bootstrap.clone();
    oc.psk = config.overlay.psk;
    oc.allow_list = config.overlay.allow.as_ref().map(|a| a.iter().copied().collect());
    oc.members = members;
    oc.mdns = config.overlay.mdns;
    oc.neighbors = neighbors;
    oc.gossip_heartbeat = oc.gossip_heartbeat.min(slot / 2).max(Duration::from_millis(50));
    oc.redial_interval = oc.redial_interval.min(slot).max(Duration::from_millis(100));
    oc
}

impl AgentHandle {
    /// The runtime's HTTP address (users and peers call it).
    pub fn runtime_addr(&self) -> SocketAddr {
        self.runtime.local_addr()
    }

    pub fn control_addr(&self) -> SocketAddr {
        self.control.local_addr()
    }

    /// A client of this agent's control API, with the node's token.
    pub fn control_client(&self, timeout: Duration) -> crate::ControlClient {
        crate::ControlClient::new(self.control_addr(), timeout).with_token(self.runtime.control_token())
    }

    /// The node's control token (for raw HTTP calls: `Authorization: Bearer …`).
    pub fn control_token(&self) -> String {
        self.runtime.control_token().to_string()
    }

    pub fn gateway(&self) -> Arc<Gateway> {
        self.runtime.gateway()
    }

    pub fn overlay(&self) -> &OverlayHandle {
        &self.overlay
    }

    /// The state shared by the slot loop and the control API.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Stops the loop, the control API, the overlay and the runtime.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            t.abort();
            let _ = t.await;
        }
        self.control.shutdown().await;
        self.overlay.shutdown().await;
        self.runtime.shutdown().await;
    }
}
