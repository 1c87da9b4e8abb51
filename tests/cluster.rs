//! `dfaas cluster` live on 127.0.0.1: the DFaaS CloudNet 2021 experiment
//! (capacities 10/20/30 req/s, 50 req/s into node_1, 1 s slots,
//! slack-proportional), shortened to 8 slots.

mod procs;
use procs::processes_mentioning;

use std::process::Command;

#[test]
fn cloudnet21_live_forwards_the_excess_and_stops_its_agents() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().canonicalize().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/scenarios/dfaas-cloudnet21.toml");
    let run = Command::new(env!("CARGO_BIN_EXE_dfaas"))
        .args(["cluster", "--scenario", scenario, "--slots", "8", "--slot-seconds", "1"])
        .args(["--policy", "slack-proportional", "--json", "--out"])
        .arg(&dir)
        .output()
        .expect("dfaas cluster runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "dfaas cluster failed: {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));

    // Named by the scenario's name; the only path is the folder asked for.
    assert_eq!(v["scenario"], "dfaas-cloudnet21");
    assert_eq!(v["out_dir"].as_str(), Some(dir.to_str().unwrap()));

    // Every agent is gone.
    let pids = v["pids"].as_array().unwrap();
    assert_eq!(pids.len(), 3);
    let left = processes_mentioning(&dir.display().to_string());
    assert!(left.is_empty(), "agent processes left running: {left:?}");
    for p in pids {
        let stat = std::fs::read_to_string(format!("/proc/{}/cmdline", p.as_u64().unwrap())).unwrap_or_default();
        assert!(!stat.contains("agent"), "pid {p} still runs: {stat}");
    }

    let nodes = v["nodes"].as_array().unwrap();
    let n1 = nodes.iter().find(|n| n["node"] == "node_1").expect("node_1");
    let slot_s = v["slot_seconds"].as_f64().unwrap();
    let slots = n1["load"]["slots"].as_array().expect("node_1 has load");
    assert_eq!(slots.len(), 8);
    eprintln!("node_1 slots: {}", serde_json::to_string(slots).unwrap());
    for s in &slots[2..] {
        let k = &s["slot"];
        let by = |m: &str| s["by_served_by"][m].as_f64().unwrap_or(0.0) / slot_s;
        let (to2, to3) = (by("node_2"), by("node_3"));
        assert!((to2 - 16.0).abs() <= 2.0, "slot {k}: node_2 serves {to2} req/s of node_1's load");
        assert!((to3 - 24.0).abs() <= 2.0, "slot {k}: node_3 serves {to3} req/s of node_1's load");
        let rejected: u64 = s["rejects"].as_object().unwrap().values().map(|x| x.as_u64().unwrap()).sum();
        // The third slot may still lose one request or two while the local
        // queue drains; after it, one at most (a request that crosses a slot
        // boundary on a machine busy with other tests).
        let allowed = if s["slot"] == 2 { 2 } else { 1 };
        assert!(rejected <= allowed, "slot {k}: rejects {}", s["rejects"]);
        assert_eq!(s["failures"], 0, "slot {k}: failures");
    }
    assert!(v["summary"]["processed_ratio"].as_f64().unwrap() > 0.8, "{}", v["summary"]);

    // The summary in `dfaas compare`'s shape: one result, rates after the first slot.
    let c = &v["compare"];
    assert_eq!(c["scenario"], "dfaas-cloudnet21");
    assert_eq!(c["episodes"], 1);
    let r = &c["results"][0];
    assert_eq!(r["policy"], "slack-proportional");
    assert_eq!(r["processed_ratio"], v["summary"]["processed_ratio"]);
    assert_eq!(r["processed_ratio_std"], 0.0);
    let fwd = r["forwarded_ratio"].as_f64().unwrap();
    assert!((0.6..=0.85).contains(&fwd), "forwarded share {fwd} (40 of 50 req/s after the first slot)");
    let node1 = r["nodes"].as_array().unwrap().iter().find(|n| n["node"] == "node_1").unwrap();
    assert!((node1["input_rps"].as_f64().unwrap() - 50.0).abs() <= 1.0, "{node1}");
    for (peer, want) in [("node_2", 16.0), ("node_3", 24.0)] {
        let got = node1["forwarded_rps"][peer].as_f64().unwrap();
        assert!((got - want).abs() <= 2.0, "node_1 → {peer}: {got} req/s");
    }
    let node3 = r["nodes"].as_array().unwrap().iter().find(|n| n["node"] == "node_3").unwrap();
    assert!((node3["received_rps"].as_f64().unwrap() - 24.0).abs() <= 2.0, "{node3}");

    // The document's shape (every key path; array items and node names
    // folded) is the one recorded in tests/golden (`DFAAS_BLESS=1` rewrites it).
    let mut paths = std::collections::BTreeSet::new();
    shape(&v, String::new(), &mut paths);
    let got: String = paths.into_iter().map(|p| p + "\n").collect();
    let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/cluster-cloudnet21.shape.txt");
    if std::env::var_os("DFAAS_BLESS").is_some() {
        std::fs::write(golden, &got).unwrap();
    } else {
        let want = std::fs::read_to_string(golden).unwrap();
        assert_eq!(got, want, "the cluster document's shape changed ({golden})");
    }
}

/// Maps whose keys depend on what a run met.
const COUNTER_MAPS: [&str; 5] = [".rejects", ".status_codes", ".by_reject_reason", ".errors", ".by_served_by"];

/// Key paths of `v`: array items as `[]`, keys naming a node as `node_*`,
/// maps of counters keyed by what happened (status, reason, error kind) as
/// `.*` whatever they hold; the schema tag left out.
fn shape(v: &serde_json::Value, at: String, out: &mut std::collections::BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if COUNTER_MAPS.iter().any(|c| at.ends_with(c)) {
                out.insert(format!("{at}.*"));
                return;
            }
            for (k, x) in m {
                if at.is_empty() && (k == "kind" || k == "schema_version") {
                    continue;
                }
                let k = if k.starts_with("node_") { "node_*" } else { k.as_str() };
                shape(x, format!("{at}.{k}"), out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| shape(x, format!("{at}[]"), out)),
        _ => {
            out.insert(at);
        }
    }
}
