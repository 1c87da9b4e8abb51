//! Reading a `dfaas cluster --json` report: per-node timelines and totals.

use std::path::Path;

use super::error::PlotError;
use super::timeline::{MAX_SLOTS, NodeTimeline, Timelines, Unit};
use dfaas_live::cluster::ClusterReport;

/// Whether an untagged (schema version 0) document looks like a cluster report.
pub fn matches(v: &serde_json::Value) -> bool {
    v.get("nodes").is_some_and(|n| n.is_array()) && v.get("summary").is_some() && v.get("slot_seconds").is_some()
}

/// Reads an untagged cluster report into its type, then [`check`].
pub fn parse(file: &Path, v: serde_json::Value) -> Result<ClusterReport, PlotError> {
    let c: ClusterReport =
        serde_json::from_value(v).map_err(|e| PlotError::input(file, format!("not a valid cluster report: {e}")))?;
    check(file, c)
}

/// Checks a cluster report for plotting: a slot length, nodes, slots a timeline can draw.
pub fn check(file: &Path, c: ClusterReport) -> Result<ClusterReport, PlotError> {
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
pub fn timelines(c: &ClusterReport) -> Timelines {
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
