//! The slot loop: every slot, read the runtime's [`SlotOutcome`], predict the
//! next slot's input, gossip this node's state, build the [`NodeObservation`]
//! as the simulator does, call the policy (or an external decision) and push
//! the weights into the runtime. [`SlotLoop::tick`] is one iteration; the
//! timer in [`SlotLoop::run`] calls it (`clock = "timer"`), or the control
//! API's `POST /tick` (`clock = "external"`); tests may call it directly.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dfaas_env::contract::{Foresight, NeighborInput, NodeInput, build_observation, keep_unheard_local};
use dfaas_env::functions::NodeShare;
use dfaas_env::{Advert, Decision, NodeObservation, SlotOutcome};
use dfaas_policies::Policy;
use dfaas_runtime::{Gateway, Weights};
use serde::Serialize;

use crate::messages::{FunctionState, NodeState};
use crate::neighbors::{Neighbor, NeighborConfig};
use crate::overlay::{OverlayHandle, lock};
use crate::predict::Predictor;

/// Integer scale of the weights pushed into the runtime.
pub const WEIGHT_SCALE: u32 = 1000;
/// Slots kept in [`Shared::history`] (`GET /history`).
pub const HISTORY_SLOTS: usize = 1024;

/// One neighbour as the control API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct NeighborView {
    pub node: String,
    pub peer_id: Option<String>,
    pub connected: bool,
    pub available: bool,
    /// Seconds since its latest state; `None` if never heard.
    pub age_seconds: Option<f64>,
    pub state: Option<NodeState>,
}

/// What the control API reads and writes; shared with the loop.
pub struct Shared {
    pub policy: Mutex<Box<dyn Policy>>,
    /// Decision for the next slot only (overrides the policy once).
    pub external: Mutex<Option<Decision>>,
    pub observation: Mutex<Option<NodeObservation>>,
    pub outcome: Mutex<Option<SlotOutcome>>,
    /// Fractions `[local, peers…, reject]` last pushed.
    pub fractions: Mutex<Option<Vec<f64>>>,
    pub slot: Mutex<u64>,
    /// The latest [`HISTORY_SLOTS`] iterations, oldest first.
    pub history: Mutex<std::collections::VecDeque<TickReport>>,
    /// Iterations that failed.
    pub failures: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub fn new(policy: Box<dyn Policy>) -> Arc<Self> {
        Arc::new(Self {
            policy: Mutex::new(policy),
            external: Mutex::new(None),
            observation: Mutex::new(None),
            outcome: Mutex::new(None),
            fractions: Mutex::new(None),
            slot: Mutex::new(0),
            history: Mutex::new(std::collections::VecDeque::new()),
            failures: Default::default(),
        })
    }
}

/// Why an iteration failed (logged; the loop goes on).
#[derive(Debug, thiserror::Error)]
pub enum TickError {
    #[error("the runtime has no function `{0}`")]
    NoFunction(String),
    #[error("cannot set weights: {0}")]
    Weights(#[from] dfaas_runtime::WeightsError),
}

/// What one iteration did (the answer of `POST /tick`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TickReport {
    pub slot: u64,
    /// When the slot ended (the iteration started), ms since the Unix epoch.
    pub ended_ms: u64,
    pub outcome: SlotOutcome,
    pub observation: NodeObservation,
    pub fractions: Vec<f64>,
    /// Whether the fractions came from an external decision.
    pub external: bool,
    /// The function this report is about.
    #[serde(default)]
    pub function: String,
    /// Where the node manages several functions: the others' reports (the
    /// first function's report carries them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<TickReport>,
}

/// What a node gossips about `function` after a slot that ended with
/// `outcome`, for a capacity of `cap_slot` requests per slot: the
/// simulator's [`Advert`] rule, as rates.
pub fn function_state(function: &str, outcome: &SlotOutcome, cap_slot: f64, slot_seconds: f64) -> FunctionState {
    let a = Advert::of(outcome, cap_slot);
    let per_s = |x: f64| (x / slot_seconds.max(1e-9)).clamp(0.0, 1e9);
    FunctionState {
        name: function.to_string(),
        spare_capacity_rps: per_s(a.spare_capacity),
        load: a.load.min(1e6),
        capacity_rps: per_s(a.capacity),
        overloaded: Advert::overloaded(outcome, cap_slot),
        agent_index: None,
    }
}

