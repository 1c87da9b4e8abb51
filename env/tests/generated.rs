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
