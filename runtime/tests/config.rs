//! Config parsing and validation: errors name file, field and value.

use dfaas_runtime::{ConfigError, NodeConfig, NodeKey};

const GOOD: &str = r#"
node_id = "n1"
listen = "127.0.0.1:0"
key_file = "n1.key"

[[functions]]
name = "echo"
backend = { kind = "synthetic", warm_s = 0.0, cold_s = 0.0, idle_s = 1.0, max_instances = 4 }
admission = { max_concurrency = 4, queue = 4 }
"#;

fn err(text: &str) -> String {
    let e = NodeConfig::from_toml_str(text, "/etc/dfaas/node.toml").expect_err("should fail");
    e.to_string()
}

#[test]
fn good_config_parses_and_key_path_is_relative_to_file() {
    let c = NodeConfig::from_toml_str(GOOD, "/etc/dfaas/node.toml").unwrap();
    assert_eq!(c.key_file, std::path::Path::new("/etc/dfaas/n1.key"));
    assert_eq!(c.max_body_bytes, 1 << 20);
    assert_eq!(c.functions[0].weights, dfaas_runtime::Weights::all_local());
}

#[test]
fn unknown_field_is_named_with_file_and_value() {
    let m = err(&GOOD.replace("queue = 4", "queue = 4, qeueu = 9"));
    assert!(m.contains("/etc/dfaas/node.toml"), "{m}");
    assert!(m.contains("functions[0].admission"), "{m}");
    assert!(m.contains("qeueu"), "{m}");
}

#[test]
fn unknown_backend_field_is_refused() {
    let m = err(&GOOD.replace("max_instances = 4", "max_instances = 4, colds = 1"));
    assert!(m.contains("colds"), "{m}");
    assert!(m.contains("functions[0]"), "{m}");
}

#[test]
fn wrong_type_names_field_and_value() {
    let m = err(&GOOD.replace("queue = 4", "queue = \"lots\""));
    assert!(m.contains("functions[0].admission.queue"), "{m}");
    assert!(m.contains("lots"), "{m}");
}

#[test]
fn out_of_domain_values_are_named() {
    let m = err(&GOOD.replace("max_concurrency = 4", "max_concurrency = 0"));
    assert!(m.contains("functions[0].admission.max_concurrency") && m.contains("= 0"), "{m}");
    let m = err(&GOOD.replace("warm_s = 0.0", "warm_s = -1.0"));
    assert!(m.contains("functions[0].backend.warm_s") && m.contains("-1"), "{m}");
    let m = err(&GOOD.replace("127.0.0.1:0", "localhost:http"));
    assert!(m.contains("listen") && m.contains("localhost:http"), "{m}");
    let m = err(&format!("{GOOD}\n[timeouts]\nforward_s = 20.0\n"));
    assert!(m.contains("timeouts.forward_s") && m.contains("20"), "{m}");
    let m = err(&GOOD.replace(
        "max_concurrency = 4, queue = 4 }",
        "max_concurrency = 4, queue = 4 }\nweights = { local = 1, peers = { ghost = 2 } }",
    ));
    assert!(m.contains("functions[0].weights") && m.contains("ghost"), "{m}");
}

#[test]
fn missing_field_and_syntax_errors_are_reported() {
    let m = err(&GOOD.replace("node_id = \"n1\"", ""));
    assert!(m.contains("field `node_id`"), "{m}");
    let m = err("node_id = \n");
    assert!(m.contains("/etc/dfaas/node.toml"), "{m}");
}

#[test]
fn member_with_bad_key_is_refused() {
    let m = err(&format!("{GOOD}\n[[members]]\nid = \"n2\"\npublic_key = \"nope\"\naddress = \"127.0.0.1:1\"\n"));
    assert!(m.contains("members[0].public_key") && m.contains("nope"), "{m}");
}

#[test]
fn member_addresses_are_ip_or_dns_names_and_a_bad_one_is_named() {
    let key = "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=";
    let member =
        |addr: &str| format!("{GOOD}\n[[members]]\nid = \"n2\"\npublic_key = \"{key}\"\naddress = \"{addr}\"\n");
    for good in ["10.0.0.2:8080", "[fd00::2]:8080", "dfaas-1.dfaas.edge.svc.cluster.local:8080"] {
        let c = NodeConfig::from_toml_str(&member(good), "/etc/dfaas/node.toml").unwrap();
        assert_eq!(c.members[0].address.to_string(), good);
    }
    for bad in ["dfaas-1", "dfaas_1.edge:80", "dfaas-1:http"] {
        let m = err(&member(bad));
        assert!(m.contains("/etc/dfaas/node.toml") && m.contains("members[0].address") && m.contains(bad), "{m}");
    }
}

