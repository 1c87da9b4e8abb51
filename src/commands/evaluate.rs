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
    /// Number of evaluation episodes (default: the scenario's).
    #[arg(long)]
    episodes: Option<usize>,
    /// Seed of the evaluation episode list (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
    /// Also print per-node mean rates.
    #[arg(long)]
    per_node: bool,
}

pub fn run(a: Args) -> Result<()> {
    let scenario = super::load(&a.scenario)?;
    let mut contenders = vec![Contender::learned(&a.model)?];
    for n in dfaas_policies::heuristic_names() {
        contenders.push(Contender::parse(n)?);
    }
    super::compare::report(&scenario, contenders, a.episodes, a.seed, a.json, a.per_node)
}
