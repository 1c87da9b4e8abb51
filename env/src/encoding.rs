//! Observation encodings: a [`NodeObservation`] as a fixed-length `f32` vector.
//!
//! * `fidelity-queue`: the paise2025 layout `[input, queue, prev_local,
//!   prev_local_rejects, prev_forward, prev_forward_rejects]`, raw counts;
//! * `fidelity-serverless`: the marl-dfaas master layout, keys sorted as RLlib
//!   flattens them: `input_rate`, `prev_forward_rejects_to_<n>`…,
//!   `prev_forward_to_<n>`…, `prev_input_rate` (1 at the first slot), raw counts;
//! * `normalized` (versions 1 and 2, [`NORMALIZED_VERSION`] the current): fixed
//!   size for a maximum degree, O(1) values, a mask for absent neighbours, and
//!   only what a live agent can know. The encoding the live agent uses.
//!   Version 2 adds the slot's phase in the workload period (when the scenario
//!   declares `observation.period_slots`), and per neighbour its capacity
//!   relative to the node's own and the inverse of its degree (how many
//!   others compete for its spare capacity). Version 3 (several functions per
//!   node) adds the function's features: its node's expected use of its
//!   budget by every function's forecast, and how heavy one of its requests
//!   is (`log10(1 / request_share) / 3`: 0 for a request using a whole slot
//!   of the node, 1 for one using a thousandth), so one network serves every
//!   function.

use serde::{Deserialize, Serialize};

use crate::contract::NodeObservation;
use crate::spaces::Space;
use crate::topology::Topology;

/// Version of the normalized layout new files are trained on (bump on any change).
pub const NORMALIZED_VERSION: u32 = 2;
/// Version of the normalized layout for several functions per node (what
/// training on such a scenario writes), and the newest this build reads.
pub const FUNCTIONS_VERSION: u32 = 3;
/// Own features of the normalized layout, version 1.
pub const NORMALIZED_OWN: usize = 6;
/// Features per neighbour slot of the normalized layout, version 1.
pub const NORMALIZED_PER_NEIGHBOR: usize = 6;

/// Own and per-neighbour feature counts of normalized layout `version`
/// (`None` for a version this build does not know).
pub fn normalized_sizes(version: u32) -> Option<(usize, usize)> {
    match version {
        1 => Some((NORMALIZED_OWN, NORMALIZED_PER_NEIGHBOR)),
        2 => Some((NORMALIZED_OWN + 2, NORMALIZED_PER_NEIGHBOR + 2)),
        3 => Some((NORMALIZED_OWN + 4, NORMALIZED_PER_NEIGHBOR + 2)),
        _ => None,
    }
}

fn version_one() -> u32 {
    1
}

/// Which encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Encoding {
    /// paise2025 queue-model layout (6 values).
    FidelityQueue,
    /// marl-dfaas master layout (2 + 2·degree values).
    FidelityServerless,
    /// Normalized padded layout for nodes of degree up to `max_degree`.
    Normalized {
        /// Neighbour slots (absent ones are zero with mask 0).
        max_degree: usize,
        /// Layout version (files written before version 2 carry none: 1).
        #[serde(default = "version_one")]
        version: u32,
        /// Version ≥ 2: the workload period whose phase is encoded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        period_slots: Option<u32>,
    },
}

impl Encoding {
    /// The current normalized layout for `max_degree` neighbours, with the
    /// phase of `period_slots` if given.
    pub fn normalized(max_degree: usize, period_slots: Option<u32>) -> Self {
        Encoding::Normalized { max_degree, version: NORMALIZED_VERSION, period_slots }
    }

    /// The normalized layout for several functions per node (version
    /// [`FUNCTIONS_VERSION`]: the function's features too).
    pub fn normalized_functions(max_degree: usize, period_slots: Option<u32>) -> Self {
        Encoding::Normalized { max_degree, version: FUNCTIONS_VERSION, period_slots }
    }

