//! The gateway's shared state and its Rust API (weights in, slot outcomes out).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dfaas_env::SlotOutcome;

use crate::admission::Admission;
use crate::backends::Backend;
use crate::client::{self, HttpClient};
use crate::config::NodeConfig;
use crate::counters::{CountsSnapshot, FunctionCounters, NodeCounters};
use crate::keys::{NodeKey, decode_public_key};
use crate::swrr::Picker;
use crate::weights::{Weights, WeightsError};

/// A peer gateway.
#[derive(Debug, Clone)]
pub struct Peer {
    /// Its node id.
    pub id: String,
    /// Its gateway's address.
    pub address: crate::peer_address::PeerAddress,
}

/// A function's slot outcome with its admission queue's length now.
fn slot_of(f: &Arc<Function>) -> SlotOutcome {
    let mut o = f.counters.take_slot();
    o.queue_len = Some(f.admission.occupied().saturating_sub(f.admission.running()));
    o
}

/// One served function.
#[derive(Debug)]
pub struct Function {
    /// Its name.
    pub name: String,
    /// `process`, `openfaas` or `synthetic`.
    pub kind: &'static str,
    /// What runs it.
    pub backend: Backend,
    /// Local admission.
    pub admission: Arc<Admission>,
    /// Target choice.
    pub picker: Picker,
    /// Counters.
    pub counters: FunctionCounters,
    /// How long a forward of this function waits for the peer's answer:
    /// `min(timeouts.forward_s, longest run + forwarding.timeout_margin_s)`.
    pub forward_timeout: Duration,
}

/// The data plane of one node. Shared by the server tasks and the agent.
#[derive(Debug)]
pub struct Gateway {
    pub(crate) node_id: String,
    pub(crate) key: NodeKey,
    pub(crate) peers: Vec<Peer>,
    /// In-flight cap and breaker of each peer, in peer order.
    pub(crate) guards: Vec<Arc<crate::peer_guard::PeerGuard>>,
    pub(crate) functions: Vec<Arc<Function>>,
    by_name: HashMap<String, usize>,
    pub(crate) verifier: crate::auth::Verifier,
    pub(crate) scheme: crate::auth::Scheme,
    pub(crate) client: HttpClient,
    pub(crate) max_body: u64,
    pub(crate) request_timeout: Duration,
    pub(crate) header_read_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) drain_notice: Duration,
    pub(crate) max_connections: usize,
    pub(crate) forwarding_cap: usize,
    pub(crate) conn_stats: Arc<crate::serve::ConnStats>,
    pub(crate) control_token: String,
    /// The port the gateway listens on (for the control endpoint's Host check).
    pub(crate) listen_port: u16,
    pub(crate) node_counters: NodeCounters,
    pub(crate) shutting_down: AtomicBool,
    /// The budget the node's synthetic functions share (`budget_units`).
    pub(crate) budget: Option<Arc<crate::budget::NodeBudget>>,
}

impl Gateway {
    /// Builds the gateway from a validated config and the node key.
    pub fn new(config: &NodeConfig, key: NodeKey) -> Result<Gateway, crate::config::ConfigError> {
        config.validate()?;
        let peers: Vec<Peer> =
            config.members.iter().map(|m| Peer { id: m.id.clone(), address: m.address.clone() }).collect();
        let peer_ids = config.peer_ids();
        let mut members = HashMap::new();
        for m in &config.members {
            // validate() checked every key.
            if let Some(k) = decode_public_key(&m.public_key) {
                members.insert(m.id.clone(), k);
            }
        }
        let client = client::build(crate::config::secs(config.timeouts.connect_s));
        let mut functions = Vec::new();
        let mut by_name = HashMap::new();
        // One budget for the node, shared by every synthetic function.
        let queue = std::time::Duration::from_secs_f64(config.budget_queue_s);
        let budget = config.budget_units.map(|u| crate::budget::NodeBudget::with_queue(u, queue));
        for f in &config.functions {
            let vector = f.weights.to_vector(&peer_ids).map_err(|e| crate::config::ConfigError::Invalid {
                file: config.source.clone(),
                field: format!("functions.{}.weights", f.name),
                value: format!("{:?}", f.weights),
                reason: e.to_string(),
            })?;
            by_name.insert(f.name.clone(), functions.len());
            functions.push(Arc::new(Function {
                name: f.name.clone(),
                kind: f.backend.kind(),
                backend: Backend::new(&f.backend, &client, budget.as_ref()),
                admission: Admission::new(&f.admission),
                picker: Picker::new(f.weights.clone(), vector),
                counters: FunctionCounters::new(peers.len()),
                forward_timeout: crate::config::secs(
                    config.timeouts.forward_s.min(f.backend.max_duration_s() + config.forwarding.timeout_margin_s),
                ),
            }));
        }
        Ok(Gateway {
            node_id: config.node_id.clone(),
            verifier: crate::auth::Verifier::new(
                config.node_id.clone(),
                key.signing(),
                members,
                config.auth.freshness_window_s,
            ),
            scheme: config.auth.scheme,
            key,
            guards: peers.iter().map(|_| crate::peer_guard::PeerGuard::new(&config.forwarding)).collect(),
            peers,
            functions,
            by_name,
            client,
            max_body: config.max_body_bytes,
            request_timeout: crate::config::secs(config.timeouts.request_s),
            header_read_timeout: crate::config::secs(config.timeouts.header_read_s),
            write_timeout: crate::config::secs(config.timeouts.write_s),
            drain_notice: crate::config::secs(config.timeouts.drain_notice_s),
            max_connections: config.max_connections as usize,
            forwarding_cap: config.forwarding.max_in_flight_per_peer as usize,
            conn_stats: Arc::default(),
            // Set by `serve_on` from the token file; empty matches nothing.
            control_token: String::new(),
            listen_port: 0,
            node_counters: NodeCounters::default(),
            shutting_down: AtomicBool::new(false),
            budget,
        })
    }

