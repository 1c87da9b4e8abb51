//! The slot loop: every slot, read the runtime's [`SlotOutcome`], predict the
//! next slot's input, gossip this node's state, build the [`NodeObservation`]
//! as the simulator does, call the policy (or an external decision) and push
//! the weights into the runtime. [`SlotLoop::tick`] is one iteration; the
//! timer in [`SlotLoop::run`] calls it (`clock = "timer"`), or the control
//! API's `POST /tick` (`clock = "external"`); tests may call it directly.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dfaas_env::{Advert, Decision, NodeObservation, SlotOutcome};
use dfaas_policies::Policy;
use dfaas_runtime::{Gateway, Weights};
use serde::Serialize;

use crate::messages::{FunctionState, NodeState};
use crate::neighbors::NeighborConfig;
use crate::overlay::{OverlayHandle, lock};
use crate::predict::Predictor;

/// Integer scale of the weights pushed into the runtime.
pub const WEIGHT_SCALE: u32 = 1000;

/// One neighbour as the control API shows it.
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct TickReport {
    pub slot: u64,
    pub outcome: SlotOutcome,
    pub observation: NodeObservation,
    pub fractions: Vec<f64>,
    /// Whether the fractions came from an external decision.
    pub external: bool,
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
    }
}

/// The per-node control loop for one function.
pub struct SlotLoop {
    gateway: Arc<Gateway>,
    overlay: Option<OverlayHandle>,
    shared: Arc<Shared>,
    function: String,
    node_id: String,
    peer_ids: Vec<String>,
    capacity_rps: f64,
    slot_seconds: f64,
    neighbors: NeighborConfig,
    predictor: Box<dyn Predictor>,
    http_addr: String,
    slot: u64,
    node_index: Option<usize>,
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

impl SlotLoop {
    /// A loop over `gateway`; `overlay` `None` runs without neighbours (tests).
    pub fn new(gateway: Arc<Gateway>, overlay: Option<OverlayHandle>, shared: Arc<Shared>, p: SlotLoopParams) -> Self {
        let slot = Duration::from_secs_f64(p.slot_seconds.max(0.001));
        Self {
            node_id: gateway.node_id().to_string(),
            peer_ids: gateway.peer_ids(),
            gateway,
            overlay,
            shared,
            function: p.function,
            capacity_rps: p.capacity_rps,
            slot_seconds: p.slot_seconds,
            neighbors: NeighborConfig { slot, stale_after_slots: p.stale_after_slots.max(1) },
            predictor: p.predictor,
            http_addr: p.http_addr,
            slot: 0,
            node_index: p.node_index,
        }
    }

    /// Runs `tick` every slot until `stop` turns true. Failures are logged.
    pub async fn run(mut self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut timer = tokio::time::interval(self.neighbors.slot);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        timer.tick().await; // the first tick fires at once
        loop {
            tokio::select! {
                _ = timer.tick() => {}
                _ = stop.changed() => break,
            }
            if *stop.borrow() {
                break;
            }
            if let Err(e) = self.tick(Instant::now()).await {
                self.shared.failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(node = %self.node_id, slot = self.slot, error = %e, "slot iteration failed");
            }
        }
    }

    /// One slot: outcome → prediction → gossip → observation → decision → weights.
    pub async fn tick(&mut self, now: Instant) -> Result<TickReport, TickError> {
        let outcome =
            self.gateway.take_slot(&self.function).ok_or_else(|| TickError::NoFunction(self.function.clone()))?;
        self.predictor.observe(f64::from(outcome.input));
        let predicted = self.predictor.predict();
        let cap_slot = self.capacity_rps * self.slot_seconds;

        if let Some(overlay) = &self.overlay {
            let mut state = NodeState::new(&self.node_id, overlay.local_peer_id(), self.slot, &self.http_addr);
            state.degree = self.peer_ids.len() as u32;
            state.functions.push(function_state(&self.function, &outcome, cap_slot, self.slot_seconds));
            if let Err(e) = overlay.publish(state).await {
                tracing::debug!(node = %self.node_id, error = %e, "state not published");
            }
        }

        let observation = self.observe(&outcome, predicted, now);
        let external = lock(&self.shared.external).take();
        let (decision, is_external) = match external {
            Some(d) if d.degree() == self.peer_ids.len() => (d, true),
            other => {
                if let Some(d) = other {
                    tracing::warn!(node = %self.node_id, degree = d.degree(), "external decision of the wrong degree ignored");
                }
                (lock(&self.shared.policy).decide(&observation), false)
            }
        };
        let mut fractions = decision.into_vec();
        // Unavailable neighbours get weight 0: their share stays local.
        for (k, nb) in observation.neighbors.iter().enumerate() {
            if nb.age_seconds.is_none() && fractions[k + 1] > 0.0 {
                fractions[0] += fractions[k + 1];
                fractions[k + 1] = 0.0;
            }
        }
        let weights = Weights::from_fractions(&fractions, &self.peer_ids, WEIGHT_SCALE)?;
        self.gateway.set_weights(&self.function, weights)?;

        *lock(&self.shared.observation) = Some(observation.clone());
        *lock(&self.shared.outcome) = Some(outcome.clone());
        *lock(&self.shared.fractions) = Some(fractions.clone());
        self.slot += 1;
        *lock(&self.shared.slot) = self.slot;
        Ok(TickReport { slot: self.slot - 1, outcome, observation, fractions, external: is_external })
    }

