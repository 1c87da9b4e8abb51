//! Observation encodings: a [`NodeObservation`] as a fixed-length `f32` vector.
//!
//! * `fidelity-queue`: the paise2025 layout `[input, queue, prev_local,
//!   prev_local_rejects, prev_forward, prev_forward_rejects]`, raw counts;
//! * `fidelity-serverless`: the marl-dfaas master layout, keys sorted as RLlib
//!   flattens them: `input_rate`, `prev_forward_rejects_to_<n>`…,
//!   `prev_forward_to_<n>`…, `prev_input_rate` (1 at the first slot), raw counts;
//! * `normalized` (version [`NORMALIZED_VERSION`]): fixed size for a maximum
//!   degree, O(1) values, a mask for absent neighbours, and only what a live
//!   agent can know. The encoding the live agent uses.

use serde::{Deserialize, Serialize};

use crate::contract::NodeObservation;
use crate::spaces::Space;
use crate::topology::Topology;

/// Version tag of the normalized layout (bump on any change).
pub const NORMALIZED_VERSION: u32 = 1;
/// Own features of the normalized layout.
pub const NORMALIZED_OWN: usize = 6;
/// Features per neighbour slot of the normalized layout.
pub const NORMALIZED_PER_NEIGHBOR: usize = 6;

/// Which encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Encoding {
    /// paise2025 queue-model layout (6 values).
    FidelityQueue,
    /// marl-dfaas master layout (2 + 2·degree values).
    FidelityServerless,
    /// Normalized padded layout for nodes of degree up to `max_degree`.
    Normalized { max_degree: usize },
}

impl Encoding {
    /// Parses `fidelity-queue`, `fidelity-serverless`, `normalized` (with
    /// `max_degree` from the topology) or `normalized:K`.
    pub fn parse(name: &str, topology: &Topology) -> Option<Self> {
        match name {
            "fidelity-queue" => Some(Encoding::FidelityQueue),
            "fidelity-serverless" => Some(Encoding::FidelityServerless),
            "normalized" => Some(Encoding::Normalized { max_degree: topology.max_degree() }),
            other => other
                .strip_prefix("normalized:")
                .and_then(|k| k.parse().ok())
                .map(|max_degree| Encoding::Normalized { max_degree }),
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
            Encoding::Normalized { max_degree } => NORMALIZED_OWN + NORMALIZED_PER_NEIGHBOR * max_degree,
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
            Encoding::Normalized { max_degree } => encode_normalized(obs, max_degree, out),
        }
    }
}

fn clip(x: f64) -> f32 {
    if x.is_finite() { x.clamp(-10.0, 10.0) as f32 } else { 10.0 }
}

fn encode_normalized(obs: &NodeObservation, max_degree: usize, out: &mut Vec<f32>) {
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
            }
            None => out.extend([0.0; NORMALIZED_PER_NEIGHBOR]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::NeighborObs;

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
            }],
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
        let e = Encoder::new(Encoding::Normalized { max_degree: 3 }, &topo2());
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
}
