//! Many copies of one federation stepped together on NumPy arrays, with the
//! GIL released and the copies spread over threads.
//!
//! Shapes: observations `[E, A, D]` float32, actions `[E, A, K]` (K the
//! widest action; an agent's padded entries are ignored, see
//! `action_mask`), rewards `[E, A]` float32, terminations and truncations
//! `[E, A]` bool. Autoreset is *same-step* (Gymnasium's `SAME_STEP`): on the
//! step an episode ends, the observation returned is the first of the next
//! episode and the last one is in `infos["final_obs"]`. All copies play
//! episodes of the same length in lock-step, so they end together.

use dfaas_env::encoding::Encoder;
use dfaas_env::reward::{RewardChoice, mean_federation_input};
use dfaas_env::seeds::{SeedSequence, splitmix};
use dfaas_env::{Decision, Simulator};
use numpy::{AllowTypeChange, PyArray1, PyArrayLike3, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::actions::{ActionFormat, ActionLayout};
use crate::errors;

/// One copy's state besides its simulator.
#[derive(Clone)]
struct Copy {
    sim: Simulator,
    seeds: SeedSequence,
    team_scale: f64,
    decisions: Vec<Decision>,
    rewards: Vec<f64>,
    /// Scratch for one encoded observation.
    enc: Vec<f32>,
    /// Episodes started.
    episodes: u64,
    /// Processed and input requests of the episode so far.
    processed: u64,
    input: u64,
}

/// What one step of one copy writes (disjoint slices of the outputs).
struct Out<'a> {
    obs: &'a mut [f32],
    rewards: &'a mut [f32],
    final_obs: &'a mut [f32],
    counts: &'a mut [u32],
    ratio: &'a mut f64,
}

/// E copies of a federation (`dfaas.VectorEnv`'s core).
#[pyclass(module = "dfaas._core")]
pub struct VectorEnv {
    copies: Vec<Copy>,
    encoder: Encoder,
    layout: ActionLayout,
    reward: RewardChoice,
    format: ActionFormat,
    /// Worker threads (`None`: step on the calling thread).
    pool: Option<rayon::ThreadPool>,
    obs_dim: usize,
    started: bool,
}

/// Per-agent counts reported in `infos`, in this order.
const COUNTS: [&str; 5] = ["input", "processed", "forwarded", "rejected", "lost"];

