//! Figures and reports from small inputs: PNG size, SVG text, values read,
//! and clear errors on malformed input.

use std::path::{Path, PathBuf};

use dfaas_env::Scenario;
use dfaas_experiments::{Contender, compare};
use dfaas_reports::plot::from_cluster;
use dfaas_reports::plot::from_slot_csv;
use dfaas_reports::plot::{PlotError, ReportOptions, write_report};
use serde_json::json;

fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios").join(name)
}

/// Width and height from a PNG's signature and IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{} is not a PNG", path.display());
    assert_eq!(&b[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A two-node cluster report: node_a's users send 10 requests per 2 s slot,
/// 4 served by node_a, 5 by node_b, 1 rejected.
fn cluster_json() -> serde_json::Value {
    let slot = |k: u32| {
        json!({"slot": k, "start": k as f64 * 2.0, "target_rate": 5.0, "arrivals": 10, "successes": 9,
               "rejects": {"overloaded": 1}, "failures": 0, "timeouts": 0, "forwarded": 5,
               "by_served_by": {"node_a": 4, "node_b": 5},
               "success_latency": {"count": 9, "min": 1.0, "mean": 2.0, "p50": 2.0, "p90": 3.0, "p99": 3.0, "max": 3.0}})
    };
    json!({
        "scenario": "tiny", "policy": "slack-proportional", "slot_seconds": 2.0, "slots": 3,
        "out_dir": "/tmp/x", "pids": [1, 2], "ready_s": 0.5,
        "nodes": [
            {"node": "node_a", "gateway": "127.0.0.1:1", "control": "127.0.0.1:2", "capacity_rps": 2.0,
             "neighbors": ["node_b"], "rates": [5.0, 5.0, 5.0],
             "load": {"slots": [slot(0), slot(1), slot(2)]}, "outcomes": []},
            {"node": "node_b", "gateway": "127.0.0.1:3", "control": "127.0.0.1:4", "capacity_rps": 4.0,
             "neighbors": ["node_a"], "rates": [0.0, 0.0, 0.0], "load": null, "outcomes": []}
        ],
        "summary": {"requests": 30, "successes": 27, "rejected": 3, "failures": 0, "processed_ratio": 0.9}
    })
}

#[test]
fn cluster_report_gives_per_node_rates_and_figures() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.json");
    std::fs::write(&file, cluster_json().to_string()).unwrap();

    let c = from_cluster::parse(&file, cluster_json()).unwrap();
    let t = from_cluster::timelines(&c);
    let (a, b) = (&t.nodes[0], &t.nodes[1]);
    assert_eq!(a.slots, vec![0.0, 1.0, 2.0]);
    assert_eq!(a.input, vec![5.0; 3]); // 10 requests / 2 s
    assert_eq!(a.local, vec![2.0; 3]);
    assert_eq!(a.forwarded, vec![2.5; 3]);
    assert_eq!(a.rejected, vec![0.5; 3]);
    assert_eq!(a.executed, vec![2.0; 3]);
    // node_b has no users but executes node_a's forwards.
    assert_eq!(b.input, vec![0.0; 3]);
    assert_eq!(b.executed, vec![2.5; 3]);

    let out = write_report(&file, &ReportOptions::default()).unwrap();
    assert_eq!(out.out_dir, dir.path());
    let png = dir.path().join("run-nodes.png");
    assert_eq!(png_size(&png), (1100, 90 + 2 * 260));
    let svg = read(&dir.path().join("run-nodes.svg"));
    for s in ["node_a", "node_b", "executed here (service rate)", "own, served by a neighbour", "requests per second"] {
        assert!(svg.contains(s), "SVG lacks {s:?}");
    }
    let md = read(&out.markdown);
    assert!(md.contains("![run-nodes](run-nodes.png)"), "{md}");
    assert!(md.contains("| node_b | 4 | 0 | 0 | 0 | 0 | 0 | 0 | 15 |"), "{md}");
}

#[test]
fn simulator_csv_and_json_of_cloudnet21() {
    let scenario = Scenario::load(scenario_path("dfaas-cloudnet21.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("slack.csv");
    let contender = Contender::parse("slack-proportional").unwrap();
    let report = dfaas_experiments::simulate::simulate(&scenario, &contender, &[7, 8], Some(&csv), false).unwrap();
    std::fs::write(dir.path().join("slack.json"), serde_json::to_string(&report).unwrap()).unwrap();

    let e = from_slot_csv::read(&csv, None).unwrap();
    assert_eq!((e.episode, e.episodes), (0, 2));
    let names: Vec<&str> = e.nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(names, ["node_1", "node_2", "node_3"]);
    // 50 req/s for 60 s slots at node_1; from the second slot on it keeps 10 req/s
    // and node_2 / node_3 execute 16 / 24 req/s of its forwards.
    let n1 = &e.nodes[0];
    assert_eq!(n1.input.len(), 30);
    assert!(n1.input.iter().all(|&x| x == 3000.0), "{:?}", n1.input);
    assert_eq!(n1.executed[5], 600.0);
    assert_eq!(e.nodes[1].executed[5], 960.0);
    assert_eq!(e.nodes[2].executed[5], 1440.0);
    assert_eq!(n1.rejected[5], 0.0);

    let opts = ReportOptions { scenario: Some(scenario_path("dfaas-cloudnet21.toml")), ..Default::default() };
    let out = write_report(dir.path(), &opts).unwrap();
    let kinds: Vec<&str> = out.inputs.iter().map(|i| i.1).collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert_eq!(png_size(&dir.path().join("slack-nodes.png")), (1100, 90 + 3 * 260));
    assert!(dir.path().join("slack-shares.png").is_file());
    let svg = read(&dir.path().join("slack-nodes.svg"));
    for s in ["requests per second", "60 s slots", "node_3 (capacity 30 req/s)", "capacity"] {
        assert!(svg.contains(s), "SVG lacks {s:?}");
    }
    let md = read(&out.markdown);
    assert!(md.contains("slack-proportional"), "{md}");
}

#[test]
fn compare_report_gives_shares_with_error_bars() {
    let scenario = Scenario::load(scenario_path("dfaas-cloudnet21.toml")).unwrap();
    let contenders: Vec<Contender> =
        ["all-local", "slack-proportional"].iter().map(|p| Contender::parse(p).unwrap()).collect();
    let report = compare(&scenario, &contenders, &[1, 2, 3], false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compare.json");
    std::fs::write(&file, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    let out_dir = dir.path().join("out");
    let out = write_report(&file, &ReportOptions { out: Some(out_dir.clone()), ..Default::default() }).unwrap();
    let (w, h) = png_size(&out_dir.join("compare-shares.png"));
    assert_eq!(w, 1100);
    assert!(h > 200, "{h}");
    let svg = read(&out_dir.join("compare-shares.svg"));
    for s in ["all-local", "slack-proportional", "processed", "forwarded", "share of the federation"] {
        assert!(svg.contains(s), "SVG lacks {s:?}");
    }
    let md = read(&out.markdown);
    assert!(md.contains("| slack-proportional |"), "{md}");
    assert!(md.contains("(compare-shares.svg)"), "{md}");
}

#[test]
fn training_run_dir_gives_curves() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run-7");
    std::fs::create_dir(&run).unwrap();
    let mut csv = String::from("step,wall_time_s,tag,value\n");
    for i in 0..5 {
        let step = (i + 1) * 100;
        csv += &format!("{step},1700000000.0,episode/reward_mean,{}\n", i as f64 * 0.5);
        csv += &format!("{step},1700000000.0,episode/processed_ratio,{}\n", 0.5 + i as f64 * 0.1);
        csv += &format!("{step},1700000000.0,loss/policy,{}\n", if i == 2 { "NaN".into() } else { format!("-0.0{i}") });
        csv += &format!("{step},1700000000.0,policy/entropy,{}\n", 3.0 - i as f64 * 0.1);
    }
    std::fs::write(run.join("scalars.csv"), csv).unwrap();
    let out = write_report(&run, &ReportOptions::default()).unwrap();
    // Four tags: two rows of two panels.
    assert_eq!(png_size(&run.join("training.png")), (1100, 50 + 2 * 300));
    let svg = read(&run.join("training.svg"));
    for s in ["mean episode reward", "processed ratio", "policy loss", "policy entropy", "agent steps"] {
        assert!(svg.contains(s), "SVG lacks {s:?}");
    }
    assert!(!svg.contains("value loss"));
    let md = read(&out.markdown);
    assert!(md.contains("5 iteration(s) logged, up to 500 agent steps"), "{md}");
    assert!(md.contains("| `episode/processed_ratio` | 0.5000 (100) | 0.9000 (500) |"), "{md}");
}

#[test]
fn sim2real_json_gives_grouped_bars() {
    let dir = tempfile::tempdir().unwrap();
    let result = |p: f64| {
        json!({"policy": "slack-proportional", "reference": false, "processed_ratio": p, "processed_ratio_std": 0.01,
               "forwarded_ratio": 0.8, "forwarded_ratio_std": 0.0, "rejected_ratio": 0.0, "rejected_ratio_std": 0.0,
               "local_reject_ratio": 1.0 - p, "local_reject_ratio_std": 0.01, "forward_reject_ratio": 0.0,
               "forward_reject_ratio_std": 0.0, "reward": 0.5, "reward_std": 0.1})
    };
    let doc = json!({"scenario": "dfaas-cloudnet21", "policy": "slack-proportional",
                     "sim": {"scenario": "dfaas-cloudnet21", "episodes": 1, "results": [result(0.97)]},
                     "live": result(0.95), "gap": {"processed_ratio": -0.02, "reward": -0.05}});
    let file = dir.path().join("s2r.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = write_report(&file, &ReportOptions::default()).unwrap();
    assert!(png_size(&dir.path().join("s2r-sim2real.png")).0 == 1100);
    let svg = read(&dir.path().join("s2r-sim2real.svg"));
    assert!(svg.contains("simulator") && svg.contains("live") && svg.contains("rejected by the local platform"));
    let md = read(&out.markdown);
    assert!(md.contains("| processed | 97.00 ± 1.00 | 95.00 ± 1.00 | -2.00 |"), "{md}");
    // Gaps not given are computed; others are listed in their own units.
    assert!(md.contains("| forwarded | 80.00 ± 0.00 | 80.00 ± 0.00 | +0.00 |"), "{md}");
    assert!(md.contains("| `reward` | – | – | -0.0500 |"), "{md}");
    assert!(!dir.path().join("s2r-sim2real-slots.png").exists(), "no per-slot totals, no timeline");
}

/// A deployed-path document also gives the federation per slot in both
/// worlds and both worlds' forecast errors.
#[test]
fn deployed_sim2real_json_gives_slot_timelines_and_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    let result = json!({"policy": "p", "reference": false, "processed_ratio": 0.9, "processed_ratio_std": 0.0,
           "forwarded_ratio": 0.3, "forwarded_ratio_std": 0.0, "rejected_ratio": 0.0, "rejected_ratio_std": 0.0,
           "local_reject_ratio": 0.1, "local_reject_ratio_std": 0.0, "forward_reject_ratio": 0.0,
           "forward_reject_ratio_std": 0.0});
    let slot = |input: u64| {
        json!({"input": input, "local": input / 2, "forwarded": input / 2, "rejected": 0,
                                    "local_rejects": 1, "forward_rejects": 0, "processed": input - 1})
    };
    let err = |mae: f64| json!({"node": "node_1", "mae": mae, "bias": -1.5, "mean_input": 20.0, "slots": 3});
    let doc = json!({"scenario": "trace-5", "policy": "p", "path": "deployed", "slot_seconds": 2.0,
                     "sim": result, "live": result,
                     "sim_slots": [[slot(20), slot(30), slot(40)]], "live_slots": [[slot(21), slot(29), slot(40)]],
                     "sim_prediction": [err(4.25)], "live_prediction": [err(5.5)]});
    let file = dir.path().join("d.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = write_report(&file, &ReportOptions::default()).unwrap();
    let svg = read(&dir.path().join("d-sim2real-slots.svg"));
    assert!(
        svg.contains("simulator") && svg.contains("live") && svg.contains("requests per second"),
        "per second: 2 s slots"
    );
    assert_eq!(png_size(&dir.path().join("d-sim2real-slots.png")).0, 1100);
    let md = read(&out.markdown);
    assert!(md.contains("| node_1 | 20.0 | 4.25 | -1.50 | 5.50 | -1.50 |"), "{md}");
    assert!(md.contains("d-sim2real-slots.png"), "{md}");
    // Malformed per-slot totals are an error naming the field.
    let mut bad = doc.clone();
    bad["sim_slots"] = json!([["x"]]);
    std::fs::write(&file, bad.to_string()).unwrap();
    let e = err_of(&file);
    assert!(e.contains("sim_slots[0]"), "{e}");
}

fn err_of(file: &Path) -> String {
    match write_report(file, &ReportOptions::default()) {
        Ok(_) => panic!("{} should be rejected", file.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn malformed_inputs_give_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases: Vec<(PathBuf, &str)> = vec![
        (write("a.json", "{\"hello\": 1}"), "unknown JSON shape"),
        (write("b.json", "{not json"), "not valid JSON"),
        (
            write("c.json", &{
                let mut v = cluster_json();
                v["nodes"][0].as_object_mut().unwrap().remove("capacity_rps");
                v.to_string()
            }),
            "capacity_rps",
        ),
        (
            write("d.json", &{
                let mut v = cluster_json();
                v["slot_seconds"] = json!(0.0);
                v.to_string()
            }),
            "slot_seconds must be > 0",
        ),
        (
            write(
                "e.json",
                r#"{"scenario": "s", "episodes": 1, "results": [{"policy": "p", "processed_ratio": 1.5,
            "forwarded_ratio": 0.0, "rejected_ratio": 0.0}]}"#,
            ),
            "processed_ratio = 1.5 is not in [0, 1]",
        ),
        (write("f.csv", "a,b\n1,2\n"), "unknown CSV header"),
        (
            write(
                "g.csv",
                &format!("{}\n0,1,0,n1,ten,0,0,,0,0,0,0,0,0,0,,,,0\n", dfaas_env::metrics::SLOT_CSV_HEADER.join(",")),
            ),
            "row 2, column `input`: expected a count, got `ten`",
        ),
        (write("h.csv", "step,wall_time_s,tag,value\nx,0,loss/policy,1\n"), "row 2: step `x`"),
        (write("i.csv", "step,wall_time_s,tag,value\n0,0,other/tag,1\n"), "no training tags"),
        (write("j.txt", "hello"), "unknown input"),
        (dir.path().join("missing.json"), "No such file"),
    ];
    for (file, needle) in cases {
        let e = err_of(&file);
        assert!(e.contains(&file.display().to_string()), "error does not name {}: {e}", file.display());
        assert!(e.contains(needle), "{}: expected {needle:?} in {e:?}", file.display());
    }
    // A folder with nothing to report, and a bad slot length.
    let empty = tempfile::tempdir().unwrap();
    assert!(err_of(empty.path()).contains("nothing to report"));
    let e = write_report(&dir.path().join("a.json"), &ReportOptions { slot_seconds: Some(-1.0), ..Default::default() });
    assert!(matches!(e, Err(PlotError::Input { .. })));
    let bad = dir.path().join("nope.toml");
    let e =
        write_report(&dir.path().join("a.json"), &ReportOptions { scenario: Some(bad.clone()), ..Default::default() });
    assert!(e.unwrap_err().to_string().contains(&bad.display().to_string()));
}

/// The committed live CloudNet 2021 run (`dfaas cluster ... --json`): the
/// reader understands the real output, and the steady state is the paper's
/// (node_1 executes 10 req/s, node_2 and node_3 16 and 24 req/s of its 50).
#[test]
fn committed_live_cloudnet21_run_reads_as_the_paper_steady_state() {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/results/cloudnet21-live/slack-proportional.json");
    let v: serde_json::Value = serde_json::from_str(&read(&file)).unwrap();
    let c = from_cluster::parse(&file, v).unwrap();
    let t = from_cluster::timelines(&c);
    assert_eq!(t.nodes.len(), 3);
    let steady = |xs: &[f64]| xs[5..].iter().sum::<f64>() / (xs.len() - 5) as f64;
    let n1 = &t.nodes[0];
    assert!((steady(&n1.input) - 50.0).abs() < 1.0, "{:?}", n1.input);
    for (node, want) in [(0, 10.0), (1, 16.0), (2, 24.0)] {
        let got = steady(&t.nodes[node].executed);
        assert!((got - want).abs() < 1.5, "{} executes {got} req/s, expected about {want}", t.nodes[node].node);
    }
}

#[test]
fn same_stem_inputs_do_not_overwrite_each_other() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("run.json"), cluster_json().to_string()).unwrap();
    let header = dfaas_env::metrics::SLOT_CSV_HEADER.join(",");
    std::fs::write(dir.path().join("run.csv"), format!("{header}\n0,1,0,n1,6,6,0,,0,0,0,0,0,0,6,,,,0\n")).unwrap();
    let out = write_report(dir.path(), &ReportOptions::default()).unwrap();
    assert_eq!(out.figures.len(), 4, "{:?}", out.figures);
    // Files are read in name order: run.csv first.
    assert!(dir.path().join("run-nodes.png").is_file());
    assert!(dir.path().join("run-json-nodes.png").is_file());
    // A slot number far out of range is an error, not a huge allocation.
    std::fs::write(dir.path().join("run.csv"), format!("{header}\n0,1,99999999999,n1,6,6,0,,0,0,0,0,0,0,6,,,,0\n"))
        .unwrap();
    let e = write_report(dir.path(), &ReportOptions::default()).unwrap_err().to_string();
    assert!(e.contains("run.csv") && e.contains("slot 99999999999 is beyond"), "{e}");
}
