//! Writing a `.dfpolicy` network as an ONNX policy: the observation
//! normalisation, the dense layers and the concentration head as standard
//! ONNX operators (opset 13), with the DFaaS metadata.

use tract_onnx::pb;

use super::meta::{METADATA_KEY, ONNX_META_VERSION, OnnxMeta, OutputKind};
use crate::PolicyError;
use crate::learned::format::PolicyFile;
use crate::learned::meta::{Activation, Mode};
use crate::learned::mlp::{OBS_CLIP, STD_FLOOR};

const OPSET: i64 = 13;
const IR_VERSION: i64 = 8;

/// The ONNX model (serialised) of `file`'s network. Input `obs` `[N, D]`
/// (the encoded observation), output `concentration` `[N, K]`; the
/// metadata says `output = concentration`. Only shared-mode files (one
/// network for every node) have one graph to write.
pub fn to_onnx(file: &PolicyFile, origin: &str) -> Result<Vec<u8>, PolicyError> {
    use prost::Message;
    file.check(origin)?;
    let meta = &file.meta;
    if meta.mode != Mode::Shared {
        return Err(PolicyError::ModelFile {
            file: origin.to_string(),
            reason: format!(
                "independent mode ({} networks, one per node): an ONNX policy holds one network; \
                 train with the shared mode to export ONNX",
                meta.networks.len()
            ),
        });
    }
    let net = &meta.networks[0];
    let d = net.input_dim as i64;
    let k = net.output_dim as i64;
    let mut nodes = Vec::new();
    let mut inits = vec![
        tensor("obs_mean", &[d], net.obs_mean.clone()),
        tensor("obs_std", &[d], net.obs_std.iter().map(|s| s.max(STD_FLOOR)).collect()),
        tensor("clip_lo", &[], vec![-OBS_CLIP]),
        tensor("clip_hi", &[], vec![OBS_CLIP]),
        tensor("alpha_floor", &[], vec![net.alpha_floor]),
        tensor("one", &[], vec![1.0]),
    ];
    nodes.push(node("Sub", &["obs", "obs_mean"], "centred", vec![]));
    nodes.push(node("Div", &["centred", "obs_std"], "scaled", vec![]));
    nodes.push(node("Clip", &["scaled", "clip_lo", "clip_hi"], "h0", vec![]));
    let last = net.layers.len() - 1;
    for l in 0..net.layers.len() {
        let (w, b) = file.layer(0, l).ok_or_else(|| PolicyError::ModelFile {
            file: origin.to_string(),
            reason: format!("layer {l} lies outside the payload"),
        })?;
        let ly = &net.layers[l];
        inits.push(tensor(&format!("w{l}"), &[ly.out_dim as i64, ly.in_dim as i64], w.to_vec()));
        inits.push(tensor(&format!("b{l}"), &[ly.out_dim as i64], b.to_vec()));
        let z = format!("z{l}");
        nodes.push(node(
            "Gemm",
            &[&format!("h{l}"), &format!("w{l}"), &format!("b{l}")],
            &z,
            vec![int_attr("transB", 1)],
        ));
        let next = format!("h{}", l + 1);
        if l < last {
            let op = match net.activation {
                Activation::Tanh => "Tanh",
                Activation::Relu => "Relu",
            };
            nodes.push(node(op, &[&z], &next, vec![]));
        } else {
            // softplus(z) = relu(z) + ln(1 + e^(−|z|)): ONNX's Softplus
            // overflows to infinity in f32 once z > 88 in some runtimes.
            nodes.push(node("Relu", &[&z], "z_pos", vec![]));
            nodes.push(node("Abs", &[&z], "z_abs", vec![]));
            nodes.push(node("Neg", &["z_abs"], "z_neg", vec![]));
            nodes.push(node("Exp", &["z_neg"], "z_exp", vec![]));
            nodes.push(node("Add", &["z_exp", "one"], "z_1p", vec![]));
            nodes.push(node("Log", &["z_1p"], "z_log", vec![]));
            nodes.push(node("Add", &["z_pos", "z_log"], "softplus", vec![]));
            nodes.push(node("Add", &["softplus", "alpha_floor"], "concentration", vec![]));
        }
    }
    let onnx_meta = OnnxMeta {
        dfaas_onnx_version: ONNX_META_VERSION,
        encoding: meta.encoding,
        encoding_version: meta.encoding_version,
        action_layout: meta.action_layout,
        max_degree: meta.max_degree,
        output: OutputKind::Concentration,
        obs_mean: None,
        obs_std: None,
        scenario: meta.scenario.clone(),
        created_by: format!("dfaas {} (export --format onnx)", env!("CARGO_PKG_VERSION")),
    };
    let model = pb::ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![pb::OperatorSetIdProto { domain: String::new(), version: OPSET }],
        producer_name: "dfaas".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: format!("DFaaS policy trained on {}", meta.scenario),
        graph: Some(pb::GraphProto {
            node: nodes,
            name: "dfaas_policy".into(),
            initializer: inits,
            input: vec![value_info("obs", "N", d)],
            output: vec![value_info("concentration", "N", k)],
            ..Default::default()
        }),
        metadata_props: vec![pb::StringStringEntryProto {
            key: METADATA_KEY.into(),
            value: serde_json::to_string(&onnx_meta).expect("OnnxMeta always serialises"),
        }],
        ..Default::default()
    };
    Ok(model.encode_to_vec())
}

fn tensor(name: &str, dims: &[i64], data: Vec<f32>) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: pb::tensor_proto::DataType::Float as i32,
        float_data: data,
        ..Default::default()
    }
}

fn node(op: &str, inputs: &[&str], output: &str, attribute: Vec<pb::AttributeProto>) -> pb::NodeProto {
    pb::NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        name: format!("{op}_{output}"),
        op_type: op.into(),
        attribute,
        ..Default::default()
    }
}

fn int_attr(name: &str, v: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Int as i32,
        i: v,
        ..Default::default()
    }
}

fn value_info(name: &str, batch: &str, width: i64) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{Dimension, dimension::Value};
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: pb::tensor_proto::DataType::Float as i32,
                shape: Some(pb::TensorShapeProto {
                    dim: vec![
                        Dimension { value: Some(Value::DimParam(batch.into())), ..Default::default() },
                        Dimension { value: Some(Value::DimValue(width)), ..Default::default() },
                    ],
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}
