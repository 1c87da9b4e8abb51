//! Collecting experience: several copies of any [`MultiAgentEnv`] stepped
//! in lock-step, spread over worker threads; one batched actor forward per
//! network per slot; Dirichlet actions sampled per environment copy from its
//! own seeded generator, so results depend on the seed only (not on the
//! thread count). The trainer passes the simulator; anything that
//! implements the trait (and can be copied) trains the same way.

use burn::tensor::{Device, Tensor, TensorData};
use dfaas_env::seeds::{SimRng, splitmix, substream};
use dfaas_env::{EnvError, MultiAgentEnv};

use crate::config::RewardChoice;
use crate::dirichlet;
use crate::layout::Layout;
use crate::nets::Actor;
use crate::obs_norm::normalize;

/// One agent's steps in one environment copy, in time order.
#[derive(Debug, Clone, Default)]
pub struct Trajectory {
    pub net: usize,
    pub agent: usize,
    /// Normalised observations, `len × obs_dim`.
    pub obs: Vec<f32>,
    /// Raw (encoded, not normalised) observations, for the statistics.
    pub raw_obs: Vec<f32>,
    /// Sampled actions on the network's full output layout, `len × action_dim`.
    pub actions: Vec<f32>,
    /// Which entries of the network's output are this agent's real actions.
    pub mask: Vec<bool>,
    pub rewards: Vec<f32>,
    /// The episode was cut at its time limit after this step (the simulator's
    /// episodes never terminate: every end is a truncation, bootstrapped).
    pub truncated: Vec<bool>,
    /// The normalised real final observation of each truncated episode, in
    /// order, `episodes × obs_dim`: its value bootstraps the last step.
    pub final_obs: Vec<f32>,
    /// Central critic only: its input at each step, `len × critic_dim`.
    pub critic_obs: Vec<f32>,
    /// Central critic only: its input at each final observation.
    pub final_critic_obs: Vec<f32>,
}

/// Statistics of one finished episode.
#[derive(Debug, Clone)]
pub struct EpisodeStat {
    /// Sum of rewards per agent.
    pub rewards: Vec<f64>,
    /// Federation processed / input.
    pub processed_ratio: f64,
}

/// What one rollout produced.
#[derive(Debug, Clone, Default)]
pub struct Rollout {
    /// Ordered by environment copy, then agent.
    pub trajectories: Vec<Trajectory>,
    pub episodes: Vec<EpisodeStat>,
    pub agent_steps: u64,
}

/// Bit set in every training episode seed. Evaluation seeds (scenario
/// lists, `dfaas_env::seeds::evaluation_seeds`, marl-dfaas's) are below
/// 2³², so no policy is ever evaluated on an episode it was trained on.
pub const TRAINING_SEED_BIT: u64 = 1 << 32;

/// Episode seed of copy `env`, episode `k` of `iteration` (all distinct
/// streams; disjoint from every evaluation seed by [`TRAINING_SEED_BIT`]).
pub fn episode_seed(seed: u64, iteration: u64, env: usize, k: usize) -> u64 {
    let h = splitmix(splitmix(seed ^ 0xE915_0DE5) ^ splitmix(iteration) ^ splitmix((env as u64) << 20 | k as u64));
    TRAINING_SEED_BIT | (h >> 32)
}

