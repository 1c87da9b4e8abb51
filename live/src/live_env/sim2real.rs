//! Sim-to-real: one policy on the same scenario, workload seed and slots, in
//! the simulator and live; the gap per metric.

use std::collections::BTreeMap;

use dfaas_env::metrics::Totals;
use dfaas_env::predict::NodePredictionError;
use dfaas_env::{Scenario, Simulator};
use serde::{Deserialize, Serialize};

use super::run::{SlotIssue, issues_text, live_result};
use super::{LiveEnv, live_scenario};
use dfaas_experiments::compare::{PolicyResult, function_results, node_rates, summarise};
use dfaas_experiments::contender::Contender;
use dfaas_experiments::runner::{EpisodeRun, RunError, run_episode};
use dfaas_experiments::table::render;

/// The metrics compared, in display order (keys of [`Sim2RealReport::gap`]),
/// with the label figures give them.
pub const METRICS: [(&str, &str); 7] = [
    ("processed_ratio", "processed"),
    ("local_ratio", "kept local"),
    ("forwarded_ratio", "forwarded"),
    ("rejected_ratio", "rejected by the policy"),
    ("local_reject_ratio", "rejected by the local platform"),
    ("forward_reject_ratio", "rejected by the neighbour"),
    ("reward", "reward"),
];

/// The [`METRICS`] that are shares of the input in a `dfaas compare` result
/// row (what sim-to-real figures draw as bars).
pub fn share_metrics() -> impl Iterator<Item = (&'static str, &'static str)> {
    METRICS.into_iter().filter(|(k, _)| *k != "local_ratio" && *k != "reward")
}

/// One side of the comparison: a `dfaas compare` result row (over the
/// episodes played) plus the share of the input kept local.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Side {
    #[serde(flatten)]
    pub result: PolicyResult,
    /// Kept local / input, in [0, 1].
    pub local_ratio: f64,
}

/// The `dfaas sim2real --json` document. Stable field names:
///
/// * `scenario`: scenario name; `policy`: the contender's name;
/// * `seeds`: workload episode seeds (one episode each, same in both worlds);
///   `slots`, `slot_seconds`: the episode as played (the simulator plays the
///   scenario with the same slot length and number of slots);
/// * `sim`, `live`: [`Side`]s — every field of a `dfaas compare` result
///   (`processed_ratio`, `rejected_ratio`, `local_reject_ratio`,
///   `forward_reject_ratio`, `forwarded_ratio` with their `_std`, `reward`,
///   `nodes` with per-node rates in req/s, …) plus `local_ratio`;
/// * `gap`: for each metric of [`METRICS`], `live − sim` (ratios in [−1, 1],
///   not percentage points);
/// * `sim_slots`, `live_slots`: per episode, per slot, the federation's
///   totals of that slot (`input`, `local`, `forwarded`, `rejected`,
///   `local_rejects`, `forward_rejects`, `processed`, `reward`, …: counts per
///   slot, reward summed over agents), for plots over time;
/// * `live_issues`: what went wrong live, per node and slot (empty when
///   every agent answered every slot); `stray_input`: requests counted
///   outside any slot (0 when slots were aligned).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sim2RealReport {
    pub scenario: String,
    pub policy: String,
    /// `"deployed"`: agents on their own timers decide for themselves
    /// ([`crate::deployed`]); `"driven"`: the live environment decides from
    /// the simulator's observations and ends slots by `POST /tick`.
    #[serde(default)]
    pub path: String,
    pub seeds: Vec<u64>,
    pub slots: usize,
    pub slot_seconds: f64,
    /// The predictor both worlds' nodes planned with (deployed path).
    #[serde(default)]
    pub predictor: Option<dfaas_env::predict::PredictorSpec>,
    pub sim: Side,
    pub live: Side,
    pub gap: BTreeMap<String, f64>,
    pub sim_slots: Vec<Vec<Totals>>,
    pub live_slots: Vec<Vec<Totals>>,
    /// Per node, the one-step forecast error in each world (deployed path).
    #[serde(default)]
    pub sim_prediction: Vec<NodePredictionError>,
    #[serde(default)]
    pub live_prediction: Vec<NodePredictionError>,
    /// What the live federation's users saw (deployed path).
    #[serde(default)]
    pub live_client: Option<crate::cluster::Summary>,
    #[serde(default)]
    pub live_issues: Vec<SlotIssue>,
    #[serde(default)]
    pub stray_input: u64,
}

fn local_ratio(runs: &[EpisodeRun]) -> f64 {
    let per: Vec<f64> = runs
        .iter()
        .map(|r| {
            let f = &r.summary.federation;
            if f.input > 0 { f.local as f64 / f.input as f64 } else { 0.0 }
        })
        .collect();
    per.iter().sum::<f64>() / per.len().max(1) as f64
}

/// One metric of a side (a ratio in [0, 1], or the reward).
pub fn metric(s: &Side, name: &str) -> f64 {
    let r = &s.result;
    match name {
        "processed_ratio" => r.processed_ratio,
        "local_ratio" => s.local_ratio,
        "forwarded_ratio" => r.forwarded_ratio,
        "rejected_ratio" => r.rejected_ratio,
        "local_reject_ratio" => r.local_reject_ratio,
        "forward_reject_ratio" => r.forward_reject_ratio,
        "reward" => r.reward.unwrap_or(0.0),
        _ => f64::NAN,
    }
}

