//! `dfaas compare` and `dfaas evaluate` from Python: the same contenders,
//! references, episodes and paired differences, returned as the document
//! `--json` prints (parsed into dicts and lists).

use std::path::Path;

use dfaas_experiments::Contender;
use dfaas_experiments::evaluation::{compare_contenders, compare_document, evaluate_contenders};
use pyo3::prelude::*;

use crate::errors;

/// Names of every heuristic, in the order `dfaas compare` lists them.
#[pyfunction]
pub fn heuristic_names() -> Vec<String> {
    dfaas_policies::heuristic_names().iter().map(|s| s.to_string()).collect()
}

/// Compares `policies` (default: every heuristic) and the learned files
/// `models` on `episodes` evaluation episodes (default: the scenario's),
/// beside the scenario's references. The episodes run with the GIL released.
#[pyfunction]
#[pyo3(signature = (scenario, policies=None, models=Vec::new(), episodes=None, seed=None))]
pub fn compare(
    py: Python<'_>,
    scenario: &str,
    policies: Option<Vec<String>>,
    models: Vec<String>,
    episodes: Option<usize>,
    seed: Option<u64>,
) -> PyResult<Py<PyAny>> {
    let contenders = compare_contenders(&models, policies.as_deref()).map_err(errors::policy)?;
    run(py, scenario, contenders, episodes, seed)
}

/// A learned file beside every heuristic and the references (`dfaas evaluate`).
#[pyfunction]
#[pyo3(signature = (model, scenario, episodes=None, seed=None))]
pub fn evaluate(
    py: Python<'_>,
    model: &str,
    scenario: &str,
    episodes: Option<usize>,
    seed: Option<u64>,
) -> PyResult<Py<PyAny>> {
    let contenders = evaluate_contenders(Path::new(model)).map_err(errors::policy)?;
    run(py, scenario, contenders, episodes, seed)
}

fn run(
    py: Python<'_>,
    scenario: &str,
    contenders: Vec<Contender>,
    episodes: Option<usize>,
    seed: Option<u64>,
) -> PyResult<Py<PyAny>> {
    let path = crate::shipped::resolve(scenario)?;
    let s = dfaas_env::Scenario::load(&path).map_err(errors::scenario)?;
    let text = py
        .detach(|| {
            let report = compare_document(&s, contenders, episodes, seed, false)?;
            // The CLI's document, tagged as it writes it.
            Ok::<_, dfaas_experiments::runner::RunError>(dfaas_reports::Document::Compare(report).to_json_pretty())
        })
        .map_err(errors::other)?;
    let json = py.import("json")?;
    Ok(json.call_method1("loads", (text,))?.unbind())
}
