//! The MLP forward pass, deterministic decisions, and the loader's
//! compatibility checks.

mod common;

use common::*;
use dfaas_env::encoding::{Encoder, Encoding, FUNCTIONS_VERSION};
use dfaas_env::seeds::rng;
use dfaas_env::{Decision, NodeObservation, Topology};
use dfaas_policies::learned::{
    ActionLayout, Activation, Fallback, LearnedPolicy, Mlp, MlpScratch, Mode, NetworkMeta, NodeContext, NodeEncoder,
    PolicyFile, load_learned, softplus,
};
use dfaas_policies::{Policy, PolicyError};

fn ctx(name: &str, neighbors: &[&str]) -> NodeContext {
    NodeContext { name: name.into(), neighbors: s(neighbors), ..Default::default() }
}

fn incompatible(r: Result<LearnedPolicy, PolicyError>) -> String {
    match r {
        Err(e @ PolicyError::Incompatible { .. }) => e.to_string(),
        Err(e) => panic!("expected Incompatible, got {e:?}"),
        Ok(_) => panic!("expected Incompatible, got a policy"),
    }
}

/// 2 → 2 → 3 with hand-picked weights.
fn tiny() -> PolicyFile {
    let mut f =
        PolicyFile { meta: meta(Encoding::FidelityQueue, Mode::Shared, ActionLayout::ThreeWay, 1), weights: vec![] };
    let net = NetworkMeta {
        input_dim: 2,
        output_dim: 3,
        hidden: vec![2],
        activation: Activation::Tanh,
        alpha_floor: 0.1,
        obs_mean: vec![0.0, 1.0],
        obs_std: vec![1.0, 0.5],
        layers: vec![],
    };
    let l1 = (vec![0.5, -0.25, 0.0, 1.0], vec![0.0, -1.0]);
    let l2 = (vec![1.0, 0.0, 0.0, 2.0, 0.0, 0.0], vec![0.0, 0.0, 25.0]);
    f.push_network(net, &[l1, l2]).unwrap();
    f
}

#[test]
fn hand_computed_forward() {
    let f = tiny();
    let mlp = Mlp::new(&f.meta.networks[0], &f.weights).unwrap();
    let mut scratch = mlp.scratch();
    // x = ((1 − 0)/1, (2 − 1)/0.5) = (1, 2)
    // h = tanh(0.5·1 − 0.25·2 + 0, 0·1 + 1·2 − 1) = (tanh 0, tanh 1) = (0, 0.7615941559557649)
    // z = (h0, 2·h1, 25) = (0, 1.5231883119115297, 25)
    // α = softplus(z) + 0.1 = (ln 2 + 0.1, ln(1 + e^1.5231883) + 0.1, 25 + 0.1)
    //   = (0.7931471805599453, 1.8204113511467446, 25.1)
    let alpha = mlp.forward(&[1.0, 2.0], &mut scratch).unwrap().to_vec();
    let want = [0.793_147_2, 1.820_411_4, 25.1];
    for (a, w) in alpha.iter().zip(want) {
        assert!((a - w).abs() < 1e-6, "{alpha:?} vs {want:?}");
    }
    // Clipping: x0 = (1e9 − 0)/1 → 10, so h0 = tanh(0.5·10 − 0.25·2) = tanh 4.5.
    let alpha = mlp.forward(&[1e9, 2.0], &mut scratch).unwrap();
    assert!((alpha[0] - (softplus(4.5f32.tanh()) + 0.1)).abs() < 1e-6, "{alpha:?}");
    assert!(mlp.forward(&[1.0], &mut scratch).is_none(), "wrong input length");
    assert_eq!((mlp.input_dim(), mlp.output_dim()), (2, 3));
    // A default (empty) scratch is sized on first use.
    let mut empty = MlpScratch::default();
    let again = mlp.forward(&[1.0, 2.0], &mut empty).unwrap();
    assert!((again[2] - 25.1).abs() < 1e-6);
}

