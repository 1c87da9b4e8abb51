//! Reading a `dfaas sim2real --json` document and drawing sim against live
//! per metric. A tagged document is read as its type
//! ([`Sim2RealReport`]); an untagged one (schema version 0: `{"scenario",
//! "policy", "sim", "live", "gap": {metric: live − sim}}`, where `sim` and
//! `live` are one policy's result or a whole comparison whose entry for
//! `policy` is used) by its fields.

use std::collections::BTreeMap;
use std::path::Path;

use super::bars::{GroupedBars, Value};
use super::error::PlotError;
use super::style;
use dfaas_experiments::compare::PolicyResult;
use dfaas_live::live_env::{Sim2RealReport, share_metrics};

/// A sim-to-real comparison of one policy on one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Sim2Real {
    pub scenario: String,
    pub policy: String,
    pub sim: PolicyResult,
    pub live: PolicyResult,
    /// Live − sim per metric, as reported (computed from the two when absent).
    pub gap: BTreeMap<String, f64>,
    /// Slot length, seconds (when reported).
    pub slot_seconds: Option<f64>,
    /// The first episode's federation totals per slot, simulator then live
    /// (empty when not reported).
    pub sim_slots: Vec<SlotTotals>,
    pub live_slots: Vec<SlotTotals>,
    /// Per node, both worlds' one-step forecast errors (deployed path).
    pub forecasts: Vec<Forecast>,
}

/// A federation's counts in one slot.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Deserialize)]
#[serde(default)]
pub struct SlotTotals {
    pub input: f64,
    pub local: f64,
    pub forwarded: f64,
    pub rejected: f64,
    pub local_rejects: f64,
    pub forward_rejects: f64,
    pub processed: f64,
}

/// One node's forecast errors in both worlds, requests per slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub node: String,
    pub mean_input: f64,
    pub sim_mae: f64,
    pub sim_bias: f64,
    pub live_mae: f64,
    pub live_bias: f64,
}

/// A metric's (mean, std) in a result.
pub fn metric(r: &PolicyResult, name: &str) -> (f64, f64) {
    match name {
        "processed_ratio" => (r.processed_ratio, r.processed_ratio_std),
        "forwarded_ratio" => (r.forwarded_ratio, r.forwarded_ratio_std),
        "rejected_ratio" => (r.rejected_ratio, r.rejected_ratio_std),
        "local_reject_ratio" => (r.local_reject_ratio, r.local_reject_ratio_std),
        "forward_reject_ratio" => (r.forward_reject_ratio, r.forward_reject_ratio_std),
        _ => (f64::NAN, f64::NAN),
    }
}

/// Whether an untagged (schema version 0) document looks like a sim2real report.
pub fn matches(v: &serde_json::Value) -> bool {
    v.get("sim").is_some_and(|s| s.is_object()) && v.get("live").is_some_and(|s| s.is_object())
}

fn side(file: &Path, v: &serde_json::Value, which: &str, policy: &str) -> Result<PolicyResult, PlotError> {
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

/// Parses and checks an untagged sim2real document.
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
    for (m, _) in share_metrics() {
        gap.entry(m.to_string()).or_insert_with(|| metric(&live, m).0 - metric(&sim, m).0);
    }
    let slots = |k: &str| -> Result<Vec<SlotTotals>, PlotError> {
        match v.get(k).and_then(|e| e.get(0)) {
            Some(first) => serde_json::from_value(first.clone())
                .map_err(|e| PlotError::input(file, format!("`{k}[0]` is not a list of slot totals: {e}"))),
            None => Ok(Vec::new()),
        }
    };
    let (sim_slots, live_slots) = (slots("sim_slots")?, slots("live_slots")?);
    if sim_slots.len() as u64 > super::timeline::MAX_SLOTS || live_slots.len() as u64 > super::timeline::MAX_SLOTS {
        return Err(PlotError::input(file, "sim2real: more slots than a timeline draws"));
    }
    let num = |e: &serde_json::Value, k: &str| e.get(k).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
    let list = |k: &str| v.get(k).and_then(|x| x.as_array()).cloned().unwrap_or_default();
    let forecasts = list("sim_prediction")
        .iter()
        .zip(list("live_prediction").iter())
        .map(|(a, b)| Forecast {
            node: a.get("node").and_then(|n| n.as_str()).unwrap_or("?").to_string(),
            mean_input: num(a, "mean_input"),
            sim_mae: num(a, "mae"),
            sim_bias: num(a, "bias"),
            live_mae: num(b, "mae"),
            live_bias: num(b, "bias"),
        })
        .collect();
    let slot_seconds = v.get("slot_seconds").and_then(serde_json::Value::as_f64).filter(|s| *s > 0.0);
    Ok(Sim2Real { scenario, policy, sim, live, gap, slot_seconds, sim_slots, live_slots, forecasts })
}

