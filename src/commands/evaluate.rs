//! `dfaas evaluate`: a learned policy beside every heuristic and the upper
//! reference; with `--live`, one policy (heuristic or learned) on a live
//! local cluster for the scenario, in the same table.

use std::path::PathBuf;

use anyhow::{Result, bail};
use dfaas_live::live_env::LiveReport;

#[derive(clap::Args)]
pub struct Args {
    /// Learned policy file (from `dfaas export`).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Scenario file (TOML).
    #[arg(long)]
    scenario: PathBuf,
    /// Run live: agents on 127.0.0.1 driven through the live environment.
    #[arg(long)]
    live: bool,
    /// With --live: a heuristic policy instead of --model.
    #[arg(long, requires = "live", conflicts_with = "model")]
    policy: Option<String>,
    #[command(flatten)]
    live_opts: super::sim2real::LiveArgs,
    #[command(flatten)]
    opts: super::EvalOpts,
}

pub fn run(a: Args) -> Result<()> {
    let scenario = super::load(&a.scenario)?;
    if a.live {
        return live(&a, &scenario);
    }
    let Some(model) = &a.model else {
        bail!("give --model FILE (or --live with --policy NAME or --model FILE)");
    };
    let contenders = dfaas_experiments::evaluation::evaluate_contenders(model)?;
    super::compare::report(&scenario, contenders, &a.opts, a.opts.per_node)
}

fn live(a: &Args, scenario: &dfaas_env::Scenario) -> Result<()> {
    let contender = super::sim2real::contender(a.policy.as_deref(), a.model.as_deref())?;
    let seeds = super::evaluation_seeds(scenario, a.opts.seed, a.opts.episodes.unwrap_or(1))?;
    let mut env = a.live_opts.start(scenario)?;
    let report = LiveReport::run(&mut env, &contender, &seeds)?;
    drop(env);
    super::print_report(report, a.opts.json, |r| r.to_text(true))
}
