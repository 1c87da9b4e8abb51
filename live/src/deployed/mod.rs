//! Sim-to-real through the deployed path (`dfaas sim2real`, the default):
//! agent processes on their own timers observe, predict, gossip and decide
//! for themselves with the policy in-process, exactly as `dfaas cluster`
//! deploys them; the simulator plays the same workload with the same
//! predictor and policy; the two are compared slot by slot.
//!
//! **Alignment.** Agents end their slots on multiples of the slot length
//! since the Unix epoch. Once the federation has formed, the load of slot 0
//! starts on such a boundary `B`; each node's requests of slot `t` (the
//! simulator's count for that node and slot) are sent evenly, centred,
//! within `[B + t·s, B + (t+1)·s)`. An agent's `GET /history` entry that
//! ended at `B + (t+1)·s` is its slot `t`: its counters are scored by the
//! simulator's own reward ([`Simulator::advance_measured`]), and its
//! observation carries the forecast it made for slot `t + 1`.
//!
//! **What differs, on purpose.** Live nodes were idle, and had heard from
//! each other, before slot 0 (the simulator's nodes hear nothing before
//! slot 0; their predictors are fed the same idle slots each live node's
//! saw, [`Simulator::set_predictor_warmup`], so both worlds' forecasts start
//! alike, and the report's forecast errors too); the live gateway has an
//! admission queue (`--queue-per-instance`) and real execution times.

mod history;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use dfaas_env::scenario::InputView;
use dfaas_env::{Scenario, Simulator};

use crate::cluster::{Choice, Federation, FederationOpts, LiveAgent, live_agents};
use crate::live_env::{LiveOpts, METRICS, Side, Sim2RealReport, live_scenario, metric};
use dfaas_experiments::compare::{function_results, node_rates, prediction_errors, summarise};
use dfaas_experiments::contender::Contender;
use dfaas_experiments::runner::{EpisodeRun, run_episode};
use dfaas_loadgen::LoadSpec;
pub use history::{AgentHistory, LiveEpisode, live_outcomes};

/// How to run one deployed-path comparison.
#[derive(Debug, Clone)]
pub struct DeployedOpts {
    /// Slot length of both worlds, seconds.
    pub slot_seconds: f64,
    /// Slots of load.
    pub slots: usize,
    /// Workload episode seed.
    pub seed: u64,
    /// The `dfaas` binary to start agents with.
    pub exe: PathBuf,
    /// Folder for configs, keys and logs (default: a temporary one).
    pub out: Option<PathBuf>,
    /// Longest wait for the federation to form.
    pub ready_timeout: Duration,
    /// Admission queue per function instance on the live nodes.
    pub queue_per_instance: u32,
    /// Each agent in its own network namespace (root; `cluster::netns`).
    pub netns: bool,
    /// With `netns`: no link shaping (a kernel without netem).
    pub no_shaping: bool,
}

/// The scenario both worlds play: the live slot length and count, and the
/// predictor the agents run. A scenario that reveals the input
/// (`input = "true"`) is played with the last-value predictor, the one
/// `dfaas cluster` gives its agents then.
pub fn played_scenario(s: &Scenario, slot_seconds: f64, slots: usize) -> Result<Scenario> {
    let mut p = live_scenario(s, &LiveOpts::new(slot_seconds, slots))?;
    if p.observation.predictor().is_none() {
        p.observation.input = InputView::Predicted;
        p.observation.predictor = Some(crate::cluster::live_predictor(s));
    }
    Ok(p)
}

/// The live side of a contender: a heuristic by spec or a model file.
fn choice_of(contender: &Contender) -> Result<Choice> {
    match contender {
        Contender::Policy(spec) => Ok(Choice::Policy(spec.to_string())),
        Contender::Learned { path, .. } => Ok(Choice::Model(path.clone())),
        other => bail!("{} is a centralised reference and cannot run on live nodes", other.name()),
    }
}

