//! Workloads: how many requests reach each node in each slot.
//!
//! A [`WorkloadSpec`] (the scenario's `[workload]` table) is checked and its
//! files are read once by [`WorkloadSpec::load`]; the resulting [`Workload`]
//! draws one episode's input counts `[agent][slot]` from the episode's
//! generator with [`Workload::generate`].
//!
//! Each generator is one file implementing [`Generate`]; adding a workload
//! is that file, a [`WorkloadSpec`] variant (the table's keys, with units)
//! and one arm in [`WorkloadSpec::load`].
//!
//! Generators: `sinusoidal-paper` and `sinusoidal-master` (the two
//! marl-dfaas inputs, counts per slot), `normal`, `constant`, `step`,
//! `linear`, `bursts` (rates in requests per second), `trace` (a per-node CSV
//! of counts per slot) and `azure` (Azure Functions 2019 invocations per
//! minute).

mod azure;
mod bursts;
mod check;
pub mod edge_day;
mod scale_down;
mod simple;
mod sinusoidal;
mod spec;
mod trace_csv;
mod trace_pool;

use std::path::Path;

pub use scale_down::scale_down;
pub use spec::WorkloadSpec;

use crate::error::ConfigError;
use crate::seeds::SimRng;

/// A workload ready to generate episodes (parameters checked, files read).
#[derive(Debug, Clone)]
pub struct Workload {
    spec: WorkloadSpec,
    generator: Box<dyn Generate>,
}

/// A generator of episodes' input counts, built from its checked spec.
pub trait Generate: CloneGenerate + std::fmt::Debug + Send + Sync {
    /// Input counts `[agent][slot]` of one episode: `n` traces of exactly
    /// `steps` slots of `slot_seconds`, drawn from `rng` only.
    fn episode(&self, n: usize, steps: usize, slot_seconds: f64, rng: &mut SimRng) -> Vec<Vec<u32>>;
}

/// A copy of a boxed generator (a workload is cloned with its simulator);
/// every `Clone` generator has it.
pub trait CloneGenerate {
    fn clone_box(&self) -> Box<dyn Generate>;
}

impl<T: Generate + Clone + 'static> CloneGenerate for T {
    fn clone_box(&self) -> Box<dyn Generate> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Generate> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The agents a workload feeds, by name, for trace files whose columns are
/// named `node/function`.
pub struct AgentNames<'a> {
    /// Agent names in agent order.
    pub names: &'a [String],
    /// Why a `node/function` column is not an agent of the scenario (`None`: it is one).
    pub unknown: &'a dyn Fn(&str) -> Option<String>,
}

impl WorkloadSpec {
    /// Validates the spec and reads any file it names (relative to `base_dir`).
    /// `file` is the scenario path, for error messages.
    pub fn load(&self, base_dir: &Path, file: &Path, n_agents: usize) -> Result<Workload, ConfigError> {
        self.load_with(base_dir, file, n_agents, None)
    }

    /// [`WorkloadSpec::load`] for the agents `names` (a trace's
    /// `node/function` columns are matched by name).
    pub fn load_named(&self, base_dir: &Path, file: &Path, names: &AgentNames<'_>) -> Result<Workload, ConfigError> {
        self.load_with(base_dir, file, names.names.len(), Some(names))
    }

