//! `dfaas export`.

use std::path::PathBuf;

use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {
    /// Training run directory.
    #[arg(long)]
    run: PathBuf,
    /// Output file (`.dfpolicy` is added when it has no extension).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: Args) -> Result<()> {
    let out = dfaas_training::export::export_run(&a.run, &a.out)?;
    let file = dfaas_policies::PolicyFile::read(&out)?;
    println!(
        "wrote {} ({} bytes): {:?} encoding, {} network(s), scenario {}",
        out.display(),
        std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0),
        file.meta.encoding,
        file.meta.networks.len(),
        file.meta.scenario
    );
    Ok(())
}
