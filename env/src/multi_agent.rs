//! The multi-agent environment trait, shaped like the PettingZoo parallel API.

use std::collections::BTreeMap;

use crate::contract::{Decision, NodeObservation, SlotOutcome};
use crate::error::EnvError;
use crate::spaces::Space;

/// What one `step` returns, indexed by agent (the order of [`MultiAgentEnv::agents`]).
#[derive(Debug, Clone, Default)]
pub struct StepResult {
    /// Next observations (the real final observation on the last step).
    pub observations: Vec<NodeObservation>,
    /// Per-agent rewards.
    pub rewards: Vec<f64>,
    /// `true` when the agent reached a terminal state (no model has one:
    /// always `false` for the simulator and the live federation).
    pub terminations: Vec<bool>,
    /// `true` for every agent on the step that reaches `max_steps` (the time
    /// limit, as Gymnasium's `TimeLimit` reports it): the episode stops but
    /// the state is not terminal, so a learner bootstraps from its value.
    pub truncations: Vec<bool>,
    /// Per-agent outcome of the slot just played.
    pub infos: Vec<SlotOutcome>,
    /// Per agent: why its info is not a full measured outcome (a live node
    /// that did not answer in time, …); `None` when it is. The simulator
    /// always gives `None`.
    pub issues: Vec<Option<String>>,
}

/// A per-agent (dictionary) view of a [`StepResult`], as PettingZoo returns it.
#[derive(Debug, Clone, Default)]
pub struct StepDict {
    pub observations: BTreeMap<String, NodeObservation>,
    pub rewards: BTreeMap<String, f64>,
    pub terminations: BTreeMap<String, bool>,
    pub truncations: BTreeMap<String, bool>,
    pub infos: BTreeMap<String, SlotOutcome>,
    pub issues: BTreeMap<String, Option<String>>,
}

/// A federation of agents stepped in lock-step, one slot at a time.
///
/// Implemented by the simulator and by the live-cluster wrapper. Two ways to
/// play a slot: [`MultiAgentEnv::step`] returns an owned [`StepResult`] (the
/// PettingZoo shape; [`MultiAgentEnv::step_dict`] gives the per-agent view),
/// and [`MultiAgentEnv::advance`] keeps the slot's results in the environment
/// to be borrowed ([`MultiAgentEnv::observations`],
/// [`MultiAgentEnv::outcomes`], [`MultiAgentEnv::issues`]) — the
/// allocation-free path the trainer and the episode runners take. `step` is
/// `advance` plus copies, so the two always agree.
pub trait MultiAgentEnv {
    /// Agent ids, in index order.
    fn agents(&self) -> &[String];

    /// Space of the encoded observation of `agent` (see [`crate::encoding`]).
    fn observation_space(&self, agent: usize) -> Space;

    /// Space of `agent`'s action (a simplex `[local, fwd…, reject]`).
    fn action_space(&self, agent: usize) -> Space;

    /// Starts an episode. `seed` forces the episode seed; `None` draws the
    /// next one from the environment's master seed.
    fn reset(&mut self, seed: Option<u64>) -> Result<(Vec<NodeObservation>, Vec<SlotOutcome>), EnvError>;

    /// Plays one slot with one decision per agent, keeping its results in
    /// the environment (borrow them with the accessors below).
    fn advance(&mut self, actions: &[Decision]) -> Result<(), EnvError>;

    /// The agents' current observations: after `reset`, or the real next
    /// observations after the last slot played (the final ones at the end).
    fn observations(&self) -> &[NodeObservation];

    /// Per-agent outcome of the slot just played (empty outcomes after `reset`).
    fn outcomes(&self) -> &[SlotOutcome];

    /// Whether the episode reached its time limit (a truncation: the state
    /// is not terminal).
    fn is_done(&self) -> bool;

    /// Per agent: why its outcome of the last slot is not a full measured one
    /// (a live node that did not answer in time, …); empty or all `None` when
    /// every outcome is. The simulator's are always empty.
    fn issues(&self) -> &[Option<String>] {
        &[]
    }

    /// The team reward's scale for the current episode: its mean federation
    /// input per slot, where the environment knows the episode's whole load
    /// at reset (the simulator, and the live environment, which plays the
    /// simulator's workload). `None` elsewhere.
    fn mean_federation_input(&self) -> Option<f64> {
        None
    }

    /// Plays one slot with one decision per agent: [`MultiAgentEnv::advance`]
    /// with the results copied out. Rewards are the outcomes' own.
    fn step(&mut self, actions: &[Decision]) -> Result<StepResult, EnvError> {
        self.advance(actions)?;
        let n = self.agents().len();
        let done = self.is_done();
        let issues = self.issues();
        Ok(StepResult {
            observations: self.observations().to_vec(),
            rewards: self.outcomes().iter().map(|o| o.reward).collect(),
            // No model has a terminal state: the episode ends only at its
            // time limit, a truncation (Gymnasium's TimeLimit).
            terminations: vec![false; n],
            truncations: vec![done; n],
            infos: self.outcomes().to_vec(),
            issues: if issues.len() == n { issues.to_vec() } else { vec![None; n] },
        })
    }

    /// Index of an agent id.
    fn agent_index(&self, agent: &str) -> Option<usize> {
        self.agents().iter().position(|a| a == agent)
    }

    /// Per-agent view of [`MultiAgentEnv::reset`].
    fn reset_dict(&mut self, seed: Option<u64>) -> Result<BTreeMap<String, NodeObservation>, EnvError> {
        let (obs, _) = self.reset(seed)?;
        Ok(self.agents().iter().cloned().zip(obs).collect())
    }

    /// Per-agent view of [`MultiAgentEnv::step`]: every agent must be present.
    fn step_dict(&mut self, actions: &BTreeMap<String, Decision>) -> Result<StepDict, EnvError> {
        let agents = self.agents().to_vec();
        if let Some(unknown) = actions.keys().find(|k| !agents.contains(k)) {
            return Err(EnvError::UnknownAgent(unknown.clone()));
        }
        let mut ordered = Vec::with_capacity(agents.len());
        for a in &agents {
            match actions.get(a) {
                Some(d) => ordered.push(d.clone()),
                None => {
                    return Err(EnvError::ActionCount { expected: agents.len(), got: actions.len() });
                }
            }
        }
        let r = self.step(&ordered)?;
        let zip = |v: Vec<_>| agents.iter().cloned().zip(v).collect();
        Ok(StepDict {
            observations: agents.iter().cloned().zip(r.observations).collect(),
            rewards: zip(r.rewards),
            terminations: agents.iter().cloned().zip(r.terminations).collect(),
            truncations: agents.iter().cloned().zip(r.truncations).collect(),
            infos: agents.iter().cloned().zip(r.infos).collect(),
            issues: agents.iter().cloned().zip(r.issues).collect(),
        })
    }
}
