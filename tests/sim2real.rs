//! `dfaas sim2real` and `dfaas evaluate --live` on the CloudNet 2021 scenario
//! (3 agents on 127.0.0.1), shortened to a few 1 s slots.

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
fn sim2real_prints_both_worlds_and_the_gap() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().canonicalize().unwrap();
    let args = ["sim2real", "--scenario", SCENARIO, "--policy", "slack-proportional", "--slots", "4", "--json"];
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