/// Plays `contender` on `scenario` in the simulator and through the deployed
/// path, one episode of `opts.slots` slots with workload seed `opts.seed`.
pub fn run_deployed(scenario: &Scenario, contender: &Contender, opts: &DeployedOpts) -> Result<Sim2RealReport> {
    let played = played_scenario(scenario, opts.slot_seconds, opts.slots)?;
    let predictor = played.observation.predictor();
    let mut sim = Simulator::new(&played)?;
    sim.reset_episode(Some(opts.seed));
    let counts: Vec<Vec<u32>> = sim.inputs().to_vec();

    let fed_opts = FederationOpts {
        slot_seconds: opts.slot_seconds,
        choice: choice_of(contender)?,
        out: opts.out.clone(),
        exe: opts.exe.clone(),
        seed: opts.seed,
        external_clock: false,
        queue_per_instance: Some(opts.queue_per_instance),
        netns: opts.netns,
        no_shaping: opts.no_shaping,
    };
    let mut fed = Federation::start(&played, &fed_opts)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")?;
    let agents = live_agents(&played)?;
    let spacing: Vec<_> =
        (0..agents.len()).map(|a| crate::cluster::arrival_spacing(played.episode.arrivals, opts.seed, a)).collect();
    let result = rt.block_on(drive(&mut fed, &agents, opts, &counts, &spacing));
    fed.stop(result.is_ok());
    let (histories, client) = result?;

    // The live nodes idled before the load: their forecasts start from the
    // zeros they saw; the simulator's nodes start from the same.
    let slot_ms = opts.slot_seconds * 1000.0;
    sim.set_predictor_warmup(histories.iter().map(|h| h.idle_slots(slot_ms)).collect());
    let sim_run = run_episode::<std::io::Sink>(&mut sim, contender, opts.seed, 0, None)?;
    let sim_prediction = prediction_errors(&sim, &[opts.seed]);

    let topo = sim.topology().clone();
    let live = live_outcomes(&histories, &topo, &counts, opts)?;
    let mut book = Simulator::new(&played)?;
    book.reset_episode(Some(opts.seed));
    let mut live_run = EpisodeRun::empty(&book, opts.seed);
    for (t, slot) in live.outcomes.into_iter().enumerate() {
        book.advance_measured(slot)?;
        live_run.record(t, book.outcomes());
    }
    live_run.summary.finish();
    let side = |run: &EpisodeRun| {
        let mut r = summarise(contender, std::slice::from_ref(run));
        r.nodes = node_rates(&sim, std::slice::from_ref(run));
        r.functions = function_results(&sim, std::slice::from_ref(run));
        let f = &run.summary.federation;
        Side { result: r, local_ratio: if f.input > 0 { f.local as f64 / f.input as f64 } else { 0.0 } }
    };
    let (sim_side, live_side) = (side(&sim_run), side(&live_run));
    let gap: BTreeMap<String, f64> =
        METRICS.iter().map(|(m, _)| (m.to_string(), metric(&live_side, m) - metric(&sim_side, m))).collect();
    Ok(Sim2RealReport {
        scenario: played.name.clone(),
        policy: contender.name(),
        path: "deployed".into(),
        seeds: vec![opts.seed],
        slots: opts.slots,
        slot_seconds: opts.slot_seconds,
        predictor,
        sim: sim_side,
        live: live_side,
        gap,
        sim_slots: vec![sim_run.slots.clone()],
        live_slots: vec![live_run.slots.clone()],
        sim_prediction,
        live_prediction: live.prediction,
        live_client: Some(client),
        live_issues: live.issues,
        stray_input: 0,
    })
}

/// Waits for the federation, sends the load from an aligned boundary, and
/// reads every agent's history once the last slot has ended.
async fn drive(
    fed: &mut Federation,
    agents: &[LiveAgent],
    opts: &DeployedOpts,
    counts: &[Vec<u32>],
    spacing: &[dfaas_loadgen::Spacing],
) -> Result<(Vec<AgentHistory>, crate::cluster::Summary)> {
    let client = dfaas_runtime::client::build(Duration::from_secs(1));
    fed.wait_ready(&client, opts.ready_timeout, false).await?;
    let slot = Duration::from_secs_f64(opts.slot_seconds);
    // Slot 0 starts on the second boundary from now: at least a slot to set up.
    let now = SystemTime::now();
    let start = now + dfaas_agent::slot_loop::until_boundary(now, slot) + slot;
    let start_ms = start.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    tokio::time::sleep(start.duration_since(SystemTime::now()).unwrap_or_default()).await;
    let mut loads = Vec::new();
    for ((a, row), &spacing) in agents.iter().zip(counts).zip(spacing) {
        let p = &fed.plans[a.node];
        let rates: Vec<f64> = row.iter().take(opts.slots).map(|&c| f64::from(c) / opts.slot_seconds).collect();
        if rates.iter().all(|&r| r == 0.0) {
            continue;
        }
        let mut spec = LoadSpec::per_slot(format!("http://{}/function/{}", p.gateway, a.function), rates, slot);
        spec.timeout = Duration::from_secs(5);
        spec.spacing = spacing;
        loads.push((a.name.clone(), tokio::spawn(dfaas_loadgen::run(spec))));
    }
    let mut view = crate::cluster::Summary { processed_ratio: 1.0, ..Default::default() };
    for (id, h) in loads {
        let r = h.await.context("load task")?.with_context(|| format!("load of {id}"))?;
        view.add(&r);
    }
    // The last slot ends at B + slots·s; wait one more slot for every tick.
    let end = start + slot * u32::try_from(opts.slots).unwrap_or(u32::MAX) + slot;
    tokio::time::sleep(end.duration_since(SystemTime::now()).unwrap_or_default()).await;
    let mut out = Vec::new();
    for a in agents {
        let p = &fed.plans[a.node];
        let ctl = p.function_client(&client, Duration::from_secs(5), &a.function);
        let reports = ctl.history().await.with_context(|| format!("reading the history of {}", a.name))?;
        let mut peers = ctl.weights().await.with_context(|| format!("reading the peers of {}", a.name))?.peers;
        if p.multi.is_some() {
            // The simulator's names of its neighbours: the same function at each peer.
            peers = peers.iter().map(|n| format!("{n}/{}", a.function)).collect();
        }
        out.push(AgentHistory { node: a.name.clone(), peers, reports, start_ms });
    }
    Ok((out, view))
}