impl Sim2RealReport {
    /// Plays `contender` on `seeds` in the simulator (the scenario with the
    /// live environment's slot length and count) and through `env`.
    pub fn run(scenario: &Scenario, env: &mut LiveEnv, contender: &Contender, seeds: &[u64]) -> Result<Self, RunError> {
        let opts = env.opts().clone();
        let s = live_scenario(scenario, &opts).map_err(|e| RunError::Unsupported(e.to_string()))?;
        let mut sim = Simulator::new(&s).map_err(|e| RunError::Unsupported(e.to_string()))?;
        let mut runs = Vec::new();
        for (k, &seed) in seeds.iter().enumerate() {
            runs.push(run_episode::<std::io::Sink>(&mut sim, contender, seed, k, None)?);
        }
        let mut sim_result = summarise(contender, &runs);
        sim_result.nodes = node_rates(&sim, &runs);
        sim_result.functions = function_results(&sim, &runs);
        let sim_side = Side { result: sim_result, local_ratio: local_ratio(&runs) };

        let (mut live_result, episodes) = live_result(env, contender, seeds)?;
        let live_runs: Vec<EpisodeRun> = episodes.iter().map(|e| e.run.clone()).collect();
        live_result.functions = function_results(env.simulator(), &live_runs);
        let live_side = Side { result: live_result, local_ratio: local_ratio(&live_runs) };
        let gap = METRICS.iter().map(|(m, _)| (m.to_string(), metric(&live_side, m) - metric(&sim_side, m))).collect();
        Ok(Self {
            scenario: s.name.clone(),
            policy: contender.name(),
            path: "driven".into(),
            seeds: seeds.to_vec(),
            slots: opts.slots,
            slot_seconds: opts.slot_seconds,
            predictor: None,
            sim: sim_side,
            live: live_side,
            gap,
            sim_slots: runs.iter().map(|r| r.slots.clone()).collect(),
            live_slots: live_runs.iter().map(|r| r.slots.clone()).collect(),
            sim_prediction: Vec::new(),
            live_prediction: Vec::new(),
            live_client: None,
            live_issues: episodes.into_iter().flat_map(|e| e.issues).collect(),
            stray_input: env.stray_input(),
        })
    }

    /// Several functions per node: processed % per function in both worlds.
    pub fn functions_text(&self) -> String {
        if self.sim.result.functions.is_empty() {
            return String::new();
        }
        let rows: Vec<Vec<String>> = (self.sim.result.functions.iter().zip(&self.live.result.functions))
            .map(|(s, l)| {
                vec![
                    s.function.clone(),
                    format!("{:.2}", 100.0 * s.processed_ratio),
                    format!("{:.2}", 100.0 * l.processed_ratio),
                    format!("{:+.2}", 100.0 * (l.processed_ratio - s.processed_ratio)),
                ]
            })
            .collect();
        format!("\nprocessed % per function:\n{}", render(&["function", "simulator", "live", "live − sim"], &rows))
    }

    /// Side-by-side table (percent of the input; reward per agent and slot),
    /// then the per-node rates of both, then the live issues.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "sim2real ({} path): scenario {}, policy {}, {} episode(s) of {} slots of {} s (seeds {:?})\n",
            self.path,
            self.scenario,
            self.policy,
            self.seeds.len(),
            self.slots,
            self.slot_seconds,
            self.seeds
        );
        let rows: Vec<Vec<String>> = METRICS
            .iter()
            .map(|(m, _)| {
                let (s, l, g) = (metric(&self.sim, m), metric(&self.live, m), self.gap[*m]);
                if *m == "reward" {
                    vec![m.to_string(), format!("{s:.4}"), format!("{l:.4}"), format!("{g:+.4}")]
                } else {
                    let name = format!("{} %", m.trim_end_matches("_ratio").replace('_', " "));
                    vec![name, format!("{:.2}", 100.0 * s), format!("{:.2}", 100.0 * l), format!("{:+.2}", 100.0 * g)]
                }
            })
            .collect();
        out.push_str(&render(&["metric", "simulator", "live", "live − sim"], &rows));
        out.push_str(&self.functions_text());
        for (label, side) in [("simulator", &self.sim), ("live", &self.live)] {
            let mut one = side.result.clone();
            one.policy = format!("{} ({label})", side.result.policy);
            let c = dfaas_experiments::compare::CompareReport {
                scenario: self.scenario.clone(),
                episodes: self.seeds.len(),
                seeds: self.seeds.clone(),
                results: vec![one],
                paired: Vec::new(),
                prediction: Vec::new(),
            };
            out.push_str(&dfaas_experiments::table::node_table(&c));
        }
        if let Some(p) = &self.predictor {
            out.push_str(&format!("\nForecasts ({}), one step ahead, requests per slot:\n", p.to_toml_inline()));
            let rows: Vec<Vec<String>> = self
                .sim_prediction
                .iter()
                .zip(&self.live_prediction)
                .map(|(s, l)| {
                    vec![
                        s.node.clone(),
                        format!("{:.1}", s.mean_input),
                        format!("{:.2}", s.mae),
                        format!("{:+.2}", s.bias),
                        format!("{:.2}", l.mae),
                        format!("{:+.2}", l.bias),
                    ]
                })
                .collect();
            out.push_str(&render(&["node", "mean input", "sim MAE", "sim bias", "live MAE", "live bias"], &rows));
        }
        if let Some(c) = &self.live_client {
            out.push_str(&format!(
                "\nLive users: {} requests, {} served ({:.2} %), {} rejected, {} failed\n",
                c.requests,
                c.successes,
                100.0 * c.processed_ratio,
                c.rejected,
                c.failures
            ));
        }
        out.push_str(&issues_text(&self.live_issues, self.stray_input));
        out
    }
}
