//! Several functions per node: agents are node-function pairs sharing their
//! node's budget; no node serves more unit-seconds than it has; requests
//! are conserved; the joint oracle serves at least what fixed plans serve;
//! bad files name file, field and value.

use std::path::Path;

use dfaas_env::reference::Oracle;
use dfaas_env::{Decision, MultiAgentEnv, Scenario, Simulator};

/// Three nodes on a line; `image` (4 units × 0.5 s = 2 unit-s) everywhere,
/// `text` (1 unit × 0.1 s) on a and c; budgets of 4 units (4 unit-s a slot).
fn scenario(extra_image: &str, workload: &str) -> String {
    format!(
        "name = \"fx\"\n[episode]\nmax_steps = 40\nslot_seconds = 1.0\n\
         [topology]\nnodes = [\"a\", \"b\", \"c\"]\nadjacency = [\"a b\", \"b c\"]\n\
         [model]\nkind = \"budget\"\nbudget_units = 4\n\
         [[functions]]\nname = \"image\"\ncost_units = 4\nservice_time_s = 0.5\n{extra_image}\n\
         [[functions]]\nname = \"text\"\ncost_units = 1\nservice_time_s = 0.1\nnodes = [\"a\", \"c\"]\n\
         [workload]\n{workload}\n"
    )
}

const NORMAL: &str = "kind = \"normal\"\nmean_rps = 6.0\nstd_rps = 4.0\nmin_rps = 0.0\nmax_rps = 20.0";

fn load(text: &str) -> Result<Scenario, String> {
    Scenario::from_toml_str(text, Path::new("fx.toml")).map_err(|e| e.to_string())
}

/// Every agent forwards `share` of its input to its first neighbour, keeps the rest.
fn plan(sim: &Simulator, share: f64) -> Vec<Decision> {
    (0..sim.topology().len())
        .map(|a| {
            let deg = sim.topology().degree(a);
            if deg == 0 {
                return Decision::all_local(0);
            }
            let mut v = vec![0.0; deg + 2];
            v[0] = 1.0 - share;
            v[1] = share;
            Decision::new(v).unwrap()
        })
        .collect()
}

#[test]
fn budgets_are_shared_and_never_exceeded() {
    let s = load(&scenario("", NORMAL)).unwrap();
    let mut sim = Simulator::new(&s).unwrap();
    assert_eq!(sim.agents(), ["a/image", "a/text", "b/image", "c/image", "c/text"]);
    let names = |a: usize| -> Vec<String> {
        sim.topology().neighbors(a).iter().map(|&j| sim.topology().names()[j].clone()).collect()
    };
    assert_eq!(names(0), ["b/image"]);
    assert!(names(1).is_empty(), "b hosts no text: a/text has no neighbour");
    let cost = [2.0, 0.1, 2.0, 2.0, 0.1];
    let node = [0, 0, 1, 2, 2];
    for share in [0.0, 0.5, 1.0] {
        MultiAgentEnv::reset(&mut sim, Some(11)).unwrap();
        let mut shared_ever = false;
        while !sim.is_done() {
            let d = plan(&sim, share);
            MultiAgentEnv::advance(&mut sim, &d).unwrap();
            let o = sim.outcomes();
            let mut used = [0.0; 3];
            for a in 0..5 {
                used[node[a]] += o[a].processed as f64 * cost[a];
                // Each agent's own requests are conserved.
                let fate = o[a].local + o[a].forwarded_total() + o[a].rejected;
                assert_eq!(fate, o[a].input);
            }
            assert!(used.iter().all(|&u| u <= 4.0 + 1e-9), "a node served more than its budget: {used:?}");
            let input: u32 = o.iter().map(|x| x.input).sum();
            let done: u32 = o.iter().map(|x| x.processed + x.lost()).sum();
            assert_eq!(input, done, "every request is processed or lost once");
            // Capacities are each function's part of its node's budget: a's two sum to ≤ its budget.
            let c = sim.capacities();
            assert!(c[0] * 2.0 + c[1] * 0.1 <= 4.0 + 1e-9, "{c:?}");
            shared_ever |= o[0].local_rejects > 0 && o[1].processed > 0;
        }
        assert!(shared_ever || share > 0.0, "an overloaded a served text beside images");
    }
}

#[test]
fn shares_guarantee_a_function_its_part() {
    // text guaranteed 0.75 of a's 4 unit-s: at most 1 unit-s left for image, so ≤ 0 whole images
    // when text has the load for 3 unit-s (30 requests).
    let wl = "kind = \"constant\"\nrate_rps = 40.0";
    let s = load(&scenario("share = 0.25", wl)).unwrap();
    let mut sim = Simulator::new(&s).unwrap();
    MultiAgentEnv::reset(&mut sim, Some(1)).unwrap();
    let d = plan(&sim, 0.0);
    MultiAgentEnv::advance(&mut sim, &d).unwrap();
    let o = sim.outcomes();
    assert_eq!(o[1].processed, 30, "text gets its 3 unit-s (0.75 of 4) = 30 requests");
    assert_eq!(o[0].processed, 0, "image keeps 1 unit-s: less than one 2 unit-s request");
    assert_eq!(o[2].processed, 2, "b hosts image only: 4 unit-s = 2 requests");
}

