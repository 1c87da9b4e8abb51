//! `dfaas`: the one command-line interface. Thin dispatch to the crates.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use dfaas_env::Scenario;
use dfaas_env::seeds::SeedSequence;
use dfaas_experiments::Contender;

#[derive(Parser)]
#[command(
    name = "dfaas",
    version,
    about = "Decentralized FaaS federation for edge nodes: simulate, compare, train, deploy"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Play episodes of one policy; per-slot table (one episode) or per-episode summary.
    Simulate(SimulateArgs),
    /// Evaluate policies on the same evaluation episodes, with the upper reference.
    Compare(CompareArgs),
}

#[derive(Args)]
struct SimulateArgs {
    /// Scenario file (TOML).
    #[arg(long)]
    scenario: PathBuf,
    /// Policy: a heuristic (`name` or `name:key=value,…`), `oracle` or `global-node`.
    #[arg(long, default_value = "all-local")]
    policy: String,
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

#[derive(Args)]
struct CompareArgs {
    /// Scenario file (TOML).
    #[arg(long)]
    scenario: PathBuf,
    /// Comma-separated policies (default: every heuristic).
    #[arg(long, value_delimiter = ',')]
    policies: Option<Vec<String>>,
    /// Number of evaluation episodes (default: the scenario's).
    #[arg(long)]
    episodes: Option<usize>,
    /// Seed of the evaluation episode list (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
    /// Also print per-node mean rates (on by default for a single policy).
    #[arg(long)]
    per_node: bool,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Simulate(a) => simulate(a),
        Command::Compare(a) => compare(a),
    }
}

fn load(path: &PathBuf) -> Result<Scenario> {
    Ok(Scenario::load(path)?)
}

fn simulate(a: SimulateArgs) -> Result<()> {
    if a.episodes == 0 {
        bail!("--episodes must be at least 1");
    }
    let scenario = load(&a.scenario)?;
    let contender = Contender::parse(&a.policy)?;
    let mut seq = SeedSequence::new(a.seed.unwrap_or(scenario.seeds.master));
    let seeds: Vec<u64> = (0..a.episodes).map(|_| seq.next_seed()).collect();
    let report = dfaas_experiments::simulate::simulate(
        &scenario,
        &contender,
        &seeds,
        a.csv.as_deref(),
        !a.json && std::io::IsTerminal::is_terminal(&std::io::stderr()),
    )?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("serialising the report")?
        );
    } else {
        print!("{}", report.to_text());
        if let Some(p) = &a.csv {
            println!("per-slot rows written to {}", p.display());
        }
    }
    Ok(())
}

fn compare(a: CompareArgs) -> Result<()> {
    let scenario = load(&a.scenario)?;
    let per_node = a.per_node || a.policies.as_ref().is_some_and(|p| p.len() == 1);
    let names: Vec<String> = match a.policies {
        Some(p) => p
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        None => dfaas_policies::heuristic_names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let mut contenders = names
        .iter()
        .map(|n| Contender::parse(n))
        .collect::<Result<Vec<_>, _>>()?;
    let sim = dfaas_env::Simulator::new(&scenario)?;
    let upper = Contender::upper_reference(&sim);
    if !contenders.iter().any(|c| c.name() == upper.name()) {
        contenders.push(upper);
    }
    let n = a
        .episodes
        .unwrap_or_else(|| scenario.evaluation_seeds().len());
    if n == 0 {
        bail!("--episodes must be at least 1");
    }
    let seeds = match a.seed {
        Some(s) => dfaas_env::seeds::evaluation_seeds(s, n),
        None => {
            let mut base = scenario.evaluation_seeds();
            if base.len() < n {
                base = dfaas_env::seeds::evaluation_seeds(scenario.seeds.master, n);
            }
            base.truncate(n);
            base
        }
    };
    let progress = !a.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let report = dfaas_experiments::compare(&scenario, &contenders, &seeds, progress)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("serialising the report")?
        );
    } else {
        print!("{}", dfaas_experiments::table::compare_table(&report));
        if per_node {
            print!("{}", dfaas_experiments::table::node_table(&report));
        }
    }
    Ok(())
}
