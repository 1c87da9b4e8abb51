//! ONNX policies: a shipped model exported as ONNX decides as the
//! `.dfpolicy` it came from; models without our metadata, or whose metadata
//! does not fit, are refused with what differs.
#![cfg(feature = "onnx")]

use std::path::{Path, PathBuf};

use dfaas_env::{MultiAgentEnv, Scenario, Simulator};
use dfaas_policies::learned::onnx::{OnnxModel, to_onnx};
use dfaas_policies::learned::{LearnedFile, NodeContext};
use dfaas_policies::{LearnedPolicy, Policy, PolicyError, PolicyFile};
use prost::Message;
use tract_onnx::pb;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn exported(model: &str, dir: &Path) -> PathBuf {
    let src = root().join("models").join(format!("{model}.dfpolicy"));
    let file = PolicyFile::read(&src).unwrap();
    let out = dir.join(format!("{model}.onnx"));
    std::fs::write(&out, to_onnx(&file, &src.display().to_string()).unwrap()).unwrap();
    out
}

#[test]
fn an_exported_model_decides_as_its_dfpolicy() {
    let dir = tempfile::tempdir().unwrap();
    for (model, scenario) in [("marl-master-5", "marl-master-5"), ("capacity-5", "capacity-5")] {
        let onnx_path = exported(model, dir.path());
        let native_path = root().join("models").join(format!("{model}.dfpolicy"));
        let onnx = LearnedFile::read(&onnx_path).unwrap();
        assert_eq!(onnx.format(), "onnx");
        let native = LearnedFile::read(&native_path).unwrap();
        let s = Scenario::load(root().join("experiments/scenarios").join(format!("{scenario}.toml"))).unwrap();
        let mut sim = Simulator::new(&s).unwrap();
        let topo = sim.topology().clone();
        let ctx = |i| NodeContext::from_topology(&topo, i).unwrap();
        let mut a: Vec<_> =
            (0..topo.len()).map(|i| LearnedPolicy::from_file(&native, &ctx(i), &native_path).unwrap()).collect();
        let mut b: Vec<_> =
            (0..topo.len()).map(|i| LearnedPolicy::from_file(&onnx, &ctx(i), &onnx_path).unwrap()).collect();
        let (mut obs, _) = sim.reset(Some(7)).unwrap();
        let mut worst = 0.0f64;
        for _ in 0..sim.max_steps().min(60) {
            let mut decisions = Vec::new();
            for (i, o) in obs.iter().enumerate() {
                let (x, y) = (a[i].decide(o), b[i].decide(o));
                for (p, q) in x.as_slice().iter().zip(y.as_slice()) {
                    worst = worst.max((p - q).abs());
                }
                decisions.push(x);
            }
            obs = sim.step(&decisions).unwrap().observations;
        }
        assert!(worst < 1e-5, "{model}: largest difference {worst}");
        assert!(b.iter().all(|p| p.fallbacks() == 0));
    }
}

fn reason(e: PolicyError) -> String {
    e.to_string()
}

#[test]
fn models_without_or_with_wrong_metadata_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = exported("marl-master-5", dir.path());
    let proto = pb::ModelProto::decode(std::fs::read(&good).unwrap().as_slice()).unwrap();

    let mut bare = proto.clone();
    bare.metadata_props.clear();
    let p = dir.path().join("bare.onnx");
    std::fs::write(&p, bare.encode_to_vec()).unwrap();
    let e = reason(OnnxModel::read(&p).unwrap_err());
    assert!(e.contains("bare.onnx") && e.contains("no `dfaas` metadata property"), "{e}");

    let edit = |f: &dyn Fn(&mut serde_json::Value), name: &str| {
        let mut m = proto.clone();
        let mut v: serde_json::Value = serde_json::from_str(&m.metadata_props[0].value).unwrap();
        f(&mut v);
        m.metadata_props[0].value = v.to_string();
        let p = dir.path().join(name);
        std::fs::write(&p, m.encode_to_vec()).unwrap();
        reason(OnnxModel::read(&p).unwrap_err())
    };
    // The output is max_degree + 2 = 5 wide: a metadata of max_degree 4 does not fit the graph.
    let e = edit(
        &|v| {
            v["max_degree"] = 4.into();
            v["encoding"]["max_degree"] = 4.into();
        },
        "wide.onnx",
    );
    assert!(e.contains("input `obs` has 32 values") && e.contains("max_degree 4") && e.contains("has 40"), "{e}");
    let e = edit(&|v| v["action_layout"] = "three-way".into(), "three.onnx");
    assert!(e.contains("the output has 5 values") && e.contains("ThreeWay") && e.contains("needs 3"), "{e}");
    let e = edit(&|v| v["output"] = "probabilities".into(), "kind.onnx");
    assert!(e.contains("metadata `dfaas`") && e.contains("probabilities"), "{e}");
    let e = edit(&|v| v["max_degree"] = 2.into(), "degree.onnx");
    assert!(e.contains("max_degree 2 differs from the encoding's 3"), "{e}");

    // A node of higher degree than the file serves.
    let model = LearnedFile::read(&good).unwrap();
    let node =
        NodeContext { name: "n".into(), neighbors: (0..4).map(|i| format!("m{i}")).collect(), period_slots: None };
    let e = reason(LearnedPolicy::from_file(&model, &node, &good).unwrap_err());
    assert!(e.contains("degree (the metadata's max_degree)") && e.contains("at most 3") && e.contains("has 4"), "{e}");

    let junk = dir.path().join("junk.onnx");
    std::fs::write(&junk, b"certainly not protobuf \xff\xff\xff").unwrap();
    let e = reason(LearnedFile::read(&junk).unwrap_err());
    assert!(e.contains("junk.onnx") && e.contains("neither a DFaaS policy file"), "{e}");
}

#[test]
fn independent_networks_are_not_exported() {
    let src = root().join("models/marl-paper-2.dfpolicy");
    let file = PolicyFile::read(&src).unwrap();
    if file.meta.mode == dfaas_policies::learned::Mode::Shared {
        return;
    }
    let e = reason(to_onnx(&file, "marl-paper-2.dfpolicy").unwrap_err());
    assert!(e.contains("independent mode") && e.contains("one network"), "{e}");
}
