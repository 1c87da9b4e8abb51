//! The training loop, read top to bottom in [`Trainer::iterate`]:
//!
//! ```text
//! for iteration in 0..iterations:                                 Trainer::run_until
//!   1. collect   E environment copies × whole episodes with the    Trainer::collect →
//!                current actors; actions ~ Dirichlet(α(obs)),      rollout::collect
//!                obs normalised by statistics frozen for the
//!                iteration; rewards per RewardChoice (team: the
//!                slot's processed requests ÷ the episode's mean input)
//!   2. advantages  old log-densities, values (critic); GAE(γ, λ)   Trainer::batches →
//!                with time-limit truncations bootstrapped from      gae::gae
//!                the critic's value of the real final observation
//!   3. update    per network: `epochs` × shuffled minibatches of    Trainer::update →
//!                L = −min(r·A, clip(r, 1±ε)·A) + c_v·(V − R)²       ppo::Learner::update
//!                    − c_e·H + β·KL(old‖new);  Adam, global-norm
//!                clip, optional target-KL stop; then β adapts
//!                (RLlib: ×1.5 above 2×target, ×0.5 below ½)        adapt_kl_coeff
//!   4. log       CleanRL's tags to TensorBoard + scalars.csv       Trainer::log
//!   checkpoint every `checkpoint_every` iterations and at the end  checkpoint::save
//! ```
//!
//! [`Trainer::resume`] continues a run from its latest checkpoint with the
//! same results as an uninterrupted run.
//!
//! The environment is any [`MultiAgentEnv`] (`Clone + Send`, one copy per
//! rollout environment) whose agents are the scenario's nodes:
//! [`Trainer::create`] builds the [`Simulator`] from the configured scenario,
//! [`Trainer::create_with_env`] takes another (a wrapper, a live federation);
//! the network shapes and the observation encoding come from the scenario.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::tensor::Device;

use crate::compute::Compute;
use dfaas_env::scenario::Family;
use dfaas_env::seeds::{splitmix, substream};
use dfaas_env::{MultiAgentEnv, Scenario, Simulator};
use serde::Serialize;

use crate::checkpoint::{self, State};
use crate::config::AdvantageNorm;
use crate::config::TrainConfig;
use crate::gae::StepEnd;
use crate::layout::Layout;
use crate::logging::{RunLogger, agent_reward_tag, progress_message};
use crate::nets::NetConfig;
use crate::obs_norm::RunningStats;
use crate::ppo::{Batch, Learner, UpdateStats, adam};
use crate::rollout::{self, Rollout};