/// Time from `now` to the next multiple of `slot` since the Unix epoch
/// (a whole slot when `now` is on one).
pub fn until_boundary(now: std::time::SystemTime, slot: Duration) -> Duration {
    let slot_ns = slot.as_nanos().max(1);
    let since = now.duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let wait = slot_ns - since % slot_ns;
    Duration::from_nanos(u64::try_from(wait).unwrap_or(u64::MAX))
}

/// A node's position among the sorted names of itself and its peers: the
/// agent index of a node whose config (or gossip) gives none.
pub fn sorted_index<'a>(peer_ids: &'a [String], node_id: &'a str) -> impl Fn(&str) -> usize + 'a {
    let mut all: Vec<&str> = peer_ids.iter().map(String::as_str).chain([node_id]).collect();
    all.sort_unstable();
    move |id| all.iter().position(|x| *x == id).unwrap_or(0)
}

/// The node's own side as the builder takes it: agent index `node`, slot
/// number, capacity in requests per second, the counters of the slot that
/// just ended (with the admission queue's length) and the forecast.
pub fn own_input(
    node: usize,
    slot: u64,
    slot_seconds: f64,
    capacity_rps: f64,
    prev: &SlotOutcome,
    predicted: f64,
) -> NodeInput<'_> {
    own_input_shared(node, slot, slot_seconds, capacity_rps, prev, predicted, None)
}

/// [`own_input`] of a node managing several functions: with the function's
/// view of its node ([`NodeShare::shared_node`]).
pub fn own_input_shared(
    node: usize,
    slot: u64,
    slot_seconds: f64,
    capacity_rps: f64,
    prev: &SlotOutcome,
    predicted: f64,
    shared: Option<dfaas_env::contract::SharedNode>,
) -> NodeInput<'_> {
    NodeInput {
        node,
        slot: slot.min(u64::from(u32::MAX)) as u32,
        slot_seconds,
        capacity: capacity_rps * slot_seconds,
        queue_len: prev.queue_len.unwrap_or(0),
        prev: Some(prev),
        foresight: Foresight::Predicted(predicted),
        shared,
    }
}

/// One neighbour as the builder takes it: its advert if it is available
/// (`n` is its neighbour-table entry), its agent index (gossiped, else
/// `fallback_index`) and half the overlay's round-trip time to it.
pub fn neighbor_input(
    n: Option<&Neighbor>,
    function: &str,
    now: Instant,
    cfg: &NeighborConfig,
    fallback_index: usize,
    rtt: Option<Duration>,
) -> NeighborInput {
    let state = n.and_then(|n| n.state.as_ref());
    // The function's agent index where the neighbour manages several, else its node index.
    let index = state.and_then(|s| s.function(function).and_then(|f| f.agent_index).or(s.node_index));
    NeighborInput {
        node: index.map_or(fallback_index, |i| i as usize),
        latency_s: rtt.map_or(0.0, |r| r.as_secs_f64() / 2.0),
        heard: n.and_then(|n| n.heard(function, now, cfg)),
    }
}

/// The per-node control loop over the functions it manages.
pub struct SlotLoop {
    gateway: Arc<Gateway>,
    overlay: Option<OverlayHandle>,
    node_id: String,
    /// Every member, in runtime peer order.
    peer_ids: Vec<String>,
    slot_seconds: f64,
    neighbors: NeighborConfig,
    http_addr: String,
    slot: u64,
    node_index: Option<usize>,
    functions: Vec<FunctionLoop>,
    /// Where the functions share the node's budget: their capacities each slot.
    budget: Option<NodeShare>,
}

/// One managed function's state in a [`SlotLoop`].
struct FunctionLoop {
    name: String,
    shared: Arc<Shared>,
    /// The members hosting it, in runtime peer order.
    peer_ids: Vec<String>,
    /// Its agent index where the node manages several functions.
    agent_index: Option<usize>,
    /// Fixed capacity, requests per second (one function without a budget).
    capacity_rps: f64,
    predictor: Box<dyn Predictor>,
    /// Capacity in force, requests per slot (advertised when its slot ends).
    cap_slot: f64,
}

