//! `dfaas cluster`: a live federation on 127.0.0.1.
//!
//! For a `capacity`- or `serverless`-model scenario, writes one runtime node config and one
//! agent config per node (free ports, fresh keys, a private-network key and
//! an allow-list shared by the members, members from the topology's
//! neighbours, a synthetic function whose instances × 1/service time equal
//! the node's capacity, or that emulates the serverless model's warm and cold
//! starts, idle timeout and concurrency limit), starts one `dfaas agent` process per node, waits
//! until every gateway answers `/healthz` and every control API lists its
//! neighbours as available, drives each node's load from the scenario's
//! workload with the open-loop generator (one rate per slot), polls each
//! agent's `/outcome` once per slot, and reports per node and slot. Every
//! child is killed when the [`Federation`] is dropped: on success, error or
//! panic. [`Federation`] is also what the live environment starts.

mod federation;
pub mod netns;
mod procs;
mod report;
pub(crate) mod setup;
#[cfg(target_os = "linux")]
pub mod tun_shaper;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use dfaas_env::Scenario;
use serde::{Deserialize, Serialize};

use dfaas_loadgen::{LoadSpec, Report};
pub use federation::{Federation, FederationOpts, call, log_tail, set_external_clock, set_queue};
pub use procs::{Children, kill_registered};
pub use setup::{
    Choice, FUNCTION, FunctionPlan, HostedFunction, LiveAgent, MultiPlan, NodePlan, SERVICE_HEADROOM, arrival_spacing,
    capacities, functions, live_agents, live_predictor, multi_plans, write_configs, write_configs_on,
};

/// What to run.
#[derive(Debug, Clone)]
pub struct ClusterOpts {
    pub scenario: PathBuf,
    /// Live slot length, seconds (agents' slot and the load's slot).
    pub slot_seconds: f64,
    /// Slots of load (default: the scenario's `max_steps`, at most 60).
    pub slots: Option<usize>,
    pub choice: Choice,
    /// Folder for configs, keys and logs (default: a temporary one, removed after).
    pub out: Option<PathBuf>,
    /// The `dfaas` binary to start agents with.
    pub exe: PathBuf,
    /// Workload episode seed (default: the scenario's first evaluation seed).
    pub seed: Option<u64>,
    /// Longest wait for the federation to form.
    pub ready_timeout: Duration,
    /// Each agent in its own network namespace (root; [`netns`]).
    pub netns: bool,
    /// With `netns`: no link shaping (a kernel without netem).
    pub no_shaping: bool,
}

/// One node's part of the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeReport {
    pub node: String,
    #[serde(default)]
    pub gateway: String,
    #[serde(default)]
    pub control: String,
    pub capacity_rps: f64,
    #[serde(default)]
    pub neighbors: Vec<String>,
    /// Scheduled rate per slot (req/s).
    #[serde(default)]
    pub rates: Vec<f64>,
    /// The generator's report (with per-slot rows); `None` without load.
    #[serde(default)]
    pub load: Option<Report>,
    /// The agent's `/outcome`, polled once per slot (consecutive duplicates removed).
    #[serde(default)]
    pub outcomes: Vec<dfaas_env::SlotOutcome>,
}

/// Federation-wide totals: what the users saw.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub requests: u64,
    /// Answered by a function execution (200).
    pub successes: u64,
    /// Answered with a rejection.
    pub rejected: u64,
    /// No answer, a timeout or a transport error.
    pub failures: u64,
    /// successes / requests (1 without requests).
    pub processed_ratio: f64,
}

impl Summary {
    /// Adds one load generator's report.
    pub fn add(&mut self, r: &Report) {
        self.requests += r.requests;
        self.successes += r.successes;
        self.rejected += r.by_reject_reason.values().sum::<u64>();
        self.failures += r.slots.iter().map(|s| s.failures).sum::<u64>();
        self.processed_ratio = if self.requests > 0 { self.successes as f64 / self.requests as f64 } else { 1.0 };
    }
}

/// The whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterReport {
    pub scenario: String,
    pub policy: String,
    pub slot_seconds: f64,
    pub slots: usize,
    /// The folder kept with the agents' configs, keys and logs: the `--out`
    /// given; absent when a temporary folder was used (removed after a
    /// successful run), so a report names no path of the machine it ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_dir: Option<String>,
    /// Process ids of the agents (all stopped when the report is returned).
    pub pids: Vec<u32>,
    /// Seconds until the federation formed.
    pub ready_s: f64,
    pub nodes: Vec<NodeReport>,
    pub summary: Summary,
    /// The summary in the shape of `dfaas compare --json` (one result, std 0).
    #[serde(default)]
    pub compare: dfaas_experiments::compare::CompareReport,
}

/// Rates per agent (node, or node-function pair) and slot (req/s) from the
/// scenario's workload.
pub fn rates(s: &Scenario, n: usize, slots: usize, seed: u64) -> Result<Vec<Vec<f64>>> {
    let workload = s.load_workload()?;
    let steps = slots.max(s.episode.max_steps);
    let mut rng = dfaas_env::seeds::substream(seed, 0);
    let counts = workload.generate(n, steps, s.episode.slot_seconds, &mut rng);
    Ok(counts
        .iter()
        .map(|row| row.iter().take(slots).map(|&c| f64::from(c) / s.episode.slot_seconds).collect())
        .collect())
}

