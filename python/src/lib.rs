//! `dfaas._core`: the Rust half of the `dfaas` Python package.
//!
//! `federation::Federation` is one simulated federation stepped through
//! PettingZoo-shaped dictionaries; `vector::VectorEnv` steps many copies
//! at once on NumPy arrays with the GIL released; `policy::Policy` plays a
//! heuristic, a reference or a learned file on either; `reports` returns
//! the documents of `dfaas compare --json`. The Python side
//! (`python/dfaas/`) wraps these in PettingZoo and Gymnasium conventions.

mod actions;
mod errors;
mod federation;
mod infos;
mod onnx;
mod policy;
mod reports;
mod setup;
mod shipped;
mod vector;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("DfaasError", py.get_type::<errors::DfaasError>())?;
    m.add("ScenarioError", py.get_type::<errors::ScenarioError>())?;
    m.add("ActionError", py.get_type::<errors::ActionError>())?;
    m.add("PolicyError", py.get_type::<errors::PolicyError>())?;
    m.add_class::<federation::Federation>()?;
    m.add_class::<vector::VectorEnv>()?;
    m.add_class::<policy::Policy>()?;
    m.add_function(wrap_pyfunction!(shipped::scenario_path, m)?)?;
    m.add_function(wrap_pyfunction!(shipped::shipped_scenarios, m)?)?;
    m.add_function(wrap_pyfunction!(reports::compare, m)?)?;
    m.add_function(wrap_pyfunction!(reports::evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(reports::heuristic_names, m)?)?;
    m.add_function(wrap_pyfunction!(onnx::onnx_metadata, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
