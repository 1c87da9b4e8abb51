//! A slot's outcome as the per-agent `info` dictionary.

use dfaas_env::SlotOutcome;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `info` of one agent for slot `slot`: every field of the outcome (counts
/// per slot; forwards per neighbour in action order; times in seconds or
/// `None`) and `env_reward`, the scenario model's own reward.
pub fn outcome<'py>(py: Python<'py>, slot: usize, o: &SlotOutcome) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "slot"), slot)?;
    d.set_item(intern!(py, "input"), o.input)?;
    d.set_item(intern!(py, "local"), o.local)?;
    d.set_item(intern!(py, "forwarded"), &o.forwarded)?;
    d.set_item(intern!(py, "rejected"), o.rejected)?;
    d.set_item(intern!(py, "local_rejects"), o.local_rejects)?;
    d.set_item(intern!(py, "forward_rejects"), &o.forward_rejects)?;
    d.set_item(intern!(py, "forward_lost"), o.forward_lost)?;
    d.set_item(intern!(py, "received"), o.received)?;
    d.set_item(intern!(py, "received_rejects"), o.received_rejects)?;
    d.set_item(intern!(py, "processed"), o.processed)?;
    d.set_item(intern!(py, "queue_len"), o.queue_len)?;
    d.set_item(intern!(py, "response_time_s"), o.response_time_s)?;
    d.set_item(intern!(py, "network_delay_s"), o.network_delay_s)?;
    d.set_item(intern!(py, "env_reward"), o.reward)?;
    Ok(d)
}
