//! `dfaas deploy kubernetes --scenario F --out DIR`: the scenario's
//! federation as Kubernetes manifests (one agent pod per node; see
//! `docs/DEPLOY.md`).

use std::path::PathBuf;

use anyhow::Result;
use dfaas_live::cluster::Choice;
use dfaas_live::kubernetes::{Exposure, KubeOpts, manifests, write};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    target: Target,
}

#[derive(clap::Subcommand)]
enum Target {
    /// Namespace, Secret, ConfigMap, headless Service, StatefulSet and one
    /// gateway Service per node, as YAML files for `kubectl apply -f DIR`.
    Kubernetes(KubeArgs),
}

#[derive(clap::Args)]
struct KubeArgs {
    /// Scenario file (`capacity` or `serverless` model): nodes, links, capacities.
    #[arg(long)]
    scenario: PathBuf,
    /// Heuristic policy of every agent (default slack-proportional).
    #[arg(long, conflicts_with = "model")]
    policy: Option<String>,
    /// Learned policy file (shipped in the ConfigMap).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Folder to write the manifests into (the Secret's file is written 0600).
    #[arg(long)]
    out: PathBuf,
    /// Namespace of every object.
    #[arg(long, default_value = "dfaas")]
    namespace: String,
    /// StatefulSet and headless Service name; pods are NAME-0, NAME-1, …
    #[arg(long, default_value = "dfaas")]
    name: String,
    /// Container image (built from deploy/Containerfile).
    #[arg(long, default_value = "dfaas:latest")]
    image: String,
    /// The cluster's DNS domain.
    #[arg(long, default_value = "cluster.local")]
    cluster_domain: String,
    /// Slot length of the agents, seconds (default: the scenario's).
    #[arg(long)]
    slot_seconds: Option<f64>,
    /// Seed of the agents.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Expose each gateway on a port of every Kubernetes node (default: ClusterIP).
    #[arg(long)]
    node_port: bool,
}

pub fn run(a: Args) -> Result<()> {
    let Target::Kubernetes(k) = a.target;
    let choice = match (k.policy, k.model) {
        (_, Some(m)) => Choice::Model(m),
        (p, None) => Choice::Policy(p.unwrap_or_else(|| "slack-proportional".into())),
    };
    let scenario = dfaas_env::Scenario::load(&k.scenario)?;
    let opts = KubeOpts {
        namespace: k.namespace,
        name: k.name,
        image: k.image,
        cluster_domain: k.cluster_domain,
        slot_seconds: k.slot_seconds.unwrap_or(scenario.episode.slot_seconds),
        seed: k.seed,
        exposure: if k.node_port { Exposure::NodePort } else { Exposure::ClusterIp },
        ..KubeOpts::new()
    };
    let files = manifests(&scenario, &choice, &opts)?;
    write(&k.out, &files)?;
    for f in &files {
        println!("{}", k.out.join(&f.file).display());
    }
    eprintln!("apply with: kubectl apply -f {}", k.out.display());
    Ok(())
}
