//! Playing a contender's episodes through a [`LiveEnv`], as the simulator
//! runner plays them: one policy per node, deciding on the environment's
//! observations; results in `dfaas compare`'s shape.

use dfaas_env::MultiAgentEnv;
use dfaas_policies::Policy;
use serde::{Deserialize, Serialize};

use super::LiveEnv;
use dfaas_experiments::compare::{CompareReport, PolicyResult, node_rates, summarise};
use dfaas_experiments::contender::Contender;
use dfaas_experiments::runner::{EpisodeRun, RunError, play_policies};

/// Something that went wrong for one node in one slot of a live episode.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlotIssue {
    pub episode: usize,
    /// Slot index; `null` for the reset.
    pub slot: Option<usize>,
    pub node: String,
    pub issue: String,
}

/// One live episode: the same bookkeeping as a simulated one, plus what went wrong.
#[derive(Debug, Clone)]
pub struct LiveEpisode {
    pub run: EpisodeRun,
    pub issues: Vec<SlotIssue>,
}

/// Plays one episode of `contender` (a per-node policy) with episode seed `seed`.
pub fn run_live_episode(
    env: &mut LiveEnv,
    contender: &Contender,
    seed: u64,
    episode: usize,
) -> Result<LiveEpisode, RunError> {
    let mut policies: Vec<Box<dyn Policy>> = contender.policies(env.simulator(), seed)?;
    let names = env.agents().to_vec();
    let mut issues = Vec::new();
    let mut note = |slot: Option<usize>, list: &[Option<String>]| {
        for (i, x) in list.iter().enumerate() {
            if let Some(issue) = x {
                issues.push(SlotIssue { episode, slot, node: names[i].clone(), issue: issue.clone() });
            }
        }
    };
    let mut run = EpisodeRun::empty(env.simulator(), seed);
    play_policies(env, &mut policies, seed, &mut run, |env, slot| {
        note(slot, env.issues());
        Ok(())
    })?;
    run.summary.finish();
    Ok(LiveEpisode { run, issues })
}

/// A contender's live result over `seeds` (one episode each), in the shape
/// of one `dfaas compare` row, with per-node rates.
pub fn live_result(
    env: &mut LiveEnv,
    contender: &Contender,
    seeds: &[u64],
) -> Result<(PolicyResult, Vec<LiveEpisode>), RunError> {
    let mut episodes = Vec::new();
    for (k, &seed) in seeds.iter().enumerate() {
        episodes.push(run_live_episode(env, contender, seed, k)?);
    }
    let runs: Vec<EpisodeRun> = episodes.iter().map(|e| e.run.clone()).collect();
    let mut r = summarise(contender, &runs);
    r.nodes = node_rates(env.simulator(), &runs);
    Ok((r, episodes))
}

/// `dfaas evaluate --live --json`: `dfaas compare`'s document (`scenario`,
/// `episodes`, `seeds`, `results`) plus `live`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveReport {
    #[serde(flatten)]
    pub compare: CompareReport,
    pub live: LiveInfo,
}

/// How the live episodes ran.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveInfo {
    pub slot_seconds: f64,
    pub slots: usize,
    /// Seconds the federation took to form.
    pub ready_s: f64,
    /// Requests counted outside any slot (0 when slots were aligned).
    pub stray_input: u64,
    pub issues: Vec<SlotIssue>,
}

impl LiveReport {
    /// Plays `contender` live on `seeds` and wraps the result.
    pub fn run(env: &mut LiveEnv, contender: &Contender, seeds: &[u64]) -> Result<Self, RunError> {
        let (result, episodes) = live_result(env, contender, seeds)?;
        Ok(Self {
            compare: CompareReport {
                scenario: env.simulator().scenario().name.clone(),
                episodes: seeds.len(),
                seeds: seeds.to_vec(),
                results: vec![result],
                paired: Vec::new(),
                prediction: Vec::new(),
            },
            live: LiveInfo {
                slot_seconds: env.opts().slot_seconds,
                slots: env.opts().slots,
                ready_s: env.ready_seconds(),
                stray_input: env.stray_input(),
                issues: episodes.into_iter().flat_map(|e| e.issues).collect(),
            },
        })
    }

    /// The compare table (and per-node rates), then the issues, if any.
    pub fn to_text(&self, per_node: bool) -> String {
        let mut out = format!(
            "live: {} slots of {} s per episode (federation formed in {:.1} s)\n",
            self.live.slots, self.live.slot_seconds, self.live.ready_s
        );
        out.push_str(&dfaas_experiments::table::compare_table(&self.compare));
        if per_node {
            out.push_str(&dfaas_experiments::table::node_table(&self.compare));
        }
        out.push_str(&issues_text(&self.live.issues, self.live.stray_input));
        out
    }
}

/// The issues of a live run as text (empty when there were none).
pub fn issues_text(issues: &[SlotIssue], stray_input: u64) -> String {
    let mut out = String::new();
    if stray_input > 0 {
        out.push_str(&format!("\n{stray_input} requests arrived outside any slot\n"));
    }
    if !issues.is_empty() {
        out.push_str(&format!("\n{} live issue(s):\n", issues.len()));
        for i in issues.iter().take(20) {
            let slot = i.slot.map_or("reset".to_string(), |s| format!("slot {s}"));
            out.push_str(&format!("  episode {} {slot} {}: {}\n", i.episode, i.node, i.issue));
        }
        if issues.len() > 20 {
            out.push_str(&format!("  … and {} more (see --json)\n", issues.len() - 20));
        }
    }
    out
}
