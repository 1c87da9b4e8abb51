//! `dfaas compare`.

use std::path::PathBuf;

use anyhow::Result;
use dfaas_env::Scenario;
use dfaas_experiments::Contender;

#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML).
    #[arg(long)]
    scenario: PathBuf,
    /// Comma-separated policies (default: every heuristic).
    #[arg(long, value_delimiter = ',')]
    policies: Option<Vec<String>>,
    /// Learned policy files to include (repeatable).
    #[arg(long)]
    model: Vec<PathBuf>,
    /// Evaluation options (per-node rates are on by default for a single policy).
    #[command(flatten)]
    opts: super::EvalOpts,
}

pub fn run(a: Args) -> Result<()> {
    let scenario = super::load(&a.scenario)?;
    let per_node = a.opts.per_node || a.policies.as_ref().is_some_and(|p| p.len() == 1);
    let contenders = dfaas_experiments::evaluation::compare_contenders(&a.model, a.policies.as_deref())?;
    report(&scenario, contenders, &a.opts, per_node)
}

/// Runs `contenders` plus the references (stale oracle and oracle, or the
/// global node) and prints the table or JSON.
pub fn report(scenario: &Scenario, contenders: Vec<Contender>, opts: &super::EvalOpts, per_node: bool) -> Result<()> {
    let json = opts.json;
    let report = dfaas_experiments::evaluation::compare_document(
        scenario,
        contenders,
        opts.episodes,
        opts.seed,
        super::progress(json),
    )?;
    super::print_report(report, json, |r| {
        let mut text = dfaas_experiments::table::compare_table(r);
        if per_node {
            text += &dfaas_experiments::table::node_table(r);
        }
        if !r.paired.is_empty() {
            text += &dfaas_experiments::paired::paired_table(&r.paired);
        }
        text
    })
}
