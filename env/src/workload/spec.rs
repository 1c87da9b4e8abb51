//! The `[workload]` table of a scenario file: which generator, with which
//! parameters (explicit units, defaults reproduce marl-dfaas).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::per_node::PerNode;

/// A workload as written in a scenario file (`kind = "…"`).
///
/// The two fidelity generators (`sinusoidal-paper`, `sinusoidal-master`) and
/// the file-based ones (`trace`, `azure`) produce **counts per slot**, as
/// marl-dfaas does; the other generators take **rates in requests per
/// second** (`*_rps`) and times in seconds (`*_s`), converted to counts with
/// the scenario's slot length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum WorkloadSpec {
    /// The published (IPDPSW 2025, `paise2025`) input: per agent, `periods`
    /// periods drawn uniformly in `[period_min_slots, period_max_slots)`, each
    /// covering an equal part of the episode; `mean + amplitude·sin(2πt/period)
    /// + N(0, noise_std)`, truncated to an integer and clipped to `[min, max]`.
    SinusoidalPaper {
        /// Number of periods per episode (3).
        #[serde(default = "d_paper_periods")]
        periods: usize,
        /// Lower bound of a period, slots (15).
        #[serde(default = "d_paper_period_min")]
        period_min_slots: f64,
        /// Upper bound (exclusive) of a period, slots (100).
        #[serde(default = "d_paper_period_max")]
        period_max_slots: f64,
        /// Offset, requests per slot (50).
        #[serde(default = "d_paper_mean")]
        mean: f64,
        /// Amplitude, requests per slot (100).
        #[serde(default = "d_paper_amplitude")]
        amplitude: f64,
        /// Noise standard deviation, requests per slot (10: upstream's
        /// `0.1·N(0, 100)`).
        #[serde(default = "d_paper_noise_std")]
        noise_std: f64,
        /// Lowest count per slot (0).
        #[serde(default = "d_paper_min")]
        min: u32,
        /// Highest count per slot (150).
        #[serde(default = "d_max")]
        max: u32,
    },
    /// The marl-dfaas master input: per agent i of N, noise level
    /// `u_i ~ U[noise_min, noise_max)`, phase `2πi/N`,
    /// `round(mean + amplitude·sin(2πt/period + φ_i) + u_i·N(0, noise_std))`
    /// clipped to `[min, max]`, traces permuted among agents, then (if
    /// `scale_down`) every slot whose total exceeds `scale_down_per_agent·N`
    /// is scaled down to exactly that total.
    SinusoidalMaster {
        /// Offset, requests per slot (70).
        #[serde(default = "d_master_mean")]
        mean: f64,
        /// Amplitude, requests per slot (65).
        #[serde(default = "d_master_amplitude")]
        amplitude: f64,
        /// Standard deviation of the unit noise, requests per slot (65).
        #[serde(default = "d_master_noise_std")]
        noise_std: f64,
        /// Lower bound of the per-agent noise level (0.05).
        #[serde(default = "d_master_noise_min")]
        noise_min: f64,
        /// Upper bound of the per-agent noise level (0.1).
        #[serde(default = "d_master_noise_max")]
        noise_max: f64,
        /// Period, slots (default: the episode length, one period per episode).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        period_slots: Option<f64>,
        /// Lowest count per slot (1).
        #[serde(default = "d_master_min")]
        min: u32,
        /// Highest count per slot (150).
        #[serde(default = "d_max")]
        max: u32,
        /// Permute the traces among agents (true).
        #[serde(default = "d_true")]
        permute: bool,
        /// Apply marl-dfaas's `scale_down` (true).
        #[serde(default = "d_true")]
        scale_down: bool,
        /// Cap of the total per slot, per agent, requests per slot (63).
        #[serde(default = "d_scale_down_per_agent")]
        scale_down_per_agent: u32,
    },
    /// Independent normal rates per slot, clipped to `[min_rps, max_rps]`
    /// (defaults: marl-dfaas `synthetic-normal`, N(61, 32) clipped to [1, 150],
    /// here in requests per second).
    Normal {
        /// Mean, requests per second (61).
        #[serde(default = "d_normal_mean")]
        mean_rps: PerNode<f64>,
        /// Standard deviation, requests per second (32).
        #[serde(default = "d_normal_std")]
        std_rps: PerNode<f64>,
        /// Lower clip, requests per second (1).
        #[serde(default = "d_normal_min")]
        min_rps: PerNode<f64>,
        /// Upper clip, requests per second (150).
        #[serde(default = "d_normal_max")]
        max_rps: PerNode<f64>,
    },
    /// A constant rate per node, requests per second.
    Constant {
        /// Rate, requests per second (required).
        rate_rps: PerNode<f64>,
    },
    /// A step change: `before_rps` until `at_s`, `after_rps` from then on.
    Step {
        /// Rate before the change, requests per second (required).
        before_rps: PerNode<f64>,
        /// Rate after the change, requests per second (required).
        after_rps: PerNode<f64>,
        /// Time of the change from the episode start, seconds (default: the
        /// start of slot `max_steps / 2`, as marl-dfaas).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_s: Option<f64>,
    },
    /// Linear growth (or decline) from `from_rps` in the first slot to
    /// `to_rps` in the last slot.
    Linear {
        /// Rate in the first slot, requests per second (required).
        from_rps: PerNode<f64>,
        /// Rate in the last slot, requests per second (required).
        to_rps: PerNode<f64>,
    },
    /// On/off bursts: Poisson arrivals at `on_rate_rps` during ON periods and
    /// `off_rate_rps` during OFF periods; ON and OFF durations exponential
    /// with means `mean_on_s` and `mean_off_s`; agents independent.
    Bursts {
        /// Arrival rate while ON, requests per second (required).
        on_rate_rps: PerNode<f64>,
        /// Arrival rate while OFF, requests per second (0).
        #[serde(default = "d_zero")]
        off_rate_rps: PerNode<f64>,
        /// Mean ON duration, seconds (required, at least 0.001).
        mean_on_s: PerNode<f64>,
        /// Mean OFF duration, seconds (required, at least 0.001).
        mean_off_s: PerNode<f64>,
    },
    /// A per-node CSV of counts per slot: a header row, one row per slot, one
    /// column per node. An episode longer than the trace wraps around.
    Trace {
        /// CSV file, relative to the scenario's folder.
        file: PathBuf,
        /// Header names of the columns to use, in agent order (default: the
        /// first N columns).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        columns: Option<Vec<String>>,
        /// Factor applied to every cell, then rounded (1).
        #[serde(default = "d_one")]
        scale: f64,
        /// Start each episode at a row drawn from the episode's generator
        /// instead of the first row (false).
        #[serde(default)]
        random_offset: bool,
    },
    /// A pool of trace files for any number of nodes: every column of every
    /// file (header row, one row per slot, counts) is one series; each
    /// episode gives each node a series drawn from the pool with the
    /// episode's generator, scaled by the node's `scale` and, with
    /// `random_offset`, started at a row drawn per episode (the same row for
    /// every node). A series shorter than the episode wraps around.
    TracePool {
        /// CSV files, relative to the scenario's folder.
        files: Vec<PathBuf>,
        /// Header names of columns that are not series (a slot index, a time).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        exclude: Vec<String>,
        /// Factor applied to a node's counts, then rounded (1; per node or drawn).
        #[serde(default = "d_one_per_node")]
        scale: PerNode<f64>,
        /// Start each episode at a row drawn from the episode's generator (false).
        #[serde(default)]
        random_offset: bool,
    },
    /// Azure Functions 2019 invocations-per-minute CSV
    /// (`HashOwner,HashApp,HashFunction,Trigger,1,…,1440`): HTTP-triggered
    /// functions, re-binned to the slot length, min-max scaled to
    /// `[scale_min, scale_max]` counts per slot, optionally selected by the
    /// mean and standard deviation of the scaled series, assigned to nodes
    /// with the episode's generator.
    Azure {
        /// CSV file, relative to the scenario's folder.
        file: PathBuf,
        /// Scaled minimum, requests per slot (0).
        #[serde(default = "d_zero_f")]
        scale_min: f64,
        /// Scaled maximum, requests per slot (150).
        #[serde(default = "d_max_f")]
        scale_max: f64,
        /// Keep functions whose scaled mean is at least this (none; marl-dfaas: 30).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mean_min: Option<f64>,
        /// Keep functions whose scaled mean is at most this (none; marl-dfaas: 130).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mean_max: Option<f64>,
        /// Keep functions whose scaled standard deviation is at least this (none; marl-dfaas: 10).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        std_min: Option<f64>,
        /// Keep functions whose scaled standard deviation is at most this (none; marl-dfaas: 60).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        std_max: Option<f64>,
    },
}

