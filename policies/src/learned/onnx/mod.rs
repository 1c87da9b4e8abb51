//! ONNX policies (feature `onnx`): a network from any framework, run in pure
//! Rust by tract, described by DFaaS metadata in the model
//! ([`meta::METADATA_KEY`]); and the export of `.dfpolicy` networks as ONNX.

mod export;
mod meta;
mod net;

pub use export::to_onnx;
pub use meta::{METADATA_KEY, ONNX_META_VERSION, OnnxMeta, OutputKind};
pub use net::OnnxModel;

/// How a file that does not parse as ONNX is described.
pub(crate) const NOT_ONNX: &str = "not an ONNX model";

/// The encoding of `meta`, in words, for messages.
fn describe_encoding(meta: &OnnxMeta) -> String {
    match meta.encoding {
        dfaas_env::encoding::Encoding::Normalized { max_degree, version, .. } => {
            format!("normalized v{version}, max_degree {max_degree}")
        }
        dfaas_env::encoding::Encoding::FidelityQueue => "fidelity-queue".into(),
        dfaas_env::encoding::Encoding::FidelityServerless => "fidelity-serverless".into(),
    }
}
