//! The DFaaS metadata an ONNX policy carries: one JSON document in the
//! model's `metadata_props` under [`METADATA_KEY`], saying what the network
//! reads and what its output means. A loader refuses a model without it, or
//! one whose metadata does not fit the node, naming what differs.

use dfaas_env::encoding::Encoding;
use serde::{Deserialize, Serialize};

use crate::learned::meta::ActionLayout;
pub use crate::learned::meta::OutputKind;

/// The `metadata_props` key holding the JSON metadata.
pub const METADATA_KEY: &str = "dfaas";
/// The metadata layout this build writes and reads.
pub const ONNX_META_VERSION: u32 = 1;

/// The metadata of an ONNX policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnnxMeta {
    /// Equal to [`ONNX_META_VERSION`].
    pub dfaas_onnx_version: u32,
    /// The observation encoding the network reads (its input: one row of
    /// the encoded observation, shape `[1, D]` or `[D]`).
    pub encoding: Encoding,
    /// Version of that encoding (2 for the current `normalized`).
    pub encoding_version: u32,
    /// What the output addresses: `[local, fwd_1 … fwd_max_degree, reject]`
    /// (a node of smaller degree uses its first forwards) or `[local, forward, reject]`.
    pub action_layout: ActionLayout,
    /// Largest degree served; the output has `max_degree + 2` entries (3 for three-way).
    pub max_degree: usize,
    /// What the output means.
    pub output: OutputKind,
    /// Optional normalisation applied before the network:
    /// `clip((x − mean) / max(std, 1e-6), ±10)`; both or neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obs_mean: Option<Vec<f32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obs_std: Option<Vec<f32>>,
    /// The scenario trained on (informational).
    #[serde(default)]
    pub scenario: String,
    /// Who wrote the file (informational).
    #[serde(default)]
    pub created_by: String,
}

impl OnnxMeta {
    /// The encoded observation's length.
    pub fn input_dim(&self) -> usize {
        dfaas_env::encoding::Encoder::new(self.encoding, &lone()).dim(self.max_degree)
    }

    /// The output's length.
    pub fn output_dim(&self) -> usize {
        match self.action_layout {
            ActionLayout::ThreeWay => 3,
            ActionLayout::PerNeighbor => self.max_degree + 2,
        }
    }

    /// Checks the metadata against itself; the error says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if self.dfaas_onnx_version != ONNX_META_VERSION {
            return Err(format!(
                "dfaas_onnx_version {} is not {ONNX_META_VERSION}, the version this build reads",
                self.dfaas_onnx_version
            ));
        }
        if let Encoding::Normalized { max_degree, version, .. } = self.encoding {
            if max_degree != self.max_degree {
                return Err(format!("max_degree {} differs from the encoding's {max_degree}", self.max_degree));
            }
            if version != self.encoding_version {
                return Err(format!(
                    "encoding_version {} differs from the encoding's version {version}",
                    self.encoding_version
                ));
            }
        }
        if self.encoding == Encoding::FidelityServerless {
            return Err("the fidelity-serverless encoding depends on the degree: use `normalized`".into());
        }
        match (&self.obs_mean, &self.obs_std) {
            (None, None) => {}
            (Some(m), Some(s)) => {
                let d = self.input_dim();
                for (name, v) in [("obs_mean", m), ("obs_std", s)] {
                    if v.len() != d {
                        return Err(format!("{name} has {} values, the observation has {d}", v.len()));
                    }
                    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                        return Err(format!("{name}[{i}] is not finite"));
                    }
                }
            }
            _ => return Err("obs_mean and obs_std come together".into()),
        }
        Ok(())
    }
}

fn lone() -> dfaas_env::Topology {
    dfaas_env::Topology::from_edges(vec!["self".to_string()], &[]).expect("a one-node topology is always valid")
}