impl WorkloadSpec {
    /// The generator's name as written after `kind =`.
    pub fn kind(&self) -> &'static str {
        match self {
            WorkloadSpec::SinusoidalPaper { .. } => "sinusoidal-paper",
            WorkloadSpec::SinusoidalMaster { .. } => "sinusoidal-master",
            WorkloadSpec::Normal { .. } => "normal",
            WorkloadSpec::Constant { .. } => "constant",
            WorkloadSpec::Step { .. } => "step",
            WorkloadSpec::Linear { .. } => "linear",
            WorkloadSpec::Bursts { .. } => "bursts",
            WorkloadSpec::Trace { .. } => "trace",
            WorkloadSpec::TracePool { .. } => "trace-pool",
            WorkloadSpec::Azure { .. } => "azure",
        }
    }

    /// The upstream `sinusoidal-paper` generator with its defaults.
    pub fn sinusoidal_paper() -> Self {
        WorkloadSpec::SinusoidalPaper {
            periods: d_paper_periods(),
            period_min_slots: d_paper_period_min(),
            period_max_slots: d_paper_period_max(),
            mean: d_paper_mean(),
            amplitude: d_paper_amplitude(),
            noise_std: d_paper_noise_std(),
            min: d_paper_min(),
            max: d_max(),
        }
    }

    /// The upstream `sinusoidal-master` generator with its defaults.
    pub fn sinusoidal_master() -> Self {
        WorkloadSpec::SinusoidalMaster {
            mean: d_master_mean(),
            amplitude: d_master_amplitude(),
            noise_std: d_master_noise_std(),
            noise_min: d_master_noise_min(),
            noise_max: d_master_noise_max(),
            period_slots: None,
            min: d_master_min(),
            max: d_max(),
            permute: true,
            scale_down: true,
            scale_down_per_agent: d_scale_down_per_agent(),
        }
    }
}

