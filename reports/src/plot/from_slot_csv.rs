//! Reading the simulator's per-slot CSV (`dfaas simulate --csv`): one row per
//! episode, slot and agent.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::error::PlotError;
use super::timeline::{MAX_SLOTS, NodeTimeline, Timelines, Unit};

/// Columns the plots need.
const NEEDED: [&str; 11] = [
    "episode",
    "slot",
    "agent",
    "input",
    "local",
    "forwarded",
    "rejected",
    "local_rejects",
    "forward_rejects",
    "forward_lost",
    "processed",
];

/// Whether a CSV header is the simulator's per-slot header.
pub fn matches(header: &[&str]) -> bool {
    NEEDED.iter().all(|c| header.contains(c))
}

/// One episode of a per-slot CSV, per node.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotEpisode {
    pub episode: u64,
    /// Episodes in the file.
    pub episodes: usize,
    pub nodes: Vec<NodeTimeline>,
}

/// Reads episode `episode` (default: the first in the file) of a per-slot CSV.
/// Series: served locally = local − local_rejects; served by a neighbour =
/// forwarded − forward_rejects − forward_lost; rejected = the sum of every
/// rejection and loss; executed here = processed.
pub fn read(file: &Path, episode: Option<u64>) -> Result<SlotEpisode, PlotError> {
    let mut rdr = csv::Reader::from_path(file).map_err(|e| PlotError::input(file, e.to_string()))?;
    let header: Vec<String> =
        rdr.headers().map_err(|e| PlotError::input(file, e.to_string()))?.iter().map(str::to_string).collect();
    let col = |name: &str| -> Result<usize, PlotError> {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| PlotError::input(file, format!("not a per-slot CSV: no column `{name}`")))
    };
    let idx: Vec<usize> = NEEDED.iter().map(|c| col(c)).collect::<Result<_, _>>()?;
    let mut rows: Vec<(u64, u64, String, [f64; 8])> = Vec::new();
    for (line, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| PlotError::input(file, e.to_string()))?;
        let row = line + 2;
        let num = |k: usize| -> Result<f64, PlotError> {
            let raw = rec.get(idx[k]).unwrap_or("");
            raw.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).ok_or_else(|| {
                PlotError::input(file, format!("row {row}, column `{}`: expected a count, got `{raw}`", NEEDED[k]))
            })
        };
        let ep = num(0)? as u64;
        let slot = num(1)? as u64;
        if slot >= MAX_SLOTS {
            return Err(PlotError::input(file, format!("row {row}: slot {slot} is beyond {MAX_SLOTS}")));
        }
        let agent = rec.get(idx[2]).unwrap_or("").to_string();
        let mut v = [0.0; 8];
        for (k, x) in v.iter_mut().enumerate() {
            *x = num(k + 3)?;
        }
        rows.push((ep, slot, agent, v));
    }
    let mut episodes: Vec<u64> = rows.iter().map(|r| r.0).collect();
    episodes.sort_unstable();
    episodes.dedup();
    let Some(&first) = episodes.first() else {
        return Err(PlotError::input(file, "the per-slot CSV has no rows"));
    };
    let ep = episode.unwrap_or(first);
    if !episodes.contains(&ep) {
        return Err(PlotError::input(file, format!("no episode {ep} (episodes in the file: {episodes:?})")));
    }
    let rows: Vec<_> = rows.into_iter().filter(|r| r.0 == ep).collect();
    let min_slot = rows.iter().map(|r| r.1).min().unwrap_or(0);
    let len = rows.iter().map(|r| r.1 - min_slot).max().map_or(0, |m| m as usize + 1);
    let mut order: Vec<String> = Vec::new();
    let mut by_name: HashMap<String, NodeTimeline> = HashMap::new();
    for (_, slot, agent, [input, local, fwd, rej, lrej, frej, lost, processed]) in rows {
        let t = by_name.entry(agent.clone()).or_insert_with(|| {
            order.push(agent.clone());
            NodeTimeline {
                node: agent.clone(),
                capacity_rps: None,
                slots: (0..len).map(|k| (min_slot + k as u64) as f64).collect(),
                input: vec![0.0; len],
                executed: vec![0.0; len],
                local: vec![0.0; len],
                forwarded: vec![0.0; len],
                rejected: vec![0.0; len],
            }
        });
        let k = (slot - min_slot) as usize;
        t.input[k] = input;
        t.executed[k] = processed;
        t.local[k] = (local - lrej).max(0.0);
        t.forwarded[k] = (fwd - frej - lost).max(0.0);
        t.rejected[k] = rej + lrej + frej + lost;
    }
    let nodes = order.into_iter().filter_map(|n| by_name.remove(&n)).collect();
    Ok(SlotEpisode { episode: ep, episodes: episodes.len(), nodes })
}

/// The figure of an episode; counts become rates when the slot length is
/// known, and the nodes named in `capacities` (req/s) get their capacity.
pub fn timelines(
    name: &str,
    e: &SlotEpisode,
    slot_seconds: Option<f64>,
    capacities: &BTreeMap<String, f64>,
) -> Timelines {
    let mut nodes = e.nodes.clone();
    for n in &mut nodes {
        n.capacity_rps = capacities.get(&n.node).copied();
    }
    let unit = match slot_seconds {
        Some(s) if s.is_finite() && s > 0.0 => {
            for n in &mut nodes {
                for v in [&mut n.input, &mut n.executed, &mut n.local, &mut n.forwarded, &mut n.rejected] {
                    v.iter_mut().for_each(|x| *x /= s);
                }
            }
            Unit::PerSecond
        }
        _ => Unit::PerSlot,
    };
    let slot = slot_seconds.map(|s| format!(", {s} s slots")).unwrap_or_default();
    Timelines { title: format!("{name} (simulator, episode {}{slot}): per node over time", e.episode), unit, nodes }
}
