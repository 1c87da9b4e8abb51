//! The CLI's JSON outputs on every shipped scenario stay what they were:
//! `dfaas evaluate` (every heuristic, the references and the shipped model,
//! with paired differences: the `compare` path) and `dfaas simulate`, on
//! short fixed episode lists, against the documents in `tests/golden/`.
//!
//! Compared after dropping what may differ between two runs of the same
//! build (`agent_steps_per_second`, `step_wall_seconds`: timings) and the report's schema
//! tag (`kind`, `schema_version`). A deliberate change of output is
//! recorded by rerunning with `DFAAS_BLESS=1` and committing the new files.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn dfaas(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_dfaas")).args(args).current_dir(ROOT).output().expect("run dfaas");
    assert!(out.status.success(), "dfaas {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("dfaas {args:?}: not JSON: {e}"))
}

/// Drops the fields that are not a function of the inputs.
fn normalise(v: &mut Value, top: bool) {
    match v {
        Value::Object(m) => {
            m.remove("agent_steps_per_second");
            m.remove("step_wall_seconds");
            if top {
                m.remove("kind");
                m.remove("schema_version");
            }
            for x in m.values_mut() {
                normalise(x, false);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| normalise(x, false)),
        _ => {}
    }
}

fn check(name: &str, mut got: Value) {
    // Every document the CLI writes reads back through its type.
    let doc = dfaas_reports::Document::from_value(got.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(doc.is_some(), "{name}: not tagged");
    normalise(&mut got, true);
    let path = Path::new(ROOT).join("tests/golden").join(name);
    if std::env::var_os("DFAAS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
        return;
    }
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (DFAAS_BLESS=1 writes it)", path.display()));
    let mut want: Value = serde_json::from_str(&text).unwrap();
    normalise(&mut want, true);
    if got != want {
        let out = std::env::temp_dir().join(format!("dfaas-golden-{name}"));
        std::fs::write(&out, serde_json::to_string_pretty(&got).unwrap()).unwrap();
        panic!("{name}: output differs from {}; this run's is in {}", path.display(), out.display());
    }
}

fn scenarios() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(Path::new(ROOT).join("experiments/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    assert!(out.len() >= 10, "the shipped scenarios are missing");
    out
}

/// The scenario's shipped model, if there is one.
fn model(name: &str) -> Option<String> {
    let m = format!("models/{name}.dfpolicy");
    Path::new(ROOT).join(&m).exists().then_some(m)
}

#[test]
fn evaluate_outputs_are_unchanged_on_every_shipped_scenario() {
    for (name, path) in scenarios() {
        let p = path.to_str().unwrap();
        let common = ["--scenario", p, "--episodes", "1", "--seed", "424242", "--json"];
        match model(&name) {
            // `evaluate`: the model, every heuristic, the references, paired differences.
            Some(m) => {
                check(&format!("{name}.evaluate.json"), dfaas(&[&["evaluate", "--model", &m], &common[..]].concat()))
            }
            // `compare`: every heuristic and the references.
            None => check(&format!("{name}.compare.json"), dfaas(&[&["compare"], &common[..]].concat())),
        }
    }
}

#[test]
fn simulate_outputs_are_unchanged_on_every_shipped_scenario() {
    for (name, path) in scenarios() {
        let p = path.to_str().unwrap();
        let heuristic = ["simulate", "--scenario", p, "--policy", "slack-proportional", "--seed", "77", "--json"];
        check(&format!("{name}.simulate.json"), dfaas(&heuristic));
        if let Some(m) = model(&name) {
            let learned = ["simulate", "--scenario", p, "--model", &m, "--seed", "78", "--json"];
            check(&format!("{name}.simulate-learned.json"), dfaas(&learned));
        }
    }
}
