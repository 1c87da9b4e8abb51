//! Training throughput in agent-steps per second, updates included, for the
//! `default` and `paper` presets on marl-master-5 and marl-paper-5, and the
//! `default` preset on capacity-5 (its central critic).
//!
//! `cargo bench -p dfaas-training --bench train_throughput` (a bench binary:
//! it prints one line per configuration; each run is a few whole iterations).

use std::path::Path;
use std::time::Instant;

use dfaas_training::TrainConfig;
use dfaas_training::trainer::Trainer;

fn main() {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/scenarios");
    let cases: &[(&str, &str, usize)] = &[
        ("marl-master-5", "default", 12),
        ("marl-paper-5", "default", 12),
        ("capacity-5", "default", 100),
        ("marl-master-5", "paper", 1),
    ];
    println!("scenario        preset   iterations  agent-steps  seconds  agent-steps/s  rollout s/it  update s/it");
    for &(scenario, preset, iterations) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cfg = TrainConfig::preset(preset, scenarios.join(format!("{scenario}.toml"))).expect("preset");
        cfg.iterations = iterations;
        let mut t = Trainer::create(cfg, &dir.path().join("run"), false).expect("trainer");
        let t0 = Instant::now();
        let mut rollout = 0.0;
        let mut update = 0.0;
        for _ in 0..iterations {
            t.iterate().expect("iteration runs");
            let (r, u) = t.last_timing();
            rollout += r;
            update += u;
        }
        let secs = t0.elapsed().as_secs_f64();
        let steps = t.state.agent_steps;
        println!(
            "{scenario:<15} {preset:<8} {iterations:>10}  {steps:>11}  {secs:>7.2}  {:>13.0}  {:>12.3}  {:>11.3}",
            steps as f64 / secs,
            rollout / iterations as f64,
            update / iterations as f64
        );
    }
}
