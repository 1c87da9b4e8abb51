//! Reading `dfaas compare --json` / `dfaas evaluate --json` reports and
//! `dfaas simulate --json` reports: per-policy shares of the input.

use std::path::Path;

use super::bars::{GroupedBars, Value};
use super::error::PlotError;
use super::style;
use dfaas_experiments::compare::{CompareReport, PolicyResult};
use dfaas_experiments::simulate::{SimulateReport, TotalsReport};

/// Whether an untagged (schema version 0) document looks like a compare/evaluate report.
pub fn matches_compare(v: &serde_json::Value) -> bool {
    v.get("results").is_some_and(|r| r.is_array()) && v.get("scenario").is_some()
}

/// Whether an untagged (schema version 0) document looks like a simulate report.
pub fn matches_simulate(v: &serde_json::Value) -> bool {
    v.get("episodes").is_some_and(|r| r.is_array()) && v.get("policy").is_some() && v.get("scenario").is_some()
}

/// Reads an untagged compare/evaluate report into its type, then [`check_compare`].
pub fn parse_compare(file: &Path, v: serde_json::Value) -> Result<CompareReport, PlotError> {
    let c: CompareReport =
        serde_json::from_value(v).map_err(|e| PlotError::input(file, format!("not a valid compare report: {e}")))?;
    check_compare(file, c)
}

/// Checks a compare report for plotting: results, every ratio in [0, 1].
pub fn check_compare(file: &Path, c: CompareReport) -> Result<CompareReport, PlotError> {
    if c.results.is_empty() {
        return Err(PlotError::input(file, "the compare report has no results"));
    }
    for r in &c.results {
        check_ratios(file, r)?;
    }
    Ok(c)
}

/// Reads an untagged simulate report into its type, then [`simulate_as_compare`].
pub fn parse_simulate(file: &Path, v: serde_json::Value) -> Result<CompareReport, PlotError> {
    let s: SimulateReport =
        serde_json::from_value(v).map_err(|e| PlotError::input(file, format!("not a valid simulate report: {e}")))?;
    simulate_as_compare(file, &s)
}

/// A simulate report as a one-contender comparison (means and population
/// standard deviations over its episodes).
pub fn simulate_as_compare(file: &Path, s: &SimulateReport) -> Result<CompareReport, PlotError> {
    if s.episodes.is_empty() {
        return Err(PlotError::input(file, "the simulate report has no episodes"));
    }
    let col = |f: &dyn Fn(&TotalsReport) -> f64| -> (f64, f64) {
        let xs: Vec<f64> = s.episodes.iter().map(|e| f(&e.federation)).collect();
        let m = dfaas_experiments::stats::MeanStd::of(&xs);
        (m.mean, m.std)
    };
    let ratio = |x: u64, input: u64| if input == 0 { 0.0 } else { x as f64 / input as f64 };
    let processed = col(&|t| t.processed_ratio);
    let forwarded = col(&|t| ratio(t.forwarded, t.input));
    let rejected = col(&|t| ratio(t.rejected, t.input));
    let local = col(&|t| ratio(t.local_rejects, t.input));
    let fwd_rej = col(&|t| ratio(t.forward_rejects, t.input));
    let reward = col(&|t| t.reward);
    let r = PolicyResult {
        policy: s.policy.clone(),
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
        ..PolicyResult::default()
    };
    check_ratios(file, &r)?;
    Ok(CompareReport {
        scenario: s.scenario.clone(),
        episodes: s.episodes.len(),
        seeds: s.episodes.iter().map(|e| e.seed).collect(),
        results: vec![r],
        paired: Vec::new(),
        prediction: Vec::new(),
    })
}

fn check_ratios(file: &Path, r: &PolicyResult) -> Result<(), PlotError> {
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
pub fn shares_figure(c: &CompareReport) -> GroupedBars {
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

type ShareFn = fn(&PolicyResult) -> (f64, f64);
