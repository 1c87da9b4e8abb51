//! `dfaas import marl-dfaas`: marl-dfaas environment configs as scenario
//! files. The master branch's YAML (`DFaaSConfig` keys, serverless model) and
//! the paise2025 branch's JSON (queue model) are read with every key known:
//! an unknown key is an error naming it, and a value this simulator cannot
//! reproduce is an error saying why, never silently dropped.

mod master;
mod paise;

use std::path::Path;

pub use master::{MasterOptions, Units};
pub use paise::PaiseOptions;

/// Why a config cannot be imported; the message names the file and the key.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct ImportError {
    pub file: String,
    pub reason: String,
}

/// Which marl-dfaas config format a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// master: YAML, serverless model.
    Master,
    /// paise2025: JSON, queue model.
    Paise2025,
}

impl Flavour {
    /// The flavour a file's extension says (`.yaml`/`.yml`: master, `.json`: paise2025).
    pub fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "yaml" | "yml" => Some(Self::Master),
            "json" => Some(Self::Paise2025),
            _ => None,
        }
    }
}

/// Options of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The scenario's name (default: the file stem).
    pub name: Option<String>,
    pub master: MasterOptions,
    pub paise: PaiseOptions,
}

/// Reads the marl-dfaas config at `path` and returns the scenario TOML,
/// checked by loading it as if it were written at `out`.
pub fn import(path: &Path, flavour: Flavour, out: &Path, opts: &ImportOptions) -> Result<String, ImportError> {
    let file = path.display().to_string();
    let err = |reason: String| ImportError { file: file.clone(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
    let name = opts.name.clone().unwrap_or_else(|| {
        path.file_stem().map(|s| s.to_string_lossy().replace('_', "-")).unwrap_or_else(|| "imported".into())
    });
    let toml = match flavour {
        Flavour::Master => master::to_scenario(&text, &name, &file, &opts.master).map_err(err)?,
        Flavour::Paise2025 => paise::to_scenario(&text, &name, &file, &opts.paise).map_err(err)?,
    };
    dfaas_env::Scenario::from_toml_str(&toml, out)
        .map_err(|e| err(format!("the scenario written does not load (a bug of the importer): {e}")))?;
    Ok(toml)
}

/// A TOML string literal.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The adjacency lines as a TOML array, refusing what marl-dfaas itself
/// would not build (a whitespace-only line) or what networkx reads
/// differently (a `#` inside a line).
fn adjacency(network: &[String]) -> Result<String, String> {
    for (i, line) in network.iter().enumerate() {
        if line.contains('#') {
            return Err(format!("network[{i}] = {line:?}: a `#` comment inside a line is not supported"));
        }
    }
    let lines: Vec<String> = network.iter().filter(|l| !l.is_empty()).map(|l| quote(l)).collect();
    Ok(format!("[{}]", lines.join(", ")))
}