#[pymethods]
impl VectorEnv {
    /// `num_envs` copies of `scenario`; copy `e` draws its episode seeds
    /// from a sequence seeded by `seed` and `e` (`seed` defaults to the
    /// scenario's master seed). `num_threads` = 0 uses every core.
    #[new]
    #[pyo3(signature = (scenario, num_envs, *, seed=None, max_steps=None, reward="env", action="simplex", num_threads=0))]
    fn new(
        scenario: &str,
        num_envs: usize,
        seed: Option<u64>,
        max_steps: Option<usize>,
        reward: &str,
        action: &str,
        num_threads: usize,
    ) -> PyResult<Self> {
        if num_envs == 0 {
            return Err(errors::scenario("num_envs = 0: at least one copy is needed"));
        }
        let b = crate::setup::build(scenario, max_steps, seed, reward, action)?;
        let n = b.layout.names.len();
        let copies = (0..num_envs)
            .map(|e| Copy {
                sim: b.sim.clone(),
                seeds: SeedSequence::new(copy_seed(b.master_seed, e)),
                team_scale: 1.0,
                decisions: Vec::with_capacity(n),
                rewards: Vec::with_capacity(n),
                enc: Vec::new(),
                episodes: 0,
                processed: 0,
                input: 0,
            })
            .collect();
        let threads =
            if num_threads == 0 { std::thread::available_parallelism().map_or(1, |p| p.get()) } else { num_threads };
        let obs_dim = b.encoder.dim(b.sim.topology().max_degree());
        let threads = threads.min(num_envs);
        let pool = if threads > 1 {
            Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("dfaas-vector-{i}"))
                    .build()
                    .map_err(|e| errors::other(format!("starting {threads} worker threads: {e}")))?,
            )
        } else {
            None
        };
        Ok(Self {
            copies,
            encoder: b.encoder,
            layout: b.layout,
            reward: b.reward,
            format: b.format,
            pool,
            obs_dim,
            started: false,
        })
    }

    /// Number of copies E.
    #[getter]
    fn num_envs(&self) -> usize {
        self.copies.len()
    }

    /// Agent names, in index order (A of them).
    #[getter]
    fn agents(&self) -> Vec<String> {
        self.layout.names.clone()
    }

    /// Observation length D.
    #[getter]
    fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Padded action width K.
    #[getter]
    fn action_dim(&self) -> usize {
        self.layout.width
    }

    /// Bounds of each action entry.
    #[getter]
    fn action_bounds(&self) -> (f32, f32) {
        self.format.bounds()
    }

    /// Slots per episode.
    #[getter]
    fn max_steps(&self) -> usize {
        self.copies[0].sim.max_steps()
    }

    /// `[A, K]` bool: which entries of each agent's padded action are real.
    #[getter]
    fn action_mask<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (a, k) = (self.layout.names.len(), self.layout.width);
        Ok(PyArray1::from_vec(py, self.layout.mask()).reshape([a, k])?.into_any())
    }

    /// Episode seed each copy is playing.
    #[getter]
    fn episode_seeds(&self) -> Vec<Option<u64>> {
        self.copies.iter().map(|c| c.sim.episode_seed()).collect()
    }

    /// The scenario's name.
    #[getter]
    fn scenario(&self) -> String {
        self.copies[0].sim.scenario().name.clone()
    }

    /// Starts an episode in every copy; `seed` restarts the copies' seed
    /// sequences. Returns (observations `[E, A, D]`, infos).
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
        let (e, a, d) = (self.copies.len(), self.layout.names.len(), self.obs_dim);
        let mut obs = vec![0f32; e * a * d];
        let encoder = &self.encoder;
        py.detach(|| {
            for (i, (c, o)) in self.copies.iter_mut().zip(obs.chunks_mut(a * d)).enumerate() {
                if let Some(s) = seed {
                    c.seeds = SeedSequence::new(copy_seed(s, i));
                }
                c.start_episode();
                c.encode(encoder, o);
            }
        });
        self.started = true;
        let infos = PyDict::new(py);
        infos.set_item("episode_seed", self.episode_seeds())?;
        Ok((PyArray1::from_vec(py, obs).reshape([e, a, d])?.into_any(), infos))
    }

    /// Plays one slot in every copy with `actions` `[E, A, K]` (any real
    /// dtype). Returns (observations, rewards, terminations, truncations,
    /// infos); `infos` holds per-slot counts `[E, A]` (`input`,
    /// `processed`, `forwarded`, `rejected`: on purpose, `lost`: rejected
    /// by a platform or lost in forwarding) and, on the step episodes end,
    /// `final_obs` `[E, A, D]`, `episode_processed_ratio` `[E]` and the new
    /// `episode_seed`s.
    #[allow(clippy::type_complexity)]
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: PyArrayLike3<'py, f32, AllowTypeChange>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyDict>)>
    {
        if !self.started {
            return Err(errors::other("step called before reset"));
        }
        let (e, a, k, d) = (self.copies.len(), self.layout.names.len(), self.layout.width, self.obs_dim);
        let shape = actions.shape();
        if shape != [e, a, k] {
            return Err(errors::action(format!(
                "actions have shape {shape:?}, expected [num_envs={e}, agents={a}, action_dim={k}]"
            )));
        }
        let owned;
        let flat: &[f32] = match actions.as_slice() {
            Ok(s) => s,
            Err(_) => {
                owned = actions.as_array().iter().copied().collect::<Vec<f32>>();
                &owned
            }
        };
        let mut obs = vec![0f32; e * a * d];
        let mut rewards = vec![0f32; e * a];
        let mut counts = vec![0u32; e * a * COUNTS.len()];
        let done = self.copies[0].sim.slot() + 1 >= self.copies[0].sim.max_steps();
        let mut final_obs = if done { vec![0f32; e * a * d] } else { Vec::new() };
        let mut ratios = vec![0f64; e];
        let (encoder, layout, reward, format) = (&self.encoder, &self.layout, self.reward, self.format);
        let pool = self.pool.as_ref();
        let result: Result<(), String> = py.detach(|| {
            // Every copy's actions are checked before any copy plays: an
            // action error leaves the whole batch where it was.
            let mut checks: Vec<(usize, &mut Copy, &[f32])> =
                self.copies.iter_mut().zip(flat.chunks(a * k)).enumerate().map(|(i, (c, x))| (i, c, x)).collect();
            par_for(&mut checks, pool, |(i, c, act)| {
                c.decide(act, layout, format).map_err(|m| format!("env {i}: {m}"))
            })?;
            let mut work: Vec<(&mut Copy, Out<'_>)> = Vec::with_capacity(e);
            let mut fo = final_obs.chunks_mut(a * d);
            for (((c, o), r), (n, ratio)) in self
                .copies
                .iter_mut()
                .zip(obs.chunks_mut(a * d))
                .zip(rewards.chunks_mut(a))
                .zip(counts.chunks_mut(a * COUNTS.len()).zip(ratios.iter_mut()))
            {
                let final_obs = fo.next().unwrap_or(&mut []);
                work.push((c, Out { obs: o, rewards: r, final_obs, counts: n, ratio }));
            }
            par_for(&mut work, pool, |(c, out)| c.play(reward, encoder, out))
        });
        result.map_err(errors::action)?;
        let term = PyArray1::from_vec(py, vec![false; e * a]).reshape([e, a])?;
        let trunc = PyArray1::from_vec(py, vec![done; e * a]).reshape([e, a])?;
        let infos = PyDict::new(py);
        for (j, name) in COUNTS.iter().enumerate() {
            let column: Vec<u32> = counts.iter().skip(j).step_by(COUNTS.len()).copied().collect();
            infos.set_item(*name, PyArray1::from_vec(py, column).reshape([e, a])?)?;
        }
        if done {
            infos.set_item("final_obs", PyArray1::from_vec(py, final_obs).reshape([e, a, d])?)?;
            infos.set_item("episode_processed_ratio", PyArray1::from_vec(py, ratios))?;
            infos.set_item("episode_seed", self.episode_seeds())?;
        }
        Ok((
            PyArray1::from_vec(py, obs).reshape([e, a, d])?.into_any(),
            PyArray1::from_vec(py, rewards).reshape([e, a])?.into_any(),
            term.into_any(),
            trunc.into_any(),
            infos,
        ))
    }
}

