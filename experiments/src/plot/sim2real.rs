//! Reading a `dfaas sim2real --json` document (`{"scenario", "policy",
//! "sim", "live", "gap": {metric: live − sim}}`, where `sim` and `live` are
//! compare-like results: one policy's result, or a whole comparison whose
//! entry for `policy` is used) and drawing sim against live per metric.

use std::collections::BTreeMap;
use std::path::Path;

use super::bars::{GroupedBars, Value};
use super::error::PlotError;
use super::from_compare::PolicyShares;
use super::style;

/// A sim-to-real comparison of one policy on one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Sim2Real {
    pub scenario: String,
    pub policy: String,
    pub sim: PolicyShares,
    pub live: PolicyShares,
    /// Live − sim per metric, as reported (computed from the two when absent).
    pub gap: BTreeMap<String, f64>,
}

/// Metrics drawn, with their labels.
pub const METRICS: [(&str, &str); 5] = [
    ("processed_ratio", "processed"),
    ("forwarded_ratio", "forwarded"),
    ("rejected_ratio", "rejected by the policy"),
    ("local_reject_ratio", "rejected by the local platform"),
    ("forward_reject_ratio", "rejected by the neighbour"),
];

/// A metric's (mean, std) in a result.
pub fn metric(r: &PolicyShares, name: &str) -> (f64, f64) {
    match name {
        "processed_ratio" => (r.processed_ratio, r.processed_ratio_std),
        "forwarded_ratio" => (r.forwarded_ratio, r.forwarded_ratio_std),
        "rejected_ratio" => (r.rejected_ratio, r.rejected_ratio_std),
        "local_reject_ratio" => (r.local_reject_ratio, r.local_reject_ratio_std),
        "forward_reject_ratio" => (r.forward_reject_ratio, r.forward_reject_ratio_std),
        _ => (f64::NAN, f64::NAN),
    }
}

/// Whether a JSON document looks like a sim2real report.
pub fn matches(v: &serde_json::Value) -> bool {
    v.get("sim").is_some_and(|s| s.is_object()) && v.get("live").is_some_and(|s| s.is_object())
}

fn side(file: &Path, v: &serde_json::Value, which: &str, policy: &str) -> Result<PolicyShares, PlotError> {
    let r = match v.get("results").and_then(|r| r.as_array()) {
        Some(list) => list
            .iter()
            .find(|r| r.get("policy").and_then(|p| p.as_str()) == Some(policy))
            .or_else(|| list.first())
            .ok_or_else(|| PlotError::input(file, format!("`{which}.results` is empty")))?,
        None => v,
    };
    serde_json::from_value(r.clone())
        .map_err(|e| PlotError::input(file, format!("`{which}` is not a policy result: {e}")))
}

/// Parses and checks a sim2real document.
pub fn parse(file: &Path, v: serde_json::Value) -> Result<Sim2Real, PlotError> {
    let text = |k: &str| v.get(k).and_then(|s| s.as_str()).map(str::to_string);
    let scenario = text("scenario").ok_or_else(|| PlotError::input(file, "sim2real: no `scenario` string"))?;
    let policy = text("policy").ok_or_else(|| PlotError::input(file, "sim2real: no `policy` string"))?;
    let sim = side(file, &v["sim"], "sim", &policy)?;
    let live = side(file, &v["live"], "live", &policy)?;
    let mut gap: BTreeMap<String, f64> = match v.get("gap") {
        Some(g) => serde_json::from_value(g.clone())
            .map_err(|e| PlotError::input(file, format!("`gap` is not a map of metric to number: {e}")))?,
        None => BTreeMap::new(),
    };
    for (m, _) in METRICS {
        gap.entry(m.to_string()).or_insert_with(|| metric(&live, m).0 - metric(&sim, m).0);
    }
    Ok(Sim2Real { scenario, policy, sim, live, gap })
}

/// Sim against live, one group per metric.
pub fn figure(s: &Sim2Real) -> GroupedBars {
    let v = |r: &PolicyShares, m: &str| {
        let (mean, std) = metric(r, m);
        Value { mean, std: Some(std) }
    };
    GroupedBars {
        title: format!("{}, policy {}: simulator against live", s.scenario, s.policy),
        x_desc: "share of the federation's input".into(),
        categories: METRICS.iter().map(|m| m.1.to_string()).collect(),
        series: vec![("simulator".into(), style::BLUE), ("live".into(), style::ORANGE)],
        values: METRICS.iter().map(|(m, _)| vec![v(&s.sim, m), v(&s.live, m)]).collect(),
    }
}
