//! `dfaas deploy kubernetes`: a scenario's federation as Kubernetes
//! manifests, one agent per edge node.
//!
//! The files (`kubectl apply -f DIR`), named for the order they apply in:
//!
//! - `00-namespace.yaml`: the namespace;
//! - `10-secret.yaml`: the Secret with every node's member key, its control
//!   token and the federation's pre-shared key (written 0600: it is the
//!   federation's credentials);
//! - `20-configmap.yaml`: the ConfigMap with each pod's agent file
//!   (`<pod>.agent.toml`), each node's runtime file (`<node>.node.toml`)
//!   and, for a learned policy, the policy file itself;
//! - `30-service.yaml`: the headless Service that gives each pod its stable
//!   DNS name (`<pod>.<service>.<namespace>.svc.<domain>`), which members
//!   and bootstrap peers are addressed by (published before the pods are
//!   ready, so a federation forms in any start order);
//! - `40-statefulset.yaml`: the StatefulSet: pod `<name>-<i>` is node `i`
//!   of the scenario's topology (its ordinal picks its agent file), non-root,
//!   read-only root file system, no capabilities;
//! - `50-gateways.yaml`: one Service per node exposing its gateway, where
//!   that node's users send their calls (ClusterIP, or NodePort).
//!
//! Each node serves the scenario's synthetic function as `dfaas cluster`
//! runs it; an operator replaces the `[[functions]]` of a node file with a
//! `process` or `openfaas` backend for real work.

mod objects;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use dfaas_env::Scenario;

use crate::cluster::Choice;
use crate::cluster::setup::{ConfigContext, Endpoints, Secrets, functions, hex, plan_nodes};

/// Gateway port of every pod.
pub const GATEWAY_PORT: u16 = 8080;
/// Overlay (libp2p) port of every pod.
pub const P2P_PORT: u16 = 4001;
/// Control API port (on the pod's loopback: `kubectl port-forward` reaches it).
pub const CONTROL_PORT: u16 = 9100;
/// Where the ConfigMap is mounted.
pub const CONFIG_DIR: &str = "/etc/dfaas";
/// Where the Secret is mounted.
pub const SECRETS_DIR: &str = "/var/run/secrets/dfaas";
/// The policy file's key in the ConfigMap (with the file's own extension).
const POLICY_STEM: &str = "policy";
/// The ConfigMap key of the federation's allow-list (one peer id per line).
const ALLOW_FILE: &str = "allow.txt";
/// What a ConfigMap may hold (the API server refuses more than 1 MiB).
const CONFIGMAP_LIMIT: usize = 1 << 20;

/// How the gateways are exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Reachable inside the cluster.
    ClusterIp,
    /// Also on a port of every Kubernetes node.
    NodePort,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct KubeOpts {
    /// Namespace of every object.
    pub namespace: String,
    /// Name of the StatefulSet and its headless Service; pods are `<name>-<i>`.
    pub name: String,
    /// The container image (built from `deploy/Containerfile`).
    pub image: String,
    /// The cluster's DNS domain.
    pub cluster_domain: String,
    /// Slot length of the agents, seconds.
    pub slot_seconds: f64,
    /// Seed of the agents (and of the synthetic functions' service times).
    pub seed: u64,
    pub exposure: Exposure,
    /// Where the pods find their files (overridden by tests that load the files).
    pub config_dir: String,
    pub secrets_dir: String,
}

impl KubeOpts {
    /// Defaults: namespace and name `dfaas`, image `dfaas:latest`,
    /// `cluster.local`, 5 s slots, seed 0, ClusterIP gateways.
    pub fn new() -> Self {
        KubeOpts {
            namespace: "dfaas".into(),
            name: "dfaas".into(),
            image: "dfaas:latest".into(),
            cluster_domain: "cluster.local".into(),
            slot_seconds: 5.0,
            seed: 0,
            exposure: Exposure::ClusterIp,
            config_dir: CONFIG_DIR.into(),
            secrets_dir: SECRETS_DIR.into(),
        }
    }

