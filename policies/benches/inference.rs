//! `decide()` latency of a learned policy: a shared network on the normalized
//! encoding (max_degree 3), for a node of degree 3.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dfaas_env::encoding::{Encoding, NORMALIZED_VERSION};
use dfaas_env::seeds::rng;
use dfaas_env::{NeighborObs, NodeObservation};
use dfaas_policies::Policy;
use dfaas_policies::learned::{
    ActionLayout, Activation, LearnedPolicy, Mode, NetworkMeta, NodeContext, PolicyFile, PolicyMeta,
};
use rand::RngExt;

const MAX_DEGREE: usize = 3;

fn shared_file(hidden: &[usize]) -> PolicyFile {
    let mut r = rng(1);
    let input =
        dfaas_env::encoding::normalized_sizes(NORMALIZED_VERSION).map_or(0, |(own, per)| own + per * MAX_DEGREE);
    let mut file = PolicyFile {
        meta: PolicyMeta {
            format_version: 1,
            encoding: Encoding::normalized(MAX_DEGREE, None),
            encoding_version: NORMALIZED_VERSION,
            mode: Mode::Shared,
            action_layout: ActionLayout::PerNeighbor,
            max_degree: MAX_DEGREE,
            nodes: vec![],
            networks: vec![],
            scenario: "bench".into(),
            seed: 1,
            training: serde_json::Value::Null,
            created_by: "bench".into(),
        },
        weights: vec![],
    };
    let net = NetworkMeta {
        input_dim: input,
        output_dim: MAX_DEGREE + 2,
        hidden: hidden.to_vec(),
        activation: Activation::Tanh,
        alpha_floor: 0.05,
        obs_mean: vec![0.1; input],
        obs_std: vec![1.2; input],
        layers: vec![],
    };
    let layers: Vec<(Vec<f32>, Vec<f32>)> = net
        .widths()
        .windows(2)
        .map(|p| {
            let s = 1.0 / (p[0] as f32).sqrt();
            (
                (0..p[0] * p[1]).map(|_| r.random_range(-s..s)).collect(),
                (0..p[1]).map(|_| r.random_range(-0.1f32..0.1)).collect(),
            )
        })
        .collect();
    file.push_network(net, &layers).unwrap();
    file
}

fn observation() -> NodeObservation {
    NodeObservation {
        slot: 7,
        slot_seconds: 1.0,
        input: 80,
        predicted_input: 82.0,
        prev_input: 75,
        capacity: 50.0,
        queue_len: 3,
        prev_local: 50,
        prev_local_rejects: 4,
        prev_rejected: 2,
        neighbors: (0..MAX_DEGREE)
            .map(|j| NeighborObs {
                node: j + 1,
                prev_forwarded: 8 + j as u32,
                prev_forward_rejects: 1,
                spare_capacity: 12.0 * j as f64,
                load: 0.6,
                degree: 2,
                latency_s: 0.004,
                capacity: 40.0,
                age_seconds: Some(1.0),
            })
            .collect(),
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let node = NodeContext {
        name: "node_0".into(),
        neighbors: vec!["node_1".into(), "node_2".into(), "node_3".into()],
        ..Default::default()
    };
    let obs = observation();
    for hidden in [[64, 64], [256, 256]] {
        let file = shared_file(&hidden);
        let mut policy = LearnedPolicy::new(&file, &node).unwrap();
        c.bench_function(&format!("decide/normalized-d3/hidden-{}x{}", hidden[0], hidden[1]), |b| {
            b.iter(|| policy.decide(black_box(&obs)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
