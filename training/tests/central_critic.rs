//! The central (MAPPO-style) critic: it sees every agent's observation and
//! the agent's one-hot, trains as well as the local one on a tiny scenario,
//! resumes from its checkpoint, and never reaches the exported file, whose
//! actor still reads only the node's own observation.

use std::path::Path;

use dfaas_env::{Scenario, Simulator};
use dfaas_policies::PolicyFile;
use dfaas_training::TrainConfig;
use dfaas_training::config::{CriticInput, EncodingChoice, Mode};
use dfaas_training::layout::Layout;
use dfaas_training::trainer::Trainer;

mod common;

fn config(dir: &Path, iterations: usize) -> TrainConfig {
    common::config(dir, iterations, "critic = \"central\"\n")
}

#[test]
fn central_input_is_every_observation_and_a_one_hot() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::write_scenario(dir.path());
    let sim = Simulator::new(&Scenario::load(&s).unwrap()).unwrap();
    let local = Layout::new(&sim, Mode::Shared, EncodingChoice::Normalized).unwrap();
    assert_eq!(local.critic_dim, 0);
    let d = local.nets[0].obs_dim;
    let central = local.with_critic(CriticInput::Central);
    assert_eq!(central.critic_dim, 2 * d + 2);
    let (a, b) = (vec![1.0; d], vec![2.0; d]);
    let mut row = Vec::new();
    central.central_row(&[a.clone(), b.clone()].concat(), 1, &mut row);
    assert_eq!(row.len(), central.critic_dim);
    assert_eq!(&row[..d], &a[..]);
    assert_eq!(&row[d..2 * d], &b[..]);
    assert_eq!(&row[2 * d..], &[0.0, 1.0], "one-hot of agent 1");
    let net = &central.net_configs(&config(dir.path(), 1).network)[0];
    assert_eq!((net.obs_dim, net.critic_dim), (d, 2 * d + 2));
}

#[test]
fn central_critic_trains_resumes_and_stays_out_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let mut t = Trainer::create(config(dir.path(), 20), &run, false).unwrap();
    let mut reports = t.run_until(15).unwrap();
    t.finish().unwrap();
    let mut t = Trainer::resume(&run, false).unwrap();
    reports.extend(t.run().unwrap());
    t.finish().unwrap();
    assert_eq!(reports.len(), 20);
    let first = reports[0].reward_mean;
    let last = reports.iter().rev().take(3).map(|r| r.reward_mean).sum::<f64>() / 3.0;
    assert!(last > first + 2.0 && last > 11.0, "reward {first} → {last}");

    let out = dfaas_training::export::export_run(&run, &dir.path().join("tiny")).unwrap();
    let file = PolicyFile::read(&out).unwrap();
    let sim = Simulator::new(&Scenario::load(dir.path().join("tiny.toml")).unwrap()).unwrap();
    let d = Layout::new(&sim, Mode::Shared, EncodingChoice::Normalized).unwrap().nets[0].obs_dim;
    assert_eq!(file.meta.networks[0].input_dim, d, "the exported actor reads the node's own observation");
}
