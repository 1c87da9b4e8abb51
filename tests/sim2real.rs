//! `dfaas sim2real` (the deployed path and `--driven`) and `dfaas evaluate
//! --live` on the CloudNet 2021 scenario (3 agents on 127.0.0.1), shortened
//! to a few 1 s slots.

mod procs;
use procs::processes_mentioning;

use std::process::Command;

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/scenarios/dfaas-cloudnet21.toml");
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/dfaas-cloudnet21.dfpolicy");

fn dfaas(args: &[&str], out: &std::path::Path) -> serde_json::Value {
    let run = Command::new(env!("CARGO_BIN_EXE_dfaas")).args(args).arg("--out").arg(out).output().expect("dfaas runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "dfaas {args:?} failed: {stderr}");
    let left = processes_mentioning(&out.display().to_string());
    assert!(left.is_empty(), "agent processes left running: {left:?}");
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

#[test]
fn driven_sim2real_prints_both_worlds_and_the_gap() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().canonicalize().unwrap();
    let args =
        ["sim2real", "--driven", "--scenario", SCENARIO, "--policy", "slack-proportional", "--slots", "4", "--json"];
    let v = dfaas(&args, &dir);
    eprintln!("{}", serde_json::to_string_pretty(&v["gap"]).unwrap());
    assert_eq!((v["scenario"].as_str(), v["policy"].as_str()), (Some("dfaas-cloudnet21"), Some("slack-proportional")));
    assert_eq!((v["slots"].as_u64(), v["slot_seconds"].as_f64()), (Some(4), Some(1.0)));
    for side in ["sim", "live"] {
        for k in ["processed_ratio", "local_ratio", "forwarded_ratio", "rejected_ratio", "nodes"] {
            assert!(!v[side][k].is_null(), "{side}.{k} missing");
        }
    }
    let gap = v["gap"].as_object().unwrap();
    for (k, g) in gap {
        let (s, l) = (&v["sim"][k.as_str()], &v["live"][k.as_str()]);
        if let (Some(s), Some(l), Some(g)) = (s.as_f64(), l.as_f64(), g.as_f64()) {
            assert!((g - (l - s)).abs() < 1e-12, "gap.{k} = {g}, live {l} − sim {s}");
        }
    }
    // 50 req/s into node_1: after the first slot, 10 local and 40 forwarded in both
    // worlds; the first slot (neighbours unknown) differs by node_1's queue at most.
    let g = |k: &str| gap[k].as_f64().unwrap();
    assert!(g("processed_ratio").abs() <= 0.05, "processed gap {}", g("processed_ratio"));
    assert!(g("forwarded_ratio").abs() <= 0.05, "forwarded gap {}", g("forwarded_ratio"));
    assert_eq!(v["stray_input"], 0);
    for side in ["sim_slots", "live_slots"] {
        let slots = v[side][0].as_array().unwrap_or_else(|| panic!("{side}"));
        assert_eq!(slots.len(), 4, "{side}");
        assert!(slots.iter().all(|s| s["input"] == 50), "{side}: 50 requests per slot");
    }
    assert!(v["live_issues"].as_array().unwrap().is_empty(), "{}", v["live_issues"]);
}

/// Agents on their own timers, deciding for themselves with their own
/// forecasts (last value: the scenario reveals the input), against the
/// simulator on the same 50 req/s: the same per-slot load, the same forecast
/// errors, the same processed share within 5 points.
#[test]
fn deployed_sim2real_runs_the_agents_own_loop() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().canonicalize().unwrap();
    let args = ["sim2real", "--scenario", SCENARIO, "--policy", "slack-proportional", "--slots", "6", "--json"];
    let v = dfaas(&args, &dir);
    eprintln!("{}\n{}", v["gap"], v["live_issues"]);
    assert_eq!(v["path"], "deployed");
    assert_eq!(v["predictor"]["kind"], "last_value");
    let g = |k: &str| v["gap"][k].as_f64().unwrap();
    assert!(g("processed_ratio").abs() <= 0.05, "processed gap {}", g("processed_ratio"));
    assert!(g("forwarded_ratio").abs() <= 0.05, "forwarded gap {}", g("forwarded_ratio"));
    // Every slot was closed by every agent on the load's boundaries (a
    // request may cross a boundary on a busy machine).
    let live = v["live_slots"][0].as_array().unwrap();
    assert_eq!(live.len(), 6);
    let inputs: Vec<i64> = live.iter().map(|s| s["input"].as_i64().unwrap()).collect();
    assert!(inputs.iter().all(|&x| (x - 50).abs() <= 2), "{inputs:?}");
    assert!((298..=300).contains(&inputs.iter().sum::<i64>()), "{inputs:?}");
    assert_eq!(v["live_client"]["requests"], 300);
    // From slot 2 on node_1 forwards its excess: forwarded in slots 2.. in both worlds.
    for side in ["sim_slots", "live_slots"] {
        let slots = v[side][0].as_array().unwrap();
        assert!(slots[2..].iter().all(|s| s["forwarded"].as_u64().unwrap() >= 35), "{side}: {slots:?}");
    }
    // Both worlds forecast node_1's input with the last value: 0 for slot 0,
    // then the previous slot's count (50 in the simulator; live, what the
    // agent counted, a request off where one crossed a boundary).
    let (s, l) = (&v["sim_prediction"][0], &v["live_prediction"][0]);
    assert_eq!(s["node"], "node_1");
    assert!((s["mae"].as_f64().unwrap() - 50.0 / 6.0).abs() < 1e-9, "{s}");
    let mut prev = 0;
    let mut abs = 0;
    for &x in &inputs {
        abs += (x - prev).abs();
        prev = x;
    }
    assert!((l["mae"].as_f64().unwrap() - abs as f64 / 6.0).abs() < 1e-9, "{l} vs inputs {inputs:?}");
}

