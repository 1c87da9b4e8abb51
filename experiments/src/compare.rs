//! Comparing contenders on the same fixed list of evaluation episodes.

use std::collections::BTreeMap;
use std::time::Duration;

use dfaas_env::{Scenario, Simulator};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::contender::Contender;
use crate::runner::{EpisodeRun, RunError, run_episode};
use crate::stats::MeanStd;

/// One contender's results over the evaluation episodes (means and
/// population standard deviations over episodes; ratios are of the
/// federation's total input). Read back, a document must give `policy` and
/// the processed, forwarded and rejected ratios; other fields default when
/// absent (documents written before they existed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyResult {
    pub policy: String,
    /// Centralised reference (not deployable).
    #[serde(default)]
    pub reference: bool,
    /// Requests executed / requests that arrived, in [0, 1].
    pub processed_ratio: f64,
    #[serde(default)]
    pub processed_ratio_std: f64,
    /// Rejected on purpose / input.
    pub rejected_ratio: f64,
    #[serde(default)]
    pub rejected_ratio_std: f64,
    /// Rejected by the local platform / input.
    #[serde(default)]
    pub local_reject_ratio: f64,
    #[serde(default)]
    pub local_reject_ratio_std: f64,
    /// Forwards rejected by the receiving neighbour / input.
    #[serde(default)]
    pub forward_reject_ratio: f64,
    #[serde(default)]
    pub forward_reject_ratio_std: f64,
    /// Forwarded / input.
    pub forwarded_ratio: f64,
    #[serde(default)]
    pub forwarded_ratio_std: f64,
    /// Mean reward per agent and slot (`null` for references without one).
    #[serde(default)]
    pub reward: Option<f64>,
    #[serde(default)]
    pub reward_std: Option<f64>,
    /// Processed-weighted mean response time, seconds (where the model gives it).
    #[serde(default)]
    pub response_time_s: Option<f64>,
    /// Simulator throughput while this contender ran.
    #[serde(default)]
    pub agent_steps_per_second: f64,
    /// Per-episode processed ratios, in seed order.
    #[serde(default)]
    pub episode_processed_ratios: Vec<f64>,
    /// Per-node mean rates (requests per second) over the slots after the
    /// first, averaged over episodes (empty for the global node).
    #[serde(default)]
    pub nodes: Vec<NodeRates>,
    /// The oracles' certified gap as a share of the input: their plans'
    /// expected loss exceeds the optimum's by at most this (absent when
    /// exact, as on every scenario below 32 nodes and the capacity model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certified_gap_ratio: Option<f64>,
    /// Several functions per node: the same ratios per function (of that
    /// function's input), in the scenario's function order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<FunctionResult>,
}

/// One function's results over the evaluation episodes (means and
/// population standard deviations over episodes, ratios of its input).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionResult {
    pub function: String,
    pub processed_ratio: f64,
    pub processed_ratio_std: f64,
    pub rejected_ratio: f64,
    pub local_reject_ratio: f64,
    pub forward_reject_ratio: f64,
    pub forwarded_ratio: f64,
    /// Requests per slot of this function over the federation, mean.
    pub input_per_slot: f64,
    /// Per-episode processed ratios, in seed order.
    pub episode_processed_ratios: Vec<f64>,
}

/// One node's mean rates in requests per second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeRates {
    pub node: String,
    pub input_rps: f64,
    pub local_rps: f64,
    /// Forwarded to each neighbour, by name.
    pub forwarded_rps: BTreeMap<String, f64>,
    pub received_rps: f64,
    pub rejected_rps: f64,
    pub platform_rejected_rps: f64,
    pub forward_rejected_rps: f64,
}

/// A whole comparison.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CompareReport {
    pub scenario: String,
    pub episodes: usize,
    #[serde(default)]
    pub seeds: Vec<u64>,
    pub results: Vec<PolicyResult>,
    /// Paired differences of the learned policies against the best other
    /// policy and every reference (`dfaas evaluate`; empty otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub paired: Vec<crate::paired::PairedDiff>,
    /// Where policies plan with predicted input: each node's one-step
    /// prediction error over the episodes (the same for every policy).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub prediction: Vec<dfaas_env::predict::NodePredictionError>,
}

