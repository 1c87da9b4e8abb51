//! Reading `dfaas compare --json` / `dfaas evaluate --json` reports and
//! `dfaas simulate --json` reports: per-policy shares of the input.

use std::path::Path;

use serde::Deserialize;

use super::bars::{GroupedBars, Value};
use super::error::PlotError;
use super::style;

/// One contender's shares (means and standard deviations over episodes).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PolicyShares {
    pub policy: String,
    #[serde(default)]
    pub reference: bool,
    pub processed_ratio: f64,
    #[serde(default)]
    pub processed_ratio_std: f64,
    pub forwarded_ratio: f64,
    #[serde(default)]
    pub forwarded_ratio_std: f64,
    pub rejected_ratio: f64,
    #[serde(default)]
    pub rejected_ratio_std: f64,
    #[serde(default)]
    pub local_reject_ratio: f64,
    #[serde(default)]
    pub local_reject_ratio_std: f64,
    #[serde(default)]
    pub forward_reject_ratio: f64,
    #[serde(default)]
    pub forward_reject_ratio_std: f64,
    #[serde(default)]
    pub reward: Option<f64>,
    #[serde(default)]
    pub reward_std: Option<f64>,
}

/// A comparison: the scenario, the episode count and every contender.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CompareInput {
    pub scenario: String,
    pub episodes: usize,
    pub results: Vec<PolicyShares>,
}

/// Whether a JSON document looks like a compare/evaluate report.
pub fn matches_compare(v: &serde_json::Value) -> bool {
    v.get("results").is_some_and(|r| r.is_array()) && v.get("scenario").is_some()
}

/// Whether a JSON document looks like a simulate report.
pub fn matches_simulate(v: &serde_json::Value) -> bool {
    v.get("episodes").is_some_and(|r| r.is_array()) && v.get("policy").is_some() && v.get("scenario").is_some()
}

/// Parses and checks a compare/evaluate report.
pub fn parse_compare(file: &Path, v: serde_json::Value) -> Result<CompareInput, PlotError> {
    let c: CompareInput =
        serde_json::from_value(v).map_err(|e| PlotError::input(file, format!("not a valid compare report: {e}")))?;
    if c.results.is_empty() {
        return Err(PlotError::input(file, "the compare report has no results"));
    }
    for r in &c.results {
        check_ratios(file, r)?;
    }
    Ok(c)
}

#[derive(Deserialize)]
struct SimTotals {
    input: u64,
    forwarded: u64,
    rejected: u64,
    local_rejects: u64,
    forward_rejects: u64,
    processed_ratio: f64,
    reward: f64,
}

#[derive(Deserialize)]
struct SimEpisode {
    federation: SimTotals,
}

#[derive(Deserialize)]
struct SimulateInput {
    scenario: String,
    policy: String,
    episodes: Vec<SimEpisode>,
}

/// Parses a simulate report into a one-contender comparison (means and
/// population standard deviations over its episodes).
pub fn parse_simulate(file: &Path, v: serde_json::Value) -> Result<CompareInput, PlotError> {
    let s: SimulateInput =
        serde_json::from_value(v).map_err(|e| PlotError::input(file, format!("not a valid simulate report: {e}")))?;
    if s.episodes.is_empty() {
        return Err(PlotError::input(file, "the simulate report has no episodes"));
    }
    let col = |f: &dyn Fn(&SimTotals) -> f64| -> (f64, f64) {
        let xs: Vec<f64> = s.episodes.iter().map(|e| f(&e.federation)).collect();
        let m = crate::stats::MeanStd::of(&xs);
        (m.mean, m.std)
    };
    let ratio = |x: u64, input: u64| if input == 0 { 0.0 } else { x as f64 / input as f64 };
    let processed = col(&|t| t.processed_ratio);
    let forwarded = col(&|t| ratio(t.forwarded, t.input));
    let rejected = col(&|t| ratio(t.rejected, t.input));
    let local = col(&|t| ratio(t.local_rejects, t.input));
    let fwd_rej = col(&|t| ratio(t.forward_rejects, t.input));
    let reward = col(&|t| t.reward);
    let r = PolicyShares {
        policy: s.policy,
        reference: false,
        processed_ratio: processed.0,
        processed_ratio_std: processed.1,
        forwarded_ratio: forwarded.0,
        forwarded_ratio_std: forwarded.1,
        rejected_ratio: rejected.0,
        rejected_ratio_std: rejected.1,
        local_reject_ratio: local.0,
        local_reject_ratio_std: local.1,
        forward_reject_ratio: fwd_rej.0,
        forward_reject_ratio_std: fwd_rej.1,
        reward: Some(reward.0),
        reward_std: Some(reward.1),
    };
    check_ratios(file, &r)?;
    Ok(CompareInput { scenario: s.scenario, episodes: s.episodes.len(), results: vec![r] })
}

fn check_ratios(file: &Path, r: &PolicyShares) -> Result<(), PlotError> {
    for (name, x) in [
        ("processed_ratio", r.processed_ratio),
        ("forwarded_ratio", r.forwarded_ratio),
        ("rejected_ratio", r.rejected_ratio),
        ("local_reject_ratio", r.local_reject_ratio),
        ("forward_reject_ratio", r.forward_reject_ratio),
    ] {
        if !(x.is_finite() && (0.0..=1.0 + 1e-9).contains(&x)) {
            return Err(PlotError::input(file, format!("policy `{}`: {name} = {x} is not in [0, 1]", r.policy)));
        }
    }
    Ok(())
}

/// The shares of the input, one group of bars per contender.
pub fn shares_figure(c: &CompareInput) -> GroupedBars {
    let all: [(&str, ShareFn); 5] = [
        ("processed", |r| (r.processed_ratio, r.processed_ratio_std)),
        ("forwarded", |r| (r.forwarded_ratio, r.forwarded_ratio_std)),
        ("rejected by the policy", |r| (r.rejected_ratio, r.rejected_ratio_std)),
        ("rejected by the local platform", |r| (r.local_reject_ratio, r.local_reject_ratio_std)),
        ("rejected by the neighbour", |r| (r.forward_reject_ratio, r.forward_reject_ratio_std)),
    ];
    let colors = [style::BLUE, style::ORANGE, style::RED, style::PURPLE, style::SKY];
    // Rejection kinds that never happen are left out (processed and forwarded always stay).
    let keep: Vec<usize> =
        (0..all.len()).filter(|&k| k < 2 || c.results.iter().any(|r| (all[k].1)(r).0 > 0.0)).collect();
    let categories = c
        .results
        .iter()
        .map(|r| if r.reference { format!("{} (reference)", r.policy) } else { r.policy.clone() })
        .collect();
    let values = c
        .results
        .iter()
        .map(|r| {
            keep.iter()
                .map(|&k| {
                    let (mean, std) = (all[k].1)(r);
                    Value { mean, std: (c.episodes > 1).then_some(std) }
                })
                .collect()
        })
        .collect();
    GroupedBars {
        title: format!("{}: shares of the input over {} episodes (mean ± std)", c.scenario, c.episodes),
        x_desc: "share of the federation's input".into(),
        categories,
        series: keep.iter().map(|&k| (all[k].0.to_string(), colors[k])).collect(),
        values,
    }
}

type ShareFn = fn(&PolicyShares) -> (f64, f64);