/// A serverless scenario live: synthetic functions with warm and cold
/// starts, an idle timeout and a concurrency limit, agents deciding for
/// themselves; the same load per slot and a processed share within 5 points.
#[test]
fn deployed_sim2real_runs_a_serverless_scenario() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().canonicalize().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/scenarios/serverless-3.toml");
    let args = ["sim2real", "--scenario", scenario, "--policy", "slack-proportional", "--slots", "6", "--json"];
    let v = dfaas(&args, &dir);
    eprintln!("{}\n{}", v["gap"], v["live_issues"]);
    let g = v["gap"]["processed_ratio"].as_f64().unwrap();
    assert!(g.abs() <= 0.05, "processed gap {g}");
    let (sim, live) = (v["sim_slots"][0].as_array().unwrap(), v["live_slots"][0].as_array().unwrap());
    assert_eq!((sim.len(), live.len()), (6, 6));
    let total = |s: &[serde_json::Value]| s.iter().map(|x| x["input"].as_i64().unwrap()).sum::<i64>();
    assert!((total(live) - total(sim)).abs() <= 3, "sent {} counted {}", total(sim), total(live));
    assert_eq!(v["live_client"]["requests"].as_i64().unwrap(), total(sim));
    assert!(v["live"]["processed_ratio"].as_f64().unwrap() > 0.5);
}

/// Several functions per node through the live environment: agents are
/// node-function pairs, each slot's decisions reach every function of a
/// node (one tick per node), the load goes to each function, and the
/// outcomes come back per pair, with the same inputs as the simulator's.
#[test]
fn driven_sim2real_runs_several_functions_per_node() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().canonicalize().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/scenarios/functions/dfaas-image-text.toml");
    let args = ["sim2real", "--driven", "--scenario", scenario, "--policy", "least-loaded", "--slots", "3", "--json"];
    let v = dfaas(&args, &dir);
    eprintln!("{}\n{}", v["gap"], v["live_issues"]);
    assert_eq!(v["path"], "driven");
    let (sim, live) = (v["sim_slots"][0].as_array().unwrap(), v["live_slots"][0].as_array().unwrap());
    assert_eq!((sim.len(), live.len()), (3, 3));
    for (t, (s, l)) in sim.iter().zip(live).enumerate() {
        let (si, li) = (s["input"].as_i64().unwrap(), l["input"].as_i64().unwrap());
        assert!((si - li).abs() <= 6, "slot {t}: sent {si}, counted {li}");
        let fate = ["local", "forwarded", "rejected"].iter().map(|k| l[*k].as_i64().unwrap()).sum::<i64>();
        assert_eq!(fate, li, "slot {t}: {l}");
    }
    // Processed % per function in both worlds.
    for side in ["sim", "live"] {
        let f = v[side]["functions"].as_array().unwrap_or_else(|| panic!("{side}: {}", v[side]));
        let names: Vec<&str> = f.iter().map(|x| x["function"].as_str().unwrap()).collect();
        assert_eq!(names, ["image", "text"], "{side}");
        assert!(f.iter().all(|x| x["processed_ratio"].as_f64().unwrap() > 0.3), "{side}: {f:?}");
    }
    assert!(v["live_issues"].as_array().unwrap().is_empty(), "{}", v["live_issues"]);
}

