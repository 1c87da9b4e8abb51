//! One simulated federation behind PettingZoo's parallel API: dictionaries
//! keyed by agent name in, dictionaries out, built here so a step costs one
//! call into Rust.

use dfaas_env::encoding::Encoder;
use dfaas_env::reward::{RewardChoice, mean_federation_input};
use dfaas_env::seeds::SeedSequence;
use dfaas_env::{Decision, Simulator};
use numpy::{AllowTypeChange, PyArray1, PyArrayLike1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::actions::{ActionFormat, ActionLayout};
use crate::{errors, infos};

/// A simulated federation stepped one slot at a time (the core of
/// `dfaas.ParallelEnv`).
#[pyclass(module = "dfaas._core")]
pub struct Federation {
    pub(crate) sim: Simulator,
    encoder: Encoder,
    pub(crate) layout: ActionLayout,
    reward: RewardChoice,
    pub(crate) format: ActionFormat,
    seeds: SeedSequence,
    team_scale: f64,
    names: Vec<Py<PyString>>,
    /// Times `reset` was called (policies use it to notice a new episode).
    pub(crate) episodes: u64,
    enc: Vec<f32>,
    rewards: Vec<f64>,
    decisions: Vec<Decision>,
}

#[pymethods]
impl Federation {
    /// Builds the federation of `scenario` (a shipped name or a TOML path).
    #[new]
    #[pyo3(signature = (scenario, *, max_steps=None, seed=None, reward="env", action="simplex"))]
    fn new(
        py: Python<'_>,
        scenario: &str,
        max_steps: Option<usize>,
        seed: Option<u64>,
        reward: &str,
        action: &str,
    ) -> PyResult<Self> {
        let b = crate::setup::build(scenario, max_steps, seed, reward, action)?;
        let names = b.layout.names.iter().map(|n| PyString::intern(py, n).unbind()).collect();
        Ok(Self {
            encoder: b.encoder,
            layout: b.layout,
            reward: b.reward,
            format: b.format,
            seeds: SeedSequence::new(b.master_seed),
            team_scale: 1.0,
            names,
            episodes: 0,
            enc: Vec::new(),
            rewards: Vec::new(),
            decisions: Vec::new(),
            sim: b.sim,
        })
    }

    /// Agent names, in index order.
    #[getter]
    fn agents(&self) -> Vec<String> {
        self.layout.names.clone()
    }

    /// Length of every agent's observation vector.
    #[getter]
    fn obs_dim(&self) -> usize {
        self.encoder.dim(self.sim.topology().max_degree())
    }

    /// Length of each agent's action, in agent order.
    #[getter]
    fn action_lens(&self) -> Vec<usize> {
        self.layout.lens.clone()
    }

    /// Each agent's action layout, e.g. `[local, fwd:node_1, reject]`.
    #[getter]
    fn action_layouts(&self) -> Vec<String> {
        self.layout.described.clone()
    }

    /// Bounds of each action entry: (0, 1) for `simplex`, (-10, 10) for `logits`.
    #[getter]
    fn action_bounds(&self) -> (f32, f32) {
        self.format.bounds()
    }

    /// Slots per episode.
    #[getter]
    fn max_steps(&self) -> usize {
        self.sim.max_steps()
    }

    /// The slot about to be played.
    #[getter]
    fn slot(&self) -> usize {
        self.sim.slot()
    }

    /// Seed of the episode being played (`None` before the first reset).
    #[getter]
    fn episode_seed(&self) -> Option<u64> {
        self.sim.episode_seed()
    }

    /// The reward maximised (`env`, `rejections` or `team`).
    #[getter]
    fn reward(&self) -> &'static str {
        self.reward.name()
    }

    /// The scenario's name.
    #[getter]
    fn scenario(&self) -> String {
        self.sim.scenario().name.clone()
    }

    /// Starts an episode. `seed` restarts the episode-seed sequence from
    /// `seed` (so the resets after it are reproducible too); without it the
    /// next seed of the sequence is used. Returns (observations, infos).
    /// `episode_seed` plays exactly that episode (the seeds
    /// `dfaas.compare` reports), leaving the sequence where it was.
    #[pyo3(signature = (seed=None, episode_seed=None))]
    fn reset<'py>(
        &mut self,
        py: Python<'py>,
        seed: Option<u64>,
        episode_seed: Option<u64>,
    ) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
        if let Some(s) = seed {
            self.seeds = SeedSequence::new(s);
        }
        let episode_seed = match episode_seed {
            Some(s) => s,
            None => self.seeds.next_seed(),
        };
        self.sim.reset_episode(Some(episode_seed));
        self.team_scale = mean_federation_input(&self.sim);
        self.episodes += 1;
        let obs = self.observations(py)?;
        let infos = PyDict::new(py);
        for name in &self.names {
            let d = PyDict::new(py);
            d.set_item("slot", 0)?;
            d.set_item("episode_seed", episode_seed)?;
            infos.set_item(name.bind(py), d)?;
        }
        Ok((obs, infos))
    }

    /// Plays one slot. `actions` maps every agent to its action (a sequence
    /// of its action's length). Returns (observations, rewards,
    /// terminations, truncations, infos); the episode is truncated at
    /// `max_steps` (no state is terminal).
    #[allow(clippy::type_complexity)]
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: &Bound<'py, PyDict>,
    ) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>, Bound<'py, PyDict>, Bound<'py, PyDict>, Bound<'py, PyDict>)>
    {
        if self.sim.episode_seed().is_none() {
            return Err(errors::other("step called before reset"));
        }
        if self.sim.is_done() {
            return Err(errors::other(format!("the episode ended after {} slots: call reset", self.sim.max_steps())));
        }
        self.decisions.clear();
        for (i, name) in self.names.iter().enumerate() {
            let Some(a) = actions.get_item(name.bind(py))? else {
                return Err(errors::action(format!(
                    "no action for agent {}: every agent acts every slot",
                    self.layout.names[i]
                )));
            };
            let d = if let Ok(arr) = a.cast::<PyArray1<f64>>() {
                let r = arr.readonly();
                match r.as_slice() {
                    Ok(s) => self.layout.decide(i, s, self.format),
                    Err(_) => self.layout.decide(i, &r.as_array().to_vec(), self.format),
                }
            } else if let Ok(arr) = a.cast::<PyArray1<f32>>() {
                let v: Vec<f64> = arr.readonly().as_array().iter().map(|&x| x as f64).collect();
                self.layout.decide(i, &v, self.format)
            } else {
                let v = a.extract::<PyArrayLike1<'_, f64, AllowTypeChange>>().map_err(|e| {
                    errors::action(format!("agent {}: action is not a sequence of numbers: {e}", self.layout.names[i]))
                })?;
                self.layout.decide(i, &v.as_array().to_vec(), self.format)
            }
            .map_err(errors::action)?;
            self.decisions.push(d);
        }
        if actions.len() != self.names.len() {
            let unknown: Vec<String> = actions
                .keys()
                .iter()
                .map(|k| k.str().map(|s| s.to_string()).unwrap_or_default())
                .filter(|k| !self.layout.names.contains(k))
                .collect();
            return Err(errors::action(format!("actions for unknown agents: {}", unknown.join(", "))));
        }
        let slot = self.sim.slot();
        self.sim.advance(&self.decisions).map_err(errors::other)?;
        self.reward.rewards(self.sim.outcomes(), self.team_scale, &mut self.rewards);
        let done = self.sim.is_done();
        let obs = self.observations(py)?;
        let (rew, term, trunc, info) = (PyDict::new(py), PyDict::new(py), PyDict::new(py), PyDict::new(py));
        for (i, name) in self.names.iter().enumerate() {
            let name = name.bind(py);
            rew.set_item(name, self.rewards[i])?;
            term.set_item(name, false)?;
            trunc.set_item(name, done)?;
            info.set_item(name, infos::outcome(py, slot, &self.sim.outcomes()[i])?)?;
        }
        Ok((obs, rew, term, trunc, info))
    }

    /// A text table of the slot just played (or of the start of the episode).
    fn render(&self) -> String {
        let mut s = format!(
            "{} slot {}/{}\n{:<10} {:>7} {:>7} {:>9} {:>8} {:>9} {:>8}\n",
            self.sim.scenario().name,
            self.sim.slot(),
            self.sim.max_steps(),
            "agent",
            "input",
            "local",
            "forwarded",
            "rejected",
            "processed",
            "reward"
        );
        for (i, o) in self.sim.outcomes().iter().enumerate() {
            let r = self.rewards.get(i).copied().unwrap_or(0.0);
            s.push_str(&format!(
                "{:<10} {:>7} {:>7} {:>9} {:>8} {:>9} {:>8.4}\n",
                self.layout.names[i],
                o.input,
                o.local,
                o.forwarded_total(),
                o.rejected + o.local_rejects + o.forward_rejects_total(),
                o.processed,
                r
            ));
        }
        s
    }
}

impl Federation {
    fn observations<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let obs = PyDict::new(py);
        for (i, name) in self.names.iter().enumerate() {
            self.encoder.encode(&self.sim.observations()[i], &mut self.enc);
            obs.set_item(name.bind(py), PyArray1::from_slice(py, &self.enc))?;
        }
        Ok(obs)
    }
}
