//! `dfaas deploy kubernetes`'s manifests, read back as the pods read them:
//! the ConfigMap's and the Secret's files laid out as the volumes mount
//! them, every pod's agent file loads (runtime, keys, pre-shared key,
//! policy), members and bootstrap peers are the neighbours' stable DNS
//! names, and the keys the members know are the keys the Secret holds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use dfaas_env::Scenario;
use dfaas_live::cluster::Choice;
use dfaas_live::kubernetes::{KubeOpts, Manifest, manifests};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cloudnet() -> Scenario {
    Scenario::load(root().join("experiments/scenarios/dfaas-cloudnet21.toml")).unwrap()
}

/// Every object of every file, parsed back from YAML.
fn objects(ms: &[Manifest]) -> Vec<Value> {
    ms.iter()
        .flat_map(|m| m.yaml.split("---\n").map(|doc| yaml_serde::from_str::<Value>(doc).unwrap()).collect::<Vec<_>>())
        .collect()
}

fn find<'a>(objs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objs.iter().filter(|o| o["kind"] == kind).collect()
}

/// Writes a string map (ConfigMap `data`, Secret `stringData`) into `dir`, 0600.
fn lay_out(map: &Value, dir: &Path) -> BTreeMap<String, String> {
    std::fs::create_dir_all(dir).unwrap();
    let mut out = BTreeMap::new();
    for (k, v) in map.as_object().unwrap() {
        let text = v.as_str().unwrap().to_string();
        let path = dir.join(k);
        std::fs::write(&path, &text).unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        out.insert(k.clone(), text);
    }
    out
}

/// Options whose mount points are folders of `tmp`.
fn opts(tmp: &Path) -> KubeOpts {
    KubeOpts {
        namespace: "edge".into(),
        config_dir: tmp.join("config").display().to_string(),
        secrets_dir: tmp.join("secrets").display().to_string(),
        ..KubeOpts::new()
    }
}

#[test]
fn every_pod_loads_its_files_and_names_its_neighbours_by_dns() {
    let tmp = tempfile::tempdir().unwrap();
    let o = opts(tmp.path());
    let s = cloudnet();
    let topo = s.build_topology().unwrap();
    let ms = manifests(&s, &Choice::Policy("slack-proportional".into()), &o).unwrap();
    let files: Vec<&str> = ms.iter().map(|m| m.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "00-namespace.yaml",
            "10-secret.yaml",
            "20-configmap.yaml",
            "30-service.yaml",
            "40-statefulset.yaml",
            "50-gateways.yaml"
        ]
    );
    assert_eq!(ms.iter().filter(|m| m.secret).count(), 1, "only the Secret's file is secret");
    let objs = objects(&ms);
    assert!(objs.iter().filter(|o| o["kind"] != "Namespace").all(|x| x["metadata"]["namespace"] == "edge"));

    let sts = find(&objs, "StatefulSet")[0];
    assert_eq!(sts["spec"]["replicas"], 3);
    assert_eq!(sts["spec"]["serviceName"], "dfaas");
    let pod = &sts["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(pod["containers"][0]["args"][2], format!("{}/$(POD_NAME).agent.toml", o.config_dir));
    let headless = find(&objs, "Service").into_iter().find(|x| x["metadata"]["name"] == "dfaas").unwrap();
    assert_eq!(headless["spec"]["clusterIP"], "None");
    assert_eq!(headless["spec"]["publishNotReadyAddresses"], true);
    let gateways: Vec<&Value> =
        find(&objs, "Service").into_iter().filter(|x| x["metadata"]["name"] != "dfaas").collect();
    assert_eq!(gateways.len(), 3, "one gateway Service per node");
    for (i, g) in gateways.iter().enumerate() {
        assert_eq!(g["spec"]["selector"]["statefulset.kubernetes.io/pod-name"], format!("dfaas-{i}"));
    }

    let config = lay_out(&find(&objs, "ConfigMap")[0]["data"], &tmp.path().join("config"));
    let secrets = lay_out(&find(&objs, "Secret")[0]["stringData"], &tmp.path().join("secrets"));
    assert_eq!(secrets.len(), 1 + 2 * 3, "the PSK, and a key and a control token per node");
    assert!(config.values().all(|t| !t.contains(&secrets["psk"])), "the PSK is only in the Secret");

    let host = |i: usize| format!("dfaas-{i}.dfaas.edge.svc.cluster.local");
    for (i, id) in topo.names().iter().enumerate() {
        let cfg = dfaas_agent::AgentConfig::load(tmp.path().join(format!("config/dfaas-{i}.agent.toml")))
            .unwrap_or_else(|e| panic!("pod dfaas-{i}: {e}"));
        assert_eq!(&cfg.runtime.node_id, id);
        assert_eq!(cfg.node_index, Some(i));
        assert_eq!(cfg.runtime.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(cfg.control_listen.to_string(), "127.0.0.1:9100");
        assert_eq!(cfg.overlay.listen.to_string(), "/ip4/0.0.0.0/tcp/4001");
        assert!(cfg.overlay.psk.is_some() && cfg.overlay.allow.as_ref().is_some_and(|a| a.len() == 3));
        // Members are the topology's neighbours, at their pods' DNS names, with the Secret's keys.
        let want: Vec<(String, String)> =
            topo.neighbors(i).iter().map(|&j| (topo.names()[j].clone(), format!("{}:8080", host(j)))).collect();
        let got: Vec<(String, String)> =
            cfg.runtime.members.iter().map(|m| (m.id.clone(), m.address.to_string())).collect();
        assert_eq!(got, want, "pod {i}");
        for m in &cfg.runtime.members {
            let key =
                dfaas_runtime::NodeKey::load_or_generate(tmp.path().join(format!("secrets/{}.key", m.id))).unwrap();
            assert_eq!(m.public_key, key.public_b64(), "{} knows {}'s key from the Secret", id, m.id);
        }
        // Bootstrap peers: the topology neighbours, by name; the allow-list from the shared file.
        let boot: Vec<String> = cfg.overlay.bootstrap.iter().map(|a| a.to_string()).collect();
        assert_eq!(boot.len(), topo.neighbors(i).len());
        for (b, &j) in boot.iter().zip(topo.neighbors(i)) {
            assert!(b.starts_with(&format!("/dns4/{}/tcp/4001/p2p/", host(j))), "{b}");
        }
        let agent_text = &config[&format!("dfaas-{i}.agent.toml")];
        assert!(agent_text.contains("allow_file = \"allow.txt\""), "{agent_text}");
        let token = std::fs::read_to_string(cfg.runtime.control_token_path()).unwrap();
        assert_eq!(token, secrets[&format!("{id}.control.token")]);
    }
}

/// Files grow with each node's degree, not with the federation: 100 nodes
/// fit one ConfigMap, each agent file naming its few neighbours and the
/// shared allow-list.
#[test]
fn a_hundred_node_federation_fits_one_config_map() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Scenario::load(root().join("experiments/scenarios/scale/capacity-geo-100.toml")).unwrap();
    let ms = manifests(&s, &Choice::Policy("slack-proportional".into()), &opts(tmp.path())).unwrap();
    let cm = ms.iter().find(|m| m.file == "20-configmap.yaml").unwrap();
    assert!(cm.yaml.len() < 512 << 10, "{} bytes", cm.yaml.len());
    let objs = objects(&ms);
    let data = &find(&objs, "ConfigMap")[0]["data"];
    assert_eq!(data["allow.txt"].as_str().unwrap().lines().filter(|l| l.starts_with("12D3")).count(), 100);
    let longest = (0..100).map(|i| data[format!("dfaas-{i}.agent.toml")].as_str().unwrap().len()).max().unwrap();
    assert!(longest < 4096, "an agent file of {longest} bytes");
    assert_eq!(find(&objs, "StatefulSet")[0]["spec"]["replicas"], 100);
}