macro_rules! defaults {
    ($($name:ident: $t:ty = $v:expr;)*) => { $(fn $name() -> $t { $v })* };
}

defaults! {
    d_paper_periods: usize = 3;
    d_paper_period_min: f64 = 15.0;
    d_paper_period_max: f64 = 100.0;
    d_paper_mean: f64 = 50.0;
    d_paper_amplitude: f64 = 100.0;
    d_paper_noise_std: f64 = 10.0;
    d_paper_min: u32 = 0;
    d_max: u32 = 150;
    d_master_mean: f64 = 70.0;
    d_master_amplitude: f64 = 65.0;
    d_master_noise_std: f64 = 65.0;
    d_master_noise_min: f64 = 0.05;
    d_master_noise_max: f64 = 0.1;
    d_master_min: u32 = 1;
    d_true: bool = true;
    d_scale_down_per_agent: u32 = 63;
    d_normal_mean: PerNode<f64> = PerNode::One(61.0);
    d_normal_std: PerNode<f64> = PerNode::One(32.0);
    d_normal_min: PerNode<f64> = PerNode::One(1.0);
    d_normal_max: PerNode<f64> = PerNode::One(150.0);
    d_zero: PerNode<f64> = PerNode::One(0.0);
    d_one: f64 = 1.0;
    d_one_per_node: PerNode<f64> = PerNode::One(1.0);
    d_zero_f: f64 = 0.0;
    d_max_f: f64 = 150.0;
}
