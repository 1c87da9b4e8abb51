//! `dfaas`: the one command-line interface. Thin dispatch to the crates.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    Simulate(commands::simulate::Args),
    /// Evaluate policies on the same evaluation episodes, with the upper reference.
    Compare(commands::compare::Args),
    /// Train per-node policies with multi-agent PPO in the simulator.
    Train(commands::train::Args),
    /// Export a training run's latest checkpoint as a deployable policy file.
    Export(commands::export::Args),
    /// Write a scenario from another tool's config (`import marl-dfaas FILE --out S.toml`).
    Import(commands::import::Args),
    /// A learned policy beside every heuristic and the upper reference (or one policy live).
    Evaluate(commands::evaluate::Args),
    /// One policy in the simulator and on a live local cluster, side by side with the gap.
    Sim2real(commands::sim2real::Args),
    /// Run one live node (gateway with weights from its config).
    Agent(commands::agent::Args),
    /// Open-loop HTTP load at a constant rate, with a latency report.
    Loadgen(commands::loadgen::Args),
    /// Run a scenario live: N agents on 127.0.0.1 driven by its workload.
    Cluster(commands::cluster::Args),
    /// Answer upstream DFaaS agents' RL-model requests (`POST /action`) with our policies.
    ServePolicy(commands::serve_policy::Args),
    /// Figures (PNG, SVG) and a Markdown summary of a run folder or result file.
    Report(commands::report::Args),
    /// Scenario files: `expand FILE` writes a generated one out explicitly.
    Scenario(commands::scenario::Args),
    /// Deploy a scenario's federation beyond one machine (`deploy kubernetes`: manifests).
    Deploy(commands::deploy::Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Simulate(a) => commands::simulate::run(a),
        Command::Compare(a) => commands::compare::run(a),
        Command::Train(a) => commands::train::run(a),
        Command::Export(a) => commands::export::run(a),
        Command::Import(a) => commands::import::run(a),
        Command::Evaluate(a) => commands::evaluate::run(a),
        Command::Sim2real(a) => commands::sim2real::run(a),
        Command::Agent(a) => commands::agent::run(a),
        Command::Loadgen(a) => commands::loadgen::run(a),
        Command::Cluster(a) => commands::cluster::run(a),
        Command::ServePolicy(a) => commands::serve_policy::run(a),
        Command::Report(a) => commands::report::run(a),
        Command::Scenario(a) => commands::scenario::run(a),
        Command::Deploy(a) => commands::deploy::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, as `{:#}` writes them, without a
/// cause its outer message already quotes ("x.toml: cannot read: No such
/// file" is not followed by "No such file" again).
fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use anyhow::Context;

    #[test]
    fn causes_already_quoted_are_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let e = anyhow::Error::new(dfaas_env::ConfigError::Io { file: "x.toml".into(), source: io });
        assert_eq!(super::error_text(&e), "x.toml: cannot read: No such file");
        let e = Err::<(), _>(std::io::Error::other("disk full")).context("writing out.csv").unwrap_err();
        assert_eq!(super::error_text(&e), "writing out.csv: disk full");
    }
}