    fn load_with(
        &self,
        base_dir: &Path,
        file: &Path,
        n_agents: usize,
        names: Option<&AgentNames<'_>>,
    ) -> Result<Workload, ConfigError> {
        let n = n_agents;
        let generator: Box<dyn Generate> = match self {
            WorkloadSpec::SinusoidalPaper {
                periods,
                period_min_slots,
                period_max_slots,
                mean,
                amplitude,
                noise_std,
                min,
                max,
            } => Box::new(
                sinusoidal::Paper {
                    periods: *periods,
                    period_min: *period_min_slots,
                    period_max: *period_max_slots,
                    mean: *mean,
                    amplitude: *amplitude,
                    noise_std: *noise_std,
                    min: *min,
                    max: *max,
                }
                .validate(file)?,
            ),
            WorkloadSpec::SinusoidalMaster {
                mean,
                amplitude,
                noise_std,
                noise_min,
                noise_max,
                period_slots,
                min,
                max,
                permute,
                scale_down,
                scale_down_per_agent,
            } => Box::new(
                sinusoidal::Master {
                    mean: *mean,
                    amplitude: *amplitude,
                    noise_std: *noise_std,
                    noise_min: *noise_min,
                    noise_max: *noise_max,
                    period: *period_slots,
                    min: *min,
                    max: *max,
                    permute: *permute,
                    scale_down: scale_down.then_some(*scale_down_per_agent),
                }
                .validate(file)?,
            ),
            WorkloadSpec::Normal { mean_rps, std_rps, min_rps, max_rps } => {
                Box::new(simple::Normal::new(file, n, mean_rps, std_rps, min_rps, max_rps)?)
            }
            WorkloadSpec::Constant { rate_rps } => Box::new(simple::Rates::constant(file, n, rate_rps)?),
            WorkloadSpec::Step { before_rps, after_rps, at_s } => {
                Box::new(simple::Rates::step(file, n, before_rps, after_rps, *at_s)?)
            }
            WorkloadSpec::Linear { from_rps, to_rps } => Box::new(simple::Rates::linear(file, n, from_rps, to_rps)?),
            WorkloadSpec::Bursts { on_rate_rps, off_rate_rps, mean_on_s, mean_off_s } => {
                Box::new(bursts::Bursts::new(file, n, on_rate_rps, off_rate_rps, mean_on_s, mean_off_s)?)
            }
            WorkloadSpec::Trace { file: csv, columns, scale, random_offset } => {
                let opts = trace_csv::TraceOptions {
                    columns: columns.as_deref(),
                    names,
                    scale: *scale,
                    random_offset: *random_offset,
                };
                Box::new(trace_csv::TraceData::load(file, &base_dir.join(csv), opts, n)?)
            }
            WorkloadSpec::TracePool { files, exclude, scale, random_offset } => {
                let opts = trace_pool::PoolOptions { exclude, scale, random_offset: *random_offset };
                Box::new(trace_pool::TracePool::load(file, base_dir, files, &opts, n)?)
            }
            WorkloadSpec::Azure { file: csv, scale_min, scale_max, mean_min, mean_max, std_min, std_max } => {
                let opts = azure::AzureOptions {
                    scale_min: *scale_min,
                    scale_max: *scale_max,
                    mean: (*mean_min, *mean_max),
                    std: (*std_min, *std_max),
                };
                Box::new(azure::AzurePool::load(file, &base_dir.join(csv), opts)?)
            }
        };
        Ok(Workload { spec: self.clone(), generator })
    }
}

impl Workload {
    /// Input counts `[agent][slot]` for one episode: `n_agents` traces of
    /// exactly `max_steps` slots, a function of the generator's state only.
    pub fn generate(&self, n_agents: usize, max_steps: usize, slot_seconds: f64, rng: &mut SimRng) -> Vec<Vec<u32>> {
        self.generator.episode(n_agents, max_steps, slot_seconds, rng)
    }

    /// The spec this workload was loaded from.
    pub fn spec(&self) -> &WorkloadSpec {
        &self.spec
    }

    /// `base` for every agent except the groups of `parts`, whose agents
    /// (indices) take their own workload's series instead, each drawn from
    /// its own stream of the episode's generator.
    pub fn split(base: Workload, parts: Vec<(Vec<usize>, Workload)>) -> Workload {
        Workload { spec: base.spec.clone(), generator: Box::new(Split { base: Box::new(base), parts }) }
    }
}

/// See [`Workload::split`].
#[derive(Debug, Clone)]
struct Split {
    base: Box<Workload>,
    parts: Vec<(Vec<usize>, Workload)>,
}

impl Generate for Split {
    fn episode(&self, n: usize, steps: usize, slot_seconds: f64, rng: &mut SimRng) -> Vec<Vec<u32>> {
        let mut out = self.base.generate(n, steps, slot_seconds, rng);
        for (k, (agents, w)) in self.parts.iter().enumerate() {
            let mut r = crate::seeds::substream(rand::Rng::next_u64(rng), k as u64);
            for (&a, series) in agents.iter().zip(w.generate(agents.len(), steps, slot_seconds, &mut r)) {
                out[a] = series;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
