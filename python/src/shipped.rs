//! The scenarios shipped in `experiments/`, compiled into the module so a
//! wheel installed anywhere knows them by name. On first use they are
//! written, with the traces they read, to a folder of the system's
//! temporary directory named after their contents.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;

use crate::errors;

/// `(path under experiments/, contents)` of every shipped scenario and trace.
const FILES: &[(&str, &str)] = &[
    ("scenarios/capacity-5-bursty.toml", include_str!("../../experiments/scenarios/capacity-5-bursty.toml")),
    ("scenarios/capacity-5.toml", include_str!("../../experiments/scenarios/capacity-5.toml")),
    ("scenarios/dfaas-cloudnet21.toml", include_str!("../../experiments/scenarios/dfaas-cloudnet21.toml")),
    ("scenarios/marl-master-2.toml", include_str!("../../experiments/scenarios/marl-master-2.toml")),
    ("scenarios/marl-master-5.toml", include_str!("../../experiments/scenarios/marl-master-5.toml")),
    ("scenarios/marl-paper-2.toml", include_str!("../../experiments/scenarios/marl-paper-2.toml")),
    ("scenarios/marl-paper-5-fidelity.toml", include_str!("../../experiments/scenarios/marl-paper-5-fidelity.toml")),
    ("scenarios/marl-paper-5.toml", include_str!("../../experiments/scenarios/marl-paper-5.toml")),
    ("scenarios/serverless-3.toml", include_str!("../../experiments/scenarios/serverless-3.toml")),
    ("scenarios/trace-5.toml", include_str!("../../experiments/scenarios/trace-5.toml")),
    ("traces/edge-day-5.csv", include_str!("../../experiments/traces/edge-day-5.csv")),
];

/// Names of the shipped scenarios (file stems), sorted.
#[pyfunction]
pub fn shipped_scenarios() -> Vec<String> {
    let mut names: Vec<String> = FILES
        .iter()
        .filter_map(|(p, _)| p.strip_prefix("scenarios/")?.strip_suffix(".toml"))
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

/// The file of a scenario given by name (`marl-master-5`) or path.
#[pyfunction]
pub fn scenario_path(scenario: &str) -> PyResult<String> {
    Ok(resolve(scenario)?.display().to_string())
}

/// A path to `scenario`: an existing file as given, else a shipped name.
pub fn resolve(scenario: &str) -> PyResult<PathBuf> {
    let p = Path::new(scenario);
    if p.is_file() {
        return Ok(p.to_path_buf());
    }
    let rel = format!("scenarios/{scenario}.toml");
    if !FILES.iter().any(|(f, _)| *f == rel) {
        return Err(errors::scenario(format!(
            "scenario {scenario:?}: no such file, and not a shipped scenario (shipped: {})",
            shipped_scenarios().join(", ")
        )));
    }
    let root = materialise().map_err(|e| errors::scenario(format!("writing the shipped scenarios: {e}")))?;
    Ok(root.join(rel))
}

/// Writes the shipped files once per content; returns their root.
fn materialise() -> std::io::Result<PathBuf> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    FILES.hash(&mut h);
    let root = std::env::temp_dir().join(format!("dfaas-{}-{:016x}", env!("CARGO_PKG_VERSION"), h.finish()));
    for (rel, text) in FILES {
        let dst = root.join(rel);
        if std::fs::read_to_string(&dst).is_ok_and(|t| t == *text) {
            continue;
        }
        let dir = dst.parent().expect("a shipped file has a folder");
        std::fs::create_dir_all(dir)?;
        // Another process may write the same file: rename is atomic.
        let tmp = dir.join(format!(".{}.{}", std::process::id(), dst.file_name().unwrap().to_string_lossy()));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &dst)?;
    }
    Ok(root)
}