impl VectorEnv {
    /// Each copy's episode count and simulator (for policies).
    pub(crate) fn sims_mut(&mut self) -> impl Iterator<Item = (u64, &mut Simulator)> {
        self.copies.iter_mut().map(|c| (c.episodes, &mut c.sim))
    }

    /// The action format.
    pub(crate) fn format(&self) -> ActionFormat {
        self.format
    }

    /// The layout of the padded actions.
    pub(crate) fn layout(&self) -> &ActionLayout {
        &self.layout
    }
}

/// Runs `f` on every item, on `pool` when there is one and more than one
/// item; the first error wins.
fn par_for<T: Send>(
    items: &mut [T],
    pool: Option<&rayon::ThreadPool>,
    f: impl Fn(&mut T) -> Result<(), String> + Sync + Send,
) -> Result<(), String> {
    use rayon::prelude::*;
    match pool {
        Some(p) if items.len() > 1 => {
            let per = items.len().div_ceil(p.current_num_threads());
            p.install(|| items.par_chunks_mut(per).try_for_each(|ch| ch.iter_mut().try_for_each(&f)))
        }
        _ => items.iter_mut().try_for_each(&f),
    }
}

/// Seed of copy `e`'s episode-seed sequence.
fn copy_seed(seed: u64, e: usize) -> u64 {
    splitmix(seed ^ (e as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl Copy {
    fn start_episode(&mut self) {
        let s = self.seeds.next_seed();
        self.sim.reset_episode(Some(s));
        self.team_scale = mean_federation_input(&self.sim);
        self.episodes += 1;
        self.processed = 0;
        self.input = 0;
    }

    fn encode(&mut self, encoder: &Encoder, out: &mut [f32]) {
        let d = out.len() / self.sim.observations().len().max(1);
        for (o, dst) in self.sim.observations().iter().zip(out.chunks_mut(d)) {
            encoder.encode(o, &mut self.enc);
            dst[..self.enc.len()].copy_from_slice(&self.enc);
        }
    }

    /// Turns this copy's padded action rows into decisions.
    fn decide(&mut self, actions: &[f32], layout: &ActionLayout, format: ActionFormat) -> Result<(), String> {
        self.decisions.clear();
        for (i, row) in actions.chunks(layout.width).enumerate() {
            self.decisions.push(layout.decide_padded(i, row, format)?);
        }
        Ok(())
    }

    /// Plays the slot with the decisions of [`Copy::decide`].
    fn play(&mut self, reward: RewardChoice, encoder: &Encoder, out: &mut Out<'_>) -> Result<(), String> {
        self.sim.advance(&self.decisions).map_err(|e| e.to_string())?;
        reward.rewards(self.sim.outcomes(), self.team_scale, &mut self.rewards);
        for (r, &x) in out.rewards.iter_mut().zip(&self.rewards) {
            *r = x as f32;
        }
        for (o, c) in self.sim.outcomes().iter().zip(out.counts.chunks_mut(COUNTS.len())) {
            let lost = o.local_rejects + o.forward_rejects_total() + o.forward_lost;
            c.copy_from_slice(&[o.input, o.processed, o.forwarded_total(), o.rejected, lost]);
            self.processed += o.processed as u64;
            self.input += o.input as u64;
        }
        if self.sim.is_done() {
            self.encode(encoder, out.final_obs);
            *out.ratio = if self.input == 0 { 1.0 } else { self.processed as f64 / self.input as f64 };
            self.start_episode();
        }
        self.encode(encoder, out.obs);
        Ok(())
    }
}
