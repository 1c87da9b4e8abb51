//! Generated federations: a scenario with `[topology] generator` and per-node
//! draws loads, builds and steps at 1 000 nodes; the same file gives the same
//! federation; impossible parameters name file, field and value.

use std::path::Path;

use dfaas_env::{Decision, MultiAgentEnv, Scenario, Simulator};

fn scenario(topology: &str, capacity: &str) -> String {
    format!(
        "name = \"gen\"\n[episode]\nmax_steps = 4\nslot_seconds = 1.0\n[topology]\n{topology}\n\
         [model]\nkind = \"capacity\"\ncapacity_rps = {capacity}\n\
         [workload]\nkind = \"constant\"\nrate_rps = {{ uniform = [0.0, 30.0], seed = 2 }}\n"
    )
}

fn load(text: &str) -> Result<Scenario, String> {
    Scenario::from_toml_str(text, Path::new("gen.toml")).map_err(|e| e.to_string())
}

#[test]
fn a_generated_thousand_node_federation_steps() {
    let s = load(&scenario(
        "generator = { kind = \"geometric\", nodes = 1000, k = 3, seed = 7, join = true }",
        "{ uniform = [5.0, 40.0], seed = 1 }",
    ))
    .unwrap();
    let topo = s.build_topology().unwrap();
    assert_eq!(topo.len(), 1000);
    assert_eq!(topo.names()[999], "node_999");
    let mut sim = Simulator::new(&s).unwrap();
    MultiAgentEnv::reset(&mut sim, Some(3)).unwrap();
    let inputs: Vec<u32> = sim.inputs().iter().map(|v| v[0]).collect();
    // Draws are spread over their range, not one value.
    let (lo, hi) = (inputs.iter().min().unwrap(), inputs.iter().max().unwrap());
    assert!(*lo <= 2 && *hi >= 28, "inputs drawn on [0, 30]: {lo}..{hi}");
    let all_local: Vec<Decision> = (0..1000).map(|i| Decision::all_local(topo.degree(i))).collect();
    MultiAgentEnv::advance(&mut sim, &all_local).unwrap();
    let processed: u64 = sim.outcomes().iter().map(|o| o.processed as u64).sum();
    assert!(processed > 0 && processed <= inputs.iter().map(|&x| x as u64).sum());

    // The same file, the same federation.
    let again = load(&scenario(
        "generator = { kind = \"geometric\", nodes = 1000, k = 3, seed = 7, join = true }",
        "{ uniform = [5.0, 40.0], seed = 1 }",
    ))
    .unwrap();
    assert_eq!(again.build_topology().unwrap(), topo);
}

#[test]
fn the_shipped_thousand_node_scenario_loads() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios/scale/capacity-geo-1000.toml");
    let s = Scenario::load(&p).unwrap();
    assert_eq!(s.build_topology().unwrap().len(), 1000);
}

#[test]
fn impossible_generators_and_draws_name_the_field() {
    let cap = "{ uniform = [5.0, 40.0], seed = 1 }";
    let e = load(&scenario("generator = { kind = \"geometric\", nodes = 10, k = 10, seed = 1 }", cap)).unwrap_err();
    assert!(e.contains("gen.toml") && e.contains("topology.generator.k") && e.contains("10"), "{e}");
    let e =
        load(&scenario("generator = { kind = \"geometric\", nodes = 300, radius = 0.01, seed = 1 }", cap)).unwrap_err();
    assert!(e.contains("topology.generator.seed") && e.contains("disconnected"), "{e}");
    let e = load(&scenario("generator = { kind = \"ring\", nodes = 20000 }", cap)).unwrap_err();
    assert!(e.contains("topology.generator.nodes") && e.contains("20000") && e.contains("10000"), "{e}");
    let e = load(&scenario("generator = { kind = \"ring\", nodes = 5 }\nadjacency = [\"a b\"]", cap)).unwrap_err();
    assert!(e.contains("topology.generator") && e.contains("not both"), "{e}");
    let e = load(&scenario("generator = { kind = \"hypercube\", nodes = 5 }", cap)).unwrap_err();
    assert!(e.contains("hypercube"), "{e}");
    // A draw that reaches below zero is caught at the node it lands on.
    let e = load(&scenario("generator = { kind = \"ring\", nodes = 50 }", "{ uniform = [-5.0, 10.0], seed = 1 }"))
        .unwrap_err();
    assert!(e.contains("model.capacity_rps[") && e.contains("non-negative"), "{e}");
    // A draw whose range is upside down is named as such.
    let e = load(&scenario("generator = { kind = \"ring\", nodes = 5 }", "{ uniform = [40.0, 5.0], seed = 1 }"))
        .unwrap_err();
    assert!(e.contains("model.capacity_rps") && e.contains("low ≤ high"), "{e}");
}

