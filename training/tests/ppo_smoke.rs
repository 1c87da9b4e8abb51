//! PPO end to end on a tiny scenario: reward must improve within seconds;
//! same seed ⇒ same run; checkpoints resume; export → load → same decisions.

use std::path::Path;

use dfaas_env::Scenario;
use dfaas_training::TrainConfig;
use dfaas_training::trainer::Trainer;

mod common;
use common::SCENARIO;

fn config(dir: &Path, iterations: usize) -> TrainConfig {
    common::config(dir, iterations, "")
}

#[test]
fn ppo_improves_reward_on_a_tiny_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 20);
    let mut t = Trainer::create(cfg, &dir.path().join("run"), false).unwrap();
    let reports = t.run().unwrap();
    let first = reports[0].reward_mean;
    let last = reports.iter().rev().take(3).map(|r| r.reward_mean).sum::<f64>() / 3.0;
    eprintln!("rewards: {:?}", reports.iter().map(|r| (r.reward_mean * 1000.0).round() / 1000.0).collect::<Vec<_>>());
    // 12 slots per episode: the reward per agent and episode is at most 12.
    assert!(last > first + 2.0 && last > 11.0, "reward {first} → {last}");
    let _ = Scenario::from_toml_str(SCENARIO, Path::new("tiny.toml")).unwrap();
}

#[test]
fn same_seed_same_run_and_resume_continues() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, iterations: usize| {
        let mut t = Trainer::create(config(dir.path(), iterations), &dir.path().join(name), false).unwrap();
        let r = t.run().unwrap();
        t.finish().unwrap();
        r
    };
    let a = run("a", 6);
    let b = run("b", 6);
    let key = |r: &[dfaas_training::trainer::IterationReport]| {
        r.iter().map(|x| (x.reward_mean.to_bits(), x.policy_loss.to_bits(), x.value_loss.to_bits())).collect::<Vec<_>>()
    };
    assert_eq!(key(&a), key(&b), "same seed, same thread count ⇒ same run");

    // Stop after 5 of 6 iterations (a checkpoint), then resume: same as uninterrupted.
    let mut c = Trainer::create(config(dir.path(), 6), &dir.path().join("c"), false).unwrap();
    let c5 = c.run_until(5).unwrap();
    c.finish().unwrap();
    assert_eq!(key(&c5), key(&a[..5]));
    let mut t = Trainer::resume(&dir.path().join("c"), false).unwrap();
    assert_eq!(t.state.iteration, 5);
    let rest = t.run().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(key(&rest), key(&a[5..]), "resume continues the run exactly");
    // A second `create` on the same folder is refused.
    assert!(Trainer::create(config(dir.path(), 6), &dir.path().join("c"), false).is_err());
}

#[test]
fn export_then_load_gives_identical_decisions() {
    use burn::module::Module;
    use burn::tensor::{Device, Tensor, TensorData};
    use dfaas_env::Simulator;
    use dfaas_policies::{NodeContext, Policy, PolicyFile, load_learned};

    let dir = tempfile::tempdir().unwrap();
    let mut t = Trainer::create(config(dir.path(), 2), &dir.path().join("run"), false).unwrap();
    t.run().unwrap();
    let out = dfaas_training::export::export_run(&dir.path().join("run"), &dir.path().join("m")).unwrap();
    assert_eq!(out.extension().unwrap(), "dfpolicy");
    let file = PolicyFile::read(&out).unwrap();
    assert_eq!(file.meta.scenario, "tiny-overload");

    let mut sim = Simulator::new(&t.scenario).unwrap();
    sim.reset_episode(Some(4));
    let actor = t.learners[0].actor.valid();
    // Exported with the statistics the weights were trained with.
    let (mean, std) = t.state.trained_obs_stats[0].frozen();
    let mut enc = Vec::new();
    for i in 0..2 {
        let ctx = NodeContext::from_topology(sim.topology(), i).unwrap();
        let mut p = load_learned(&out, &ctx).unwrap();
        let obs = &sim.observations()[i];
        let d = p.decide(obs);
        t.layout.encoder.encode(obs, &mut enc);
        dfaas_training::obs_norm::normalize(&mut enc, &mean, &std);
        let x = Tensor::<2>::from_data(TensorData::new(enc.clone(), [1, enc.len()]), &Device::flex());
        let alpha: Vec<f32> = actor.forward(x).into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
        let mut valid: Vec<f64> =
            alpha.iter().zip(&t.layout.masks[i]).filter(|(_, m)| **m).map(|(&a, _)| a as f64).collect();
        dfaas_policies::learned::drop_sub_request(&mut valid, obs.predicted_input);
        let s: f64 = valid.iter().sum();
        for (got, want) in d.as_slice().iter().zip(valid.iter().map(|a| a / s)) {
            assert!((got - want).abs() < 1e-5, "node {i}: {:?} vs burn mean", d.as_slice());
        }
    }
    // A corrupt copy is refused with a clear error.
    let mut bytes = std::fs::read(&out).unwrap();
    let k = bytes.len() / 2;
    bytes[k] ^= 0x55;
    let bad = dir.path().join("bad.dfpolicy");
    std::fs::write(&bad, &bytes).unwrap();
    let ctx = NodeContext::from_topology(sim.topology(), 0).unwrap();
    let msg = load_learned(&bad, &ctx).err().unwrap().to_string();
    assert!(msg.contains("bad.dfpolicy") && msg.contains("corrupt"), "{msg}");
}

#[test]
fn independent_mode_with_fidelity_layout_trains_and_exports() {
    use dfaas_env::Simulator;
    use dfaas_policies::{NodeContext, Policy, load_learned};

    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), 2);
    cfg.mode = dfaas_training::config::Mode::Independent;
    cfg.encoding = dfaas_training::config::EncodingChoice::Fidelity;
    let mut t = Trainer::create(cfg.clone(), &dir.path().join("run"), false).unwrap();
    assert_eq!(t.learners.len(), 2, "one network per node");
    let first = t.run().unwrap();
    // The networks update in parallel threads: still the same run for the same seed.
    let again = Trainer::create(cfg, &dir.path().join("again"), false).unwrap().run().unwrap();
    let key = |r: &[dfaas_training::trainer::IterationReport]| {
        r.iter().map(|x| (x.policy_loss.to_bits(), x.value_loss.to_bits())).collect::<Vec<_>>()
    };
    assert_eq!(key(&first), key(&again));
    let out = dfaas_training::export::export_run(&dir.path().join("run"), &dir.path().join("ind")).unwrap();
    let mut sim = Simulator::new(&t.scenario).unwrap();
    sim.reset_episode(Some(1));
    for i in 0..2 {
        let ctx = NodeContext::from_topology(sim.topology(), i).unwrap();
        let mut p = load_learned(&out, &ctx).unwrap();
        let d = p.decide(&sim.observations()[i]);
        assert_eq!(d.as_slice().len(), 3);
    }
    // A node name the file does not know is refused, naming both sides.
    let wrong = NodeContext { name: "node_9".into(), neighbors: vec!["node_0".into()], ..Default::default() };
    let msg = load_learned(&out, &wrong).err().unwrap().to_string();
    assert!(msg.contains("node_9"), "{msg}");
}
