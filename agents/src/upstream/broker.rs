//! Turns an upstream node's report into our observation, runs the policy and
//! remembers what each node reported, so that its neighbours see it one slot
//! later.
//!
//! Upstream DFaaS sends a node only its own measurements. The neighbour state
//! our policies plan with (spare capacity, load, capacity, degree) is taken
//! from what the neighbours themselves reported to this service, by one
//! documented rule:
//!
//! * **Own input**: `input_rate × slot_seconds`. Upstream measures it in the
//!   all-local minute just before the decision, at the rate the decision's
//!   minute runs (its traces repeat each value for both minutes): the
//!   last-value predictor, exact for upstream's schedule.
//! * **Own capacity**: the declared `capacity_rps × slot_seconds`.
//! * **Previous slot** (`SlotOutcome`): `previous_*` rates × slot; deliberate
//!   rejections from the reject share this service answered the node last
//!   time; local = input − forwarded − rejected; local rejects =
//!   `previous_reject_rate` × local.
//! * **A neighbour** is *heard* once it has reported in an earlier phase (at
//!   least half an interval before the asking node's request) and that report
//!   is younger than `stale_after_intervals` intervals. Its advert is that report's input
//!   against its declared capacity ([`Advert::of`] with nothing received):
//!   the neighbour's state one slot old, as the simulator and the gossiping
//!   agent give it. "Earlier" and "younger" are in `interval_seconds`, the
//!   real time between two decisions of a node. A neighbour not heard is observed as unknown and the
//!   share planned for it stays local ([`keep_unheard_local`]), the rule of
//!   both worlds.
//! * **Slot number**: the count of the node's earlier requests since its
//!   strategy (re)started (a body whose `previous_*` values are all
//!   upstream's first-phase defaults starts again at slot 0).
//! * **Peers not declared** (upstream counts every connected libp2p peer as
//!   a neighbour) get a share of 0 and are left out of the observation; the
//!   service logs them.

use std::collections::VecDeque;

use dfaas_env::contract::{Foresight, Heard, NeighborInput, NodeInput, build_observation, keep_unheard_local};
use std::path::PathBuf;
use std::sync::Arc;

use dfaas_env::{Advert, NodeObservation, SlotOutcome};
use dfaas_policies::learned::LearnedFile;
use dfaas_policies::{LearnedPolicy, NodeContext, Policy, PolicyError, PolicySpec};

use super::config::ServeConfig;
use super::protocol::{ActionRequest, NODE_PREFIX, NodeReport, PeerReport};
use crate::config::PolicyChoice;

/// How many reports of each node are kept.
const KEPT: usize = 4;

/// Why a request cannot be answered (the text names the node or peer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokerError {
    /// The asking node or a neighbour it names is not declared.
    #[error("{0}")]
    Unknown(String),
    /// The policy refuses the node's layout (e.g. more neighbours than a model takes).
    #[error("{0}")]
    Policy(String),
}

/// One answered request.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The asking node's peer ID.
    pub node: String,
    /// Its declared neighbours' peer IDs, in action order (topology order).
    pub peers: Vec<String>,
    /// `[local, peers…, reject]`, summing to 1.
    pub fractions: Vec<f64>,
    /// Neighbours it named that are not declared: answered a share of 0.
    pub ignored: Vec<String>,
    /// The observation the policy saw.
    pub observation: NodeObservation,
}

/// The policy every node runs, loaded once.
enum Source {
    Heuristic(PolicySpec),
    Model { path: PathBuf, file: Arc<LearnedFile> },
}

#[derive(Clone, Copy)]
struct Report {
    at_s: f64,
    input_rate: f64,
    degree: u32,
}

#[derive(Default)]
struct Memory {
    reports: VecDeque<Report>,
    requests: u32,
    /// The neighbours the policy was built for, and the policy.
    policy: Option<(Vec<String>, Box<dyn Policy>)>,
    last_reject_share: Option<f64>,
}

/// The service's state: one memory per declared node.
pub struct Broker {
    config: ServeConfig,
    source: Source,
    nodes: Vec<Memory>,
}

impl Broker {
    /// A broker for `config` (already validated); a learned file is read and
    /// checked here, once, so that no request waits on it.
    pub fn new(config: ServeConfig) -> Result<Self, PolicyError> {
        let source = match &config.policy {
            PolicyChoice::Heuristic(spec) => Source::Heuristic(spec.clone()),
            PolicyChoice::Model(path) => Source::Model { path: path.clone(), file: Arc::new(LearnedFile::read(path)?) },
        };
        let nodes = config.nodes.iter().map(|_| Memory::default()).collect();
        Ok(Self { config, source, nodes })
    }

