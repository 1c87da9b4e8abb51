//! A policy file of observation encoding version 1 runs on the scenarios it
//! fits, and is refused, naming the model file, the scenario file, the field
//! and its value, on a scenario whose observations carry a field only
//! version 2 reads (`observation.period_slots`).

use std::path::Path;

use dfaas_env::encoding::Encoding;
use dfaas_env::{Scenario, Simulator};
use dfaas_experiments::Contender;
use dfaas_experiments::compare::run_many;
use dfaas_policies::learned::{ActionLayout, Activation, Mode, NetworkMeta, PolicyFile, PolicyMeta};
use indicatif::ProgressBar;

/// A shared normalized network of version 1 for degree ≤ 2 (6 + 6·2 inputs,
/// no hidden layer): prefers local.
fn version_one_file() -> PolicyFile {
    let mut f = PolicyFile {
        meta: PolicyMeta {
            format_version: dfaas_policies::learned::FORMAT_VERSION,
            encoding: Encoding::Normalized { max_degree: 2, version: 1, period_slots: None },
            encoding_version: 1,
            mode: Mode::Shared,
            action_layout: ActionLayout::PerNeighbor,
            max_degree: 2,
            nodes: Vec::new(),
            networks: Vec::new(),
            scenario: "test".into(),
            seed: 1,
            training: serde_json::json!({}),
            created_by: "encoding_versions test".into(),
        },
        weights: Vec::new(),
    };
    let net = NetworkMeta {
        input_dim: 18,
        output_dim: 4,
        hidden: vec![],
        activation: Activation::Relu,
        alpha_floor: 0.0,
        obs_mean: vec![0.0; 18],
        obs_std: vec![1.0; 18],
        layers: vec![],
    };
    f.push_network(net, &[(vec![0.0; 72], vec![3.0, 0.0, 0.0, -3.0])]).unwrap();
    f
}

#[test]
fn a_version_one_file_runs_where_it_fits_and_names_the_v2_only_field_where_not() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("old.dfpolicy");
    version_one_file().write(&model).unwrap();
    let learned = Contender::learned(&model).unwrap();
    let bar = ProgressBar::hidden();

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let shipped = std::fs::read_to_string(root.join("capacity-5.toml")).unwrap();
    // The shipped `[observation]` table (the file's last) is written anew below.
    let base = shipped.split("\n[observation]").next().unwrap();
    let plain = Scenario::from_toml_str(base, &root.join("capacity-5.toml")).unwrap();
    let runs = run_many(&Simulator::new(&plain).unwrap(), &learned, &[1], &bar).unwrap();
    assert!(runs[0].summary.federation.processed > 0, "the version-1 file runs");

    let phased_path = dir.path().join("capacity-5-phased.toml");
    std::fs::write(&phased_path, format!("{base}\n[observation]\nperiod_slots = 30\n")).unwrap();
    let phased = Scenario::load(&phased_path).unwrap();
    let err = run_many(&Simulator::new(&phased).unwrap(), &learned, &[1], &bar).unwrap_err().to_string();
    for want in [
        model.display().to_string(),
        phased_path.display().to_string(),
        "observation.period_slots".into(),
        "version 1 has no phase".into(),
        "the node has 30 slots".into(),
    ] {
        assert!(err.contains(&want), "missing `{want}` in: {err}");
    }
}

#[test]
fn a_zero_period_is_refused_with_file_field_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let shipped = std::fs::read_to_string(root.join("capacity-5.toml")).unwrap();
    // The shipped `[observation]` table (the file's last) is written anew below.
    let base = shipped.split("\n[observation]").next().unwrap();
    let path = dir.path().join("zero.toml");
    std::fs::write(&path, format!("{base}\n[observation]\nperiod_slots = 0\n")).unwrap();
    let e = Scenario::load(&path).unwrap_err().to_string();
    assert!(e.contains("zero.toml") && e.contains("observation.period_slots") && e.contains('0'), "{e}");
}