/// Runs every contender on every seed (episodes spread over threads; the
/// results do not depend on the thread count).
pub fn compare(
    scenario: &Scenario,
    contenders: &[Contender],
    seeds: &[u64],
    progress: bool,
) -> Result<CompareReport, RunError> {
    let base = Simulator::new(scenario).map_err(|e| RunError::Unsupported(e.to_string()))?;
    let bar = if progress {
        let b = ProgressBar::new((contenders.len() * seeds.len()) as u64);
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg:<28} [{bar:30}] {pos}/{len} episodes {elapsed}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let mut results = Vec::new();
    for c in contenders {
        bar.set_message(c.name());
        let runs = run_many(&base, c, seeds, &bar)?;
        let mut r = summarise(c, &runs);
        if !matches!(c, Contender::GlobalNode) {
            r.nodes = node_rates(&base, &runs);
            r.functions = function_results(&base, &runs);
        }
        results.push(r);
    }
    bar.finish_and_clear();
    Ok(CompareReport {
        scenario: scenario.name.clone(),
        episodes: seeds.len(),
        seeds: seeds.to_vec(),
        results,
        paired: Vec::new(),
        prediction: prediction_errors(&base, seeds),
    })
}

/// Each node's one-step prediction error on the episodes of `seeds` (empty
/// when the scenario's policies see the true input).
pub fn prediction_errors(base: &Simulator, seeds: &[u64]) -> Vec<dfaas_env::predict::NodePredictionError> {
    let Some(spec) = base.predictor() else { return Vec::new() };
    let mut sim = base.clone();
    let (mut acc, mut inputs) = (Vec::new(), Vec::new());
    for &seed in seeds {
        sim.reset_episode(Some(seed));
        let idle = sim.predictor_warmup().to_vec();
        dfaas_env::predict::trace_errors_after_idle(&spec, sim.inputs(), &idle, &mut acc, &mut inputs);
    }
    dfaas_env::predict::report(sim.topology().names(), &acc, &inputs)
}

/// Plays `contender` on every seed, in parallel threads, results in seed order.
pub fn run_many(
    base: &Simulator,
    contender: &Contender,
    seeds: &[u64],
    bar: &ProgressBar,
) -> Result<Vec<EpisodeRun>, RunError> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(seeds.len()).max(1);
    let chunks: Vec<Vec<(usize, u64)>> =
        (0..threads).map(|t| seeds.iter().copied().enumerate().skip(t).step_by(threads).collect()).collect();
    let mut out: Vec<Option<EpisodeRun>> = (0..seeds.len()).map(|_| None).collect();
    let results: Vec<Result<Vec<(usize, EpisodeRun)>, RunError>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let mut sim = base.clone();
                s.spawn(move || {
                    let mut v = Vec::new();
                    for &(i, seed) in chunk {
                        v.push((i, run_episode::<std::io::Sink>(&mut sim, contender, seed, i, None)?));
                        bar.inc(1);
                    }
                    Ok(v)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("episode thread panicked")).collect()
    });
    for r in results {
        for (i, run) in r? {
            out[i] = Some(run);
        }
    }
    Ok(out.into_iter().map(|r| r.expect("every seed ran")).collect())
}

/// Per-node mean rates over the slots after the first, averaged over episodes.
pub fn node_rates(sim: &Simulator, runs: &[EpisodeRun]) -> Vec<NodeRates> {
    let topo = sim.topology();
    let slot = sim.slot_seconds();
    (0..topo.len())
        .map(|i| {
            let mean = |f: &dyn Fn(&EpisodeRun) -> f64| {
                runs.iter().map(|r| f(r) / (r.steady[i].slots.max(1) as f64) / slot).sum::<f64>()
                    / runs.len().max(1) as f64
            };
            NodeRates {
                node: topo.names()[i].clone(),
                input_rps: mean(&|r| r.steady[i].input as f64),
                local_rps: mean(&|r| r.steady[i].local as f64),
                forwarded_rps: topo
                    .neighbors(i)
                    .iter()
                    .enumerate()
                    .map(|(k, &j)| (topo.names()[j].clone(), mean(&|r| r.steady_forwarded_to[i][k] as f64)))
                    .collect(),
                received_rps: mean(&|r| r.steady[i].received as f64),
                rejected_rps: mean(&|r| r.steady[i].rejected as f64),
                platform_rejected_rps: mean(&|r| r.steady[i].local_rejects as f64),
                forward_rejected_rps: mean(&|r| r.steady[i].forward_rejects as f64),
            }
        })
        .collect()
}

