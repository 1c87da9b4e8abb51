//! `dfaas report PATH`: figures (PNG and SVG) and a Markdown summary.

use std::path::PathBuf;

use anyhow::Result;
use dfaas_reports::plot::{ReportOptions, write_report};

#[derive(clap::Args)]
pub struct Args {
    /// A training run folder (with scalars.csv), a results folder, or one
    /// file: the --json output of cluster, compare, evaluate, simulate or
    /// sim2real, or the per-slot CSV of simulate --csv.
    path: PathBuf,
    /// Output folder (default: the folder given, or the file's folder).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Slot length in seconds of per-slot CSVs: plot requests per second
    /// instead of requests per slot.
    #[arg(long)]
    slot_seconds: Option<f64>,
    /// Episode of per-slot CSVs to plot (default: the first in the file).
    #[arg(long)]
    episode: Option<u64>,
    /// Scenario of per-slot CSVs: their slot length (unless --slot-seconds)
    /// and, for the capacity model, the nodes' capacities.
    #[arg(long)]
    scenario: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    let opts = ReportOptions { out: a.out, slot_seconds: a.slot_seconds, episode: a.episode, scenario: a.scenario };
    let r = write_report(&a.path, &opts)?;
    for (file, kind) in &r.inputs {
        println!("read {} as a {kind}", file.display());
    }
    for f in &r.figures {
        println!("wrote {}", f.display());
    }
    println!("wrote {}", r.markdown.display());
    Ok(())
}
