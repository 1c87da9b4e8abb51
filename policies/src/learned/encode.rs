//! One node's observation encoder, needing only the node's neighbour names
//! (not the whole topology) and allocating nothing per call.

use dfaas_env::NodeObservation;
use dfaas_env::Topology;
use dfaas_env::encoding::{Encoder, Encoding};

/// Encodes a node's observations exactly as `dfaas_env::encoding::Encoder`
/// does for that node in its topology.
#[derive(Debug, Clone)]
pub struct NodeEncoder {
    encoding: Encoding,
    /// env's encoder, for the layouts that do not depend on neighbour names.
    inner: Encoder,
    /// fidelity-serverless: action slots sorted by neighbour name.
    by_name: Vec<usize>,
}

impl NodeEncoder {
    /// An encoder for a node whose neighbours, in action order, are `neighbors`.
    pub fn new(encoding: Encoding, neighbors: &[String]) -> Self {
        let lone = Topology::from_edges(vec!["self".to_string()], &[]).expect("a one-node topology is always valid");
        let mut by_name: Vec<usize> = (0..neighbors.len()).collect();
        // Stable sort, as env's encoder does.
        by_name.sort_by(|&a, &b| neighbors[a].cmp(&neighbors[b]));
        Self { encoding, inner: Encoder::new(encoding, &lone), by_name }
    }

    /// The encoding.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Vector length for a node of `degree` neighbours.
    pub fn dim(&self, degree: usize) -> usize {
        self.inner.dim(degree)
    }

    /// Encodes `obs` into `out` (cleared first).
    pub fn encode(&self, obs: &NodeObservation, out: &mut Vec<f32>) {
        if self.encoding != Encoding::FidelityServerless {
            return self.inner.encode(obs, out);
        }
        // marl-dfaas master layout: input_rate, prev_forward_rejects_to_<n>…,
        // prev_forward_to_<n>… (n by name), prev_input_rate (1 at slot 0).
        out.clear();
        out.push(obs.input as f32);
        let nbs = &obs.neighbors;
        if self.by_name.len() == nbs.len() {
            out.extend(self.by_name.iter().map(|&k| nbs[k].prev_forward_rejects as f32));
            out.extend(self.by_name.iter().map(|&k| nbs[k].prev_forwarded as f32));
        } else {
            out.extend(nbs.iter().map(|n| n.prev_forward_rejects as f32));
            out.extend(nbs.iter().map(|n| n.prev_forwarded as f32));
        }
        out.push(if obs.slot == 0 { 1.0 } else { obs.prev_input as f32 });
    }
}