    /// This node's id.
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// This node's member key. The agent derives its overlay identity from it,
    /// so one key speaks for the member in forwards and in gossip.
    pub fn node_key(&self) -> &NodeKey {
        &self.key
    }

    /// The bearer token of the node's control endpoints (the gateway's
    /// `/control/weights` and the agent's control API).
    pub fn control_token(&self) -> &str {
        &self.control_token
    }

    /// This node's public key, base64 (what peers put in `members[].public_key`).
    pub fn public_key_b64(&self) -> String {
        self.key.public_b64()
    }

    /// Peer ids in configured order (the order of weights vectors and
    /// `SlotOutcome::forwarded`).
    pub fn peer_ids(&self) -> Vec<String> {
        self.peers.iter().map(|p| p.id.clone()).collect()
    }

    /// Function names in configured order.
    pub fn function_names(&self) -> Vec<String> {
        self.functions.iter().map(|f| f.name.clone()).collect()
    }

    pub(crate) fn function(&self, name: &str) -> Option<&Arc<Function>> {
        self.by_name.get(name).and_then(|i| self.functions.get(*i))
    }

    /// Replaces a function's weights atomically. Requests already routed
    /// finish where they were sent; later ones follow the new weights.
    pub fn set_weights(&self, function: &str, weights: Weights) -> Result<(), WeightsError> {
        let f = self.function(function).ok_or_else(|| WeightsError::UnknownFunction(function.to_string()))?;
        let vector = weights.to_vector(&self.peer_ids())?;
        f.picker.set(weights, vector);
        Ok(())
    }

    /// A function's weights now in force.
    pub fn weights(&self, function: &str) -> Option<Weights> {
        self.function(function).map(|f| f.picker.current().weights.clone())
    }

    /// The outcome of the slot that just ended for one function; its
    /// counters restart from zero. See [`FunctionCounters::take_slot`];
    /// `queue_len` is the number of requests waiting in the admission queue now.
    pub fn take_slot(&self, function: &str) -> Option<SlotOutcome> {
        self.function(function).map(slot_of)
    }

    /// [`Gateway::take_slot`] for every function, in configured order.
    pub fn take_slots(&self) -> Vec<(String, SlotOutcome)> {
        self.functions.iter().map(|f| (f.name.clone(), slot_of(f))).collect()
    }

    /// Cumulative counters of a function (as in `/metrics`).
    pub fn totals(&self, function: &str) -> Option<CountsSnapshot> {
        self.function(function).map(|f| f.counters.totals())
    }

    /// Forwarded requests refused for this reason so far.
    pub fn auth_rejects(&self, why: crate::auth::AuthFailure) -> u64 {
        self.node_counters.auth_rejects[why as usize].load(Ordering::Relaxed)
    }

    /// Whether at least one function can accept work now.
    pub fn is_ready(&self) -> bool {
        !self.shutting_down.load(Ordering::Relaxed)
            && self.functions.iter().any(|f| f.backend.healthy() && f.admission.has_room())
    }
}
