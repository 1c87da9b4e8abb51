//! `dfaas scenario`: work on scenario files (`expand`: a generated topology
//! and per-node draws written out explicitly).

use std::path::PathBuf;

use anyhow::Result;
use dfaas_env::Scenario;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Print the scenario with its topology as `nodes` / `adjacency` lines and
    /// every per-node draw as its values (loading it gives the same federation).
    Expand {
        /// The scenario file.
        file: PathBuf,
    },
}

pub fn run(a: Args) -> Result<()> {
    match a.action {
        Action::Expand { file } => {
            let s = Scenario::load(&file)?;
            super::emit(&s.expanded_toml()?)
        }
    }
}
