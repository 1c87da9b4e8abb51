//! Training's results are pinned: two iterations on the tiny scenario, with
//! the team reward and with the model's own, give the losses and rewards
//! recorded in `tests/golden/` (bit for bit, same seed and thread count).
//! A refactor of the loop, the rollout or the update that changes them
//! fails here; a deliberate change re-records with `DFAAS_BLESS=1`.

mod common;

use std::path::Path;

use dfaas_training::Trainer;

fn run(top: &str) -> Vec<[String; 6]> {
    let dir = tempfile::tempdir().unwrap();
    let mut t = Trainer::create(common::config(dir.path(), 2, top), &dir.path().join("run"), false).unwrap();
    let reports = t.run().unwrap();
    t.finish().unwrap();
    let bits = |x: f64| format!("{:016x}", x.to_bits());
    reports
        .iter()
        .map(|r| {
            [
                bits(r.reward_mean),
                bits(r.processed_ratio),
                bits(r.policy_loss),
                bits(r.value_loss),
                bits(r.entropy),
                bits(r.kl),
            ]
        })
        .collect()
}

#[test]
fn two_iterations_give_the_recorded_numbers() {
    let got = serde_json::json!({
        "team": run("reward = \"team\"\n"),
        "env": run("reward = \"env\"\n"),
    });
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/tiny-2-iterations.json");
    if std::env::var_os("DFAAS_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
        return;
    }
    let want: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(got, want, "training results changed ({})", path.display());
}