#[test]
fn evaluate_live_runs_a_learned_policy_in_the_compare_table_shape() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().canonicalize().unwrap();
    let args = ["evaluate", "--live", "--scenario", SCENARIO, "--model", MODEL, "--slots", "3", "--json"];
    let v = dfaas(&args, &dir);
    assert_eq!(v["scenario"], "dfaas-cloudnet21");
    let r = &v["results"][0];
    assert_eq!(r["policy"], "learned:dfaas-cloudnet21");
    let p = r["processed_ratio"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p), "{p}");
    assert_eq!(r["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(v["live"]["slots"], 3);

    let bad = Command::new(env!("CARGO_BIN_EXE_dfaas"))
        .args(["evaluate", "--live", "--scenario", SCENARIO, "--policy", "oracle"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("reference"), "{}", String::from_utf8_lossy(&bad.stderr));
    let queue = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/scenarios/marl-paper-5.toml");
    let bad = Command::new(env!("CARGO_BIN_EXE_dfaas"))
        .args(["sim2real", "--scenario", queue, "--policy", "slack-proportional", "--slots", "2"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && err.contains("`queue` model") && err.contains("marl-paper-5.toml"), "{err}");
}

/// An ONNX policy (the CloudNet 2021 model exported by `dfaas export
/// --format onnx`) in `dfaas evaluate` (the same numbers as its
/// `.dfpolicy`) and in the agents' own loop (`dfaas sim2real`, each agent
/// loading the ONNX file).
#[test]
fn an_onnx_policy_evaluates_like_its_dfpolicy_and_runs_in_the_agents() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().canonicalize().unwrap();
    let onnx = dir.join("cloudnet.onnx");
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_dfaas")).args(args).output().expect("dfaas runs");
        assert!(o.status.success(), "dfaas {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let said = run(&["export", "--model", MODEL, "--format", "onnx", "--out", onnx.to_str().unwrap()]);
    assert!(said.contains("ONNX") && said.contains("Concentration"), "{said}");
    let eval = |model: &str| -> serde_json::Value {
        let text = run(&["evaluate", "--scenario", SCENARIO, "--model", model, "--episodes", "2", "--json"]);
        serde_json::from_str(&text).unwrap()
    };
    let (a, b) = (eval(MODEL), eval(onnx.to_str().unwrap()));
    let learned = |v: &serde_json::Value| {
        v["results"].as_array().unwrap().iter().find(|r| r["policy"].as_str().unwrap().starts_with("learned:")).cloned()
    };
    let (ra, rb) = (learned(&a).unwrap(), learned(&b).unwrap());
    assert_eq!(rb["policy"], "learned:cloudnet");
    assert_eq!(ra["episode_processed_ratios"], rb["episode_processed_ratios"]);

    let args = ["sim2real", "--scenario", SCENARIO, "--model", onnx.to_str().unwrap(), "--slots", "4", "--json"];
    let v = dfaas(&args, &dir);
    assert_eq!(v["path"], "deployed");
    let live = v["live_slots"][0].as_array().unwrap();
    assert_eq!(live.len(), 4);
    // From slot 2 on node_1 forwards its excess, as in the simulator (the
    // first slots differ: live nodes have heard each other before slot 0).
    let sim = v["sim_slots"][0].as_array().unwrap();
    for (l, s) in live[2..].iter().zip(&sim[2..]) {
        let (fl, fs) = (l["forwarded"].as_i64().unwrap(), s["forwarded"].as_i64().unwrap());
        assert!(fl >= 35 && (fl - fs).abs() <= 3, "live {l} vs simulator {s}");
    }
}