/// Plays `episodes_per_env` whole episodes on each environment copy: one per
/// entry of `copies`, a clone of its environment with the layout of that
/// environment's agents (every copy the same, or a different federation each
/// when training on a family). Copies must share the network shapes and the
/// episode length.
///
/// Fails when an environment fails a step, or when `reward` is the team
/// reward and an environment cannot say an episode's mean input
/// ([`MultiAgentEnv::mean_federation_input`]).
#[allow(clippy::too_many_arguments)]
pub fn collect<E: MultiAgentEnv + Clone + Send>(
    copies: &[(&E, &Layout)],
    actors: &[Actor],
    norm: &[(Vec<f32>, Vec<f32>)],
    episodes_per_env: usize,
    threads: usize,
    seed: u64,
    iteration: u64,
    reward: RewardChoice,
) -> Result<Rollout, EnvError> {
    let envs = copies.len();
    let threads = threads.clamp(1, envs.max(1));
    let groups: Vec<Vec<usize>> = (0..threads).map(|t| (t..envs).step_by(threads).collect()).collect();
    let parts: Vec<Result<Vec<(usize, Rollout)>, EnvError>> = std::thread::scope(|s| {
        let handles: Vec<_> = groups
            .iter()
            .map(|group| {
                let actors: Vec<Actor> = actors.to_vec();
                let mut sims: Vec<E> = group.iter().map(|&e| copies[e].0.clone()).collect();
                let layouts: Vec<&Layout> = group.iter().map(|&e| copies[e].1).collect();
                s.spawn(move || {
                    let mut w = Worker { layouts, actors, norm, device: Device::flex(), reward };
                    w.run(&mut sims, group, episodes_per_env, seed, iteration)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("rollout worker panicked")).collect()
    });
    let mut per_env: Vec<(usize, Rollout)> = Vec::new();
    for p in parts {
        per_env.extend(p?);
    }
    per_env.sort_by_key(|(e, _)| *e);
    let mut out = Rollout::default();
    for (_, r) in per_env {
        out.trajectories.extend(r.trajectories);
        out.episodes.extend(r.episodes);
        out.agent_steps += r.agent_steps;
    }
    Ok(out)
}

struct Worker<'a> {
    /// The layout of each of the worker's copies.
    layouts: Vec<&'a Layout>,
    actors: Vec<Actor>,
    norm: &'a [(Vec<f32>, Vec<f32>)],
    device: Device,
    reward: RewardChoice,
}

impl Worker<'_> {
    /// `obs` encoded for network `g` (padded to its input size) with layout `l`, not normalised.
    fn encode(l: &Layout, g: usize, obs: &dfaas_env::NodeObservation, out: &mut Vec<f32>) {
        l.encoder.encode(obs, out);
        out.resize(l.nets[g].obs_dim, 0.0);
    }

    /// Normalises an encoded row with network `g`'s frozen statistics.
    fn normalize(&self, g: usize, row: &mut [f32]) {
        normalize(row, &self.norm[g].0, &self.norm[g].1);
    }

    /// Runs the worker's copies; returns one partial rollout per copy.
    fn run<E: MultiAgentEnv>(
        &mut self,
        sims: &mut [E],
        envs: &[usize],
        episodes: usize,
        seed: u64,
        iteration: u64,
    ) -> Result<Vec<(usize, Rollout)>, EnvError> {
        let mut rngs: Vec<SimRng> =
            envs.iter().map(|&e| substream(splitmix(seed ^ splitmix(iteration + 1)), e as u64)).collect();
        let mut out: Vec<Rollout> = self
            .layouts
            .iter()
            .map(|l| Rollout {
                trajectories: (0..l.agents.len())
                    .map(|i| Trajectory {
                        net: l.agent_net[i],
                        agent: i,
                        mask: l.masks[i].clone(),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect();
        let mut scratch = Scratch::default();
        let mut decisions: Vec<Vec<dfaas_env::Decision>> = vec![Vec::new(); sims.len()];
        let sizes: Vec<usize> = self.layouts.iter().map(|l| l.agents.len()).collect();
        let nets = self.layouts.first().map_or(0, |l| l.nets.len());
        for k in 0..episodes {
            for (j, sim) in sims.iter_mut().enumerate() {
                sim.reset(Some(episode_seed(seed, iteration, envs[j], k)))?;
            }
            let mut acc = EpisodeAcc::new(&sizes, self.team_scales(sims)?);
            while !sims[0].is_done() {
                for (d, l) in decisions.iter_mut().zip(&self.layouts) {
                    d.clear();
                    d.extend(
                        (0..l.agents.len()).map(|i| dfaas_env::Decision::all_local(l.masks[i].len().saturating_sub(2))),
                    );
                }
                for g in 0..nets {
                    self.act(g, sims, &mut out, &mut rngs, &mut decisions, &mut scratch);
                }
                for (o, l) in out.iter_mut().zip(&self.layouts) {
                    if l.critic_dim > 0 {
                        central_rows(l, &mut o.trajectories, false, &mut scratch.all_obs);
                    }
                }
                self.step(sims, &decisions, &mut out, &mut acc, &mut scratch)?;
            }
            for (j, o) in out.iter_mut().enumerate() {
                o.episodes.push(acc.stat(j));
            }
        }
        Ok(envs.iter().copied().zip(out).collect())
    }

    /// The team reward's scale per copy: the episode's mean federation
    /// input per slot (1 for the other rewards, which do not use it).
    fn team_scales<E: MultiAgentEnv>(&self, sims: &[E]) -> Result<Vec<f64>, EnvError> {
        if self.reward != RewardChoice::Team {
            return Ok(vec![1.0; sims.len()]);
        }
        sims.iter()
            .map(|s| {
                s.mean_federation_input().ok_or_else(|| {
                    EnvError::State(
                        "the team reward needs the episode's mean input, which this environment does not give".into(),
                    )
                })
            })
            .collect()
    }

    /// Network `g` acts for its agents in every copy: their observations
    /// encoded and recorded, one batched forward, a Dirichlet sample each
    /// (from the copy's own generator) recorded and turned into a decision.
    fn act<E: MultiAgentEnv>(
        &self,
        g: usize,
        sims: &[E],
        out: &mut [Rollout],
        rngs: &mut [SimRng],
        decisions: &mut [Vec<dfaas_env::Decision>],
        scratch: &mut Scratch,
    ) {
        let Some(shape) = self.layouts.first().map(|l| l.nets[g]) else { return };
        // This network's rows: (copy, agent) pairs in order.
        let mut rows = Vec::new();
        let mut batch = Vec::new();
        for (j, sim) in sims.iter().enumerate() {
            let l = self.layouts[j];
            for i in (0..l.agents.len()).filter(|&i| l.agent_net[i] == g) {
                Self::encode(l, g, &sim.observations()[i], &mut scratch.enc);
                let t = &mut out[j].trajectories[i];
                t.raw_obs.extend_from_slice(&scratch.enc);
                self.normalize(g, &mut scratch.enc);
                t.obs.extend_from_slice(&scratch.enc);
                batch.extend_from_slice(&scratch.enc);
                rows.push((j, i));
            }
        }
        let x = Tensor::<2>::from_data(TensorData::new(batch, [rows.len(), shape.obs_dim]), &self.device);
        let alpha: Vec<f32> =
            self.actors[g].forward(x).into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default();
        for (r, &(j, i)) in rows.iter().enumerate() {
            let a = &alpha[r * shape.action_dim..(r + 1) * shape.action_dim];
            let l = self.layouts[j];
            let full = sample_masked(a, &l.masks[i], &mut rngs[j]);
            out[j].trajectories[i].actions.extend(full.iter().map(|&v| v as f32));
            decisions[j][i] = l.to_decision(i, &full);
        }
    }

    /// Every copy plays the slot with its decisions; rewards, truncation
    /// flags and (at the episode's end) the real final observations are
    /// recorded. Copies must end together (lock-step).
    fn step<E: MultiAgentEnv>(
        &self,
        sims: &mut [E],
        decisions: &[Vec<dfaas_env::Decision>],
        out: &mut [Rollout],
        acc: &mut EpisodeAcc,
        scratch: &mut Scratch,
    ) -> Result<(), EnvError> {
        let copies = sims.len();
        let mut lockstep_done: Option<bool> = None;
        for (j, sim) in sims.iter_mut().enumerate() {
            let l = self.layouts[j];
            let n = l.agents.len();
            sim.advance(&decisions[j])?;
            let done = sim.is_done();
            if done != lockstep_done.unwrap_or(done) {
                return Err(EnvError::State(format!(
                    "environment copies ended at different slots (copy {j} of {copies})"
                )));
            }
            lockstep_done = Some(done);
            self.reward.rewards(sim.outcomes(), acc.team_scale[j], &mut scratch.slot_rewards);
            for (i, (o, &r)) in sim.outcomes().iter().zip(&scratch.slot_rewards).enumerate() {
                let t = &mut out[j].trajectories[i];
                t.rewards.push(r as f32);
                t.truncated.push(done);
                acc.rewards[j][i] += r;
                acc.processed[j] += o.processed as u64;
                acc.input[j] += o.input as u64;
            }
            out[j].agent_steps += n as u64;
            if done {
                // The real final observation, for the bootstrap.
                for i in 0..n {
                    let g = l.agent_net[i];
                    Self::encode(l, g, &sim.observations()[i], &mut scratch.enc);
                    self.normalize(g, &mut scratch.enc);
                    out[j].trajectories[i].final_obs.extend_from_slice(&scratch.enc);
                }
                if l.critic_dim > 0 {
                    central_rows(l, &mut out[j].trajectories, true, &mut scratch.all_obs);
                }
            }
        }
        Ok(())
    }
}

/// Buffers reused across slots.
#[derive(Default)]
struct Scratch {
    /// One encoded observation.
    enc: Vec<f32>,
    /// Every agent's observation, concatenated (central critic).
    all_obs: Vec<f32>,
    slot_rewards: Vec<f64>,
}

/// One episode's sums per copy.
struct EpisodeAcc {
    /// Per copy and agent: reward summed over the episode.
    rewards: Vec<Vec<f64>>,
    processed: Vec<u64>,
    input: Vec<u64>,
    team_scale: Vec<f64>,
}

impl EpisodeAcc {
    /// `agents[j]`: copy `j`'s agent count.
    fn new(agents: &[usize], team_scale: Vec<f64>) -> Self {
        Self {
            rewards: agents.iter().map(|&n| vec![0.0; n]).collect(),
            processed: vec![0; agents.len()],
            input: vec![0; agents.len()],
            team_scale,
        }
    }

    /// Copy `j`'s finished episode.
    fn stat(&self, j: usize) -> EpisodeStat {
        let (p, i) = (self.processed[j], self.input[j]);
        EpisodeStat {
            rewards: self.rewards[j].clone(),
            processed_ratio: if i == 0 { 1.0 } else { (p as f64 / i as f64).min(1.0) },
        }
    }
}

/// Appends every agent's central-critic input built from the agents' latest
/// normalised observations (`final`: the final observations).
/// `all` is scratch space for the agents' observations, concatenated.
fn central_rows(l: &Layout, trajectories: &mut [Trajectory], final_obs: bool, all: &mut Vec<f32>) {
    all.clear();
    for t in trajectories.iter() {
        let d = l.nets[t.net].obs_dim;
        let src = if final_obs { &t.final_obs } else { &t.obs };
        all.extend_from_slice(&src[src.len() - d..]);
    }
    for t in trajectories.iter_mut() {
        let dst = if final_obs { &mut t.final_critic_obs } else { &mut t.critic_obs };
        l.central_row(all, t.agent, dst);
    }
}

/// Samples a Dirichlet over the valid entries of `alpha`; masked entries are 0.
pub fn sample_masked(alpha: &[f32], mask: &[bool], rng: &mut SimRng) -> Vec<f64> {
    let valid: Vec<f64> = alpha.iter().zip(mask).filter(|(_, m)| **m).map(|(&a, _)| (a as f64).max(1e-6)).collect();
    let draw = dirichlet::sample(&valid, rng).unwrap_or_else(|_| {
        let s: f64 = valid.iter().sum();
        valid.iter().map(|a| a / s).collect()
    });
    let mut full = vec![0.0; alpha.len()];
    let mut it = draw.into_iter();
    for (f, &m) in full.iter_mut().zip(mask) {
        if m {
            *f = it.next().unwrap_or(0.0);
        }
    }
    full
}
