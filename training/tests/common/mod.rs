//! The tiny scenario and experiment file shared by the training tests.
#![allow(dead_code)]

use std::path::Path;

use dfaas_training::TrainConfig;

/// node_0 receives 30 req/s but serves 10; node_1 serves 30 and receives none.
/// All-local loses 2/3 of node_0's load; forwarding 2/3 of it loses nothing.
pub const SCENARIO: &str = r#"
name = "tiny-overload"
[episode]
max_steps = 12
slot_seconds = 1.0
[topology]
adjacency = ["node_0 node_1"]
[model]
kind = "capacity"
capacity_rps = [10.0, 30.0]
[workload]
kind = "constant"
rate_rps = [30.0, 0.0]
"#;

/// Writes the scenario to `dir/tiny.toml` and returns its path.
pub fn write_scenario(dir: &Path) -> std::path::PathBuf {
    let s = dir.join("tiny.toml");
    std::fs::write(&s, SCENARIO).unwrap();
    s
}

/// A fast `default`-preset experiment on the tiny scenario; `top` adds
/// top-level keys (e.g. `critic = "central"\n`).
pub fn config(dir: &Path, iterations: usize, top: &str) -> TrainConfig {
    let s = write_scenario(dir);
    let exp = format!(
        "scenario = {s:?}\npreset = \"default\"\n{top}seed = 3\niterations = {iterations}\ncheckpoint_every = 5\n\
         [ppo]\nepisodes_per_iteration = 8\nminibatch_size = 64\nepochs = 4\nlr = 0.003\ngamma = 0.5\ngae_lambda = 0.5\n\
         [network]\nhidden = [32, 32]\n[rollout]\nenvs = 4\nthreads = 2\n"
    );
    let p = dir.join("exp.toml");
    std::fs::write(&p, exp).unwrap();
    TrainConfig::load(&p).unwrap()
}
