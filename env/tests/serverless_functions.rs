//! Serverless functions sharing a node's budget (every function with
//! `cold_service_s` and `idle_timeout_s`): calls collide as in a loss
//! system, so a node rejects before its units are all in use; requests are
//! conserved; cold starts lengthen calls; the oracle plans with the loss
//! model; bad files name file, field and value.

use std::path::Path;

use dfaas_env::reference::Oracle;
use dfaas_env::{Decision, MultiAgentEnv, Scenario, Simulator};

/// Two nodes; `image` (4 units, 0.5 s warm, 2 s cold) and `text` (1 unit,
/// 0.05 s warm, 0.5 s cold) on both; 8 units each.
fn scenario(image_extra: &str, model_extra: &str, image_rps: f64) -> String {
    format!(
        "name = \"sf\"\n[episode]\nmax_steps = 30\nslot_seconds = 10.0\n\
         [topology]\nnodes = [\"a\", \"b\"]\nadjacency = [\"a b\"]\n\
         [model]\nkind = \"budget\"\nbudget_units = 8\n{model_extra}\n\
         [[functions]]\nname = \"image\"\ncost_units = 4\nservice_time_s = 0.5\ncold_service_s = 2.0\nidle_timeout_s = 20.0\n\
         workload = {{ kind = \"constant\", rate_rps = [{image_rps}, 0.5] }}\n{image_extra}\n\
         [[functions]]\nname = \"text\"\ncost_units = 1\nservice_time_s = 0.05\ncold_service_s = 0.5\nidle_timeout_s = 20.0\n\
         [workload]\nkind = \"constant\"\nrate_rps = 20.0\n"
    )
}

fn load(text: &str) -> Result<Scenario, String> {
    Scenario::from_toml_str(text, Path::new("sf.toml")).map_err(|e| e.to_string())
}

/// Every agent keeps `1 − share` local and forwards `share` to its neighbour.
fn plan(sim: &Simulator, share: f64) -> Vec<Decision> {
    (0..sim.topology().len())
        .map(|a| {
            let deg = sim.topology().degree(a);
            let mut v = vec![0.0; deg + 2];
            v[0] = 1.0 - share;
            if deg > 0 {
                v[1] = share;
            } else {
                v[0] = 1.0;
            }
            Decision::new(v).unwrap()
        })
        .collect()
}

/// Processed requests of every agent over one episode.
fn episode(sim: &mut Simulator, seed: u64, decide: &mut dyn FnMut(&mut Simulator) -> Vec<Decision>) -> Vec<u64> {
    MultiAgentEnv::reset(sim, Some(seed)).unwrap();
    let mut processed = vec![0u64; sim.topology().len()];
    while !sim.is_done() {
        let d = decide(sim);
        MultiAgentEnv::advance(sim, &d).unwrap();
        for (p, o) in processed.iter_mut().zip(sim.outcomes()) {
            *p += u64::from(o.processed);
        }
    }
    processed
}