/// Runs the cluster (on a runtime of its own) and returns the report.
pub fn run_cluster(opts: &ClusterOpts) -> Result<ClusterReport> {
    let scenario = Scenario::load(&opts.scenario)?;
    let topo = scenario.build_topology()?;
    capacities(&scenario, topo.len())?;
    if !(opts.slot_seconds.is_finite() && (0.05..=3600.0).contains(&opts.slot_seconds)) {
        bail!("--slot-seconds {} must be within 0.05..=3600", opts.slot_seconds);
    }
    let slots = opts.slots.unwrap_or(scenario.episode.max_steps.min(60));
    if slots == 0 {
        bail!("--slots must be >= 1");
    }
    let seed = opts.seed.unwrap_or_else(|| scenario.evaluation_seeds().first().copied().unwrap_or(0));
    let rates = rates(&scenario, topo.len(), slots, seed)?;
    let agents = live_agents(&scenario)?;
    let choice = match &opts.choice {
        Choice::Model(m) => Choice::Model(m.canonicalize().with_context(|| format!("model {}", m.display()))?),
        c => c.clone(),
    };
    let fed_opts = FederationOpts {
        slot_seconds: opts.slot_seconds,
        choice: choice.clone(),
        out: opts.out.clone(),
        exe: opts.exe.clone(),
        seed,
        external_clock: false,
        queue_per_instance: None,
        netns: opts.netns,
        no_shaping: opts.no_shaping,
    };
    let mut fed = Federation::start(&scenario, &fed_opts)?;
    let pids = fed.pids();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    let spacing: Vec<_> = (0..agents.len()).map(|a| arrival_spacing(scenario.episode.arrivals, seed, a)).collect();
    let result = rt.block_on(drive(opts, &mut fed, &agents, slots, rates, &spacing));
    fed.stop(result.is_ok());
    let (ready_s, nodes) = result?;
    let summary = summarize(&nodes);
    let compare = report::compare_view(&scenario.name, &choice.label(), opts.slot_seconds, seed, &nodes);
    Ok(ClusterReport {
        scenario: scenario.name.clone(),
        policy: choice.label(),
        slot_seconds: opts.slot_seconds,
        slots,
        out_dir: opts.out.as_ref().map(|d| d.display().to_string()),
        pids,
        ready_s,
        nodes,
        summary,
        compare,
    })
}

async fn drive(
    opts: &ClusterOpts,
    fed: &mut Federation,
    agents: &[LiveAgent],
    slots: usize,
    rates: Vec<Vec<f64>>,
    spacing: &[dfaas_loadgen::Spacing],
) -> Result<(f64, Vec<NodeReport>)> {
    let client = dfaas_runtime::client::build(Duration::from_secs(1));
    let ready_s = fed.wait_ready(&client, opts.ready_timeout, false).await?;
    let plans = &fed.plans;

    let slot = Duration::from_secs_f64(opts.slot_seconds);
    // The load's slots start on the agents' slot boundaries (multiples of the
    // slot length since the Unix epoch), so each table row is one agent slot.
    let now = std::time::SystemTime::now();
    let start = now + dfaas_agent::slot_loop::until_boundary(now, slot);
    tokio::time::sleep(start.duration_since(std::time::SystemTime::now()).unwrap_or_default()).await;
    let mut loads = Vec::new();
    for ((a, r), &spacing) in agents.iter().zip(&rates).zip(spacing) {
        let p = &plans[a.node];
        if r.iter().any(|&x| x > 0.0) {
            let mut spec = LoadSpec::per_slot(format!("http://{}/function/{}", p.gateway, a.function), r.clone(), slot);
            spec.timeout = Duration::from_secs(5);
            spec.spacing = spacing;
            loads.push(Some(tokio::spawn(dfaas_loadgen::run(spec))));
        } else {
            loads.push(None);
        }
    }
    // Poll /outcome once per slot while the load runs.
    let mut outcomes: Vec<Vec<dfaas_env::SlotOutcome>> = vec![Vec::new(); agents.len()];
    let end = Instant::now() + slot * u32::try_from(slots).unwrap_or(u32::MAX) + slot / 2;
    let mut tick = tokio::time::interval(slot);
    while Instant::now() < end {
        tick.tick().await;
        for (i, a) in agents.iter().enumerate() {
            let ctl = plans[a.node].function_client(&client, Duration::from_secs(2), &a.function);
            if let Ok(Some(o)) = ctl.outcome().await
                && outcomes[i].last() != Some(&o)
            {
                outcomes[i].push(o);
            }
        }
    }
    let mut nodes = Vec::new();
    for (i, (a, load)) in agents.iter().zip(loads).enumerate() {
        let p = &plans[a.node];
        let load = match load {
            Some(h) => Some(h.await.context("load task")?.with_context(|| format!("load of {}", a.name))?),
            None => None,
        };
        let neighbors = match p.multi.as_ref().and_then(|m| m.functions.iter().find(|f| f.name == a.function)) {
            Some(f) => f.peers.iter().map(|n| format!("{n}/{}", a.function)).collect(),
            None => p.neighbors.clone(),
        };
        nodes.push(NodeReport {
            node: a.name.clone(),
            gateway: p.gateway.to_string(),
            control: p.control.to_string(),
            capacity_rps: p.capacity_rps,
            neighbors,
            rates: rates[i].clone(),
            load,
            outcomes: std::mem::take(&mut outcomes[i]),
        });
    }
    Ok((ready_s, nodes))
}

fn summarize(nodes: &[NodeReport]) -> Summary {
    let mut s = Summary { processed_ratio: 1.0, ..Summary::default() };
    for r in nodes.iter().filter_map(|n| n.load.as_ref()) {
        s.add(r);
    }
    s
}

impl ClusterReport {
    /// The text report (tables per node and the federation summary).
    pub fn to_text(&self) -> String {
        report::text(self)
    }
}
