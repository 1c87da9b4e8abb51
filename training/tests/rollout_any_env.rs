//! Rollouts go through `MultiAgentEnv`, so the trainer's collection runs on
//! any environment: a wrapper that only forwards the trait's methods gives
//! the simulator's rollout bit for bit; an environment that cannot give an
//! episode's mean input is refused the team reward, naming why; a failing
//! step is an error, not a panic. The whole trainer runs on such a wrapper
//! with the simulator's results, and refuses an environment whose agents
//! are not the scenario's nodes.

mod common;

use burn::module::Module;
use burn::tensor::Device;
use dfaas_env::{Decision, EnvError, MultiAgentEnv, NodeObservation, Simulator, SlotOutcome, Space};
use dfaas_training::Trainer;
use dfaas_training::compute::Compute;
use dfaas_training::config::RewardChoice;
use dfaas_training::nets::Actor;
use dfaas_training::obs_norm::RunningStats;
use dfaas_training::rollout::{Rollout, collect};

/// Only the trait: no inherent simulator method is reachable through it.
#[derive(Clone)]
struct Wrapped {
    sim: Simulator,
    knows_mean_input: bool,
    /// Fail every step from this slot on.
    fail_at: Option<usize>,
    slot: usize,
}

impl MultiAgentEnv for Wrapped {
    fn agents(&self) -> &[String] {
        MultiAgentEnv::agents(&self.sim)
    }
    fn observation_space(&self, agent: usize) -> Space {
        self.sim.observation_space(agent)
    }
    fn action_space(&self, agent: usize) -> Space {
        self.sim.action_space(agent)
    }
    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<NodeObservation>, Vec<SlotOutcome>), EnvError> {
        self.slot = 0;
        MultiAgentEnv::reset(&mut self.sim, seed)
    }
    fn advance(&mut self, actions: &[Decision]) -> Result<(), EnvError> {
        if self.fail_at.is_some_and(|t| self.slot >= t) {
            return Err(EnvError::State(format!("node down in slot {}", self.slot)));
        }
        self.slot += 1;
        MultiAgentEnv::advance(&mut self.sim, actions)
    }
    fn observations(&self) -> &[NodeObservation] {
        MultiAgentEnv::observations(&self.sim)
    }
    fn outcomes(&self) -> &[SlotOutcome] {
        MultiAgentEnv::outcomes(&self.sim)
    }
    fn is_done(&self) -> bool {
        MultiAgentEnv::is_done(&self.sim)
    }
    fn mean_federation_input(&self) -> Option<f64> {
        if self.knows_mean_input { self.sim.mean_federation_input() } else { None }
    }
}

/// Per trajectory: observation, action and reward bits, truncation flags.
type Key = Vec<(Vec<u32>, Vec<u32>, Vec<u32>, Vec<bool>)>;

fn key(r: &Rollout) -> Key {
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    r.trajectories.iter().map(|t| (bits(&t.obs), bits(&t.actions), bits(&t.rewards), t.truncated.clone())).collect()
}

#[test]
fn any_env_collects_what_the_simulator_collects() {
    let dir = tempfile::tempdir().unwrap();
    let t = Trainer::create(common::config(dir.path(), 1, ""), &dir.path().join("run"), false).unwrap();
    let actors: Vec<Actor> = t.learners.iter().map(|l| l.actor.valid().to_device(&Device::flex())).collect();
    let norm: Vec<(Vec<f32>, Vec<f32>)> = t.layout.nets.iter().map(|s| RunningStats::new(s.obs_dim).frozen()).collect();
    let run = |env: &Wrapped, reward| collect(&[(env, &t.layout); 2], &actors, &norm, 2, 2, 5, 0, reward);
    for reward in [RewardChoice::Env, RewardChoice::Team] {
        let sim = collect(&[(&t.env, &t.layout); 2], &actors, &norm, 2, 2, 5, 0, reward).unwrap();
        let wrapped = Wrapped { sim: t.env.clone(), knows_mean_input: true, fail_at: None, slot: 0 };
        let other = run(&wrapped, reward).unwrap();
        assert_eq!(sim.agent_steps, 2 * 2 * 12 * 2);
        assert_eq!(other.agent_steps, sim.agent_steps);
        assert_eq!(key(&other), key(&sim), "{reward:?}: the wrapper's rollout differs");
        assert!(sim.trajectories.iter().all(|t| t.truncated.iter().filter(|&&x| x).count() == 2));
    }

    // No mean input: the team reward cannot be computed, and says so.
    let blind = Wrapped { sim: t.env.clone(), knows_mean_input: false, fail_at: None, slot: 0 };
    let e = run(&blind, RewardChoice::Team).unwrap_err().to_string();
    assert!(e.contains("team reward") && e.contains("mean input"), "{e}");
    assert!(run(&blind, RewardChoice::Env).is_ok(), "the env reward needs no scale");

    // A step that fails is an error of the rollout, not a panic.
    let failing = Wrapped { sim: t.env.clone(), knows_mean_input: true, fail_at: Some(3), slot: 0 };
    let e = run(&failing, RewardChoice::Env).unwrap_err().to_string();
    assert!(e.contains("node down in slot 3"), "{e}");
}

/// Per iteration: reward, processed ratio, losses, entropy and KL as bits.
fn report_bits(t: &mut Trainer<impl MultiAgentEnv + Clone + Send>) -> Vec<[u64; 6]> {
    let reports = t.run_until(2).unwrap();
    reports
        .iter()
        .map(|r| [r.reward_mean, r.processed_ratio, r.policy_loss, r.value_loss, r.entropy, r.kl].map(f64::to_bits))
        .collect()
}

#[test]
fn the_trainer_runs_on_any_env_with_the_simulators_results() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::config(dir.path(), 2, "");
    let mut on_sim = Trainer::create(cfg.clone(), &dir.path().join("sim"), false).unwrap();
    let wrapped = Wrapped { sim: on_sim.env.clone(), knows_mean_input: true, fail_at: None, slot: 0 };
    let mut on_wrapper =
        Trainer::create_with_env(cfg.clone(), &dir.path().join("wrapped"), wrapped.clone(), false, Compute::Cpu)
            .unwrap();
    let (a, b) = (report_bits(&mut on_sim), report_bits(&mut on_wrapper));
    assert_eq!(a.len(), 2);
    assert_eq!(a, b, "two iterations on the wrapper differ from the simulator's");

    // It resumes on the environment it is given.
    let resumed = Trainer::resume_with_env(&dir.path().join("wrapped"), wrapped, false, Compute::Cpu).unwrap();
    assert_eq!(resumed.state.iteration, 2);

    // An environment of other agents is refused, naming both lists.
    let other_scenario =
        dfaas_env::Scenario::from_toml_str(&common::SCENARIO.replace("node_0 node_1", "a b"), "other.toml".as_ref())
            .unwrap();
    let stranger =
        Wrapped { sim: Simulator::new(&other_scenario).unwrap(), knows_mean_input: true, fail_at: None, slot: 0 };
    let e = Trainer::create_with_env(cfg, &dir.path().join("stranger"), stranger, false, Compute::Cpu)
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("\"a\"") && e.contains("node_0") && e.contains("tiny-overload"), "{e}");
    assert!(!dir.path().join("stranger").join("config.json").exists(), "a refused run writes nothing");
}
