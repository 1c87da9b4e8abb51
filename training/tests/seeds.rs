//! Training and evaluation never share an episode: every training episode
//! seed has bit 32 set, every evaluation seed of every shipped scenario is
//! below 2³², and a scenario listing a larger evaluation seed is refused.

use std::path::Path;

use dfaas_env::Scenario;
use dfaas_training::rollout::{TRAINING_SEED_BIT, episode_seed};

#[test]
fn training_and_evaluation_seeds_are_disjoint() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios");
    let mut scenarios = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let s = Scenario::load(&path).unwrap();
            let eval = s.evaluation_seeds();
            assert!(!eval.is_empty());
            assert!(eval.iter().all(|&x| x < TRAINING_SEED_BIT), "{}: {eval:?}", path.display());
            // The seeds `dfaas compare --episodes 50` falls back to as well.
            let more = dfaas_env::seeds::evaluation_seeds(s.seeds.master, 200);
            assert!(more.iter().all(|&x| x < TRAINING_SEED_BIT));
            scenarios += 1;
        }
    }
    assert!(scenarios >= 6, "the shipped scenarios were read");
    for seed in [0, 1, 7, u64::MAX] {
        for it in [0, 1, 299, 1999] {
            for env in 0..16 {
                for k in 0..4 {
                    let s = episode_seed(seed, it, env, k);
                    assert!((TRAINING_SEED_BIT..TRAINING_SEED_BIT << 1).contains(&s), "{s}");
                }
            }
        }
    }
    assert_ne!(episode_seed(1, 0, 0, 0), episode_seed(1, 0, 0, 1));
    assert_ne!(episode_seed(1, 0, 0, 0), episode_seed(1, 1, 0, 0));
}

#[test]
fn a_scenario_cannot_evaluate_on_training_seeds() {
    let text = r#"
[episode]
max_steps = 4
slot_seconds = 1.0
[seeds]
evaluation = [5, 4294967296]
[topology]
adjacency = ["a b"]
[model]
kind = "capacity"
capacity_rps = [10.0, 10.0]
[workload]
kind = "constant"
rate_rps = [5.0, 5.0]
"#;
    let e = Scenario::from_toml_str(text, Path::new("big-seed.toml")).unwrap_err().to_string();
    assert!(e.contains("big-seed.toml") && e.contains("seeds.evaluation") && e.contains("4294967296"), "{e}");
}
