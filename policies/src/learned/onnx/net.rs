//! Reading an ONNX policy and running its network with tract (pure Rust).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use tract_onnx::pb;
use tract_onnx::prelude::*;

use super::meta::{METADATA_KEY, OnnxMeta};
use crate::PolicyError;
use crate::learned::format::MAX_FILE_BYTES;

/// An ONNX policy: its metadata and its network, optimised for one row.
#[derive(Clone)]
pub struct OnnxModel {
    pub meta: OnnxMeta,
    plan: Arc<TypedRunnableModel>,
    /// Whether the graph's input has a batch dimension (`[1, D]`) or not (`[D]`).
    batched: bool,
}

impl fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnnxModel").field("meta", &self.meta).field("batched", &self.batched).finish()
    }
}

fn model_error(origin: &str, reason: impl Into<String>) -> PolicyError {
    PolicyError::ModelFile { file: origin.to_string(), reason: reason.into() }
}

impl OnnxModel {
    /// Reads an ONNX policy file (a regular file of at most 64 MiB).
    pub fn read(path: &Path) -> Result<Self, PolicyError> {
        let origin = path.display().to_string();
        let md = std::fs::metadata(path).map_err(|e| model_error(&origin, format!("cannot read: {e}")))?;
        if !md.is_file() {
            return Err(model_error(&origin, "not a regular file"));
        }
        if md.len() > MAX_FILE_BYTES {
            return Err(model_error(&origin, format!("{} bytes, more than the {MAX_FILE_BYTES} read", md.len())));
        }
        let bytes = std::fs::read(path).map_err(|e| model_error(&origin, format!("cannot read: {e}")))?;
        Self::from_bytes(&bytes, &origin)
    }

    /// Parses an ONNX model and checks its DFaaS metadata against its graph.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self, PolicyError> {
        let onnx = tract_onnx::onnx();
        let proto: pb::ModelProto = onnx
            .proto_model_for_read(&mut &bytes[..])
            .map_err(|e| model_error(origin, format!("{} ({e})", super::NOT_ONNX)))?;
        let meta = metadata(&proto, origin)?;
        let graph = proto.graph.as_ref().ok_or_else(|| model_error(origin, "the ONNX model has no graph"))?;
        if graph.input.len() != 1 || graph.output.is_empty() {
            return Err(model_error(
                origin,
                format!(
                    "the graph has {} inputs and {} outputs; a policy has one input (the observation) and its action first",
                    graph.input.len(),
                    graph.output.len()
                ),
            ));
        }
        let d = meta.input_dim();
        let declared = input_dims(&graph.input[0]);
        let batched = match declared.as_deref() {
            Some([last]) | Some([_, last]) if last.is_some_and(|n| n != d as i64) => {
                return Err(model_error(
                    origin,
                    format!(
                        "the graph's input `{}` has {} values; the metadata's encoding ({}) has {d}",
                        graph.input[0].name,
                        last.unwrap_or(0),
                        super::describe_encoding(&meta)
                    ),
                ));
            }
            Some([_]) => false,
            Some([_, _]) | None => true,
            Some(other) => {
                return Err(model_error(
                    origin,
                    format!("the graph's input has rank {}; a policy takes [1, D] or [D]", other.len()),
                ));
            }
        };
        let shape: TVec<usize> = if batched { tvec![1, d] } else { tvec![d] };
        let plan = onnx
            .model_for_proto_model(&proto)
            .and_then(|m| m.with_input_fact(0, f32::fact(shape).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(|e| model_error(origin, format!("the ONNX graph cannot be run: {e:#}")))?;
        let model = Self { meta, plan, batched };
        let out = model
            .run(&vec![0.0; d])
            .map_err(|e| model_error(origin, format!("running the graph on a zero observation: {e:#}")))?;
        if out.len() != model.meta.output_dim() {
            return Err(model_error(
                origin,
                format!(
                    "the output has {} values; the metadata's action layout ({:?}, max_degree {}) needs {}",
                    out.len(),
                    model.meta.action_layout,
                    model.meta.max_degree,
                    model.meta.output_dim()
                ),
            ));
        }
        Ok(model)
    }

    /// The network's output for one encoded observation.
    pub fn run(&self, obs: &[f32]) -> TractResult<Vec<f32>> {
        let shape: &[usize] = if self.batched { &[1, obs.len()] } else { &[obs.len()] };
        let input = Tensor::from_shape(shape, obs)?;
        let out = self.plan.run(tvec!(input.into_tvalue()))?;
        let first = out.first().ok_or_else(|| tract_onnx::prelude::TractError::msg("the graph gave no output"))?;
        Ok(first.to_plain_array_view::<f32>()?.iter().copied().collect())
    }
}

/// The DFaaS metadata of `proto`, checked.
fn metadata(proto: &pb::ModelProto, origin: &str) -> Result<OnnxMeta, PolicyError> {
    let Some(entry) = proto.metadata_props.iter().find(|p| p.key == METADATA_KEY) else {
        let keys: Vec<&str> = proto.metadata_props.iter().map(|p| p.key.as_str()).collect();
        return Err(model_error(
            origin,
            format!(
                "no `{METADATA_KEY}` metadata property (found: [{}]): an ONNX policy says what it reads and \
                 what it outputs; write it with dfaas.onnx.annotate(...) in Python or `dfaas export --format onnx`",
                keys.join(", ")
            ),
        ));
    };
    let meta: OnnxMeta = serde_json::from_str(&entry.value)
        .map_err(|e| model_error(origin, format!("metadata `{METADATA_KEY}`: {e}")))?;
    meta.check().map_err(|e| model_error(origin, format!("metadata `{METADATA_KEY}`: {e}")))?;
    Ok(meta)
}

/// The declared dimensions of an input (`None` per dimension when symbolic).
fn input_dims(v: &pb::ValueInfoProto) -> Option<Vec<Option<i64>>> {
    let pb::type_proto::Value::TensorType(t) = v.r#type.as_ref()?.value.as_ref()?;
    let shape = t.shape.as_ref()?;
    Some(
        shape
            .dim
            .iter()
            .map(|d| match d.value {
                Some(pb::tensor_shape_proto::dimension::Value::DimValue(n)) => Some(n),
                _ => None,
            })
            .collect(),
    )
}