#[test]
fn a_learned_policy_travels_in_the_config_map_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let o = opts(tmp.path());
    let model = root().join("models/dfaas-cloudnet21.dfpolicy");
    let ms = manifests(&cloudnet(), &Choice::Model(model.clone()), &o).unwrap();
    let objs = objects(&ms);
    let cm = find(&objs, "ConfigMap")[0];
    let b64 = cm["binaryData"]["policy.dfpolicy"].as_str().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    assert_eq!(bytes, std::fs::read(&model).unwrap());
    lay_out(&cm["data"], &tmp.path().join("config"));
    std::fs::write(tmp.path().join("config/policy.dfpolicy"), &bytes).unwrap();
    lay_out(&find(&objs, "Secret")[0]["stringData"], &tmp.path().join("secrets"));
    let cfg = dfaas_agent::AgentConfig::load(tmp.path().join("config/dfaas-1.agent.toml")).unwrap();
    match cfg.policy {
        dfaas_agent::PolicyChoice::Model(p) => assert_eq!(p, tmp.path().join("config/policy.dfpolicy")),
        other => panic!("not the model: {other:?}"),
    }
}

#[test]
fn bad_input_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let s = cloudnet();
    let heuristic = Choice::Policy("slack-proportional".into());
    let err = |o: &KubeOpts, c: &Choice, s: &Scenario| format!("{:#}", manifests(s, c, o).unwrap_err());
    let bad_ns = KubeOpts { namespace: "Edge_1".into(), ..opts(tmp.path()) };
    assert!(err(&bad_ns, &heuristic, &s).contains("--namespace \"Edge_1\""));
    let long = KubeOpts { name: "a".repeat(41), ..opts(tmp.path()) };
    assert!(err(&long, &heuristic, &s).contains("--name"));
    let e = err(&opts(tmp.path()), &Choice::Policy("no-such-policy".into()), &s);
    assert!(e.contains("no-such-policy"), "{e}");
    let e = err(&opts(tmp.path()), &Choice::Model("/nonexistent/p.dfpolicy".into()), &s);
    assert!(e.contains("/nonexistent/p.dfpolicy"), "{e}");
    let q = root().join("experiments/scenarios/marl-paper-5-fidelity.toml");
    let qs = Scenario::load(&q).unwrap();
    let e = err(&opts(tmp.path()), &heuristic, &qs);
    assert!(e.contains("marl-paper-5-fidelity.toml") && e.contains("model"), "{e}");
}