    /// The observation for the coming slot, laid out as the simulator's.
    fn observe(&self, prev: &SlotOutcome, predicted: f64, now: Instant) -> NodeObservation {
        let mut all: Vec<&str> = self.peer_ids.iter().map(String::as_str).chain([self.node_id.as_str()]).collect();
        all.sort_unstable();
        let index = |id: &str| all.iter().position(|x| *x == id).unwrap_or(0);
        let mut o = NodeObservation {
            node: self.node_index.unwrap_or_else(|| index(&self.node_id)),
            slot: self.slot.min(u64::from(u32::MAX)) as u32,
            slot_seconds: self.slot_seconds,
            input: predicted.round().clamp(0.0, f64::from(u32::MAX)) as u32,
            predicted_input: predicted,
            prev_input: prev.input,
            capacity: self.capacity_rps * self.slot_seconds,
            // Requests waiting in the gateway's admission queue as the slot ended.
            queue_len: prev.queue_len.unwrap_or(0),
            prev_local: prev.local,
            prev_local_rejects: prev.local_rejects,
            prev_rejected: prev.rejected,
            neighbors: Vec::with_capacity(self.peer_ids.len()),
        };
        let rtts: Vec<_> = self.overlay.as_ref().map(|ov| ov.peers()).unwrap_or_default();
        for (k, id) in self.peer_ids.iter().enumerate() {
            let found = self.overlay.as_ref().and_then(|ov| {
                ov.with_neighbors(|t| {
                    t.by_node(id).map(|n| {
                        (
                            n.observation(&self.function, now, &self.neighbors),
                            n.is_available(now, &self.neighbors),
                            n.peer_id,
                        )
                    })
                })
            });
            let mut nb = match found {
                Some((mut nb, available, peer)) => {
                    if !available {
                        nb.age_seconds = None;
                        nb.spare_capacity = 0.0;
                    }
                    nb.latency_s = rtts
                        .iter()
                        .find(|p| p.peer_id == peer)
                        .and_then(|p| p.rtt)
                        .map_or(0.0, |r| r.as_secs_f64() / 2.0);
                    nb
                }
                None => Default::default(),
            };
            nb.node = index(id);
            nb.prev_forwarded = prev.forwarded.get(k).copied().unwrap_or(0);
            nb.prev_forward_rejects = prev.forward_rejects.get(k).copied().unwrap_or(0);
            o.neighbors.push(nb);
        }
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

    use dfaas_env::{Decision, Scenario, Simulator};
    use libp2p::PeerId;

    use super::function_state;
    use crate::messages::NodeState;
    use crate::neighbors::{NeighborConfig, NeighborTable};

    /// A neighbour's slot outcome, gossiped by the agent and read back from
    /// the neighbour table, gives the node the same spare capacity, load,
    /// capacity and degree as the simulator's observation of that neighbour.
    #[test]
    fn gossip_reads_back_as_the_simulators_neighbour_view() {
        for name in ["capacity-5", "dfaas-cloudnet21"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../experiments/scenarios/{name}.toml"));
            parity(Simulator::new(&Scenario::load(path).unwrap()).unwrap());
        }
    }

    fn parity(mut sim: Simulator) {
        sim.reset_episode(Some(4));
        let topo = sim.topology().clone();
        for _ in 0..3 {
            let d: Vec<Decision> =
                (0..topo.len()).map(|i| Decision::from_weights(vec![1.0; topo.degree(i) + 2]).unwrap()).collect();
            sim.advance(&d).unwrap();
            let slot = sim.slot_seconds();
            let cfg = NeighborConfig { slot: Duration::from_secs_f64(slot), stale_after_slots: 3 };
            for i in 0..topo.len() {
                for (k, &j) in topo.neighbors(i).iter().enumerate() {
                    let want = &sim.observations()[i].neighbors[k];
                    let peer = PeerId::random();
                    let mut state = NodeState::new(topo.names()[j].clone(), peer, 1, "127.0.0.1:1");
                    state.degree = topo.degree(j) as u32;
                    state.functions.push(function_state("f", &sim.outcomes()[j], sim.capacities()[j], slot));
                    let mut table = NeighborTable::new(cfg);
                    let now = Instant::now();
                    table.set_connected(peer, true);
                    table.record_state(peer, state, now);
                    let got = table.get(&peer).unwrap().observation("f", now, &cfg);
                    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
                    assert!(close(got.spare_capacity, want.spare_capacity), "{got:?} vs {want:?}");
                    assert!(close(got.load, want.load), "{got:?} vs {want:?}");
                    assert!(close(got.capacity, want.capacity), "{got:?} vs {want:?}");
                    assert_eq!(got.degree, want.degree);
                }
            }
        }
    }
}
