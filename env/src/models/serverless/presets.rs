//! Named parameter sets of the serverless model, with explicit units.
//! PLACEHOLDER — being implemented.

use super::perfmodel::PerfParams;

/// The parameters of a preset, or `None` for an unknown name.
pub fn preset(name: &str) -> Option<PerfParams> {
    let _ = name;
    None
}

/// Names of every preset.
pub const PRESET_NAMES: &[&str] = &[];