#[test]
fn calls_collide_before_the_units_are_used_up() {
    // a: images 1.5/s × ≥ 0.5 s × 4 units ≥ 3 units and texts 20/s × ≥ 0.05 s ≥ 1 unit
    // of 8 on average: a fluid budget would serve all, the loss system rejects some.
    let s = load(&scenario("", "", 1.5)).unwrap();
    let mut sim = Simulator::new(&s).unwrap();
    assert_eq!(sim.agents(), ["a/image", "a/text", "b/image", "b/text"]);
    MultiAgentEnv::reset(&mut sim, Some(4)).unwrap();
    let mut image_rejects = 0;
    while !sim.is_done() {
        let d = plan(&sim, 0.0);
        MultiAgentEnv::advance(&mut sim, &d).unwrap();
        let o = sim.outcomes();
        for x in o {
            assert_eq!(x.local + x.forwarded_total() + x.rejected, x.input, "own requests conserved");
            assert_eq!(x.processed + x.local_rejects + x.received_rejects, x.local + x.received);
            // A served call ran between its warm and cold times on average.
            if let Some(r) = x.response_time_s {
                assert!((0.05 - 1e-12..=2.0 + 1e-12).contains(&r), "{r}");
            }
        }
        image_rejects += o[0].local_rejects;
        // The expensive function is rejected more often than the cheap one.
        let frac = |k: usize| f64::from(o[k].local_rejects) / f64::from(o[k].local.max(1));
        assert!(frac(0) >= frac(1), "image {} < text {}", frac(0), frac(1));
    }
    assert!(image_rejects > 0, "a's images collide although its mean use fits its 8 units");
    // Capacities: what each function takes with no rejection expected; more
    // image calls at a shrink its texts' capacity.
    let c_low = sim.capacities()[1];
    let mut busy = Simulator::new(&load(&scenario("", "", 3.0)).unwrap()).unwrap();
    MultiAgentEnv::reset(&mut busy, Some(4)).unwrap();
    for _ in 0..5 {
        let d = plan(&busy, 0.0);
        MultiAgentEnv::advance(&mut busy, &d).unwrap();
    }
    assert!(busy.capacities()[1] < c_low, "text capacity {} !< {c_low}", busy.capacities()[1]);
}

#[test]
fn same_seed_same_episode_and_the_oracle_beats_fixed_plans() {
    let s = load(&scenario("", "", 2.5)).unwrap();
    let base = Simulator::new(&s).unwrap();
    let run = |share: f64| episode(&mut base.clone(), 7, &mut |sim| plan(sim, share));
    assert_eq!(run(0.3), run(0.3));
    let best: u64 = [0.0, 0.2, 0.4].iter().map(|&f| run(f).iter().sum::<u64>()).max().unwrap();
    let mut sim = base.clone();
    let mut oracle = Oracle::new(&sim).unwrap();
    let served: u64 = episode(&mut sim, 7, &mut |sim| oracle.decide_all(sim)).iter().sum();
    assert!(served >= best, "oracle {served} < best fixed plan {best}");
}

#[test]
fn bad_serverless_files_name_file_field_and_value() {
    let ok = scenario("", "", 1.0);
    load(&ok).unwrap();
    // One serverless function beside a plain one.
    let e = load(&ok.replace("cold_service_s = 0.5\nidle_timeout_s = 20.0\n", "")).unwrap_err();
    assert!(e.contains("sf.toml") && e.contains("functions[1].cold_service_s") && e.contains("every function"), "{e}");
    // Half a cold start.
    let e = load(&ok.replace("cold_service_s = 2.0\nidle_timeout_s = 20.0\n", "cold_service_s = 2.0\n")).unwrap_err();
    assert!(e.contains("functions[0].idle_timeout_s") && e.contains("missing"), "{e}");
    // A cold start faster than a warm call.
    let e = load(&ok.replace("cold_service_s = 2.0", "cold_service_s = 0.1")).unwrap_err();
    assert!(e.contains("functions[0].cold_service_s") && e.contains("0.1") && e.contains("warm"), "{e}");
    let e = load(&ok.replace("idle_timeout_s = 20.0\nworkload", "idle_timeout_s = -3.0\nworkload")).unwrap_err();
    assert!(e.contains("functions[0].idle_timeout_s") && e.contains("-3"), "{e}");
    // No queue, no admission order, no guaranteed shares.
    let e = load(&scenario("", "queue_slots = 1.0", 1.0)).unwrap_err();
    assert!(e.contains("model.queue_slots") && e.contains("no budget queue"), "{e}");
    let e = load(&scenario("", "overload = \"local-first\"", 1.0)).unwrap_err();
    assert!(e.contains("model.overload"), "{e}");
    let e = load(&scenario("share = 0.5", "", 1.0)).unwrap_err();
    assert!(e.contains("functions[0].share") && e.contains("0.5"), "{e}");
}
