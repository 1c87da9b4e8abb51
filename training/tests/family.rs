//! Training on a family: a new generated federation (size, graph,
//! capacities, loads) for every episode, one shared network for all.

use std::path::{Path, PathBuf};

use dfaas_training::{TrainConfig, Trainer};

const SCENARIO: &str = r#"
name = "family-template"
[episode]
max_steps = 10
slot_seconds = 1.0
[topology]
generator = { kind = "geometric", nodes = 10, k = 2, seed = 5, join = true }
[model]
kind = "capacity"
capacity_rps = { uniform = [5.0, 30.0], seed = 6 }
[workload]
kind = "normal"
mean_rps = { uniform = [0.0, 30.0], seed = 7 }
std_rps = 4.0
min_rps = 0.0
max_rps = 60.0
"#;

fn write(dir: &Path, family: &str, top: &str) -> PathBuf {
    let s = dir.join("template.toml");
    std::fs::write(&s, SCENARIO).unwrap();
    let exp = format!(
        "scenario = {s:?}\npreset = \"default\"\nseed = 4\niterations = 2\n{top}{family}\
         [ppo]\nepisodes_per_iteration = 8\nminibatch_size = 128\nepochs = 1\n\
         [network]\nhidden = [16, 16]\n[rollout]\nenvs = 8\nthreads = 2\n"
    );
    let p = dir.join("exp.toml");
    std::fs::write(&p, exp).unwrap();
    p
}

const FAMILY: &str = "max_degree = 12\n[family]\nnodes = [5, 15]\ndegree = [1, 3]\n";

#[test]
fn every_episode_plays_another_federation_and_the_seed_fixes_them() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = TrainConfig::load(&write(dir.path(), FAMILY, "")).unwrap();
    assert_eq!(cfg.critic, dfaas_training::config::CriticInput::Local, "a family trains a local critic");
    let run = |name: &str| {
        let mut t = Trainer::create(cfg.clone(), &dir.path().join(name), false).unwrap();
        let reports = t.run().unwrap();
        (reports, t.state.agent_steps)
    };
    let (a, steps) = run("a");
    let (b, _) = run("b");
    assert_eq!(a.len(), 2);
    // 8 episodes of 10 slots on federations of 5 to 15 nodes each: not
    // 80 × the template's 10 agents, and within the range's bounds.
    assert!((2 * 80 * 5..=2 * 80 * 15).contains(&steps), "{steps} agent steps");
    assert_ne!(steps, 2 * 80 * 10, "every episode on the template's 10 nodes");
    assert!(a.iter().all(|r| r.processed_ratio > 0.0 && r.processed_ratio <= 1.0));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.reward_mean.to_bits(), y.reward_mean.to_bits(), "same seed, same federations and result");
        assert_eq!(x.agent_steps, y.agent_steps);
    }
}

#[test]
fn a_family_needs_a_width_a_local_critic_and_a_generator() {
    let dir = tempfile::tempdir().unwrap();
    let err = |family: &str, top: &str| TrainConfig::load(&write(dir.path(), family, top)).unwrap_err().to_string();
    let e = err("[family]\nnodes = [5, 15]\n", "");
    assert!(e.contains("exp.toml") && e.contains("family") && e.contains("max_degree"), "{e}");
    let e = err(FAMILY, "critic = \"central\"\n");
    assert!(e.contains("family") && e.contains("local"), "{e}");
    let e = err("max_degree = 12\n[family]\nnodes = [15, 5]\n", "");
    assert!(e.contains("exp.toml") && e.contains("family.nodes") && e.contains("[15, 5]"), "{e}");
    let e = err("max_degree = 12\n[family]\nnodes = [5, 15]\nsize = 3\n", "");
    assert!(e.contains("size"), "unknown key named: {e}");
}
