//! `dfaas serve-policy`: our heuristics and learned policies as the RL-model
//! service of upstream DFaaS agents (`POST /action`, see
//! `dfaas_agent::upstream`). The federation is declared by a config file, or
//! by a scenario whose nodes are given the upstream peer IDs in order.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use dfaas_agent::PolicyChoice;
use dfaas_agent::upstream::config::{STALE_AFTER_INTERVALS, UPSTREAM_INTERVAL_SECONDS};
use dfaas_agent::upstream::{Broker, PolicyService, ServeConfig, ServedNode};
use dfaas_policies::PolicySpec;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("federation").required(true).args(["config", "scenario"])))]
pub struct Args {
    /// Service config (TOML): slot, interval, policy and the nodes with their capacities.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Or a scenario: its nodes (in order) are the upstream peers `--peer-ids`,
    /// with the scenario's capacities and slot length.
    #[arg(long, requires = "peer_ids")]
    scenario: Option<PathBuf>,
    /// Upstream libp2p peer IDs of the scenario's nodes, comma-separated, in the scenario's node order.
    #[arg(long, value_delimiter = ',')]
    peer_ids: Vec<String>,
    /// With --scenario: a heuristic (default slack-proportional).
    #[arg(long, conflicts_with = "model")]
    policy: Option<String>,
    /// With --scenario: a learned policy file (.dfpolicy or ONNX). Its max degree
    /// must cover the upstream nodes' neighbours (upstream's RL strategy runs
    /// a full mesh of five: four neighbours each).
    #[arg(long)]
    model: Option<PathBuf>,
    /// With --scenario: real time between two decisions of a node, seconds (upstream: 120).
    #[arg(long, default_value_t = UPSTREAM_INTERVAL_SECONDS)]
    interval_seconds: f64,
    /// Address to answer on (the agents' AGENT_RLMODEL_HOST and _PORT).
    #[arg(long, default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
}

fn from_scenario(a: &Args, path: &Path) -> Result<ServeConfig> {
    let s = super::load(path)?;
    let topology = s.build_topology()?;
    let n = topology.len();
    if a.peer_ids.len() != n {
        bail!("--peer-ids gives {} peer IDs; scenario {} has {n} nodes", a.peer_ids.len(), path.display());
    }
    let (capacities, _) = dfaas_live::cluster::capacities(&s, n)?;
    let policy = match (&a.policy, &a.model) {
        (_, Some(m)) => PolicyChoice::Model(m.clone()),
        (p, None) => PolicyChoice::Heuristic(PolicySpec::parse(p.as_deref().unwrap_or("slack-proportional"))?),
    };
    let config = ServeConfig {
        slot_seconds: s.episode.slot_seconds,
        interval_seconds: a.interval_seconds,
        policy,
        seed: 0,
        stale_after_intervals: STALE_AFTER_INTERVALS,
        period_slots: s.observation.period_slots,
        nodes: a
            .peer_ids
            .iter()
            .zip(capacities)
            .zip(topology.names())
            .map(|((id, capacity_rps), name)| ServedNode {
                id: id.trim().to_string(),
                name: name.clone(),
                capacity_rps,
                latency_s: 0.0,
            })
            .collect(),
    };
    if let Err((field, value, reason)) = config.validate() {
        bail!("--scenario {} with --peer-ids: {field} = {value}: {reason}", path.display());
    }
    Ok(config)
}

pub fn run(a: Args) -> Result<()> {
    super::agent::init_logging();
    let config = match (&a.config, &a.scenario) {
        (Some(c), _) => {
            if a.policy.is_some() || a.model.is_some() || !a.peer_ids.is_empty() {
                bail!("--config names the policy and the nodes itself: drop --policy, --model and --peer-ids");
            }
            ServeConfig::load(c)?
        }
        (None, Some(s)) => from_scenario(&a, s)?,
        (None, None) => bail!("give --config or --scenario"),
    };
    // The policy is loaded once, here: an unreadable file fails now, not on the
    // first upstream request (each node's neighbours are checked per request:
    // upstream names them).
    let nodes = config.nodes.len();
    let broker = Broker::new(config).context("loading the policy")?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    rt.block_on(async move {
        let service = PolicyService::start(a.listen, broker).await.with_context(|| format!("binding {}", a.listen))?;
        eprintln!("dfaas serve-policy: POST http://{}/action for {nodes} nodes", service.local_addr());
        let sig = super::agent::stop_signal().await?;
        eprintln!("{sig}: shutting down");
        service.shutdown().await;
        Ok(())
    })
}