#[test]
fn the_three_way_decision_is_the_dirichlet_mean() {
    // fidelity-queue (6 raw counts), one linear layer with zero weights and
    // bias (0, 1, 2): α = softplus(0, 1, 2), whatever the observation.
    let mut f =
        PolicyFile { meta: meta(Encoding::FidelityQueue, Mode::Shared, ActionLayout::ThreeWay, 3), weights: vec![] };
    let net = NetworkMeta {
        input_dim: 6,
        output_dim: 3,
        hidden: vec![],
        activation: Activation::Tanh,
        alpha_floor: 0.0,
        obs_mean: vec![0.0; 6],
        obs_std: vec![1.0; 6],
        layers: vec![],
    };
    f.push_network(net, &[(vec![0.0; 18], vec![0.0, 1.0, 2.0])]).unwrap();
    let mut p = LearnedPolicy::new(&f, &ctx("a", &["b", "c"])).unwrap();
    assert_eq!(p.action_layout(), ActionLayout::ThreeWay);
    assert_eq!(p.encoding(), Encoding::FidelityQueue);
    assert_eq!(p.name(), "learned:in-memory");
    let obs = observation(&mut rng(1), 0, 2);
    let d = p.decide(&obs);
    let a = [softplus(0.0) as f64, softplus(1.0) as f64, softplus(2.0) as f64];
    let sum: f64 = a.iter().sum();
    assert_eq!(d.as_slice().len(), 3, "three-way: [local, forward, reject]");
    for (x, y) in d.as_slice().iter().zip(a) {
        assert!((x - y / sum).abs() < 1e-7, "{d:?}");
    }
    assert_eq!(p.decide(&obs), d, "deterministic");
    assert_eq!(p.fallbacks(), 0);
}

