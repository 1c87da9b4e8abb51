//! One module per verb.

pub mod compare;
pub mod evaluate;
pub mod export;
pub mod simulate;
pub mod train;

use std::path::Path;

use anyhow::Result;
use dfaas_env::Scenario;

/// Loads a scenario file.
pub fn load(path: &Path) -> Result<Scenario> {
    Ok(Scenario::load(path)?)
}

/// Whether to draw progress bars (stderr is a terminal and output is not JSON).
pub fn progress(json: bool) -> bool {
    !json && std::io::IsTerminal::is_terminal(&std::io::stderr())
}
