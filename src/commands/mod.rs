//! One module per verb.

pub mod agent;
pub mod cluster;
pub mod compare;
pub mod deploy;
pub mod evaluate;
pub mod export;
pub mod import;
pub mod loadgen;
pub mod report;
pub mod scenario;
pub mod serve_policy;
pub mod sim2real;
pub mod simulate;
pub mod train;

use std::path::Path;

use anyhow::{Result, bail};
use dfaas_env::Scenario;
use dfaas_reports::Document;

/// Loads a scenario file.
pub fn load(path: &Path) -> Result<Scenario> {
    Ok(Scenario::load(path)?)
}

/// Prints a command's report: one tagged JSON document with `--json`
/// (`dfaas_reports::document`), else the text `text` renders.
pub fn print_report<R: Into<Document>>(report: R, json: bool, text: impl FnOnce(&R) -> String) -> Result<()> {
    if json { emit(&format!("{}\n", report.into().to_json_pretty())) } else { emit(&text(&report)) }
}

/// Writes `text` to stdout; a reader that has gone (`dfaas … | head`) ends
/// the output quietly instead of a panic; any other write error (a full
/// disk) is an error.
pub fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow::anyhow!("writing the output: {e}")),
        Ok(()) => Ok(()),
    }
}

/// On SIGINT or SIGTERM: kill every agent started so far, remove the
/// network namespaces made so far (`--netns`), and exit non-zero (130 or
/// 143). Agents also die with this process (`PR_SET_PDEATHSIG`).
#[cfg(unix)]
pub fn stop_agents_on_signal(who: &'static str) -> Result<()> {
    use anyhow::Context;
    use tokio::signal::unix::{SignalKind, signal};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("signal runtime")?;
    // Registered here, before any agent starts; awaited on a thread of its own.
    let (mut int, mut term) = rt.block_on(async {
        Ok::<_, std::io::Error>((signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?))
    })?;
    std::thread::Builder::new()
        .name("dfaas-signals".into())
        .spawn(move || {
            let code = rt.block_on(async {
                tokio::select! {
                    _ = int.recv() => 130,
                    _ = term.recv() => 143,
                }
            });
            let n = dfaas_live::cluster::kill_registered();
            let removed = dfaas_live::cluster::netns::remove_registered();
            eprintln!("{who}: interrupted; stopped {n} agent(s)");
            if removed > 0 {
                eprintln!("{who}: removed {removed} network namespace(s), veth pair(s) and bridge(s)");
            }
            std::process::exit(code);
        })
        .context("starting the signal thread")?;
    Ok(())
}

/// No signal handling off Unix (agents are killed on drop).
#[cfg(not(unix))]
pub fn stop_agents_on_signal(_who: &'static str) -> Result<()> {
    Ok(())
}

/// `--netns` / `--no-shaping`, for the commands that start agents.
#[derive(clap::Args)]
pub struct NetnsArgs {
    /// Each agent in its own Linux network namespace, every node's egress
    /// delayed by the scenario's access delay and limited to its bandwidth
    /// (tc netem; in user space through TUN devices where the kernel has no
    /// netem); needs root. Created and removed by the command.
    #[arg(long)]
    pub netns: bool,
    /// With --netns: no delays or rate limits.
    #[arg(long, requires = "netns")]
    pub no_shaping: bool,
}

/// Whether to draw progress bars (stderr is a terminal and output is not JSON).
pub fn progress(json: bool) -> bool {
    !json && std::io::IsTerminal::is_terminal(&std::io::stderr())
}

/// Options shared by `compare` and `evaluate`.
#[derive(clap::Args)]
pub struct EvalOpts {
    /// Number of evaluation episodes (default: the scenario's).
    #[arg(long)]
    pub episodes: Option<usize>,
    /// Seed of the evaluation episode list (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also print per-node mean rates.
    #[arg(long)]
    pub per_node: bool,
}

/// Workload episode seeds: `n` from `--seed`, else the scenario's evaluation seeds.
pub fn evaluation_seeds(scenario: &Scenario, seed: Option<u64>, n: usize) -> Result<Vec<u64>> {
    if n == 0 {
        bail!("--episodes must be at least 1");
    }
    Ok(dfaas_experiments::evaluation::evaluation_seeds(scenario, seed, n)?)
}
