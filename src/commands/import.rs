//! `dfaas import marl-dfaas FILE --out scenario.toml`: a marl-dfaas
//! environment config (master YAML or paise2025 JSON) as a scenario file.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use dfaas_experiments::import::{Flavour, ImportOptions, MasterOptions, PaiseOptions, Units, import};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    source: Source,
}

#[derive(clap::Subcommand)]
enum Source {
    /// A marl-dfaas env config: master's YAML (serverless model) or
    /// paise2025's JSON (queue model), told by the extension unless --flavour says.
    MarlDfaas(MarlArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FlavourArg {
    Master,
    Paise2025,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum UnitsArg {
    /// Upstream's service times read as milliseconds (its comments): preset `seconds`.
    Seconds,
    /// As upstream feeds them to its model (seconds): preset `master-as-is`.
    AsIs,
}

#[derive(clap::Args)]
struct MarlArgs {
    /// The config file.
    file: PathBuf,
    /// Where to write the scenario (TOML).
    #[arg(long)]
    out: PathBuf,
    /// The scenario's name (default: the file stem).
    #[arg(long)]
    name: Option<String>,
    /// master or paise2025 (default: `.yaml`/`.yml` master, `.json` paise2025).
    #[arg(long, value_enum)]
    flavour: Option<FlavourArg>,
    /// master: how service times are read.
    #[arg(long, value_enum, default_value = "seconds")]
    units: UnitsArg,
    /// paise2025: this simulator's per-neighbour action instead of the published 3-way split.
    #[arg(long)]
    per_neighbor: bool,
}

pub fn run(a: Args) -> Result<()> {
    let Source::MarlDfaas(m) = a.source;
    let flavour = match m.flavour {
        Some(FlavourArg::Master) => Flavour::Master,
        Some(FlavourArg::Paise2025) => Flavour::Paise2025,
        None => match Flavour::of(&m.file) {
            Some(f) => f,
            None => bail!(
                "{}: say --flavour master or paise2025 (the extension is neither .yaml nor .json)",
                m.file.display()
            ),
        },
    };
    let opts = ImportOptions {
        name: m.name.clone(),
        master: MasterOptions {
            units: match m.units {
                UnitsArg::Seconds => Units::Seconds,
                UnitsArg::AsIs => Units::AsIs,
            },
        },
        paise: PaiseOptions { per_neighbor: m.per_neighbor },
    };
    let toml = import(&m.file, flavour, &m.out, &opts)?;
    std::fs::write(&m.out, &toml).with_context(|| format!("writing {}", m.out.display()))?;
    println!("wrote {} from {}", m.out.display(), m.file.display());
    Ok(())
}
