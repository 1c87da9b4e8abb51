//! Policy-file fixtures shared by the learned-policy tests.
#![allow(dead_code)]

use dfaas_env::encoding::{Encoder, Encoding};
use dfaas_env::seeds::{SimRng, rng};
use dfaas_env::{NeighborObs, NodeObservation, Topology};
use dfaas_policies::learned::{ActionLayout, Activation, Mode, NetworkMeta, NodeEntry, PolicyFile, PolicyMeta};
use rand::RngExt;

/// Metadata with no networks yet.
pub fn meta(encoding: Encoding, mode: Mode, layout: ActionLayout, max_degree: usize) -> PolicyMeta {
    PolicyMeta {
        format_version: 1,
        encoding,
        encoding_version: encoding.version(),
        mode,
        action_layout: layout,
        max_degree,
        nodes: Vec::new(),
        networks: Vec::new(),
        scenario: "marl-five-agent".into(),
        seed: 42,
        training: serde_json::json!({
            "iterations": 300, "agent_steps": 1_200_000u64, "wall_s": 812.5,
            "final": {"reward": 0.8125, "rejected": 0.031}
        }),
        created_by: "dfaas-training tests".into(),
    }
}

/// A network header (layers filled by `push_network`) with random statistics.
pub fn net(input: usize, hidden: &[usize], output: usize, r: &mut SimRng) -> NetworkMeta {
    NetworkMeta {
        input_dim: input,
        output_dim: output,
        hidden: hidden.to_vec(),
        activation: Activation::Tanh,
        alpha_floor: 0.05,
        obs_mean: (0..input).map(|_| r.random_range(-1.0f32..1.0)).collect(),
        obs_std: (0..input).map(|_| r.random_range(0.1f32..3.0)).collect(),
        layers: Vec::new(),
    }
}

/// Random dense layers for `net`, scaled like a fresh orthogonal-ish init.
pub fn layers(net: &NetworkMeta, r: &mut SimRng) -> Vec<(Vec<f32>, Vec<f32>)> {
    let w = net.widths();
    w.windows(2)
        .map(|p| {
            let scale = 1.5 / (p[0] as f32).sqrt();
            (
                (0..p[0] * p[1]).map(|_| r.random_range(-scale..scale)).collect(),
                (0..p[1]).map(|_| r.random_range(-0.5f32..0.5)).collect(),
            )
        })
        .collect()
}

/// A shared normalized network padded to `max_degree` (output `max_degree + 2`).
pub fn shared_normalized(max_degree: usize, hidden: &[usize], seed: u64) -> PolicyFile {
    let mut r = rng(seed);
    let mut file = PolicyFile {
        meta: meta(Encoding::normalized(max_degree, None), Mode::Shared, ActionLayout::PerNeighbor, max_degree),
        weights: Vec::new(),
    };
    let topo = Topology::from_edges(vec!["self".to_string()], &[]).unwrap();
    let n = net(Encoder::new(Encoding::normalized(max_degree, None), &topo).dim(0), hidden, max_degree + 2, &mut r);
    let l = layers(&n, &mut r);
    file.push_network(n, &l).unwrap();
    file
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// marl-dfaas's five-agent graph.
pub fn five_agents() -> Topology {
    Topology::from_adjacency(None, &s(&["node_0 node_1 node_2", "node_3 node_2 node_0", "node_1 node_4"])).unwrap()
}

/// Independent networks, one per node of `topo`, for `encoding`.
pub fn independent(topo: &Topology, encoding: Encoding, seed: u64) -> PolicyFile {
    let mut r = rng(seed);
    let max_degree = topo.max_degree();
    let mut file = PolicyFile {
        meta: meta(encoding, Mode::Independent, ActionLayout::PerNeighbor, max_degree),
        weights: Vec::new(),
    };
    for i in 0..topo.len() {
        let d = topo.degree(i);
        let input = match encoding {
            Encoding::FidelityQueue => 6,
            Encoding::FidelityServerless => 2 + 2 * d,
            Encoding::Normalized { .. } => Encoder::new(encoding, topo).dim(d),
        };
        let n = net(input, &[16, 16], d + 2, &mut r);
        let l = layers(&n, &mut r);
        let index = file.push_network(n, &l).unwrap();
        file.meta.nodes.push(NodeEntry {
            name: topo.names()[i].clone(),
            neighbors: topo.neighbors(i).iter().map(|&j| topo.names()[j].clone()).collect(),
            degree: d,
            network: index,
        });
    }
    file
}

/// A plausible observation of `degree` known neighbours.
pub fn observation(r: &mut SimRng, node: usize, degree: usize) -> NodeObservation {
    NodeObservation {
        node,
        slot: r.random_range(0..100),
        slot_seconds: 1.0,
        input: r.random_range(0..200),
        predicted_input: r.random_range(0.0..200.0),
        prev_input: r.random_range(0..200),
        capacity: r.random_range(1.0..100.0),
        queue_len: r.random_range(0..20),
        prev_local: r.random_range(0..50),
        prev_local_rejects: r.random_range(0..10),
        prev_rejected: r.random_range(0..10),
        neighbors: (0..degree)
            .map(|j| NeighborObs {
                node: j + 1,
                prev_forwarded: r.random_range(0..50),
                prev_forward_rejects: r.random_range(0..10),
                spare_capacity: r.random_range(0.0..50.0),
                load: r.random_range(0.0..2.0),
                degree: r.random_range(1..4),
                latency_s: r.random_range(0.0..0.02),
                capacity: r.random_range(1.0..100.0),
                age_seconds: if r.random_range(0..4) == 0 { None } else { Some(r.random_range(0.0..5.0)) },
            })
            .collect(),
        ..Default::default()
    }
}
