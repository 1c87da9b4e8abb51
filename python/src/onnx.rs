//! The DFaaS metadata an ONNX policy for a scenario must carry (the Python
//! helper `dfaas.onnx.annotate` writes it into a model's `metadata_props`).

use dfaas_env::Simulator;
use dfaas_env::encoding::Encoding;
use dfaas_policies::learned::ActionLayout;
use dfaas_policies::learned::onnx::{METADATA_KEY, ONNX_META_VERSION, OnnxMeta, OutputKind};
use pyo3::prelude::*;

use crate::errors;

/// `(key, JSON value)` of the metadata for a policy acting on `scenario`'s
/// observations (the package's encoding) with outputs of kind `output`
/// (`logits`, `fractions` or `concentration`), optionally normalising
/// observations by `obs_mean` / `obs_std` first.
#[pyfunction]
#[pyo3(signature = (scenario, output="logits", obs_mean=None, obs_std=None))]
pub fn onnx_metadata(
    scenario: &str,
    output: &str,
    obs_mean: Option<Vec<f32>>,
    obs_std: Option<Vec<f32>>,
) -> PyResult<(String, String)> {
    let output = match output {
        "logits" => OutputKind::Logits,
        "fractions" => OutputKind::Fractions,
        "concentration" => OutputKind::Concentration,
        other => {
            return Err(errors::policy(format!(
                "output = {other:?}: unknown; known: logits, fractions, concentration"
            )));
        }
    };
    let path = crate::shipped::resolve(scenario)?;
    let s = dfaas_env::Scenario::load(&path).map_err(errors::scenario)?;
    let sim = Simulator::new(&s).map_err(errors::scenario)?;
    let max_degree = sim.topology().max_degree();
    let encoding = Encoding::normalized(max_degree, sim.observation_period_slots());
    let meta = OnnxMeta {
        dfaas_onnx_version: ONNX_META_VERSION,
        encoding,
        encoding_version: encoding.version(),
        action_layout: if sim.even_floor() { ActionLayout::ThreeWay } else { ActionLayout::PerNeighbor },
        max_degree,
        output,
        obs_mean,
        obs_std,
        scenario: s.name.clone(),
        created_by: format!("dfaas {} (Python)", env!("CARGO_PKG_VERSION")),
    };
    meta.check().map_err(errors::policy)?;
    let json = serde_json::to_string(&meta).map_err(errors::other)?;
    Ok((METADATA_KEY.to_string(), json))
}