/// Parameters of a [`SlotLoop`].
pub struct SlotLoopParams {
    pub function: String,
    pub capacity_rps: f64,
    pub slot_seconds: f64,
    pub stale_after_slots: u32,
    pub predictor: Box<dyn Predictor>,
    pub http_addr: String,
    /// The node's topology index for its observations (`None`: its position
    /// among the sorted names of itself and its peers).
    pub node_index: Option<usize>,
}

/// One more function of a several-function [`SlotLoop`] ([`SlotLoop::with_functions`]).
pub struct FunctionParams {
    pub function: String,
    pub shared: Arc<Shared>,
    pub predictor: Box<dyn Predictor>,
    /// The node-function pair's agent index.
    pub agent_index: Option<usize>,
    /// The members hosting it (`None`: every member), any order.
    pub peers: Option<Vec<String>>,
}

impl SlotLoop {
    /// A loop over `gateway` for one function; `overlay` `None` runs without
    /// neighbours (tests).
    pub fn new(gateway: Arc<Gateway>, overlay: Option<OverlayHandle>, shared: Arc<Shared>, p: SlotLoopParams) -> Self {
        let slot = Duration::from_secs_f64(p.slot_seconds.max(0.001));
        let peer_ids = gateway.peer_ids();
        let first = FunctionLoop {
            name: p.function,
            shared,
            peer_ids: peer_ids.clone(),
            agent_index: None,
            capacity_rps: p.capacity_rps,
            predictor: p.predictor,
            cap_slot: p.capacity_rps * p.slot_seconds,
        };
        Self {
            node_id: gateway.node_id().to_string(),
            peer_ids,
            gateway,
            overlay,
            slot_seconds: p.slot_seconds,
            neighbors: NeighborConfig { slot, stale_after_slots: p.stale_after_slots.max(1) },
            http_addr: p.http_addr,
            slot: 0,
            node_index: p.node_index,
            functions: vec![first],
            budget: None,
        }
    }

    /// The same loop managing several functions that share the node's
    /// budget `share` (its functions in order: the first is the one given
    /// to [`SlotLoop::new`], with `first` its agent index and peers, then
    /// `more`): each slot their capacities come from
    /// [`NodeShare::capacities`] over their forecasts, as in the simulator.
    pub fn with_functions(
        mut self,
        share: NodeShare,
        first: (Option<usize>, Option<Vec<String>>),
        more: Vec<FunctionParams>,
    ) -> Self {
        let in_peer_order = |p: Option<Vec<String>>, all: &[String]| match p {
            Some(p) => all.iter().filter(|m| p.contains(m)).cloned().collect(),
            None => all.to_vec(),
        };
        let all = self.peer_ids.clone();
        if let Some(f) = self.functions.first_mut() {
            f.agent_index = first.0;
            f.peer_ids = in_peer_order(first.1, &all);
        }
        for m in more {
            self.functions.push(FunctionLoop {
                name: m.function,
                shared: m.shared,
                peer_ids: in_peer_order(m.peers, &all),
                agent_index: m.agent_index,
                capacity_rps: 0.0,
                predictor: m.predictor,
                cap_slot: 0.0,
            });
        }
        let caps = share.capacities(&vec![0.0; self.functions.len()]);
        self.functions.iter_mut().zip(caps).for_each(|(f, c)| f.cap_slot = c);
        self.budget = Some(share);
        self
    }