/// Why training could not run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Scenario(#[from] dfaas_env::ConfigError),
    #[error(transparent)]
    Checkpoint(#[from] checkpoint::CheckpointError),
    #[error("{0}")]
    Other(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The environment failed a step of the rollout.
    #[error("rollout: {0}")]
    Env(#[from] dfaas_env::EnvError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io { path: path.to_path_buf(), source }
}

/// Metrics of one iteration.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IterationReport {
    pub iteration: usize,
    pub agent_steps: u64,
    pub reward_mean: f64,
    pub processed_ratio: f64,
    pub policy_loss: f64,
    pub value_loss: f64,
    pub entropy: f64,
    pub kl: f64,
    pub agent_steps_per_second: f64,
}

/// A training run in a run directory, on environment `E` (by default the
/// simulator of the configured scenario).
pub struct Trainer<E = Simulator> {
    pub cfg: TrainConfig,
    pub run_dir: PathBuf,
    pub scenario: Scenario,
    /// The environment rollouts copy (one copy per rollout environment).
    pub env: E,
    pub layout: Layout,
    /// With `[family]`: the federations rollouts are played on instead of
    /// copies of `env`, one drawn per copy and iteration.
    pub family: Option<Family>,
    pub learners: Vec<Learner>,
    pub state: State,
    net_cfgs: Vec<NetConfig>,
    logger: RunLogger,
    /// Seconds of the last iteration spent collecting and updating.
    timing: (f64, f64),
    /// Seconds of the last update spent on advantages and the old policy's outputs.
    prepare_secs: f64,
}

static INIT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The run's resolved configuration file name.
pub const CONFIG_FILE: &str = "config.json";

impl Trainer<Simulator> {
    /// Starts a new run in `run_dir` (created; it must not hold a run yet), on the CPU.
    pub fn create(cfg: TrainConfig, run_dir: &Path, progress: bool) -> Result<Self, TrainError> {
        Self::create_on(cfg, run_dir, progress, Compute::Cpu)
    }

    /// [`Trainer::create`] with the updates on `compute`.
    pub fn create_on(cfg: TrainConfig, run_dir: &Path, progress: bool, compute: Compute) -> Result<Self, TrainError> {
        let sim = Simulator::new(&Scenario::load(&cfg.scenario)?)?;
        Trainer::create_with_env(cfg, run_dir, sim, progress, compute)
    }

    /// Continues the run in `run_dir` from its latest checkpoint, on the CPU.
    pub fn resume(run_dir: &Path, progress: bool) -> Result<Self, TrainError> {
        Self::resume_on(run_dir, progress, Compute::Cpu)
    }

    /// [`Trainer::resume`] with the updates on `compute`.
    pub fn resume_on(run_dir: &Path, progress: bool, compute: Compute) -> Result<Self, TrainError> {
        let cfg = read_config(run_dir)?;
        let sim = Simulator::new(&Scenario::load(&cfg.scenario)?)?;
        Trainer::resume_with_env(run_dir, sim, progress, compute)
    }
}

/// The configured scenario and the network layout it gives, checked against
/// `env`: the environment must have the scenario's nodes as its agents.
fn scenario_layout<E: MultiAgentEnv>(cfg: &TrainConfig, env: &E) -> Result<(Scenario, Layout), TrainError> {
    let scenario = Scenario::load(&cfg.scenario)?;
    // The shapes and the encoding are the scenario's (its simulator is
    // built only to read them); the environment must have its agents.
    let layout = Layout::with_width(&Simulator::new(&scenario)?, cfg.mode, cfg.encoding, cfg.max_degree)
        .map_err(TrainError::Other)?
        .with_critic(cfg.critic);
    if env.agents() != layout.agents.as_slice() {
        return Err(TrainError::Other(format!(
            "the environment's agents {:?} are not the nodes of scenario `{}` {:?}",
            env.agents(),
            scenario.name,
            layout.agents
        )));
    }
    // Same names, other neighbours: the action widths tell.
    for (i, mask) in layout.masks.iter().enumerate() {
        let (env_dim, dim) = (env.action_space(i).dim(), mask.iter().filter(|&&m| m).count());
        if env_dim != dim {
            return Err(TrainError::Other(format!(
                "agent {} acts on {env_dim} parts in the environment but {dim} in scenario `{}`",
                layout.agents[i], scenario.name
            )));
        }
    }
    Ok((scenario, layout))
}

/// The resolved configuration a run directory holds.
fn read_config(run_dir: &Path) -> Result<TrainConfig, TrainError> {
    let p = run_dir.join(CONFIG_FILE);
    let text = std::fs::read(&p).map_err(io(&p))?;
    serde_json::from_slice(&text).map_err(|e| TrainError::Other(format!("{}: {e}", p.display())))
}

impl<E: MultiAgentEnv + Clone + Send> Trainer<E> {
    /// Starts a new run in `run_dir` on `env`, whose agents must be the
    /// configured scenario's nodes in its order.
    pub fn create_with_env(
        cfg: TrainConfig,
        run_dir: &Path,
        env: E,
        progress: bool,
        compute: Compute,
    ) -> Result<Self, TrainError> {
        if run_dir.join(CONFIG_FILE).exists() {
            return Err(TrainError::Other(format!(
                "{} already holds a run: use --resume to continue it, or choose another --run",
                run_dir.display()
            )));
        }
        // Refused before anything is written: the folder stays free.
        scenario_layout(&cfg, &env)?;
        std::fs::create_dir_all(run_dir).map_err(io(run_dir))?;
        let p = run_dir.join(CONFIG_FILE);
        std::fs::write(&p, serde_json::to_vec_pretty(&cfg).expect("config serialises")).map_err(io(&p))?;
        Self::build(cfg, run_dir, env, progress, None, compute)
    }

    /// Continues the run in `run_dir` from its latest checkpoint on `env`.
    pub fn resume_with_env(run_dir: &Path, env: E, progress: bool, compute: Compute) -> Result<Self, TrainError> {
        let cfg = read_config(run_dir)?;
        let ck = checkpoint::latest(run_dir)?;
        Self::build(cfg, run_dir, env, progress, Some(ck), compute)
    }

    fn build(
        cfg: TrainConfig,
        run_dir: &Path,
        env: E,
        progress: bool,
        ck: Option<PathBuf>,
        compute: Compute,
    ) -> Result<Self, TrainError> {
        let (scenario, layout) = scenario_layout(&cfg, &env)?;
        let device = compute.train();
        let net_cfgs: Vec<NetConfig> = layout.net_configs(&cfg.network);
        let (learners, state) = match ck {
            Some(d) => checkpoint::load(&d, &net_cfgs, compute)?,
            None => {
                // burn's initialiser draws from a process-wide generator: hold a
                // lock from seeding to the last parameter so that concurrent runs
                // in one process (tests, sweeps) each get their seed's weights.
                let _guard = INIT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
                device.seed(cfg.seed);
                let learners = net_cfgs
                    .iter()
                    .map(|n| {
                        Ok(Learner {
                            actor: n.init_actor(&device).map_err(|e| TrainError::Other(e.to_string()))?,
                            critic: n.init_critic(&device).map_err(|e| TrainError::Other(e.to_string()))?,
                            opt_actor: adam(),
                            opt_critic: adam(),
                            device: device.clone(),
                            plain: compute.plain(),
                        })
                    })
                    .collect::<Result<Vec<_>, TrainError>>()?;
                let state = State {
                    iteration: 0,
                    agent_steps: 0,
                    wall_seconds: 0.0,
                    obs_stats: layout.nets.iter().map(|s| RunningStats::new(s.obs_dim)).collect(),
                    trained_obs_stats: Vec::new(),
                    kl_coeff: Vec::new(),
                    last_processed_ratio: 0.0,
                    last_reward: 0.0,
                };
                (learners, state)
            }
        };
        let logger = RunLogger::create(run_dir, cfg.iterations as u64, progress).map_err(io(run_dir))?;
        let family = match &cfg.family {
            Some(f) => Some(Family::new(scenario.clone(), f.nodes, f.degree, &cfg.scenario)?),
            None => None,
        };
        Ok(Self {
            cfg,
            run_dir: run_dir.to_path_buf(),
            scenario,
            env,
            layout,
            family,
            learners,
            state,
            net_cfgs,
            logger,
            timing: (0.0, 0.0),
            prepare_secs: 0.0,
        })
    }

    /// Seconds the last iteration spent collecting and updating.
    pub fn last_timing(&self) -> (f64, f64) {
        self.timing
    }

    /// Network shapes of the run.
    pub fn net_configs(&self) -> &[NetConfig] {
        &self.net_cfgs
    }

    /// Agent steps of the whole run.
    pub fn total_agent_steps(&self) -> u64 {
        // A family's federations: the middle of its node range (an estimate).
        let agents = match self.cfg.family.as_ref().and_then(|f| f.nodes) {
            Some([lo, hi]) => (lo + hi) / 2,
            None => self.layout.agents.len(),
        };
        (self.cfg.iterations * self.cfg.ppo.episodes_per_iteration * self.scenario.episode.max_steps * agents) as u64
    }

    /// Runs the remaining iterations, checkpointing as configured and at the end.
    pub fn run(&mut self) -> Result<Vec<IterationReport>, TrainError> {
        self.run_until(self.cfg.iterations)
    }

    /// Runs until `iterations` are done (at most the configured number),
    /// checkpointing as configured and when it stops.
    pub fn run_until(&mut self, iterations: usize) -> Result<Vec<IterationReport>, TrainError> {
        let stop = iterations.min(self.cfg.iterations);
        let mut reports = Vec::new();
        while self.state.iteration < stop {
            let r = self.iterate()?;
            reports.push(r);
            let done = self.state.iteration == stop;
            if done || self.state.iteration.is_multiple_of(self.cfg.checkpoint_every.max(1)) {
                checkpoint::save(&self.run_dir, &self.learners, &self.state)?;
            }
        }
        Ok(reports)
    }

    /// Finishes logging (flushes TensorBoard files).
    pub fn finish(self) -> Result<State, TrainError> {
        let dir = self.run_dir.clone();
        self.logger.finish().map_err(io(&dir))?;
        Ok(self.state)
    }

    /// The learning rate of the coming iteration (annealed linearly to 0 when configured).
    pub fn learning_rate(&self) -> f64 {
        let p = &self.cfg.ppo;
        if p.lr_anneal { p.lr * (1.0 - self.state.iteration as f64 / self.cfg.iterations.max(1) as f64) } else { p.lr }
    }

    /// One iteration: collect → advantages → update → log.
    pub fn iterate(&mut self) -> Result<IterationReport, TrainError> {
        let t0 = Instant::now();
        // 1. Collect whole episodes with the current policy; observations
        //    normalised with the statistics frozen at the iteration's start.
        let frozen: Vec<RunningStats> = self.state.obs_stats.clone();
        let rollout = self.collect(&frozen)?;
        let rollout_secs = t0.elapsed().as_secs_f64();
        // 2. Advantages (GAE, truncations bootstrapped) and the old policy's outputs.
        let (batches, explained) = self.batches(&rollout);
        self.prepare_secs = t0.elapsed().as_secs_f64() - rollout_secs;
        // 3. PPO epochs per network, then the adaptive KL coefficients.
        let (ent, lr) = (self.cfg.entropy_coef(self.state.agent_steps, self.total_agent_steps()), self.learning_rate());
        let stats = self.update(&batches, ent, lr);
        // The weights now match the statistics they were trained with; the
        // running statistics take in this rollout for the next one.
        self.state.trained_obs_stats = frozen;
        for t in &rollout.trajectories {
            self.state.obs_stats[t.net].update(&t.raw_obs);
        }
        let secs = t0.elapsed().as_secs_f64();
        self.timing = (rollout_secs, secs - rollout_secs);
        self.state.iteration += 1;
        self.state.agent_steps += rollout.agent_steps;
        self.state.wall_seconds += secs;
        // 4. Log.
        Ok(self.log(&rollout, &stats, explained, ent, lr, secs))
    }

    /// Step 1: the iteration's rollout ([`rollout::collect`]) on copies of the
    /// environment, acting with the actors' current weights on the CPU.
    fn collect(&self, frozen: &[RunningStats]) -> Result<Rollout, TrainError> {
        let norm: Vec<(Vec<f32>, Vec<f32>)> = frozen.iter().map(RunningStats::frozen).collect();
        // Rollouts run on the CPU whatever device the updates use.
        let actors: Vec<_> =
            self.learners.iter().map(|l| burn::module::Module::valid(&l.actor).to_device(&Device::flex())).collect();
        let r = &self.cfg.rollout;
        let (envs, per_env) = (r.envs, self.cfg.ppo.episodes_per_iteration / r.envs);
        let it = self.state.iteration as u64;
        if let Some(family) = &self.family {
            let drawn: Vec<(Simulator, Layout)> =
                (0..envs).map(|e| self.family_member(family, it, e)).collect::<Result<_, _>>()?;
            let copies: Vec<(&Simulator, &Layout)> = drawn.iter().map(|(s, l)| (s, l)).collect();
            return Ok(rollout::collect(
                &copies,
                &actors,
                &norm,
                per_env,
                r.threads,
                self.cfg.seed,
                it,
                self.cfg.reward,
            )?);
        }
        let copies: Vec<(&E, &Layout)> = (0..envs).map(|_| (&self.env, &self.layout)).collect();
        Ok(rollout::collect(&copies, &actors, &norm, per_env, r.threads, self.cfg.seed, it, self.cfg.reward)?)
    }

    /// Copy `copy`'s federation in `iteration` when training on a family: a
    /// draw of the family (redrawn, at most 8 times, while its largest degree
    /// exceeds the network's `max_degree`) and its layout.
    fn family_member(&self, family: &Family, iteration: u64, copy: usize) -> Result<(Simulator, Layout), TrainError> {
        let mut last = String::new();
        for attempt in 0..8u64 {
            let seed = splitmix(self.cfg.seed ^ 0xFA4 ^ splitmix(iteration) ^ splitmix((copy as u64) << 8 | attempt));
            let sim = Simulator::new(&family.draw(seed)?)?;
            match Layout::with_width(&sim, self.cfg.mode, self.cfg.encoding, self.cfg.max_degree) {
                Ok(l) => return Ok((sim, l.with_critic(self.cfg.critic))),
                Err(e) => last = e,
            }
        }
        Err(TrainError::Other(format!(
            "family of {}: 8 draws in a row did not fit the network ({last}); raise max_degree",
            self.scenario.path.display()
        )))
    }

    /// Step 3: PPO epochs on each network's batch ([`Learner::update`]),
    /// then each network's adaptive KL coefficient ([`adapt_kl_coeff`]).
    fn update(&mut self, batches: &[Batch], ent: f32, lr: f64) -> Vec<UpdateStats> {
        // The adaptive KL coefficients start at the configured one (first
        // iteration, or a checkpoint older than the field).
        if self.state.kl_coeff.len() != batches.len() {
            self.state.kl_coeff = vec![self.cfg.ppo.kl_coeff; batches.len()];
        }
        let it = self.state.iteration as u64;
        let threads = self.cfg.rollout.threads.max(1);
        let (ppo, seed, kl) = (&self.cfg.ppo, self.cfg.seed, &self.state.kl_coeff);
        let rng = |g: usize| substream(splitmix(seed ^ splitmix(it + 7)), 1000 + g as u64);
        let stats: Vec<UpdateStats> = if batches.len() > 1 && threads > 1 {
            // Several networks (independent mode): each updates whole on one
            // thread, the networks spread over the threads.
            let mut slots: Vec<Option<UpdateStats>> = vec![None; batches.len()];
            let mut work: Vec<Vec<(usize, &mut Learner, &mut Option<UpdateStats>)>> =
                (0..threads).map(|_| Vec::new()).collect();
            for (g, (l, out)) in self.learners.iter_mut().zip(slots.iter_mut()).enumerate() {
                work[g % threads].push((g, l, out));
            }
            std::thread::scope(|s| {
                for jobs in work {
                    s.spawn(move || {
                        for (g, l, out) in jobs {
                            *out = Some(l.update(&batches[g], ppo, lr, ent, kl[g], 1, &mut rng(g)));
                        }
                    });
                }
            });
            slots.into_iter().map(|s| s.expect("every network updated")).collect()
        } else {
            // One network: its minibatches sharded over the threads.
            let mut out = Vec::new();
            for (g, b) in batches.iter().enumerate() {
                out.push(self.learners[g].update(b, ppo, lr, ent, kl[g], threads, &mut rng(g)));
            }
            out
        };
        for (g, s) in stats.iter().enumerate() {
            self.state.kl_coeff[g] = adapt_kl_coeff(self.state.kl_coeff[g], s.kl, self.cfg.ppo.kl_target);
        }
        stats
    }

    /// Step 2: per-network batches with GAE advantages ([`crate::gae::gae`]), the old policy's
    /// log-densities, concentrations and values; and the critic's explained
    /// variance over all samples.
    fn batches(&self, r: &Rollout) -> (Vec<Batch>, f64) {
        let p = &self.cfg.ppo;
        let mut out: Vec<Batch> = self
            .layout
            .nets
            .iter()
            .map(|s| Batch {
                obs_dim: s.obs_dim,
                action_dim: s.action_dim,
                critic_dim: self.layout.critic_dim,
                ..Default::default()
            })
            .collect();
        let mut lens: Vec<Vec<(usize, usize)>> = vec![Vec::new(); out.len()]; // (trajectory, len)
        let mut finals: Vec<Vec<f32>> = vec![Vec::new(); out.len()];
        for (ti, t) in r.trajectories.iter().enumerate() {
            let b = &mut out[t.net];
            b.obs.extend_from_slice(&t.obs);
            b.critic_obs.extend_from_slice(&t.critic_obs);
            b.actions.extend_from_slice(&t.actions);
            for _ in 0..t.rewards.len() {
                b.masks.extend(t.mask.iter().map(|&m| if m { 1.0 } else { 0.0 }));
            }
            lens[t.net].push((ti, t.rewards.len()));
            finals[t.net].extend_from_slice(if self.layout.critic_dim > 0 {
                &t.final_critic_obs
            } else {
                &t.final_obs
            });
        }
        let (mut all_values, mut all_returns) = (Vec::new(), Vec::new());
        for (g, b) in out.iter_mut().enumerate() {
            let e = self.learners[g].evaluate(b, self.cfg.rollout.threads);
            let final_values = self.learners[g].values(&finals[g], b.critic_input().1);
            let mut next_final = 0;
            let (mut adv, mut ret) = (Vec::new(), Vec::new());
            let mut start = 0;
            for &(ti, len) in &lens[g] {
                let t = &r.trajectories[ti];
                let ends: Vec<StepEnd> = t
                    .truncated
                    .iter()
                    .map(|&cut| {
                        if cut {
                            next_final += 1;
                            StepEnd::Truncated { final_value: final_values[next_final - 1] }
                        } else {
                            StepEnd::Continue
                        }
                    })
                    .collect();
                // Rollouts play whole episodes: a trajectory always ends with a
                // truncation, so nothing bootstraps past its last step.
                let last = 0.0;
                crate::gae::gae(
                    &t.rewards,
                    &e.values[start..start + len],
                    &ends,
                    last,
                    p.gamma,
                    p.gae_lambda,
                    &mut adv,
                    &mut ret,
                );
                b.advantages.extend_from_slice(&adv);
                b.returns.extend_from_slice(&ret);
                start += len;
            }
            if p.advantage_norm == AdvantageNorm::Batch {
                crate::gae::normalize(&mut b.advantages);
            }
            all_values.extend_from_slice(&e.values);
            all_returns.extend_from_slice(&b.returns);
            b.old_logp = e.logp;
            b.old_alpha = e.alpha;
            b.old_values = e.values;
        }
        (out, crate::gae::explained_variance(&all_values, &all_returns))
    }

    /// Step 4: TensorBoard and CSV scalars (CleanRL's tag names), the progress bar.
    fn log(
        &mut self,
        r: &Rollout,
        stats: &[UpdateStats],
        explained: f64,
        ent: f32,
        lr: f64,
        secs: f64,
    ) -> IterationReport {
        let n_ep = r.episodes.len().max(1) as f64;
        let n_agents = self.layout.agents.len();
        let mut scalars: Vec<(String, f64)> = Vec::new();
        let reward_mean = if self.family.is_some() {
            // Federations differ per episode: the mean over episodes of their agents' mean.
            r.episodes.iter().map(|e| e.rewards.iter().sum::<f64>() / e.rewards.len().max(1) as f64).sum::<f64>() / n_ep
        } else {
            let mut total = 0.0;
            for (i, a) in self.layout.agents.iter().enumerate() {
                let m = r.episodes.iter().map(|e| e.rewards[i]).sum::<f64>() / n_ep;
                total += m;
                scalars.push((agent_reward_tag(a), m));
            }
            total / n_agents.max(1) as f64
        };
        let processed = r.episodes.iter().map(|e| e.processed_ratio).sum::<f64>() / n_ep;
        let mean = |f: &dyn Fn(&UpdateStats) -> f64| stats.iter().map(f).sum::<f64>() / stats.len().max(1) as f64;
        let rep = IterationReport {
            iteration: self.state.iteration,
            agent_steps: self.state.agent_steps,
            reward_mean,
            processed_ratio: processed,
            policy_loss: mean(&|s| s.policy_loss),
            value_loss: mean(&|s| s.value_loss),
            entropy: mean(&|s| s.entropy),
            kl: mean(&|s| s.approx_kl),
            agent_steps_per_second: r.agent_steps as f64 / secs.max(1e-9),
        };
        // CleanRL's tag names for the update diagnostics.
        scalars.extend([
            ("episode/reward_mean".to_string(), reward_mean),
            ("episode/processed_ratio".into(), processed),
            ("losses/policy_loss".into(), rep.policy_loss),
            ("losses/value_loss".into(), rep.value_loss),
            ("losses/entropy".into(), rep.entropy),
            ("losses/approx_kl".into(), rep.kl),
            ("losses/old_approx_kl".into(), mean(&|s| s.old_approx_kl)),
            ("losses/clipfrac".into(), mean(&|s| s.clip_fraction)),
            ("losses/explained_variance".into(), explained),
            ("losses/kl_dirichlet".into(), mean(&|s| s.kl)),
            ("charts/learning_rate".into(), lr),
            ("charts/entropy_coef".into(), ent as f64),
            (
                "charts/kl_coeff".into(),
                self.state.kl_coeff.iter().map(|&c| c as f64).sum::<f64>() / self.state.kl_coeff.len().max(1) as f64,
            ),
            ("charts/epochs".into(), mean(&|s| s.epochs as f64)),
            ("perf/agent_steps_per_second".into(), rep.agent_steps_per_second),
            ("perf/rollout_seconds".into(), self.timing.0),
            ("perf/update_seconds".into(), self.timing.1),
            ("perf/advantage_seconds".into(), self.prepare_secs),
        ]);
        let refs: Vec<(&str, f64)> = scalars.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        if let Err(e) = self.logger.log_scalars(self.state.agent_steps, &refs) {
            eprintln!("warning: logging failed: {e}");
        }
        let msg = progress_message(&[
            ("episode/reward_mean", reward_mean),
            ("episode/processed_ratio", processed),
            ("perf/agent_steps_per_second", rep.agent_steps_per_second),
        ]);
        self.logger.set_progress(self.state.iteration as u64, &msg);
        self.state.last_processed_ratio = processed;
        self.state.last_reward = reward_mean;
        rep
    }
}

/// RLlib's adaptive KL coefficient: × 1.5 when the iteration's KL exceeds
/// twice the target, × 0.5 when it is below half of it (0 stays 0).
pub fn adapt_kl_coeff(coeff: f32, kl: f64, target: f32) -> f32 {
    let target = target as f64;
    if kl > 2.0 * target {
        coeff * 1.5
    } else if kl < 0.5 * target {
        coeff * 0.5
    } else {
        coeff
    }
}