    /// Pod `i`'s stable DNS name.
    pub fn pod_host(&self, i: usize) -> String {
        format!("{}-{i}.{}.{}.svc.{}", self.name, self.name, self.namespace, self.cluster_domain)
    }

    /// Names Kubernetes accepts (RFC 1123 labels; the name leaves room for
    /// `-<ordinal>-gateway`), else an error naming the option and value.
    fn validate(&self) -> Result<()> {
        let label = |what: &str, v: &str, max: usize| -> Result<()> {
            let ok = !v.is_empty()
                && v.len() <= max
                && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !v.starts_with('-')
                && !v.ends_with('-');
            if !ok {
                bail!("--{what} {v:?}: must be 1 to {max} lower-case letters, digits or inner '-' (a Kubernetes name)");
            }
            Ok(())
        };
        label("namespace", &self.namespace, 63)?;
        label("name", &self.name, 40)?;
        if self.image.trim().is_empty() || self.image.contains(char::is_whitespace) {
            bail!("--image {:?}: not an image reference", self.image);
        }
        if !(self.slot_seconds > 0.0 && self.slot_seconds.is_finite()) {
            bail!("--slot-seconds {}: must be a positive number of seconds", self.slot_seconds);
        }
        Ok(())
    }
}

impl Default for KubeOpts {
    fn default() -> Self {
        Self::new()
    }
}

/// One manifest file.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// File name (`NN-kind.yaml`).
    pub file: String,
    /// Its YAML text.
    pub yaml: String,
    /// It holds credentials (the Secret).
    pub secret: bool,
}

/// The text files of every node (what the ConfigMap and the Secret hold).
struct NodeFiles {
    nodes: usize,
    config: Vec<(String, String)>,
    secrets: Vec<(String, String)>,
}

/// Every node's config files for `s` at its pod's DNS name, with fresh keys,
/// control tokens and pre-shared key.
fn node_files(s: &Scenario, choice: &Choice, o: &KubeOpts) -> Result<NodeFiles> {
    let topo = s.build_node_topology()?;
    let n = topo.len();
    let keys = tempfile::tempdir().context("a temporary folder for the generated keys")?;
    let wildcard = vec![std::net::IpAddr::from([0, 0, 0, 0]); n];
    let (mut plans, pubkeys) = plan_nodes(&topo, functions(s, n)?, keys.path(), Some(&wildcard))?;
    if let Some(multi) = crate::cluster::setup::multi_plans(s)? {
        plans.iter_mut().zip(multi).for_each(|(p, m)| p.multi = Some(m));
    }
    let endpoints = (0..n)
        .map(|i| Endpoints {
            gateway_listen: ([0, 0, 0, 0], GATEWAY_PORT).into(),
            gateway_public: format!("{}:{GATEWAY_PORT}", o.pod_host(i)),
            control: ([127, 0, 0, 1], CONTROL_PORT).into(),
            p2p_listen: format!("/ip4/0.0.0.0/tcp/{P2P_PORT}"),
            p2p_public: format!("/dns4/{}/tcp/{P2P_PORT}", o.pod_host(i)),
        })
        .collect();
    let deployed_choice = match choice {
        Choice::Policy(p) => Choice::Policy(p.clone()),
        Choice::Model(m) => Choice::Model(PathBuf::from(format!("{}/{}", o.config_dir, policy_key(m)))),
    };
    let ctx = ConfigContext {
        scenario: s,
        topo: &topo,
        plans: &plans,
        pubkeys: &pubkeys,
        choice: &deployed_choice,
        slot_seconds: o.slot_seconds,
        seed: o.seed,
        endpoints,
        secrets: Secrets::Mounted { dir: o.secrets_dir.clone() },
        allow_file: Some(ALLOW_FILE.into()),
        bootstrap_neighbors: true,
    };
    let mut files = NodeFiles { nodes: n, config: vec![(ALLOW_FILE.into(), ctx.allow_text())], secrets: Vec::new() };
    files.secrets.push(("psk".into(), hex(&rand::random::<[u8; 32]>())));
    for (i, p) in plans.iter().enumerate() {
        files.config.push((format!("{}-{i}.agent.toml", o.name), ctx.agent_toml(i)));
        files.config.push((format!("{}.node.toml", p.id), ctx.node_toml(i)));
        let key = keys.path().join(format!("{}.key", p.id));
        let key = std::fs::read_to_string(&key).with_context(|| format!("reading {}", key.display()))?;
        files.secrets.push((format!("{}.key", p.id), key.trim().to_string()));
        files.secrets.push((format!("{}.control.token", p.id), hex(&rand::random::<[u8; 32]>())));
    }
    Ok(files)
}

