//! The `dfaas` binary end to end: outputs, JSON shape, and clear errors.

use std::process::Command;

use serde_json::Value;

fn dfaas(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dfaas"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run dfaas");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const CLOUDNET: &str = "experiments/scenarios/dfaas-cloudnet21.toml";

#[test]
fn cloudnet21_slack_proportional_forwards_16_and_24() {
    let (ok, out, err) = dfaas(&["compare", "--scenario", CLOUDNET, "--policies", "slack-proportional", "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["scenario"], "dfaas-cloudnet21");
    let results = v["results"].as_array().unwrap();
    let slack = results.iter().find(|r| r["policy"] == "slack-proportional").unwrap();
    let node1 = &slack["nodes"][0];
    assert_eq!(node1["node"], "node_1");
    assert!((node1["local_rps"].as_f64().unwrap() - 10.0).abs() < 1e-9);
    assert!((node1["forwarded_rps"]["node_2"].as_f64().unwrap() - 16.0).abs() < 1e-9);
    assert!((node1["forwarded_rps"]["node_3"].as_f64().unwrap() - 24.0).abs() < 1e-9);
    // Nothing rejected once the neighbours' state is known (every slot after the first).
    for n in slack["nodes"].as_array().unwrap() {
        for k in ["rejected_rps", "platform_rejected_rps", "forward_rejected_rps"] {
            assert_eq!(n[k].as_f64().unwrap(), 0.0, "{} {k}", n["node"]);
        }
    }
    // The upper reference is always included, and never beaten.
    let oracle = results.iter().find(|r| r["policy"] == "oracle").unwrap();
    assert_eq!(oracle["reference"], true);
    let p = |r: &Value| r["processed_ratio"].as_f64().unwrap();
    assert!(p(slack) <= p(oracle) + 1e-12);
    assert!((0.0..=1.0).contains(&p(slack)));
    // The table shows the same rates.
    let (ok, text, _) = dfaas(&["compare", "--scenario", CLOUDNET, "--policies", "slack-proportional"]);
    assert!(ok);
    assert!(text.contains("node_2:16.00 node_3:24.00"), "{text}");
}

#[test]
fn simulate_json_reports_throughput_and_writes_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("slots.csv");
    let (ok, out, err) = dfaas(&[
        "simulate",
        "--scenario",
        CLOUDNET,
        "--policy",
        "all-local",
        "--seed",
        "5",
        "--csv",
        csv.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["agent_steps_per_second"].as_f64().unwrap() > 0.0);
    assert_eq!(v["agent_steps"], 90);
    let fed = &v["episodes"][0]["federation"];
    assert!((fed["processed_ratio"].as_f64().unwrap() - 0.2).abs() < 1e-12, "all-local serves 10 of 50 req/s");
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(rows.lines().count(), 1 + 30 * 3, "header + one row per slot and agent");
    assert!(rows.lines().next().unwrap().starts_with("episode,seed,slot,agent,input"));
}

#[test]
fn same_seed_same_csv() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let p = dir.path().join(name);
        let (ok, _, err) = dfaas(&[
            "simulate",
            "--scenario",
            CLOUDNET,
            "--policy",
            "random",
            "--seed",
            "9",
            "--episodes",
            "2",
            "--csv",
            p.to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
        std::fs::read(p).unwrap()
    };
    assert_eq!(run("a.csv"), run("b.csv"));
}

#[test]
fn bad_input_gives_clear_errors() {
    let (ok, _, err) = dfaas(&["compare", "--scenario", CLOUDNET, "--policies", "slack-proportionall"]);
    assert!(!ok);
    assert!(err.contains("slack-proportionall") && err.contains("all-local"), "{err}");
    let (ok, _, err) = dfaas(&["simulate", "--scenario", "nope.toml"]);
    assert!(!ok);
    assert!(err.contains("nope.toml"), "{err}");
    let (ok, _, err) = dfaas(&["simulate", "--scenario", CLOUDNET, "--policy", "static:local=2"]);
    assert!(!ok);
    assert!(err.contains("local") && err.contains('2'), "{err}");
    let (ok, _, err) = dfaas(&["simulate", "--scenario", CLOUDNET, "--policy", "global-node"]);
    assert!(!ok);
    assert!(err.contains("global node") || err.contains("global-node"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn agent_serves_and_loadgen_reports() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cfg = dir.path().join("n1.toml");
    std::fs::write(
        &cfg,
        format!(
            "node_id = \"n1\"\nlisten = \"127.0.0.1:{port}\"\nkey_file = \"n1.key\"\n[[functions]]\nname = \"echo\"\n\
             backend = {{ kind = \"synthetic\", warm_s = 0.001, cold_s = 0.002, idle_s = 10.0, max_instances = 8 }}\n\
             admission = {{ max_concurrency = 8, queue = 16 }}\nweights = {{ local = 100 }}\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dfaas"))
        .args(["agent", "--config", cfg.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) until the gateway answers /healthz.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "agent did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let target = format!("http://127.0.0.1:{port}/function/echo");
    let (ok, out, err) = dfaas(&["loadgen", "--target", &target, "--rate", "100", "--duration", "1", "--json"]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["requests"], 100);
    assert_eq!(v["success_ratio"].as_f64().unwrap(), 1.0);
    assert_eq!(v["by_served_by"]["n1"], 100);
    assert!(dir.path().join("n1.key").exists(), "the node key is created on first start");
    let (ok, _, err) = dfaas(&["agent", "--config", "missing.toml"]);
    assert!(!ok && err.contains("missing.toml"), "{err}");
}

/// `dfaas scenario expand` writes a generated federation out explicitly:
/// the file loads, has the generated nodes, and simulates to the same numbers.
#[test]
fn scenario_expand_writes_the_same_federation_explicitly() {
    let generated = "experiments/scenarios/scale/capacity-geo-1000.toml";
    let (ok, out, err) = dfaas(&["scenario", "expand", generated]);
    assert!(ok, "{err}");
    assert!(out.contains("adjacency") && !out.contains("generator") && !out.contains("uniform"));
    let dir = tempfile::tempdir().unwrap();
    let explicit = dir.path().join("explicit.toml");
    std::fs::write(&explicit, &out).unwrap();
    let ratio = |file: &str| {
        let args = ["simulate", "--scenario", file, "--policy", "slack-proportional", "--episodes", "1", "--json"];
        let (ok, out, err) = dfaas(&args);
        assert!(ok, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        v["episodes"][0]["federation"]["processed_ratio"].as_f64().expect("a processed ratio")
    };
    assert_eq!(ratio(explicit.to_str().unwrap()), ratio(generated));
    // A file that is not there is named.
    let (ok, _, err) = dfaas(&["scenario", "expand", "nope.toml"]);
    assert!(!ok && err.contains("nope.toml"), "{err}");
}