    /// Node `me`'s policy for neighbours `order` (topology indices).
    fn build(&self, me: usize, order: &[usize]) -> Result<Box<dyn Policy>, PolicyError> {
        let cfg = &self.config;
        match &self.source {
            Source::Heuristic(spec) => dfaas_policies::build(spec, me, cfg.seed),
            Source::Model { path, file } => {
                let node = NodeContext {
                    name: cfg.nodes[me].name.clone(),
                    neighbors: order.iter().map(|&j| cfg.nodes[j].name.clone()).collect(),
                    period_slots: cfg.period_slots,
                };
                Ok(Box::new(LearnedPolicy::from_file(file, &node, path)?))
            }
        }
    }

    pub fn config(&self) -> &ServeConfig {
        &self.config
    }

    /// Answers `req` received at `now_s` (seconds on any monotonic clock).
    pub fn decide(&mut self, req: &ActionRequest, now_s: f64) -> Result<Answer, BrokerError> {
        let cfg = &self.config;
        let me = cfg.index_of(&req.node).ok_or_else(|| {
            BrokerError::Unknown(format!(
                "node {NODE_PREFIX}{} is not declared (declared: {})",
                req.node,
                cfg.nodes.iter().map(|n| format!("{NODE_PREFIX}{}", n.id)).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let (order, ignored) = declared_neighbours(cfg, me, req)?;
        let peers: Vec<String> = order.iter().map(|(j, _)| cfg.nodes[*j].id.clone()).collect();

        let slot_s = cfg.slot_seconds;
        let r = &req.report;
        if r.first_phase {
            // Upstream (re)started its strategy: nothing before this slot counts.
            self.nodes[me].requests = 0;
            self.nodes[me].last_reject_share = None;
        }
        let memory = &self.nodes[me];
        let prev = (memory.requests > 0).then(|| previous_outcome(r, &order, memory.last_reject_share, slot_s));
        let node = NodeInput {
            node: me,
            slot: memory.requests,
            slot_seconds: slot_s,
            capacity: cfg.nodes[me].capacity_rps * slot_s,
            queue_len: 0,
            prev: prev.as_ref(),
            foresight: Foresight::Predicted(r.input_rate * slot_s),
            shared: None,
        };
        let neighbours = order.iter().map(|&(j, _)| NeighborInput {
            node: j,
            latency_s: cfg.nodes[j].latency_s,
            heard: self.heard(j, now_s),
        });
        let mut observation = NodeObservation::default();
        build_observation(&node, neighbours, &mut observation);

        if self.nodes[me].policy.as_ref().is_none_or(|(built_for, _)| *built_for != peers) {
            let indices: Vec<usize> = order.iter().map(|(j, _)| *j).collect();
            let policy = self
                .build(me, &indices)
                .map_err(|e| BrokerError::Policy(format!("the policy refuses {NODE_PREFIX}{}: {e}", req.node)))?;
            self.nodes[me].policy = Some((peers.clone(), policy));
        }
        let memory = &mut self.nodes[me];
        let (_, policy) = memory.policy.as_mut().expect("built above");
        let decision = policy.decide(&observation);
        let mut fractions = decision.into_vec();
        if fractions.len() != peers.len() + 2 {
            return Err(BrokerError::Policy(format!(
                "the policy answered {} fractions for {} neighbours",
                fractions.len(),
                peers.len()
            )));
        }
        keep_unheard_local(&mut fractions, &observation);

        memory.last_reject_share = fractions.last().copied();
        memory.requests = memory.requests.saturating_add(1);
        if memory.reports.len() == KEPT {
            memory.reports.pop_front();
        }
        memory.reports.push_back(Report { at_s: now_s, input_rate: r.input_rate, degree: peers.len() as u32 });
        Ok(Answer { node: req.node.clone(), peers, fractions, ignored, observation })
    }

    /// What node `j` is known to have reported one slot ago, as of `now_s`.
    fn heard(&self, j: usize, now_s: f64) -> Option<Heard> {
        let cfg = &self.config;
        let (slot_s, interval_s) = (cfg.slot_seconds, cfg.interval_seconds);
        let report = self.nodes[j].reports.iter().rev().find(|rep| rep.at_s <= now_s - interval_s / 2.0)?;
        let age_seconds = now_s - report.at_s;
        if age_seconds > cfg.stale_after_intervals * interval_s {
            return None;
        }
        let capacity = cfg.nodes[j].capacity_rps * slot_s;
        let input = count(report.input_rate, slot_s);
        let advert = Advert::of(&SlotOutcome { input, local: input, ..Default::default() }, capacity);
        Some(Heard { advert, degree: report.degree, age_seconds })
    }
}

/// Declared neighbours: topology index and report, in topology order.
type Neighbours<'r> = Vec<(usize, &'r PeerReport)>;

/// Node `me`'s declared neighbours in topology order, each with its report,
/// and the peers it named that are not declared (they get nothing).
fn declared_neighbours<'r>(
    cfg: &ServeConfig,
    me: usize,
    req: &'r ActionRequest,
) -> Result<(Neighbours<'r>, Vec<String>), BrokerError> {
    let mut order = Vec::with_capacity(req.report.peers.len());
    let mut ignored = Vec::new();
    for p in &req.report.peers {
        match cfg.index_of(&p.id) {
            Some(j) if j == me => {
                return Err(BrokerError::Unknown(format!("{NODE_PREFIX}{} names itself as a neighbour", req.node)));
            }
            Some(j) => order.push((j, p)),
            None => ignored.push(p.id.clone()),
        }
    }
    order.sort_by_key(|(j, _)| *j);
    Ok((order, ignored))
}

/// The node's previous slot, rebuilt from the rates upstream reports (and
/// the reject share this service answered for it).
fn previous_outcome(
    r: &NodeReport,
    order: &[(usize, &PeerReport)],
    last_reject_share: Option<f64>,
    slot_s: f64,
) -> SlotOutcome {
    let per_slot = |rate: f64| count(rate, slot_s);
    let input = per_slot(r.previous_input_rate);
    let forwarded: Vec<u32> = order.iter().map(|(_, p)| per_slot(p.previous_fwd_rate)).collect();
    let forward_rejects: Vec<u32> = order.iter().map(|(_, p)| per_slot(p.previous_fwd_rejected_rate)).collect();
    let rejected = (f64::from(input) * last_reject_share.unwrap_or(0.0)).round() as u32;
    let sent = forwarded.iter().fold(0u32, |a, &f| a.saturating_add(f));
    let local = input.saturating_sub(sent).saturating_sub(rejected);
    SlotOutcome {
        input,
        local,
        forwarded,
        rejected,
        local_rejects: (f64::from(local) * r.previous_reject_rate).round() as u32,
        forward_rejects,
        ..Default::default()
    }
}

/// Requests per slot of `rate` requests per second (rounded, saturating).
fn count(rate: f64, slot_s: f64) -> u32 {
    (rate * slot_s).round().min(f64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
slot_seconds = 60
policy = "slack-proportional"
[[nodes]]
id = "A"
capacity_rps = 10
[[nodes]]
id = "B"
capacity_rps = 10
[[nodes]]
id = "C"
capacity_rps = 10
"#;

    fn ask(node: &str, input_rate: f64, peers: &[&str]) -> ActionRequest {
        let peers = peers.iter().map(|p| PeerReport { id: p.to_string(), ..Default::default() }).collect();
        ActionRequest {
            node: node.into(),
            explore: false,
            report: NodeReport { input_rate, peers, ..Default::default() },
        }
    }

    #[test]
    fn neighbours_are_heard_one_slot_later_and_the_overloaded_node_forwards_to_spare() {
        let mut b = Broker::new(ServeConfig::from_toml_str(CONFIG, "serve.toml").unwrap()).unwrap();
        // Phase 0: nobody heard, so nothing is forwarded.
        let a0 = b.decide(&ask("A", 30.0, &["C", "B"]), 0.0).unwrap();
        assert_eq!(a0.peers, vec!["B", "C"], "topology order, not the body's");
        assert_eq!(a0.fractions[1..3], [0.0, 0.0]);
        assert!(a0.observation.neighbors.iter().all(|n| n.age_seconds.is_none()));
        b.decide(&ask("B", 2.0, &["A", "C"]), 1.0).unwrap();
        b.decide(&ask("C", 12.0, &["A", "B"]), 2.0).unwrap();
        // Phase 1 (two minutes later): B's and C's phase-0 reports are heard.
        let a1 = b.decide(&ask("A", 30.0, &["B", "C"]), 120.0).unwrap();
        let o = &a1.observation;
        assert_eq!((o.slot, o.predicted_input, o.capacity), (1, 1800.0, 600.0));
        assert_eq!(o.neighbors[0].spare_capacity, 480.0);
        assert_eq!(o.neighbors[1].spare_capacity, 0.0);
        assert_eq!(o.neighbors[0].age_seconds, Some(119.0));
        assert!(a1.fractions[1] > 0.2, "forwards to B, which has spare: {:?}", a1.fractions);
        assert_eq!(a1.fractions[2], 0.0, "nothing to the overloaded C");
        assert!((a1.fractions.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_report_of_the_same_phase_or_a_stale_one_is_not_used() {
        let mut b = Broker::new(ServeConfig::from_toml_str(CONFIG, "serve.toml").unwrap()).unwrap();
        b.decide(&ask("B", 2.0, &["A"]), 0.0).unwrap();
        // A asks 10 s after B's report: same phase, B is not heard yet.
        let a = b.decide(&ask("A", 30.0, &["B"]), 10.0).unwrap();
        assert_eq!(a.observation.neighbors[0].age_seconds, None);
        // 4 intervals later B's only report is stale.
        let a = b.decide(&ask("A", 30.0, &["B"]), 480.0).unwrap();
        assert_eq!(a.observation.neighbors[0].age_seconds, None);
        assert_eq!(a.fractions[1], 0.0);
    }

    #[test]
    fn unknown_nodes_are_named_and_undeclared_peers_get_nothing() {
        let mut b = Broker::new(ServeConfig::from_toml_str(CONFIG, "serve.toml").unwrap()).unwrap();
        let e = b.decide(&ask("Z", 1.0, &[]), 0.0).unwrap_err().to_string();
        assert!(e.contains("node_Z") && e.contains("node_A, node_B, node_C"), "{e}");
        let e = b.decide(&ask("A", 1.0, &["A"]), 0.0).unwrap_err().to_string();
        assert!(e.contains("itself"), "{e}");
        let a = b.decide(&ask("A", 1.0, &["Q", "B"]), 0.0).unwrap();
        assert_eq!((a.peers, a.ignored, a.fractions.len()), (vec!["B".to_string()], vec!["Q".to_string()], 3));
    }

    #[test]
    fn the_previous_slot_is_rebuilt_from_the_previous_rates_and_the_last_answer() {
        let cfg = CONFIG.replace("slack-proportional", "slack-proportional:overflow=reject");
        let mut b = Broker::new(ServeConfig::from_toml_str(&cfg, "serve.toml").unwrap()).unwrap();
        let first = b.decide(&ask("A", 20.0, &["B", "C"]), 0.0).unwrap();
        assert_eq!(first.observation.slot, 0);
        let reject_share = *first.fractions.last().unwrap();
        assert_eq!(reject_share, 0.5, "20 req/s for 10, nobody heard: half rejected");
        let mut req = ask("A", 25.0, &["B", "C"]);
        req.report.previous_input_rate = 20.0;
        req.report.previous_reject_rate = 0.25;
        req.report.peers[0].previous_fwd_rate = 3.0;
        req.report.peers[0].previous_fwd_rejected_rate = 0.5;
        req.report.peers[1].previous_fwd_rate = 1.0;
        let o = b.decide(&req, 120.0).unwrap().observation;
        assert_eq!((o.slot, o.prev_input), (1, 1200));
        assert_eq!((o.neighbors[0].prev_forwarded, o.neighbors[0].prev_forward_rejects), (180, 30));
        assert_eq!((o.neighbors[1].prev_forwarded, o.neighbors[1].prev_forward_rejects), (60, 0));
        let rejected = (1200.0 * reject_share).round() as u32;
        assert_eq!(o.prev_rejected, rejected);
        assert_eq!(o.prev_local, 1200 - 240 - rejected);
        assert_eq!(o.prev_local_rejects, (f64::from(o.prev_local) * 0.25).round() as u32);
        // Huge forward rates saturate instead of overflowing.
        let mut req = ask("A", 25.0, &["B", "C"]);
        req.report.previous_input_rate = 1.0;
        req.report.peers[0].previous_fwd_rate = 1e12;
        req.report.peers[1].previous_fwd_rate = 1e12;
        assert_eq!(b.decide(&req, 240.0).unwrap().observation.prev_local, 0);
        // Upstream restarted its strategy: slot 0 again, nothing before counts.
        let mut req = ask("A", 25.0, &["B", "C"]);
        req.report.first_phase = true;
        let o = b.decide(&req, 360.0).unwrap().observation;
        assert_eq!((o.slot, o.prev_input, o.prev_rejected), (0, 0, 0));
    }
}
