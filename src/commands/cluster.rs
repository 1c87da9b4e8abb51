//! `dfaas cluster --scenario F`: a live federation of `dfaas agent` processes
//! on 127.0.0.1, driven by the scenario's workload (capacity-model scenarios).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use dfaas_live::cluster::{Choice, ClusterOpts, run_cluster};

#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (`capacity` or `serverless` model).
    #[arg(long)]
    scenario: PathBuf,
    /// Slot length of the agents and of the load, seconds.
    #[arg(long, default_value_t = 1.0)]
    slot_seconds: f64,
    /// Slots of load (default: the scenario's max_steps, at most 60).
    #[arg(long)]
    slots: Option<usize>,
    /// Heuristic policy of every agent (default slack-proportional).
    #[arg(long, conflicts_with = "model")]
    policy: Option<String>,
    /// Learned policy file exported by `dfaas export`.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Workload episode seed (default: the scenario's first evaluation seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Folder for configs, keys and agent logs (kept); default a temporary one.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Longest wait for the federation to form, seconds.
    #[arg(long, default_value_t = 20.0)]
    ready_timeout: f64,
    #[command(flatten)]
    net: super::NetnsArgs,
    /// Print one JSON document instead of tables.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<()> {
    if !(a.ready_timeout.is_finite() && a.ready_timeout > 0.0) {
        bail!("--ready-timeout must be > 0");
    }
    let choice = match (a.policy, a.model) {
        (_, Some(m)) => Choice::Model(m),
        (p, None) => Choice::Policy(p.unwrap_or_else(|| "slack-proportional".into())),
    };
    let opts = ClusterOpts {
        scenario: a.scenario,
        slot_seconds: a.slot_seconds,
        slots: a.slots,
        choice,
        out: a.out,
        exe: std::env::current_exe().context("locating the dfaas binary")?,
        seed: a.seed,
        ready_timeout: Duration::from_secs_f64(a.ready_timeout),
        netns: a.net.netns,
        no_shaping: a.net.no_shaping,
    };
    super::stop_agents_on_signal("dfaas cluster")?;
    let report = run_cluster(&opts)?;
    super::print_report(report, a.json, |r| r.to_text())
}