#[test]
fn expanding_gives_the_same_federation_explicitly() {
    let text = scenario(
        "generator = { kind = \"barabasi-albert\", nodes = 60, m = 2, seed = 4 }",
        "{ uniform = [5.0, 40.0], seed = 1 }",
    );
    let s = load(&text).unwrap();
    let explicit = s.expanded_toml().unwrap();
    assert!(!explicit.contains("generator") && !explicit.contains("uniform"), "{explicit}");
    let e = load(&explicit).unwrap();
    // Neighbour order included (it fixes each node's action layout).
    assert_eq!(e.build_topology().unwrap(), s.build_topology().unwrap());
    let run = |s: &Scenario| {
        let mut sim = Simulator::new(s).unwrap();
        MultiAgentEnv::reset(&mut sim, Some(9)).unwrap();
        let topo = s.build_topology().unwrap();
        let d: Vec<Decision> = (0..topo.len()).map(|i| Decision::all_local(topo.degree(i))).collect();
        MultiAgentEnv::advance(&mut sim, &d).unwrap();
        sim.outcomes().iter().map(|o| (o.input, o.processed)).collect::<Vec<_>>()
    };
    assert_eq!(run(&e), run(&s));
}

/// `links.distance_delay_s` turns a geometric federation's distances into
/// propagation delay: a node that forwards to its farthest neighbour waits
/// longer than one that forwards to its nearest, by the distance × the rate.
#[test]
fn distances_become_link_delays() {
    let with = |delay: &str, topology: &str| {
        format!("{}[links]\ndistance_delay_s = {delay}\n", scenario(topology, "{ uniform = [0.0, 1.0], seed = 1 }"))
    };
    let geometric = "generator = { kind = \"geometric\", nodes = 30, k = 3, seed = 4, join = true }";
    let s = load(&with("0.1", geometric)).unwrap();
    let plain = load(&scenario(geometric, "{ uniform = [0.0, 1.0], seed = 1 }")).unwrap();
    let topo = s.build_topology().unwrap();
    let pos = s.positions().expect("geometric nodes have positions");
    let (links, flat) = (s.build_links(&topo).unwrap(), plain.build_links(&topo).unwrap());
    for a in 0..topo.len() {
        for &b in topo.neighbors(a) {
            let d = ((pos[a].0 - pos[b].0).powi(2) + (pos[a].1 - pos[b].1).powi(2)).sqrt();
            let extra = links.forward_delay_s(a, b, 0) - flat.forward_delay_s(a, b, 0);
            assert!((extra - 0.1 * d).abs() < 1e-12, "{a}→{b}: +{extra} s for a distance {d}");
            assert!((links.return_delay_s(b, a, 0) - flat.return_delay_s(b, a, 0) - 0.1 * d).abs() < 1e-12);
        }
    }
    // Without positions there is nothing to measure: the field is named.
    let e = load(&with("0.1", "generator = { kind = \"ring\", nodes = 5 }")).unwrap_err();
    assert!(e.contains("links.distance_delay_s") && e.contains("geometric"), "{e}");
    let e = load(&with("-1.0", geometric)).unwrap_err();
    assert!(e.contains("links.distance_delay_s") && e.contains("-1"), "{e}");
}