    /// Parses `fidelity-queue`, `fidelity-serverless`, `normalized` (with
    /// `max_degree` from the topology) or `normalized:K` (current version, no phase).
    pub fn parse(name: &str, topology: &Topology) -> Option<Self> {
        match name {
            "fidelity-queue" => Some(Encoding::FidelityQueue),
            "fidelity-serverless" => Some(Encoding::FidelityServerless),
            "normalized" => Some(Self::normalized(topology.max_degree(), None)),
            other => other
                .strip_prefix("normalized:")
                .and_then(|k| k.parse().ok())
                .map(|max_degree| Self::normalized(max_degree, None)),
        }
    }

    /// The layout version (1 for the fidelity layouts).
    pub fn version(&self) -> u32 {
        match self {
            Encoding::Normalized { version, .. } => *version,
            _ => 1,
        }
    }

    /// The workload period a normalized layout encodes the phase of.
    pub fn period_slots(&self) -> Option<u32> {
        match self {
            Encoding::Normalized { period_slots, .. } => *period_slots,
            _ => None,
        }
    }
}

/// An encoding bound to a topology (neighbour sort orders precomputed).
#[derive(Debug, Clone)]
pub struct Encoder {
    encoding: Encoding,
    /// Per agent: neighbour slots sorted by neighbour name (fidelity-serverless).
    sorted: Vec<Vec<usize>>,
}

impl Encoder {
    /// Binds `encoding` to `topology`.
    pub fn new(encoding: Encoding, topology: &Topology) -> Self {
        let sorted = (0..topology.len())
            .map(|i| {
                let nbs = topology.neighbors(i);
                let mut slots: Vec<usize> = (0..nbs.len()).collect();
                slots.sort_by(|&a, &b| topology.names()[nbs[a]].cmp(&topology.names()[nbs[b]]));
                slots
            })
            .collect();
        Self { encoding, sorted }
    }

    /// The encoding.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Vector length for a node of `degree` neighbours.
    pub fn dim(&self, degree: usize) -> usize {
        match self.encoding {
            Encoding::FidelityQueue => 6,
            Encoding::FidelityServerless => 2 + 2 * degree,
            Encoding::Normalized { max_degree, version, .. } => {
                let (own, per) = normalized_sizes(version).unwrap_or((0, 0));
                own + per * max_degree
            }
        }
    }

    /// The observation space of a node of `degree` neighbours.
    pub fn space(&self, degree: usize) -> Space {
        let d = self.dim(degree);
        let (low, high) = match self.encoding {
            Encoding::Normalized { .. } => (-10.0, 10.0),
            _ => (0.0, f32::MAX),
        };
        Space::Box { low: vec![low; d], high: vec![high; d] }
    }

    /// Encodes `obs` into `out` (cleared first). A node whose degree exceeds
    /// the normalized layout's `max_degree` keeps its first `max_degree` neighbours.
    pub fn encode(&self, obs: &NodeObservation, out: &mut Vec<f32>) {
        out.clear();
        match self.encoding {
            Encoding::FidelityQueue => {
                let fwd: u32 = obs.neighbors.iter().map(|n| n.prev_forwarded).sum();
                let fr: u32 = obs.neighbors.iter().map(|n| n.prev_forward_rejects).sum();
                out.extend([
                    obs.input as f32,
                    obs.queue_len as f32,
                    obs.prev_local as f32,
                    obs.prev_local_rejects as f32,
                    fwd as f32,
                    fr as f32,
                ]);
            }
            Encoding::FidelityServerless => {
                out.push(obs.input as f32);
                let order = self.sorted.get(obs.node).map(Vec::as_slice).unwrap_or(&[]);
                let slots: Vec<usize> = if order.len() == obs.neighbors.len() {
                    order.to_vec()
                } else {
                    (0..obs.neighbors.len()).collect()
                };
                out.extend(slots.iter().map(|&k| obs.neighbors[k].prev_forward_rejects as f32));
                out.extend(slots.iter().map(|&k| obs.neighbors[k].prev_forwarded as f32));
                out.push(if obs.slot == 0 { 1.0 } else { obs.prev_input as f32 });
            }
            Encoding::Normalized { max_degree, version, period_slots } => {
                encode_normalized(obs, max_degree, version, period_slots, out)
            }
        }
    }
}

fn clip(x: f64) -> f32 {
    if x.is_finite() { x.clamp(-10.0, 10.0) as f32 } else { 10.0 }
}

