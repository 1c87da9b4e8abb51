//! Workloads: how many requests reach each node in each slot.
//!
//! A [`WorkloadSpec`] (the scenario's `[workload]` table) is checked and its
//! files are read once by [`WorkloadSpec::load`]; the resulting [`Workload`]
//! draws one episode's input counts `[agent][slot]` from the episode's
//! generator with [`Workload::generate`].
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

use std::path::Path;

pub use scale_down::scale_down;
pub use spec::WorkloadSpec;

use crate::error::ConfigError;
use crate::seeds::SimRng;

/// A workload ready to generate episodes (parameters checked, files read).
#[derive(Debug, Clone)]
pub struct Workload {
    spec: WorkloadSpec,
    generator: Generator,
}

#[derive(Debug, Clone)]
enum Generator {
    Paper(sinusoidal::Paper),
    Master(sinusoidal::Master),
    Normal(simple::Normal),
    Rates(simple::Rates),
    Bursts(bursts::Bursts),
    Trace(trace_csv::TraceData),
    Azure(azure::AzurePool),
}

impl WorkloadSpec {
    /// Validates the spec and reads any file it names (relative to `base_dir`).
    /// `file` is the scenario path, for error messages.
    pub fn load(&self, base_dir: &Path, file: &Path, n_agents: usize) -> Result<Workload, ConfigError> {
        let n = n_agents;
        let generator = match self {
            WorkloadSpec::SinusoidalPaper {
                periods,
                period_min_slots,
                period_max_slots,
                mean,
                amplitude,
                noise_std,
                min,
                max,
            } => Generator::Paper(
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
            } => Generator::Master(
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
                Generator::Normal(simple::Normal::new(file, n, mean_rps, std_rps, min_rps, max_rps)?)
            }
            WorkloadSpec::Constant { rate_rps } => Generator::Rates(simple::Rates::constant(file, n, rate_rps)?),
            WorkloadSpec::Step { before_rps, after_rps, at_s } => {
                Generator::Rates(simple::Rates::step(file, n, before_rps, after_rps, *at_s)?)
            }
            WorkloadSpec::Linear { from_rps, to_rps } => {
                Generator::Rates(simple::Rates::linear(file, n, from_rps, to_rps)?)
            }
            WorkloadSpec::Bursts { on_rate_rps, off_rate_rps, mean_on_s, mean_off_s } => {
                Generator::Bursts(bursts::Bursts::new(file, n, on_rate_rps, off_rate_rps, mean_on_s, mean_off_s)?)
            }
            WorkloadSpec::Trace { file: csv, columns, scale, random_offset } => {
                let opts = trace_csv::TraceOptions {
                    columns: columns.as_deref(),
                    scale: *scale,
                    random_offset: *random_offset,
                };
                Generator::Trace(trace_csv::TraceData::load(file, &base_dir.join(csv), opts, n)?)
            }
            WorkloadSpec::Azure { file: csv, scale_min, scale_max, mean_min, mean_max, std_min, std_max } => {
                let opts = azure::AzureOptions {
                    scale_min: *scale_min,
                    scale_max: *scale_max,
                    mean: (*mean_min, *mean_max),
                    std: (*std_min, *std_max),
                };
                Generator::Azure(azure::AzurePool::load(file, &base_dir.join(csv), opts)?)
            }
        };
        Ok(Workload { spec: self.clone(), generator })
    }
}

impl Workload {
    /// Input counts `[agent][slot]` for one episode: `n_agents` traces of
    /// exactly `max_steps` slots, a function of the generator's state only.
    pub fn generate(&self, n_agents: usize, max_steps: usize, slot_seconds: f64, rng: &mut SimRng) -> Vec<Vec<u32>> {
        let (n, steps, slot) = (n_agents, max_steps, slot_seconds);
        match &self.generator {
            Generator::Paper(g) => g.generate(n, steps, rng),
            Generator::Master(g) => g.generate(n, steps, rng),
            Generator::Normal(g) => g.generate(n, steps, slot, rng),
            Generator::Rates(g) => g.generate(n, steps, slot),
            Generator::Bursts(g) => g.generate(n, steps, slot, rng),
            Generator::Trace(g) => g.generate(n, steps, rng),
            Generator::Azure(g) => g.generate(n, steps, slot, rng),
        }
    }

    /// The spec this workload was loaded from.
    pub fn spec(&self) -> &WorkloadSpec {
        &self.spec
    }
}

#[cfg(test)]
mod tests;