/// A tagged document's figures' input: the first episode's slots, both
/// worlds' forecast errors, every gap reported.
pub fn from_report(file: &Path, r: &Sim2RealReport) -> Result<Sim2Real, PlotError> {
    let slots = |k: &[Vec<dfaas_env::metrics::Totals>]| -> Vec<SlotTotals> {
        k.first()
            .map(|e| {
                e.iter()
                    .map(|t| SlotTotals {
                        input: t.input as f64,
                        local: t.local as f64,
                        forwarded: t.forwarded as f64,
                        rejected: t.rejected as f64,
                        local_rejects: t.local_rejects as f64,
                        forward_rejects: t.forward_rejects as f64,
                        processed: t.processed as f64,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (sim_slots, live_slots) = (slots(&r.sim_slots), slots(&r.live_slots));
    if sim_slots.len() as u64 > super::timeline::MAX_SLOTS || live_slots.len() as u64 > super::timeline::MAX_SLOTS {
        return Err(PlotError::input(file, "sim2real: more slots than a timeline draws"));
    }
    let forecasts = r
        .sim_prediction
        .iter()
        .zip(&r.live_prediction)
        .map(|(a, b)| Forecast {
            node: a.node.clone(),
            mean_input: a.mean_input,
            sim_mae: a.mae,
            sim_bias: a.bias,
            live_mae: b.mae,
            live_bias: b.bias,
        })
        .collect();
    Ok(Sim2Real {
        scenario: r.scenario.clone(),
        policy: r.policy.clone(),
        sim: r.sim.result.clone(),
        live: r.live.result.clone(),
        gap: r.gap.clone(),
        slot_seconds: Some(r.slot_seconds).filter(|s| *s > 0.0),
        sim_slots,
        live_slots,
        forecasts,
    })
}

/// The federation over time in both worlds (one panel each), when the
/// document carries per-slot totals.
pub fn timelines(s: &Sim2Real) -> Option<super::timeline::Timelines> {
    use super::timeline::{NodeTimeline, Timelines, Unit};
    if s.sim_slots.is_empty() && s.live_slots.is_empty() {
        return None;
    }
    let (unit, per) = match s.slot_seconds {
        Some(sec) => (Unit::PerSecond, 1.0 / sec),
        None => (Unit::PerSlot, 1.0),
    };
    let panel = |name: &str, rows: &[SlotTotals]| NodeTimeline {
        node: name.to_string(),
        capacity_rps: None,
        slots: (0..rows.len()).map(|t| t as f64).collect(),
        input: rows.iter().map(|r| r.input * per).collect(),
        executed: rows.iter().map(|r| r.processed * per).collect(),
        local: rows.iter().map(|r| (r.local - r.local_rejects).max(0.0) * per).collect(),
        forwarded: rows.iter().map(|r| (r.forwarded - r.forward_rejects).max(0.0) * per).collect(),
        rejected: rows.iter().map(|r| (r.rejected + r.local_rejects + r.forward_rejects) * per).collect(),
    };
    Some(Timelines {
        title: format!("{}, policy {}: the federation per slot", s.scenario, s.policy),
        unit,
        nodes: vec![panel("simulator", &s.sim_slots), panel("live", &s.live_slots)],
    })
}

/// Sim against live, one group per metric.
pub fn figure(s: &Sim2Real) -> GroupedBars {
    let v = |r: &PolicyResult, m: &str| {
        let (mean, std) = metric(r, m);
        Value { mean, std: Some(std) }
    };
    GroupedBars {
        title: format!("{}, policy {}: simulator against live", s.scenario, s.policy),
        x_desc: "share of the federation's input".into(),
        categories: share_metrics().map(|m| m.1.to_string()).collect(),
        series: vec![("simulator".into(), style::BLUE), ("live".into(), style::ORANGE)],
        values: share_metrics().map(|(m, _)| vec![v(&s.sim, m), v(&s.live, m)]).collect(),
    }
}
