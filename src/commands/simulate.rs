//! `dfaas simulate`.

use std::path::PathBuf;

use anyhow::{Result, bail};
use dfaas_env::seeds::SeedSequence;
use dfaas_experiments::Contender;

#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML).
    #[arg(long)]
    scenario: PathBuf,
    /// Policy: a heuristic (`name` or `name:key=value,…`), `oracle` or `global-node`.
    #[arg(long, default_value = "all-local")]
    policy: String,
    /// A learned policy file instead of `--policy`.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Seed of the episode sequence (default: the scenario's master seed).
    #[arg(long)]
    seed: Option<u64>,
    /// Number of episodes.
    #[arg(long, default_value_t = 1)]
    episodes: usize,
    /// Write one row per slot and agent to this CSV file.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Print one JSON document instead of tables.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<()> {
    if a.episodes == 0 {
        bail!("--episodes must be at least 1");
    }
    let scenario = super::load(&a.scenario)?;
    let contender = match &a.model {
        Some(m) => Contender::learned(m)?,
        None => Contender::parse(&a.policy)?,
    };
    let mut seq = SeedSequence::new(a.seed.unwrap_or(scenario.seeds.master));
    let seeds: Vec<u64> = (0..a.episodes).map(|_| seq.next_seed()).collect();
    let report = dfaas_experiments::simulate::simulate(
        &scenario,
        &contender,
        &seeds,
        a.csv.as_deref(),
        super::progress(a.json),
    )?;
    super::print_report(report, a.json, |r| {
        let mut text = r.to_text();
        if let Some(p) = &a.csv {
            text += &format!("per-slot rows written to {}\n", p.display());
        }
        text
    })
}
