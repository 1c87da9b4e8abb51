//! Rollouts go through `MultiAgentEnv`, so the trainer's collection runs on
//! any environment: a wrapper that only forwards the trait's methods gives
//! the simulator's rollout bit for bit; an environment that cannot give an
//! episode's mean input is refused the team reward, naming why; a failing
//! step is an error, not a panic.

mod common;

use burn::module::Module;
use burn::tensor::Device;
use dfaas_env::{Decision, EnvError, MultiAgentEnv, NodeObservation, Simulator, SlotOutcome, Space};
use dfaas_training::Trainer;
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
    let run = |env: &Wrapped, reward| collect(env, &t.layout, &actors, &norm, 2, 2, 2, 5, 0, reward);
    for reward in [RewardChoice::Env, RewardChoice::Team] {
        let sim = collect(&t.sim, &t.layout, &actors, &norm, 2, 2, 2, 5, 0, reward).unwrap();
        let wrapped = Wrapped { sim: t.sim.clone(), knows_mean_input: true, fail_at: None, slot: 0 };
        let other = run(&wrapped, reward).unwrap();
        assert_eq!(sim.agent_steps, 2 * 2 * 12 * 2);
        assert_eq!(other.agent_steps, sim.agent_steps);
        assert_eq!(key(&other), key(&sim), "{reward:?}: the wrapper's rollout differs");
        assert!(sim.trajectories.iter().all(|t| t.truncated.iter().filter(|&&x| x).count() == 2));
    }

    // No mean input: the team reward cannot be computed, and says so.
    let blind = Wrapped { sim: t.sim.clone(), knows_mean_input: false, fail_at: None, slot: 0 };
    let e = run(&blind, RewardChoice::Team).unwrap_err().to_string();
    assert!(e.contains("team reward") && e.contains("mean input"), "{e}");
    assert!(run(&blind, RewardChoice::Env).is_ok(), "the env reward needs no scale");

    // A step that fails is an error of the rollout, not a panic.
    let failing = Wrapped { sim: t.sim.clone(), knows_mean_input: true, fail_at: Some(3), slot: 0 };
    let e = run(&failing, RewardChoice::Env).unwrap_err().to_string();
    assert!(e.contains("node down in slot 3"), "{e}");
}