#[test]
fn load_reports_missing_file() {
    let e = NodeConfig::load("/nonexistent/dfaas/node.toml").unwrap_err();
    assert!(matches!(e, ConfigError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/dfaas/node.toml"));
}

#[test]
fn key_is_generated_once_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/n1.key");
    let a = NodeKey::load_or_generate(&path).unwrap();
    let b = NodeKey::load_or_generate(&path).unwrap();
    assert_eq!(a.public_b64(), b.public_b64());
    std::fs::write(&path, "garbage").unwrap();
    assert!(NodeKey::load_or_generate(&path).is_err());
}

#[test]
fn weights_from_fractions() {
    use dfaas_runtime::{Weights, WeightsError};
    let peers = vec!["b".to_string(), "c".to_string()];
    let w = Weights::from_fractions(&[0.5, 0.25, 0.125, 0.125], &peers, 1000).unwrap();
    assert_eq!(w.to_vector(&peers).unwrap(), vec![500, 250, 125, 125]);
    assert!(matches!(Weights::from_fractions(&[1.0, 0.0], &peers, 1000), Err(WeightsError::WrongLength { .. })));
    assert!(Weights::from_fractions(&[f64::NAN, 0.0, 0.0, 1.0], &peers, 1000).is_err());
    assert!(matches!(Weights::from_fractions(&[0.0; 4], &peers, 1000), Err(WeightsError::AllZero)));
}

#[tokio::test]
async fn serve_from_a_config_file_creates_the_key_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.toml");
    std::fs::write(&path, GOOD).unwrap();
    let cfg = NodeConfig::load(&path).unwrap();
    let node = dfaas_runtime::serve(cfg).await.unwrap();
    assert!(node.local_addr().port() != 0);
    let key = NodeKey::load_or_generate(dir.path().join("n1.key")).unwrap();
    assert_eq!(key.public_b64(), node.public_key_b64());
    assert_eq!(node.function_names(), vec!["echo".to_string()]);
    assert!(node.is_ready());
    node.shutdown().await;
}

#[test]
fn mutated_configs_never_panic() {
    // Deterministic byte mutations of a valid config: every outcome must be
    // Ok or an error, never a panic.
    let full = format!(
        "{GOOD}\n[timeouts]\nforward_s = 5.0\nrequest_s = 6.0\n[[functions]]\nname = \"p\"\nbackend = {{ kind = \"process\", command = \"cat\", timeout_s = 1.0 }}\nadmission = {{ max_concurrency = 1, queue = 0, max_rate_rps = 3.5 }}\nweights = {{ local = 1, reject = 2 }}\n"
    );
    let bytes = full.as_bytes();
    let alphabet = b" =[]{}\"'.,-+0123456789eE_abcxyz\n#\\";
    let mut state: u64 = 0x2545F4914F6CDD1D;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut errors = 0;
    for _ in 0..3000 {
        let mut m = bytes.to_vec();
        for _ in 0..(1 + next() % 4) {
            let i = (next() as usize) % m.len();
            match next() % 3 {
                0 => m[i] = alphabet[(next() as usize) % alphabet.len()],
                1 => {
                    m.remove(i);
                }
                _ => m.insert(i, alphabet[(next() as usize) % alphabet.len()]),
            }
        }
        let text = String::from_utf8_lossy(&m);
        if NodeConfig::from_toml_str(&text, "fuzz.toml").is_err() {
            errors += 1;
        }
    }
    assert!(errors > 100, "mutations should mostly fail: {errors}");
}

#[test]
fn budget_units_are_checked_against_the_node_budget() {
    let f = |units: &str| {
        format!(
            "\n[[functions]]\nname = \"image\"\nbackend = {{ kind = \"synthetic\", warm_s = 0.1, cold_s = 0.1, idle_s = 1.0, max_instances = 2{units} }}\nadmission = {{ max_concurrency = 2, queue = 0 }}\n"
        )
    };
    let head = "node_id = \"n1\"\nlisten = \"127.0.0.1:0\"\nkey_file = \"n1.key\"\n";
    let ok = format!("{head}budget_units = 4\n{}", f(", units = 3"));
    assert_eq!(NodeConfig::from_toml_str(&ok, "/etc/dfaas/node.toml").unwrap().budget_units, Some(4));
    let m = err(&format!("{head}budget_units = 2\n{}", f(", units = 3")));
    assert!(m.contains("functions[0].backend.units") && m.contains('3') && m.contains("budget_units (2)"), "{m}");
    let m = err(&format!("{head}{}", f(", units = 1")));
    assert!(m.contains("functions[0].backend.units") && m.contains("needs the node's budget_units"), "{m}");
    let m = err(&format!("{head}budget_units = 0\n{}", f("")));
    assert!(m.contains("budget_units") && m.contains("at least 1"), "{m}");
}