    /// Runs `tick` every slot until `stop` turns true. Failures are logged.
    /// Slots end on multiples of the slot length since the Unix epoch, so
    /// the slots of nodes with synchronised clocks (NTP) coincide; the first
    /// slot is the part of one before the first such boundary.
    pub async fn run(mut self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let slot = self.neighbors.slot;
        let start = tokio::time::Instant::now() + until_boundary(std::time::SystemTime::now(), slot);
        let mut timer = tokio::time::interval_at(start, slot);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = timer.tick() => {}
                _ = stop.changed() => break,
            }
            if *stop.borrow() {
                break;
            }
            if let Err(e) = self.tick(Instant::now()).await {
                for f in &self.functions {
                    f.shared.failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                tracing::warn!(node = %self.node_id, slot = self.slot, error = %e, "slot iteration failed");
            }
        }
    }

    /// One slot: outcomes → forecasts → gossip → capacities → per function
    /// observation → decision → weights. The report is the first function's,
    /// with every other function's in `functions`.
    pub async fn tick(&mut self, now: Instant) -> Result<TickReport, TickError> {
        let ended_ms = crate::messages::now_ms();
        let mut outcomes = Vec::with_capacity(self.functions.len());
        let mut predicted = Vec::with_capacity(self.functions.len());
        for f in &mut self.functions {
            let outcome = self.gateway.take_slot(&f.name).ok_or_else(|| TickError::NoFunction(f.name.clone()))?;
            f.predictor.observe(f64::from(outcome.input));
            predicted.push(f.predictor.predict());
            outcomes.push(outcome);
        }

        if let Some(overlay) = &self.overlay {
            let mut state = NodeState::new(&self.node_id, overlay.local_peer_id(), self.slot, &self.http_addr);
            state.degree = self.peer_ids.len() as u32;
            state.node_index = self.node_index.and_then(|i| u32::try_from(i).ok());
            for (f, outcome) in self.functions.iter().zip(&outcomes) {
                let mut fs = function_state(&f.name, outcome, f.cap_slot, self.slot_seconds);
                fs.agent_index = f.agent_index.and_then(|i| u32::try_from(i).ok());
                state.functions.push(fs);
            }
            if let Err(e) = overlay.publish(state).await {
                tracing::debug!(node = %self.node_id, error = %e, "state not published");
            }
        }

        // Capacities for the coming slot.
        match &self.budget {
            Some(share) => {
                for (f, c) in self.functions.iter_mut().zip(share.capacities(&predicted)) {
                    f.cap_slot = c;
                }
            }
            None => self.functions.iter_mut().for_each(|f| f.cap_slot = f.capacity_rps * self.slot_seconds),
        }

        let mut reports = Vec::with_capacity(self.functions.len());
        for (k, outcome) in outcomes.into_iter().enumerate() {
            let view = self.budget.as_ref().map(|b| b.shared_node(&predicted, k));
            reports.push(self.decide(k, outcome, (predicted[k], view), now, ended_ms)?);
        }
        self.slot += 1;
        let mut first = reports.remove(0);
        first.functions = reports;
        Ok(first)
    }

    /// Function `k`'s observation, decision and weights for the coming slot.
    fn decide(
        &self,
        k: usize,
        outcome: SlotOutcome,
        (predicted, view): (f64, Option<dfaas_env::contract::SharedNode>),
        now: Instant,
        ended_ms: u64,
    ) -> Result<TickReport, TickError> {
        let f = &self.functions[k];
        let observation = self.observe(f, &outcome, (predicted, view), now);
        let external = lock(&f.shared.external).take();
        let (decision, is_external) = match external {
            Some(d) if d.degree() == f.peer_ids.len() => (d, true),
            other => {
                if let Some(d) = other {
                    tracing::warn!(node = %self.node_id, function = %f.name, degree = d.degree(), "external decision of the wrong degree ignored");
                }
                (lock(&f.shared.policy).decide(&observation), false)
            }
        };
        let mut fractions = decision.into_vec();
        // As in the simulator: an unheard (or no longer available) neighbour's share stays local.
        keep_unheard_local(&mut fractions, &observation);
        let weights = Weights::from_fractions(&fractions, &f.peer_ids, WEIGHT_SCALE)?;
        self.gateway.set_weights(&f.name, weights)?;

        *lock(&f.shared.observation) = Some(observation.clone());
        *lock(&f.shared.outcome) = Some(outcome.clone());
        *lock(&f.shared.fractions) = Some(fractions.clone());
        *lock(&f.shared.slot) = self.slot + 1;
        let report = TickReport {
            slot: self.slot,
            ended_ms,
            outcome,
            observation,
            fractions,
            external: is_external,
            function: f.name.clone(),
            functions: Vec::new(),
        };
        let mut history = lock(&f.shared.history);
        if history.len() == HISTORY_SLOTS {
            history.pop_front();
        }
        history.push_back(report.clone());
        Ok(report)
    }

    /// The observation of function `f` for the coming slot, from the builder the simulator uses.
    fn observe(
        &self,
        f: &FunctionLoop,
        prev: &SlotOutcome,
        (predicted, view): (f64, Option<dfaas_env::contract::SharedNode>),
        now: Instant,
    ) -> NodeObservation {
        let rtts: Vec<_> = self.overlay.as_ref().map(|ov| ov.peers()).unwrap_or_default();
        let fallback = sorted_index(&self.peer_ids, &self.node_id);
        let neighbors: Vec<NeighborInput> = f
            .peer_ids
            .iter()
            .map(|id| {
                let n = self.overlay.as_ref().and_then(|ov| ov.with_neighbors(|t| t.by_node(id).cloned()));
                let rtt = n.as_ref().and_then(|n| rtts.iter().find(|p| p.peer_id == n.peer_id)).and_then(|p| p.rtt);
                neighbor_input(n.as_ref(), &f.name, now, &self.neighbors, fallback(id), rtt)
            })
            .collect();
        let node = f.agent_index.or(self.node_index).unwrap_or_else(|| fallback(&self.node_id));
        // Slot `self.slot` just ended: the observation is for the next one.
        let cap_rps = f.cap_slot / self.slot_seconds;
        let own = own_input_shared(node, self.slot + 1, self.slot_seconds, cap_rps, prev, predicted, view);
        let mut o = NodeObservation::default();
        build_observation(&own, neighbors.into_iter(), &mut o);
        o
    }

    /// The neighbours in runtime peer order, for the control API.
    pub fn neighbor_views(
        overlay: Option<&OverlayHandle>,
        peer_ids: &[String],
        cfg: &NeighborConfig,
    ) -> Vec<NeighborView> {
        let now = Instant::now();
        peer_ids
            .iter()
            .map(|id| {
                let n = overlay.and_then(|ov| ov.with_neighbors(|t| t.by_node(id).cloned()));
                NeighborView {
                    node: id.clone(),
                    peer_id: n.as_ref().map(|n| n.peer_id.to_string()),
                    connected: n.as_ref().is_some_and(|n| n.connected),
                    available: n.as_ref().is_some_and(|n| n.is_available(now, cfg)),
                    age_seconds: n.as_ref().and_then(|n| n.age(now)).map(|a| a.as_secs_f64()),
                    state: n.and_then(|n| n.state),
                }
            })
            .collect()
    }

    pub fn neighbor_config(&self) -> NeighborConfig {
        self.neighbors
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use dfaas_env::contract::build_observation;
    use dfaas_env::encoding::{Encoder, Encoding};
    use dfaas_env::scenario::InputView;
    use dfaas_env::{Decision, NodeObservation, Scenario, Simulator};
    use libp2p::PeerId;

    use super::{function_state, neighbor_input, own_input, own_input_shared};
    use crate::messages::NodeState;
    use crate::neighbors::{NeighborConfig, NeighborTable};

    #[test]
    fn boundaries_are_multiples_of_the_slot_since_the_epoch() {
        let at = |ms: u64| std::time::UNIX_EPOCH + Duration::from_millis(ms);
        let slot = Duration::from_millis(500);
        assert_eq!(super::until_boundary(at(1_000_200), slot), Duration::from_millis(300));
        assert_eq!(super::until_boundary(at(1_000_000), slot), slot);
        assert_eq!(super::until_boundary(at(7_999), Duration::from_secs(1)), Duration::from_millis(1));
    }

    /// The simulator and the agent's path — counters of the slot that just
    /// ended, its own predictor, gossiped states read back from the neighbour
    /// table — give the same observation and the same encoded vector, for
    /// every node and slot.
    #[test]
    fn agent_and_simulator_observe_alike() {
        for name in ["capacity-5", "dfaas-cloudnet21", "marl-master-5", "marl-paper-5"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../experiments/scenarios/{name}.toml"));
            let mut s = Scenario::load(path).unwrap();
            s.observation.input = InputView::Predicted;
            parity(Simulator::new(&s).unwrap());
        }
    }

    fn parity(mut sim: Simulator) {
        sim.reset_episode(Some(4));
        let topo = sim.topology().clone();
        let n = topo.len();
        let slot = sim.slot_seconds();
        let cfg = NeighborConfig { slot: Duration::from_secs_f64(slot), stale_after_slots: 3 };
        let spec = sim.predictor().expect("a predicting scenario");
        let mut predictors: Vec<_> = (0..n).map(|_| spec.build()).collect();
        let max_degree = (0..n).map(|i| topo.degree(i)).max().unwrap_or(0);
        let encoder = Encoder::new(Encoding::normalized(max_degree, None), &topo);
        let (mut want_x, mut got_x) = (Vec::new(), Vec::new());
        for t in 0..4 {
            let d = some_forwarding(&topo, t);
            sim.advance(&d).unwrap();
            let heard_at = Instant::now();
            let now = heard_at + cfg.slot;
            for (i, predictor) in predictors.iter_mut().enumerate() {
                let prev = &sim.outcomes()[i];
                predictor.observe(f64::from(prev.input));
                let own = own_input(i, t as u64 + 1, slot, sim.capacities()[i] / slot, prev, predictor.predict());
                let mut table = NeighborTable::new(cfg);
                let inputs: Vec<_> = topo
                    .neighbors(i)
                    .iter()
                    .map(|&j| {
                        let peer = PeerId::random();
                        let mut state = NodeState::new(topo.names()[j].clone(), peer, t as u64, "127.0.0.1:1");
                        state.degree = topo.degree(j) as u32;
                        state.node_index = Some(j as u32);
                        state.functions.push(function_state("f", &sim.outcomes()[j], sim.capacities()[j], slot));
                        table.set_connected(peer, true);
                        table.record_state(peer, state, heard_at);
                        let k = topo.neighbor_slot(i, j).unwrap();
                        let latency = sim.observations()[i].neighbors[k].latency_s;
                        let rtt = Duration::from_secs_f64(2.0 * latency);
                        neighbor_input(table.get(&peer), "f", now, &cfg, usize::MAX, Some(rtt))
                    })
                    .collect();
                let mut got = NodeObservation::default();
                build_observation(&own, inputs.into_iter(), &mut got);
                let want = &sim.observations()[i];
                same(&got, want);
                encoder.encode(want, &mut want_x);
                encoder.encode(&got, &mut got_x);
                assert_eq!(want_x.len(), got_x.len());
                for (k, (a, b)) in want_x.iter().zip(&got_x).enumerate() {
                    assert!((a - b).abs() <= 1e-6 * a.abs().max(1.0), "node {i} slot {t} feature {k}: {a} vs {b}");
                }
            }
        }
    }

    /// Several functions per node: the agent's side — each node's own
    /// [`NodeShare`] over its functions' forecasts for capacities, gossiped
    /// function states carrying agent indices and the capacity of the slot
    /// that ended, neighbours restricted to the hosts of the function —
    /// observes every node-function pair as the simulator does.
    #[test]
    fn several_functions_observe_alike() {
        observe_alike("dfaas-image-text.toml");
    }

    /// The same with serverless functions (capacities from the loss model).
    #[test]
    fn several_serverless_functions_observe_alike() {
        observe_alike("serverless-image-text.toml");
    }

    fn observe_alike(file: &str) {
        use dfaas_env::functions::{FunctionCost, NodeShare};
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios/functions").join(file);
        let s = Scenario::load(path).unwrap();
        let mut sim = Simulator::new(&s).unwrap();
        sim.reset_episode(Some(4));
        let layout = sim.layout().unwrap().clone();
        let topo = sim.topology().clone();
        let n = topo.len();
        let slot = sim.slot_seconds();
        let cfg = NeighborConfig { slot: Duration::from_secs_f64(slot), stale_after_slots: 3 };
        let spec = sim.predictor().expect("a predicting scenario");
        let mut predictors: Vec<_> = (0..n).map(|_| spec.build()).collect();
        let dfaas_env::models::ModelSpec::Budget(b) = &s.model else { panic!("budget model") };
        // What each node's agent file says (cluster writes it from the scenario).
        let shares: Vec<NodeShare> = (0..layout.nodes().len())
            .map(|i| {
                let fs =
                    layout.agents_at(i).iter().map(|&a| FunctionCost::from(&layout.functions()[layout.function_of(a)]));
                NodeShare::of_functions(b.units(i), slot, 0.0, fs)
            })
            .collect();
        let mut advertised = shares.iter().flat_map(|sh| sh.capacities(&vec![0.0; sh.cost.len()])).collect::<Vec<_>>();
        for t in 0..5 {
            let d = some_forwarding(&topo, t);
            sim.advance(&d).unwrap();
            let heard_at = Instant::now();
            let now = heard_at + cfg.slot;
            predictors.iter_mut().zip(sim.outcomes()).for_each(|(p, o)| p.observe(f64::from(o.input)));
            let forecasts: Vec<f64> = predictors.iter().map(|p| p.predict()).collect();
            let mut caps = vec![0.0; n];
            for (i, sh) in shares.iter().enumerate() {
                let mine: Vec<f64> = layout.agents_at(i).iter().map(|&a| forecasts[a]).collect();
                layout.agents_at(i).iter().zip(sh.capacities(&mine)).for_each(|(&a, c)| caps[a] = c);
            }
            for a in 0..n {
                let f = &layout.functions()[layout.function_of(a)].name;
                let i = layout.node_of(a);
                let mine: Vec<f64> = layout.agents_at(i).iter().map(|&b| forecasts[b]).collect();
                let k = layout.agents_at(i).iter().position(|&b| b == a).unwrap();
                let view = Some(shares[i].shared_node(&mine, k));
                let own =
                    own_input_shared(a, t as u64 + 1, slot, caps[a] / slot, &sim.outcomes()[a], forecasts[a], view);
                let mut table = NeighborTable::new(cfg);
                let inputs: Vec<_> = topo
                    .neighbors(a)
                    .iter()
                    .map(|&b| {
                        let peer = PeerId::random();
                        let node = layout.node_of(b);
                        let mut state =
                            NodeState::new(layout.nodes().names()[node].clone(), peer, t as u64, "127.0.0.1:1");
                        state.degree = layout.nodes().degree(node) as u32;
                        state.node_index = Some(node as u32);
                        for &c in layout.agents_at(node) {
                            let g = &layout.functions()[layout.function_of(c)].name;
                            let mut fs = function_state(g, &sim.outcomes()[c], advertised[c], slot);
                            fs.agent_index = Some(c as u32);
                            state.functions.push(fs);
                        }
                        table.set_connected(peer, true);
                        table.record_state(peer, state, heard_at);
                        let k = topo.neighbor_slot(a, b).unwrap();
                        let rtt = Duration::from_secs_f64(2.0 * sim.observations()[a].neighbors[k].latency_s);
                        neighbor_input(table.get(&peer), f, now, &cfg, usize::MAX, Some(rtt))
                    })
                    .collect();
                let mut got = NodeObservation::default();
                build_observation(&own, inputs.into_iter(), &mut got);
                same(&got, &sim.observations()[a]);
            }
            advertised = caps;
        }
    }

    /// Decisions that forward something every slot, so that every counter moves.
    fn some_forwarding(topo: &dfaas_env::Topology, t: usize) -> Vec<Decision> {
        (0..topo.len())
            .map(|i| Decision::from_weights((0..topo.degree(i) + 2).map(|k| 1.0 + (k + t) as f64).collect()).unwrap())
            .collect()
    }

    /// Equal field by field; floats to 1e-9 relative (rates travel as req/s).
    fn same(got: &NodeObservation, want: &NodeObservation) {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        let ctx = format!("{got:?}\nvs\n{want:?}");
        assert_eq!(
            (got.node, got.slot, got.input, got.prev_input, got.queue_len),
            (want.node, want.slot, want.input, want.prev_input, want.queue_len),
            "{ctx}"
        );
        assert_eq!(
            (got.prev_local, got.prev_local_rejects, got.prev_rejected),
            (want.prev_local, want.prev_local_rejects, want.prev_rejected),
            "{ctx}"
        );
        assert!(close(got.predicted_input, want.predicted_input) && close(got.capacity, want.capacity), "{ctx}");
        assert!(close(got.slot_seconds, want.slot_seconds), "{ctx}");
        assert!(close(got.node_load, want.node_load) && close(got.request_share, want.request_share), "{ctx}");
        assert_eq!(got.neighbors.len(), want.neighbors.len());
        for (a, b) in got.neighbors.iter().zip(&want.neighbors) {
            assert_eq!(
                (a.node, a.prev_forwarded, a.prev_forward_rejects, a.degree),
                (b.node, b.prev_forwarded, b.prev_forward_rejects, b.degree),
                "{ctx}"
            );
            for (x, y) in [(a.spare_capacity, b.spare_capacity), (a.load, b.load), (a.capacity, b.capacity)] {
                assert!(close(x, y), "{ctx}");
            }
            assert!((a.latency_s - b.latency_s).abs() <= 1e-9, "{ctx}");
            assert!(close(a.age_seconds.unwrap(), b.age_seconds.unwrap()), "{ctx}");
        }
    }
}