/// The ConfigMap key of a policy file: `policy.<its extension>`.
fn policy_key(model: &Path) -> String {
    match model.extension() {
        Some(e) => format!("{POLICY_STEM}.{}", e.to_string_lossy()),
        None => POLICY_STEM.to_string(),
    }
}

/// The manifests of `s`'s federation run by `choice`.
pub fn manifests(s: &Scenario, choice: &Choice, o: &KubeOpts) -> Result<Vec<Manifest>> {
    o.validate()?;
    let files = node_files(s, choice, o)?;
    let n = files.nodes;
    let policy = match choice {
        Choice::Policy(p) => {
            let spec = dfaas_policies::PolicySpec::parse(p).with_context(|| format!("--policy {p:?}"))?;
            dfaas_policies::build(&spec, 0, 0).with_context(|| format!("--policy {p:?}"))?;
            None
        }
        Choice::Model(m) => {
            // A file the agents could not load is refused here, not in the pods.
            dfaas_policies::learned::LearnedFile::read(m)?;
            let bytes = std::fs::read(m).with_context(|| format!("reading the policy file {}", m.display()))?;
            Some((policy_key(m), bytes))
        }
    };
    let text_bytes: usize = files.config.iter().map(|(k, v)| k.len() + v.len()).sum();
    let size = text_bytes + policy.as_ref().map_or(0, |(_, b)| b.len() * 4 / 3 + 4);
    if size > CONFIGMAP_LIMIT * 9 / 10 {
        bail!("the ConfigMap of {n} nodes would hold {size} bytes; Kubernetes accepts at most 1 MiB");
    }
    let y = |v: serde_json::Value| yaml_serde::to_string(&v).context("writing YAML");
    let mut out = vec![
        Manifest { file: "00-namespace.yaml".into(), yaml: y(objects::namespace(o))?, secret: false },
        Manifest { file: "10-secret.yaml".into(), yaml: y(objects::secret(o, &files.secrets))?, secret: true },
        Manifest {
            file: "20-configmap.yaml".into(),
            yaml: y(objects::config_map(o, &files.config, policy.as_ref().map(|(k, b)| (k.as_str(), b.as_slice()))))?,
            secret: false,
        },
        Manifest { file: "30-service.yaml".into(), yaml: y(objects::headless_service(o))?, secret: false },
        Manifest { file: "40-statefulset.yaml".into(), yaml: y(objects::stateful_set(o, n))?, secret: false },
    ];
    let gateways: Vec<String> = (0..n).map(|i| y(objects::gateway_service(o, i))).collect::<Result<_>>()?;
    out.push(Manifest { file: "50-gateways.yaml".into(), yaml: gateways.join("---\n"), secret: false });
    Ok(out)
}

/// Writes the manifests into `dir` (created; the Secret's file 0600).
pub fn write(dir: &Path, manifests: &[Manifest]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for m in manifests {
        let path = dir.join(&m.file);
        if m.secret {
            crate::cluster::setup::write_private(&path, &m.yaml)?;
        } else {
            std::fs::write(&path, &m.yaml).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(())
}