/// The normalized layout. An unknown `version` gives an empty vector (loaders
/// refuse such files before they encode anything).
fn encode_normalized(
    obs: &NodeObservation,
    max_degree: usize,
    version: u32,
    period_slots: Option<u32>,
    out: &mut Vec<f32>,
) {
    if normalized_sizes(version).is_none() {
        return;
    }
    let v2 = version >= 2;
    let c = if obs.capacity > 0.0 { obs.capacity } else { 1.0 };
    let prev_in = (obs.prev_input as f64).max(1.0);
    let fwd: u32 = obs.neighbors.iter().map(|n| n.prev_forwarded).sum();
    let fr: u32 = obs.neighbors.iter().map(|n| n.prev_forward_rejects).sum();
    out.extend([
        clip(obs.predicted_input / c),
        clip(obs.prev_input as f64 / c),
        clip(obs.queue_len as f64 / c),
        clip(obs.prev_local_rejects as f64 / prev_in),
        clip(fr as f64 / (fwd as f64).max(1.0)),
        clip(obs.prev_rejected as f64 / prev_in),
    ]);
    if v2 {
        let (sin, cos) = match period_slots {
            Some(p) if p > 0 => {
                let phase = (obs.slot % p) as f64 / p as f64 * std::f64::consts::TAU;
                (phase.sin() as f32, phase.cos() as f32)
            }
            _ => (0.0, 0.0),
        };
        out.extend([sin, cos]);
    }
    if version >= 3 {
        let weight = if obs.request_share > 0.0 { (1.0 / obs.request_share).log10() / 3.0 } else { 0.0 };
        out.extend([clip(obs.node_load), clip(weight)]);
    }
    let per = normalized_sizes(version).map_or(0, |(_, p)| p);
    for k in 0..max_degree {
        match obs.neighbors.get(k) {
            Some(nb) => {
                let known = nb.age_seconds.is_some();
                let fresh = nb.age_seconds.map(|a| (-a / obs.slot_seconds.max(1e-9) / 4.0).exp()).unwrap_or(0.0);
                out.extend([
                    1.0,
                    if known { clip(nb.spare_capacity / c) } else { 0.0 },
                    if known { clip(nb.load) } else { 0.0 },
                    clip(nb.prev_forwarded as f64 / c),
                    clip(nb.prev_forward_rejects as f64 / (nb.prev_forwarded as f64).max(1.0)),
                    fresh as f32,
                ]);
                if v2 {
                    out.extend([
                        if known { clip(nb.capacity / c) } else { 0.0 },
                        if known && nb.degree > 0 { 1.0 / nb.degree as f32 } else { 0.0 },
                    ]);
                }
            }
            None => out.extend(std::iter::repeat_n(0.0, per)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::NeighborObs;

    #[test]
    fn version_three_reads_the_function_features() {
        let e = Encoder::new(Encoding::normalized_functions(1, None), &topo2());
        let mut o = obs();
        let (mut two, mut three) = (Vec::new(), Vec::new());
        Encoder::new(Encoding::normalized(1, None), &topo2()).encode(&o, &mut two);
        o.node_load = 1.25;
        o.request_share = 0.01;
        e.encode(&o, &mut three);
        assert_eq!(three.len(), two.len() + 2);
        assert_eq!(three.len(), e.dim(1));
        assert_eq!(&three[..8], &two[..8], "version 2's own features first");
        assert!((three[8] - 1.25).abs() < 1e-6 && (three[9] - 2.0 / 3.0).abs() < 1e-6, "{:?}", &three[8..10]);
        assert_eq!(&three[10..], &two[8..], "then the neighbours");
    }

    fn topo2() -> Topology {
        Topology::from_adjacency(None, &["node_0 node_1".to_string()]).unwrap()
    }

    fn obs() -> NodeObservation {
        NodeObservation {
            node: 0,
            slot: 3,
            slot_seconds: 1.0,
            input: 70,
            predicted_input: 70.0,
            prev_input: 60,
            capacity: 35.0,
            queue_len: 5,
            prev_local: 40,
            prev_local_rejects: 6,
            prev_rejected: 3,
            neighbors: vec![NeighborObs {
                node: 1,
                prev_forwarded: 17,
                prev_forward_rejects: 2,
                spare_capacity: 7.0,
                load: 0.8,
                degree: 1,
                latency_s: 0.005,
                age_seconds: Some(1.0),
                capacity: 70.0,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn serverless_fidelity_sorted_keys() {
        let e = Encoder::new(Encoding::FidelityServerless, &topo2());
        let mut v = Vec::new();
        e.encode(&obs(), &mut v);
        // input_rate, prev_forward_rejects_to_node_1, prev_forward_to_node_1, prev_input_rate
        assert_eq!(v, vec![70.0, 2.0, 17.0, 60.0]);
        let mut first = obs();
        first.slot = 0;
        e.encode(&first, &mut v);
        assert_eq!(v[3], 1.0, "prev_input_rate is 1 at the first slot");
    }

    #[test]
    fn queue_fidelity_layout() {
        let e = Encoder::new(Encoding::FidelityQueue, &topo2());
        let mut v = Vec::new();
        e.encode(&obs(), &mut v);
        assert_eq!(v, vec![70.0, 5.0, 40.0, 6.0, 17.0, 2.0]);
    }

    #[test]
    fn normalized_is_padded_and_scaled() {
        let e = Encoder::new(Encoding::Normalized { max_degree: 3, version: 1, period_slots: None }, &topo2());
        let mut v = Vec::new();
        e.encode(&obs(), &mut v);
        assert_eq!(v.len(), e.dim(1));
        assert_eq!(v.len(), NORMALIZED_OWN + 3 * NORMALIZED_PER_NEIGHBOR);
        assert!((v[0] - 2.0).abs() < 1e-6, "70/35");
        assert_eq!(v[NORMALIZED_OWN], 1.0, "mask of the present neighbour");
        assert!((v[NORMALIZED_OWN + 1] - 0.2).abs() < 1e-6, "spare 7/35");
        assert!(v[NORMALIZED_OWN + NORMALIZED_PER_NEIGHBOR..].iter().all(|&x| x == 0.0), "absent slots are zero");
        assert!(e.space(1).contains(&v));
    }

    #[test]
    fn normalized_v2_adds_phase_capacity_and_inverse_degree() {
        let e = Encoder::new(Encoding::normalized(2, Some(12)), &topo2());
        let mut v = Vec::new();
        e.encode(&obs(), &mut v);
        assert_eq!(v.len(), 8 + 2 * 8);
        assert_eq!(v.len(), e.dim(1));
        // slot 3 of 12: a quarter period.
        assert!((v[6] - 1.0).abs() < 1e-6 && v[7].abs() < 1e-6, "phase (sin, cos) = {:?}", &v[6..8]);
        assert_eq!(
            &v[..6],
            &{
                let mut w = Vec::new();
                Encoder::new(Encoding::Normalized { max_degree: 2, version: 1, period_slots: None }, &topo2())
                    .encode(&obs(), &mut w);
                w
            }[..6],
            "own features of version 1 unchanged"
        );
        assert!((v[8 + 6] - 2.0).abs() < 1e-6, "capacity 70 / own 35");
        assert_eq!(v[8 + 7], 1.0, "inverse degree of a degree-1 neighbour");
        assert!(v[16..].iter().all(|&x| x == 0.0), "absent slot");
        // Without a period the phase reads 0; an unknown neighbour's capacity too.
        let e = Encoder::new(Encoding::normalized(1, None), &topo2());
        let mut o = obs();
        o.neighbors[0].age_seconds = None;
        e.encode(&o, &mut v);
        assert_eq!((v[6], v[7]), (0.0, 0.0));
        assert_eq!((v[8 + 6], v[8 + 7]), (0.0, 0.0));
    }

    #[test]
    fn version_one_files_deserialize_as_version_one() {
        let e: Encoding = serde_json::from_str(r#"{"kind":"normalized","max_degree":4}"#).unwrap();
        assert_eq!(e, Encoding::Normalized { max_degree: 4, version: 1, period_slots: None });
        let round: Encoding =
            serde_json::from_str(&serde_json::to_string(&Encoding::normalized(4, Some(288))).unwrap()).unwrap();
        assert_eq!(round, Encoding::normalized(4, Some(288)));
    }
}
