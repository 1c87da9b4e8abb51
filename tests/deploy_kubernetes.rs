//! `dfaas deploy kubernetes` writes manifests that the Kubernetes API
//! schemas accept: validated offline, strictly (no unknown field), by
//! kubernetes-validate against the schemas of Kubernetes 1.33 and 1.37
//! (scripts/setup.sh installs it into `.venv`; without it this test fails,
//! unless DFAAS_SKIP_PYTHON_TESTS=1). Also: the container recipe builds
//! with the workspace's toolchain and runs as the user the manifests ask for.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn deploy(out: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dfaas"))
        .args(["deploy", "kubernetes", "--scenario"])
        .arg(root().join("experiments/scenarios/dfaas-cloudnet21.toml"))
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn manifests_pass_strict_schema_validation() {
    if std::env::var("DFAAS_SKIP_PYTHON_TESTS").as_deref() == Ok("1") {
        eprintln!("skipped: DFAAS_SKIP_PYTHON_TESTS=1 (needs kubernetes-validate)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    let out = deploy(&plain, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let learned = tmp.path().join("learned");
    let model = root().join("models/dfaas-cloudnet21.dfpolicy");
    let out = deploy(&learned, &["--model", model.to_str().unwrap(), "--node-port", "--namespace", "edge"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(plain.join("10-secret.yaml")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the Secret's file holds the federation's keys");
    }
    let validator = root().join(".venv/bin/kubernetes-validate");
    assert!(validator.exists(), "{} missing: run scripts/setup.sh", validator.display());
    for dir in [&plain, &learned] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        assert_eq!(files.len(), 6);
        for version in ["1.33.0", "1.37.0"] {
            let v = Command::new(&validator).args(["--strict", "-k", version]).args(&files).output().unwrap();
            let text = format!("{}{}", String::from_utf8_lossy(&v.stdout), String::from_utf8_lossy(&v.stderr));
            assert!(v.status.success(), "Kubernetes {version} refuses {}:\n{text}", dir.display());
            // One verdict per object: the gateway file holds one Service per node.
            assert_eq!(text.matches(" passed for resource ").count(), 5 + 3, "{text}");
        }
    }
    // A corrupted manifest is refused: the validator is not a rubber stamp.
    let sts = plain.join("40-statefulset.yaml");
    let text = std::fs::read_to_string(&sts).unwrap().replace("replicas: 3", "replicas: three");
    std::fs::write(&sts, text).unwrap();
    let v = Command::new(&validator).args(["--strict", "-k", "1.37.0"]).arg(&sts).output().unwrap();
    assert!(!v.status.success(), "a string replica count passed validation");
}

#[test]
fn bad_options_are_refused_naming_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = deploy(tmp.path(), &["--namespace", "Edge_1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--namespace \"Edge_1\""), "{err}");
    let out = deploy(tmp.path(), &["--slot-seconds", "0"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--slot-seconds 0"));
}

/// The container recipe: two stages, the workspace's Rust version in the
/// builder, the binary and the policies copied into a non-root runtime
/// image whose user is the one the StatefulSet runs as.
#[test]
fn container_recipe_matches_the_workspace_and_the_manifests() {
    let recipe = std::fs::read_to_string(root().join("deploy/Containerfile")).unwrap();
    let froms: Vec<&str> = recipe.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "a build stage and a runtime stage");
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let rust = cargo.lines().find_map(|l| l.strip_prefix("rust-version = ")).unwrap().trim_matches('"');
    assert!(froms[0].contains(&format!("rust:{rust}-")) && froms[0].ends_with(" AS build"), "{}", froms[0]);
    assert!(froms[1].contains("distroless") && froms[1].ends_with(":nonroot"), "{}", froms[1]);
    assert!(recipe.contains("COPY --from=build /src/target/release/dfaas /usr/local/bin/dfaas"));
    assert!(recipe.contains("USER 65532:65532"));
    assert!(recipe.contains("ENTRYPOINT [\"/usr/local/bin/dfaas\"]"));
    let tmp = tempfile::tempdir().unwrap();
    assert!(deploy(tmp.path(), &[]).status.success());
    let sts = std::fs::read_to_string(tmp.path().join("40-statefulset.yaml")).unwrap();
    assert!(sts.contains("runAsUser: 65532"), "{sts}");
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "target/"), "the build context leaves target/ out");
}