#[test]
fn a_network_that_does_not_fit_its_own_encoding_is_refused() {
    // tiny() claims fidelity-queue (6 values) but takes 2 inputs.
    match LearnedPolicy::new(&tiny(), &ctx("a", &["b"])) {
        Err(e @ PolicyError::ModelFile { .. }) => {
            let e = e.to_string();
            assert!(e.contains("input_dim 2 but the encoding gives 6 values"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

/// α for `obs` computed independently of the policy: env's encoder + the MLP.
fn alpha_for(file: &PolicyFile, obs: &NodeObservation) -> Vec<f32> {
    let topo = dfaas_env::Topology::line(1);
    let mut x = Vec::new();
    Encoder::new(file.meta.encoding, &topo).encode(obs, &mut x);
    let mlp = Mlp::new(&file.meta.networks[0], &file.weights).unwrap();
    mlp.forward(&x, &mut mlp.scratch()).unwrap().to_vec()
}

#[test]
fn a_padded_shared_network_serves_every_degree_up_to_max() {
    let file = shared_normalized(3, &[32, 32], 11);
    let mut r = rng(12);
    for degree in 0..=3 {
        let names: Vec<String> = (1..=degree).map(|j| format!("n{j}")).collect();
        let node = NodeContext { name: "n0".into(), neighbors: names, ..Default::default() };
        let mut p = LearnedPolicy::new(&file, &node).unwrap();
        for _ in 0..50 {
            let obs = observation(&mut r, 0, degree);
            let d = p.decide(&obs);
            assert_eq!(d.degree(), degree);
            // [local, fwd_1..fwd_degree, reject] of the 5 outputs, renormalised.
            let a = alpha_for(&file, &obs);
            let mut picked = vec![a[0] as f64];
            picked.extend(a[1..=degree].iter().map(|&x| x as f64));
            picked.push(a[4] as f64);
            // Entries a sample would send less than one request are dropped.
            let full = Decision::from_weights(picked.clone()).unwrap();
            dfaas_policies::learned::drop_sub_request(&mut picked, obs.predicted_input);
            let want = Decision::from_weights(picked).unwrap();
            for (x, y) in d.as_slice().iter().zip(want.as_slice()) {
                assert!((x - y).abs() < 1e-9, "degree {degree}: {d:?} vs {want:?}");
            }
            for (x, y) in d.as_slice().iter().zip(full.as_slice()) {
                assert!(*x == 0.0 || *x >= *y, "kept shares only grow: {d:?} vs mean {full:?}");
            }
        }
        // The shared network also serves observations of another degree ≤ max.
        let other = (degree + 1) % 4;
        assert_eq!(p.decide(&observation(&mut r, 0, other)).degree(), other);
        assert_eq!(p.fallbacks(), 0);
    }
    let e = incompatible(LearnedPolicy::new(&file, &ctx("n0", &["a", "b", "c", "d"])));
    assert!(e.contains("max_degree") && e.contains("at most 3") && e.contains("has 4"), "{e}");
    // An observation past max_degree falls back to all-local, counted.
    let mut p = LearnedPolicy::new(&file, &ctx("n0", &["a"])).unwrap();
    let d = p.decide(&observation(&mut r, 0, 5));
    assert_eq!(d, Decision::all_local(5));
    assert_eq!(p.fallbacks(), 1);
    assert_eq!(p.last_fallback(), Some(Fallback::DegreeMismatch { expected: 1, found: 5 }));
}

#[test]
fn independent_networks_refuse_the_wrong_node() {
    let topo = five_agents();
    let file = independent(&topo, Encoding::FidelityServerless, 13);
    for i in 0..topo.len() {
        let node = NodeContext::from_topology(&topo, i).unwrap();
        let mut p = LearnedPolicy::new(&file, &node).unwrap();
        let d = p.decide(&observation(&mut rng(i as u64), i, topo.degree(i)));
        assert_eq!(d.degree(), topo.degree(i));
    }
    let e = incompatible(LearnedPolicy::new(&file, &ctx("node_9", &["node_1"])));
    assert!(e.contains("`node_9`") && e.contains("[node_0, node_1, node_2, node_3, node_4]"), "{e}");
    let e = incompatible(LearnedPolicy::new(&file, &ctx("node_4", &["node_1", "node_2"])));
    assert!(e.contains("degree of node `node_4`") && e.contains("the file has 1, the node has 2"), "{e}");
    let e = incompatible(LearnedPolicy::new(&file, &ctx("node_3", &["node_0", "node_2"])));
    assert!(
        e.contains("neighbours of node `node_3`") && e.contains("[node_2, node_0]") && e.contains("[node_0, node_2]"),
        "{e}"
    );
    // At decision time, an observation of another degree falls back, counted.
    let mut p = LearnedPolicy::new(&file, &NodeContext::from_topology(&topo, 0).unwrap()).unwrap();
    let d = p.decide(&observation(&mut rng(3), 0, 2));
    assert_eq!(d, Decision::all_local(2));
    assert_eq!(p.last_fallback(), Some(Fallback::DegreeMismatch { expected: 3, found: 2 }));
}

#[test]
fn shared_fidelity_and_size_mismatches_are_explained() {
    // A shared fidelity-serverless network only fits one degree.
    let topo = five_agents();
    let mut file = independent(&topo, Encoding::FidelityServerless, 14);
    file.meta.mode = Mode::Shared;
    file.meta.nodes.clear();
    let n = file.meta.networks[1].clone();
    let mut shared = PolicyFile { meta: file.meta.clone(), weights: vec![] };
    shared.meta.networks.clear();
    let mut r = rng(15);
    let l = layers(&n, &mut r);
    shared.push_network(n, &l).unwrap(); // node_1's: degree 2
    assert!(LearnedPolicy::new(&shared, &ctx("x", &["a", "b"])).is_ok());
    let e = incompatible(LearnedPolicy::new(&shared, &ctx("x", &["a", "b", "c"])));
    assert!(
        e.contains("fidelity-serverless") && e.contains("the file has 2 (6 inputs), the node has 3 (8 inputs)"),
        "{e}"
    );
    // Encoding version from another build.
    let mut old = shared_normalized(2, &[8], 16);
    old.meta.encoding_version = FUNCTIONS_VERSION + 1;
    old.meta.encoding = Encoding::Normalized { max_degree: 2, version: FUNCTIONS_VERSION + 1, period_slots: None };
    let e = incompatible(LearnedPolicy::new(&old, &ctx("x", &["a"])));
    assert!(
        e.contains("version of the `normalized` encoding")
            && e.contains(&format!(
                "the file has {}, the node has versions 1 to {FUNCTIONS_VERSION}",
                FUNCTIONS_VERSION + 1
            )),
        "{e}"
    );
    // An output too short for this node's degree.
    let mut short = PolicyFile {
        meta: meta(Encoding::normalized(3, None), Mode::Shared, ActionLayout::PerNeighbor, 3),
        weights: vec![],
    };
    let n = net(32, &[4], 3, &mut r);
    let l = layers(&n, &mut r);
    short.push_network(n, &l).unwrap();
    assert!(LearnedPolicy::new(&short, &ctx("x", &["a"])).is_ok());
    let e = incompatible(LearnedPolicy::new(&short, &ctx("x", &["a", "b"])));
    assert!(e.contains("action size") && e.contains("the file has 3, the node has 4"), "{e}");
    // A file that fails its own checks is a ModelFile error, even in memory.
    let mut bad = shared_normalized(1, &[4], 17);
    bad.weights[0] = f32::NAN;
    match LearnedPolicy::new(&bad, &ctx("x", &[])) {
        Err(PolicyError::ModelFile { file, reason }) => {
            assert_eq!(file, "<in-memory policy>");
            assert!(reason.contains("not finite"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn fidelity_serverless_order_matches_env_encoder() {
    let topo = five_agents();
    let mut r = rng(18);
    for encoding in [Encoding::FidelityServerless, Encoding::FidelityQueue, Encoding::normalized(3, None)] {
        let env = Encoder::new(encoding, &topo);
        for i in 0..topo.len() {
            let node = NodeContext::from_topology(&topo, i).unwrap();
            let mine = NodeEncoder::new(encoding, &node.neighbors);
            for _ in 0..20 {
                let mut obs = observation(&mut r, i, topo.degree(i));
                for (nb, &j) in obs.neighbors.iter_mut().zip(topo.neighbors(i)) {
                    nb.node = j;
                }
                let (mut a, mut b) = (Vec::new(), Vec::new());
                env.encode(&obs, &mut a);
                mine.encode(&obs, &mut b);
                assert_eq!(a, b, "{encoding:?}, node {i}");
                assert_eq!(mine.dim(topo.degree(i)), a.len());
            }
        }
    }
    // node_3's neighbours in action order are [node_2, node_0]: the layout sorts them.
    let node = NodeContext::from_topology(&topo, 3).unwrap();
    assert_eq!(node.neighbors, s(&["node_2", "node_0"]));
    let mut obs = observation(&mut r, 3, 2);
    obs.slot = 4;
    obs.input = 70;
    obs.prev_input = 60;
    obs.neighbors[0].prev_forwarded = 20; // to node_2
    obs.neighbors[0].prev_forward_rejects = 2;
    obs.neighbors[1].prev_forwarded = 10; // to node_0
    obs.neighbors[1].prev_forward_rejects = 1;
    let mut v = Vec::new();
    NodeEncoder::new(Encoding::FidelityServerless, &node.neighbors).encode(&obs, &mut v);
    // input_rate, rejects_to_node_0, rejects_to_node_2, forward_to_node_0, forward_to_node_2, prev_input_rate
    assert_eq!(v, vec![70.0, 1.0, 2.0, 10.0, 20.0, 60.0]);
}

#[test]
fn a_non_finite_output_falls_back_to_all_local() {
    // One layer, weights 3e38: z = 3e38 · 10 overflows to +∞.
    let mut f = PolicyFile {
        meta: meta(
            Encoding::Normalized { max_degree: 1, version: 1, period_slots: None },
            Mode::Shared,
            ActionLayout::PerNeighbor,
            1,
        ),
        weights: vec![],
    };
    let net = NetworkMeta {
        input_dim: 12,
        output_dim: 3,
        hidden: vec![],
        activation: Activation::Tanh,
        alpha_floor: 0.0,
        obs_mean: vec![-10.0; 12],
        obs_std: vec![1.0; 12],
        layers: vec![],
    };
    f.push_network(net, &[(vec![3e38; 36], vec![0.0; 3])]).unwrap();
    let mut p = LearnedPolicy::new(&f, &ctx("x", &["y"])).unwrap();
    let obs = observation(&mut rng(19), 0, 1);
    assert_eq!(p.decide(&obs), Decision::all_local(1));
    assert_eq!(p.decide(&obs), Decision::all_local(1));
    assert_eq!(p.fallbacks(), 2);
    assert_eq!(p.last_fallback(), Some(Fallback::NonFinite));
    assert!(Fallback::NonFinite.to_string().contains("not finite"));
}

#[test]
fn load_learned_names_the_policy_after_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("five-agents.dfpolicy");
    let topo = five_agents();
    independent(&topo, Encoding::normalized(3, None), 20).write(&path).unwrap();
    let node = NodeContext::from_topology(&topo, 2).unwrap();
    let mut p = load_learned(&path, &node).unwrap();
    assert_eq!(p.name(), "learned:five-agents");
    assert!(!p.simulator_only());
    assert_eq!(p.decide(&observation(&mut rng(21), 2, 2)).degree(), 2);
    let e = load_learned(&path, &ctx("node_7", &[])).err().unwrap().to_string();
    assert!(e.contains(&path.display().to_string()) && e.contains("node_7"), "{e}");
    assert!(NodeContext::from_topology(&topo, 5).is_none());
}

/// Extreme observations (huge, zero, NaN-producing capacities) never yield an
/// invalid decision.
#[test]
fn decisions_are_valid_on_extreme_observations() {
    let file = shared_normalized(3, &[16, 16], 22);
    let mut p = LearnedPolicy::new(&file, &ctx("x", &["a", "b", "c"])).unwrap();
    let mut r = rng(23);
    let values = [0.0, -1.0, 1e-300, 1e300, f64::MAX, f64::INFINITY, f64::NAN, 0.5];
    for case in 0..2000 {
        let mut obs = observation(&mut r, 0, case % 4);
        obs.capacity = values[case % values.len()];
        obs.predicted_input = values[(case / 8) % values.len()];
        obs.slot_seconds = values[(case / 64) % values.len()];
        for nb in &mut obs.neighbors {
            nb.spare_capacity = values[(case / 3) % values.len()];
            nb.load = values[(case / 5) % values.len()];
            nb.age_seconds = Some(values[(case / 7) % values.len()]);
        }
        let d = p.decide(&obs);
        assert_eq!(d.degree(), obs.degree());
        let sum: f64 = d.as_slice().iter().sum();
        assert!((sum - 1.0).abs() < 1e-9 && d.as_slice().iter().all(|x| *x >= 0.0));
    }
}

/// A file of encoding version 1 still loads and decides; the workload period
/// a version-2 file reads the phase of must be the node's.
#[test]
fn encoding_versions_and_the_phase_period() {
    let v1 = Encoding::Normalized { max_degree: 2, version: 1, period_slots: None };
    let topo = Topology::from_edges(vec!["self".into()], &[]).unwrap();
    let file = |encoding: Encoding, seed: u64| {
        let mut r = rng(seed);
        let mut f = PolicyFile { meta: meta(encoding, Mode::Shared, ActionLayout::PerNeighbor, 2), weights: vec![] };
        let n = net(Encoder::new(encoding, &topo).dim(0), &[8], 4, &mut r);
        let l = layers(&n, &mut r);
        f.push_network(n, &l).unwrap();
        f
    };
    let old = file(v1, 31);
    assert_eq!(old.meta.encoding_version, 1);
    let mut p = LearnedPolicy::new(&old, &ctx("x", &["a", "b"])).unwrap();
    let obs = observation(&mut rng(32), 0, 2);
    assert_eq!(p.decide(&obs).degree(), 2);
    assert_eq!(p.fallbacks(), 0);
    // A version-1 file on a node whose observations carry a phase.
    let phased = NodeContext { period_slots: Some(288), ..ctx("x", &["a", "b"]) };
    let e = incompatible(LearnedPolicy::new(&old, &phased));
    assert!(
        e.contains("observation.period_slots")
            && e.contains("version 1 has no phase")
            && e.contains("the file has none, the node has 288 slots"),
        "{e}"
    );
    // A version-2 file trained with a phase: the node must declare the same period.
    let new = file(Encoding::normalized(2, Some(288)), 33);
    let e = incompatible(LearnedPolicy::new(&new, &ctx("x", &["a", "b"])));
    assert!(e.contains("the file has 288 slots, the node has none"), "{e}");
    let other = NodeContext { period_slots: Some(96), ..ctx("x", &["a", "b"]) };
    assert!(incompatible(LearnedPolicy::new(&new, &other)).contains("the file has 288 slots, the node has 96 slots"));
    // With the right period the phase is read: the same state a quarter day
    // later gets another decision.
    let mut p = LearnedPolicy::new(&new, &phased).unwrap();
    let mut later = obs.clone();
    later.slot = obs.slot + 72;
    assert_ne!(p.decide(&obs), p.decide(&later));
}
