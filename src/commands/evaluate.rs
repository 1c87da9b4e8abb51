//! `dfaas evaluate`: a learned policy beside every heuristic and the upper reference.

use std::path::PathBuf;

use anyhow::Result;
use dfaas_experiments::Contender;

#[derive(clap::Args)]
pub struct Args {
    /// Learned policy file (from `dfaas export`).
    #[arg(long)]
    model: PathBuf,
    /// Scenario file (TOML).
    #[arg(long)]
    scenario: PathBuf,
    #[command(flatten)]
    opts: super::EvalOpts,
}

pub fn run(a: Args) -> Result<()> {
    let scenario = super::load(&a.scenario)?;
    let mut contenders = vec![Contender::learned(&a.model)?];
    for n in dfaas_policies::heuristic_names() {
        contenders.push(Contender::parse(n)?);
    }
    super::compare::report(&scenario, contenders, &a.opts, a.opts.per_node)
}
