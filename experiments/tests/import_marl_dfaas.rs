//! `dfaas import marl-dfaas`: marl-dfaas's five_agents configs become our
//! shipped marl-master-5 and marl-paper-5(-fidelity) up to naming (the same
//! comparison results, episode by episode); unknown keys and values that
//! cannot be reproduced are errors naming them.

use std::path::{Path, PathBuf};

use dfaas_env::Scenario;
use dfaas_experiments::Contender;
use dfaas_experiments::evaluation::compare_document;
use dfaas_experiments::import::{Flavour, ImportOptions, PaiseOptions, import};

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn imported(file: &str, flavour: Flavour, opts: &ImportOptions, dir: &Path) -> Scenario {
    let out = dir.join(format!("{file}.toml"));
    let text = import(&here().join("tests/fixtures/marl-dfaas").join(file), flavour, &out, opts).unwrap();
    std::fs::write(&out, text).unwrap();
    Scenario::load(&out).unwrap()
}

/// The comparison document without names and timings.
fn results(s: &Scenario) -> serde_json::Value {
    let contenders = ["all-local", "random", "slack-proportional"].map(|p| Contender::parse(p).unwrap()).to_vec();
    let doc = compare_document(s, contenders, Some(3), None, false).unwrap();
    let mut v = serde_json::to_value(&doc).unwrap();
    v["scenario"] = serde_json::Value::Null;
    for r in v["results"].as_array_mut().unwrap() {
        r["agent_steps_per_second"] = serde_json::Value::Null;
    }
    v
}

fn shipped(name: &str) -> Scenario {
    Scenario::load(here().join("scenarios").join(format!("{name}.toml"))).unwrap()
}

#[test]
fn five_agents_configs_reproduce_the_shipped_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    let master = imported("five_agents.yaml", Flavour::Master, &ImportOptions::default(), dir.path());
    assert_eq!(master.name, "five-agents");
    assert_eq!(results(&master), results(&shipped("marl-master-5")));

    let paise = imported("five_agents.json", Flavour::Paise2025, &ImportOptions::default(), dir.path());
    assert_eq!(results(&paise), results(&shipped("marl-paper-5-fidelity")));
    let opts = ImportOptions { paise: PaiseOptions { per_neighbor: true }, ..Default::default() };
    let per = imported("five_agents.json", Flavour::Paise2025, &opts, dir.path());
    assert_eq!(results(&per), results(&shipped("marl-paper-5")));
}

fn import_text(text: &str, ext: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(format!("cfg.{ext}"));
    std::fs::write(&p, text).unwrap();
    let flavour = Flavour::of(&p).unwrap();
    match import(&p, flavour, &dir.path().join("out.toml"), &ImportOptions::default()) {
        Ok(t) => t,
        Err(e) => format!("ERROR {e}"),
    }
}

#[test]
fn unknown_keys_and_unreproducible_values_are_named() {
    let e = import_text("network: [\"a b\"]\nresponse_time_threshold: 2\n", "yaml");
    assert!(e.starts_with("ERROR") && e.contains("cfg.yaml") && e.contains("response_time_threshold"), "{e}");
    let e = import_text(r#"{"network": ["a b"], "agents": 2}"#, "json");
    assert!(e.starts_with("ERROR") && e.contains("cfg.json") && e.contains("agents"), "{e}");
    let e = import_text("warm_service_time_range: [200, 300]\n", "yaml");
    assert!(e.contains("warm_service_time_range = [200.0, 300.0]") && e.contains("state `warm_service_time`"), "{e}");
    let e = import_text("warm_service_time: 200\ncold_service_time: 400\nbuild_seed: 7\n", "yaml");
    assert!(e.contains("build_seed = 7") && e.contains("request_memory_mb"), "{e}");
    let e = import_text(
        "network: [\"a b\"]\nperfmodel_params:\n  a: {idle_time_before_kill: 30}\n  b: {idle_time_before_kill: 60}\n",
        "yaml",
    );
    assert!(e.contains("idle_time_before_kill differs between a (30.0) and b (60.0)"), "{e}");
    let e = import_text("input_rate_method: synthetic-double-linear-growth\n", "yaml");
    assert!(e.contains("synthetic-double-linear-growth") && e.contains("no equivalent"), "{e}");
    let e = import_text(r#"{"input_requests_type": "real"}"#, "json");
    assert!(e.contains("\"real\"") && e.contains("azure"), "{e}");
    // Stated samples are taken as they are (an exported config states them).
    let t = import_text("warm_service_time: 200\ncold_service_time: 400\nmax_steps: 20\n", "yaml");
    assert!(
        t.contains("warm_service_s = 0.2") && t.contains("cold_service_s = 0.4") && t.contains("max_steps = 20"),
        "{t}"
    );
}