#[test]
fn without_shares_every_function_keeps_the_same_fraction() {
    // At a: images 4 × 2 = 8 unit-s, texts 40 × 0.1 = 4 unit-s, 4 units: a third each.
    let s =
        load(&scenario("workload = { kind = \"constant\", rate_rps = 4.0 }", "kind = \"constant\"\nrate_rps = 40.0"))
            .unwrap();
    let mut sim = Simulator::new(&s).unwrap();
    MultiAgentEnv::reset(&mut sim, Some(1)).unwrap();
    let d = plan(&sim, 0.0);
    MultiAgentEnv::advance(&mut sim, &d).unwrap();
    let o = sim.outcomes();
    assert_eq!((o[0].processed, o[1].processed), (1, 13), "floor(4/3) images, floor(40/3) texts");
    // Capacities after a slot: each function's expected part (forecasts = last inputs).
    let c = sim.capacities();
    assert!((c[0] - 4.0 / 3.0).abs() < 0.2 && (c[1] - 40.0 / 3.0).abs() < 2.0, "{c:?}");
}

#[test]
fn the_joint_oracle_serves_at_least_fixed_plans() {
    let s = load(&scenario("", NORMAL)).unwrap();
    let base = Simulator::new(&s).unwrap();
    for seed in [3, 4, 5] {
        let mut served = Vec::new();
        for share in [0.0, 0.3, 0.7] {
            let mut sim = base.clone();
            MultiAgentEnv::reset(&mut sim, Some(seed)).unwrap();
            let mut p = 0u64;
            while !sim.is_done() {
                let d = plan(&sim, share);
                MultiAgentEnv::advance(&mut sim, &d).unwrap();
                p += sim.outcomes().iter().map(|o| o.processed as u64).sum::<u64>();
            }
            served.push(p);
        }
        let mut sim = base.clone();
        let mut oracle = Oracle::new(&sim).unwrap();
        MultiAgentEnv::reset(&mut sim, Some(seed)).unwrap();
        let mut p = 0u64;
        while !sim.is_done() {
            let d = oracle.decide_all(&mut sim);
            MultiAgentEnv::advance(&mut sim, &d).unwrap();
            p += sim.outcomes().iter().map(|o| o.processed as u64).sum::<u64>();
        }
        let best = *served.iter().max().unwrap();
        assert!(p >= best, "seed {seed}: oracle {p} < best fixed plan {best} ({served:?})");
    }
}

#[test]
fn same_seed_same_episode() {
    let s = load(&scenario("", NORMAL)).unwrap();
    let run = || {
        let mut sim = Simulator::new(&s).unwrap();
        MultiAgentEnv::reset(&mut sim, Some(9)).unwrap();
        let mut out = Vec::new();
        while !sim.is_done() {
            let d = plan(&sim, 0.4);
            MultiAgentEnv::advance(&mut sim, &d).unwrap();
            out.push(sim.outcomes().to_vec());
        }
        out
    };
    assert_eq!(run(), run());
}

#[test]
fn per_function_workloads_and_named_trace_columns() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "minute,c/text,a/image,a/text,b/image,c/image\n0,5,1,2,3,4\n1,50,10,20,30,40\n").unwrap();
    let text = scenario("", &format!("kind = \"trace\"\nfile = {:?}", csv.display().to_string()));
    let s = load(&text).unwrap();
    let mut sim = Simulator::new(&s).unwrap();
    MultiAgentEnv::reset(&mut sim, Some(1)).unwrap();
    let first: Vec<u32> = sim.inputs().iter().map(|v| v[0]).collect();
    assert_eq!(first, [1, 2, 3, 4, 5], "columns matched by agent name, not position");
    // image's own workload overrides the trace for its agents.
    let text = scenario(
        "workload = { kind = \"constant\", rate_rps = 7.0 }",
        &format!("kind = \"trace\"\nfile = {:?}", csv.display().to_string()),
    );
    let mut sim = Simulator::new(&load(&text).unwrap()).unwrap();
    MultiAgentEnv::reset(&mut sim, Some(1)).unwrap();
    let first: Vec<u32> = sim.inputs().iter().map(|v| v[0]).collect();
    assert_eq!(first, [7, 2, 7, 7, 5]);
}