/// Per function, its agents' totals over each episode (empty without
/// several functions per node).
pub fn function_results(sim: &Simulator, runs: &[EpisodeRun]) -> Vec<FunctionResult> {
    let Some(layout) = sim.layout() else { return Vec::new() };
    (0..layout.functions().len())
        .map(|f| {
            let totals: Vec<dfaas_env::metrics::Totals> = runs
                .iter()
                .map(|r| {
                    let mut t = dfaas_env::metrics::Totals::default();
                    (r.summary.agents.iter().enumerate())
                        .filter(|(a, _)| layout.function_of(*a) == f)
                        .for_each(|(_, x)| t.merge(x));
                    t
                })
                .collect();
            let col =
                |g: &dyn Fn(&dfaas_env::metrics::Totals) -> f64| MeanStd::of(&totals.iter().map(g).collect::<Vec<_>>());
            let processed = col(&|t| t.processed_ratio());
            let slots = runs.first().map_or(1, |r| r.summary.agents.first().map_or(1, |a| a.slots.max(1)));
            FunctionResult {
                function: layout.functions()[f].name.clone(),
                processed_ratio: processed.mean,
                processed_ratio_std: processed.std,
                rejected_ratio: col(&|t| t.rejected_ratio()).mean,
                local_reject_ratio: col(&|t| t.local_reject_ratio()).mean,
                forward_reject_ratio: col(&|t| t.forward_reject_ratio()).mean,
                forwarded_ratio: col(&|t| t.forwarded_ratio()).mean,
                input_per_slot: col(&|t| t.input as f64).mean / slots as f64,
                episode_processed_ratios: totals.iter().map(|t| t.processed_ratio()).collect(),
            }
        })
        .collect()
}

/// A contender's result over its episodes (`nodes` left empty: see [`node_rates`]).
pub fn summarise(c: &Contender, runs: &[EpisodeRun]) -> PolicyResult {
    let col = |f: &dyn Fn(&EpisodeRun) -> f64| MeanStd::of(&runs.iter().map(f).collect::<Vec<_>>());
    let processed = col(&|r| r.summary.federation.processed_ratio());
    let rejected = col(&|r| r.summary.federation.rejected_ratio());
    let local = col(&|r| r.summary.federation.local_reject_ratio());
    let fwd_rej = col(&|r| r.summary.federation.forward_reject_ratio());
    let fwd = col(&|r| r.summary.federation.forwarded_ratio());
    let reward = (!matches!(c, Contender::GlobalNode))
        .then(|| col(&|r| r.summary.federation.reward / r.summary.federation.slots.max(1) as f64));
    let rt: Vec<f64> = runs.iter().filter_map(|r| r.summary.federation.mean_response_time_s()).collect();
    let time: Duration = runs.iter().map(|r| r.step_time).sum();
    let steps: u64 = runs.iter().map(|r| r.agent_steps).sum();
    PolicyResult {
        policy: c.name(),
        reference: c.is_reference(),
        processed_ratio: processed.mean,
        processed_ratio_std: processed.std,
        rejected_ratio: rejected.mean,
        rejected_ratio_std: rejected.std,
        local_reject_ratio: local.mean,
        local_reject_ratio_std: local.std,
        forward_reject_ratio: fwd_rej.mean,
        forward_reject_ratio_std: fwd_rej.std,
        forwarded_ratio: fwd.mean,
        forwarded_ratio_std: fwd.std,
        reward: reward.map(|m| m.mean),
        reward_std: reward.map(|m| m.std),
        response_time_s: (!rt.is_empty()).then(|| MeanStd::of(&rt).mean),
        agent_steps_per_second: if time.as_secs_f64() > 0.0 { steps as f64 / time.as_secs_f64() } else { 0.0 },
        episode_processed_ratios: runs.iter().map(|r| r.summary.federation.processed_ratio()).collect(),
        nodes: Vec::new(),
        functions: Vec::new(),
        certified_gap_ratio: runs.iter().any(|r| r.certified_gap > 0.0).then(|| {
            let input: u64 = runs.iter().map(|r| r.summary.federation.input).sum();
            runs.iter().map(|r| r.certified_gap).sum::<f64>() / input.max(1) as f64
        }),
    }
}
