//! Reading a `dfaas cluster --json` report: per-node timelines and totals.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::error::PlotError;
use super::timeline::{MAX_SLOTS, NodeTimeline, Timelines, Unit};

/// The fields of a cluster report that the plots use.
#[derive(Debug, Clone, Deserialize)]
pub struct ClusterInput {
    pub scenario: String,
    pub policy: String,
    pub slot_seconds: f64,
    pub nodes: Vec<NodeInput>,
    pub summary: SummaryInput,
}

/// One node of a cluster report.
#[derive(Debug, Clone, Deserialize)]
pub struct NodeInput {
    pub node: String,
    pub capacity_rps: f64,
    #[serde(default)]
    pub load: Option<LoadInput>,
}

/// The load generator's report of one node (its per-slot rows).
#[derive(Debug, Clone, Deserialize)]
pub struct LoadInput {
    pub slots: Vec<SlotInput>,
}

/// One slot of one node's load.
#[derive(Debug, Clone, Deserialize)]
pub struct SlotInput {
    pub slot: u32,
    pub arrivals: u64,
    pub successes: u64,
    #[serde(default)]
    pub rejects: BTreeMap<String, u64>,
    #[serde(default)]
    pub failures: u64,
    #[serde(default)]
    pub by_served_by: BTreeMap<String, u64>,
}

/// Federation totals of a cluster report.
#[derive(Debug, Clone, Deserialize)]
pub struct SummaryInput {
    pub requests: u64,
    pub successes: u64,
    pub rejected: u64,
    pub failures: u64,
    pub processed_ratio: f64,
}

/// Whether a JSON document looks like a cluster report.
pub fn matches(v: &serde_json::Value) -> bool {
    v.get("nodes").is_some_and(|n| n.is_array()) && v.get("summary").is_some() && v.get("slot_seconds").is_some()
}

/// Parses and checks a cluster report.
pub fn parse(file: &Path, v: serde_json::Value) -> Result<ClusterInput, PlotError> {
    let c: ClusterInput =
        serde_json::from_value(v).map_err(|e| PlotError::input(file, format!("not a valid cluster report: {e}")))?;
    if !(c.slot_seconds.is_finite() && c.slot_seconds > 0.0) {
        return Err(PlotError::input(file, format!("slot_seconds must be > 0, got {}", c.slot_seconds)));
    }
    if c.nodes.is_empty() {
        return Err(PlotError::input(file, "the cluster report has no nodes"));
    }
    for n in &c.nodes {
        if let Some(s) = n.load.iter().flat_map(|l| &l.slots).find(|s| u64::from(s.slot) >= MAX_SLOTS) {
            return Err(PlotError::input(file, format!("node {}: slot {} is beyond {MAX_SLOTS}", n.node, s.slot)));
        }
    }
    Ok(c)
}

/// Per-node timelines in requests per second. "Executed here" sums, over
/// every node's load, the answers served by this node in the slot.
pub fn timelines(c: &ClusterInput) -> Timelines {
    let slots = c.nodes.iter().filter_map(|n| n.load.as_ref()).flat_map(|l| l.slots.iter().map(|s| s.slot)).max();
    let len = slots.map_or(0, |m| m as usize + 1);
    let per_s = 1.0 / c.slot_seconds;
    let nodes = c
        .nodes
        .iter()
        .map(|n| {
            let mut t = NodeTimeline {
                node: n.node.clone(),
                capacity_rps: Some(n.capacity_rps),
                slots: (0..len).map(|k| k as f64).collect(),
                input: vec![0.0; len],
                executed: vec![0.0; len],
                local: vec![0.0; len],
                forwarded: vec![0.0; len],
                rejected: vec![0.0; len],
            };
            for s in n.load.iter().flat_map(|l| &l.slots) {
                let k = s.slot as usize;
                let local = s.by_served_by.get(&n.node).copied().unwrap_or(0);
                t.input[k] += s.arrivals as f64 * per_s;
                t.local[k] += local as f64 * per_s;
                t.forwarded[k] += s.successes.saturating_sub(local) as f64 * per_s;
                t.rejected[k] += (s.rejects.values().sum::<u64>() + s.failures) as f64 * per_s;
            }
            for other in c.nodes.iter().filter_map(|o| o.load.as_ref()) {
                for s in &other.slots {
                    t.executed[s.slot as usize] += s.by_served_by.get(&n.node).copied().unwrap_or(0) as f64 * per_s;
                }
            }
            t
        })
        .collect();
    Timelines {
        title: format!("{} live, policy {}: per node over time ({} s slots)", c.scenario, c.policy, c.slot_seconds),
        unit: Unit::PerSecond,
        nodes,
    }
}