#[test]
fn bad_multi_function_files_name_file_field_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let trace = |header: &str| {
        let p = dir.path().join(format!("{}.csv", header.len()));
        std::fs::write(&p, format!("{header}\n0,1,1,1,1,1\n")).unwrap();
        format!("kind = \"trace\"\nfile = {:?}", p.display().to_string())
    };
    // A workload naming a function a node does not host.
    let e = load(&scenario("", &trace("a/image,a/text,b/image,b/text,c/image"))).unwrap_err();
    assert!(e.contains("header") && e.contains("b/text") && e.contains("node `b` does not host `text`"), "{e}");
    // A trace naming a function no node hosts.
    let e = load(&scenario("", &trace("a/image,a/text,b/image,c/video,c/image"))).unwrap_err();
    assert!(e.contains(".csv") && e.contains("c/video") && e.contains("no node hosts"), "{e}");
    // Shares over the node's budget.
    let e =
        load(&scenario("share = 0.8", NORMAL).replace("nodes = [\"a\", \"c\"]", "nodes = [\"a\", \"c\"]\nshare = 0.5"))
            .unwrap_err();
    assert!(e.contains("fx.toml") && e.contains("functions.share") && e.contains("image 0.8 + text 0.5"), "{e}");
    // Functions without the budget model, and the budget model without functions.
    let e = load(
        &scenario("", NORMAL).replace("kind = \"budget\"\nbudget_units = 4", "kind = \"capacity\"\ncapacity_rps = 4.0"),
    )
    .unwrap_err();
    assert!(e.contains("functions") && e.contains("budget"), "{e}");
    let e = load(&scenario("", NORMAL).replace("budget_units = 4", "budget_units = 2.5")).unwrap_err();
    assert!(e.contains("model.budget_units[0] (a)") && e.contains("2.5"), "{e}");
    let e =
        load(&scenario("", NORMAL).replace("budget_units = 4", "budget_units = 4\nqueue_slots = -1.0")).unwrap_err();
    assert!(e.contains("model.queue_slots") && e.contains("-1"), "{e}");
    let e = load(&scenario("", NORMAL).replace("budget_units = 4", "budget_units = [4, 4]")).unwrap_err();
    assert!(e.contains("model.budget_units") && e.contains("2 values"), "{e}");
    let e = load(&scenario("", NORMAL).replace("cost_units = 4", "cost_units = 0")).unwrap_err();
    assert!(e.contains("functions[0].cost_units"), "{e}");
    let e = load(&scenario("", NORMAL).replace("nodes = [\"a\", \"c\"]", "nodes = [\"a\", \"x\"]")).unwrap_err();
    assert!(e.contains("functions[1].nodes") && e.contains("x"), "{e}");
    // A per-function workload's own errors say which function.
    let e = load(&scenario("workload = { kind = \"constant\", rate_rps = -1.0 }", NORMAL)).unwrap_err();
    assert!(e.contains("functions[0].workload") && e.contains("-1"), "{e}");
}

#[test]
fn a_function_can_replay_azure_functions_2019_series() {
    // Three HTTP functions of the Azure format (a timer one is dropped): each
    // image agent replays a different one, scaled to [0, 10] per slot.
    let dir = tempfile::tempdir().unwrap();
    let azure = dir.path().join("azure.csv");
    let minutes: Vec<String> = (1..=60).map(|m| m.to_string()).collect();
    let mut text = format!("HashOwner,HashApp,HashFunction,Trigger,{}\n", minutes.join(","));
    for (k, trigger) in ["http", "http", "timer", "http"].iter().enumerate() {
        let row: Vec<String> = (0..60).map(|m| ((m + 3 * k + 1) * 13 % 61 * 60).to_string()).collect();
        text.push_str(&format!("o,a,f{k},{trigger},{}\n", row.join(",")));
    }
    std::fs::write(&azure, text).unwrap();
    let image =
        format!("workload = {{ kind = \"azure\", file = {:?}, scale_max = 10.0 }}", azure.display().to_string());
    let s = load(&scenario(&image, "kind = \"constant\"\nrate_rps = 3.0")).unwrap();
    let mut sim = Simulator::new(&s).unwrap();
    MultiAgentEnv::reset(&mut sim, Some(2)).unwrap();
    let inputs = sim.inputs().to_vec();
    let images: Vec<&Vec<u32>> = [0, 2, 3].iter().map(|&a| &inputs[a]).collect();
    assert!(images.iter().all(|v| v.iter().all(|&x| x <= 10) && v.iter().any(|&x| x > 0)), "{images:?}");
    assert!(images[0] != images[1] && images[1] != images[2] && images[0] != images[2], "three different functions");
    assert!([1, 4].iter().all(|&a| inputs[a].iter().all(|&x| x == 3)), "text keeps the scenario's workload");
}
