//! Turning the agents' `GET /history` into the episode's measured outcomes
//! (topology order, one per node and slot) and the live forecasts' errors.

use anyhow::Result;
use dfaas_agent::TickReport;
use dfaas_env::predict::{NodePredictionError, PredictionError, report};
use dfaas_env::{SlotOutcome, Topology};

use super::DeployedOpts;
use crate::live_env::SlotIssue;

/// One agent's history as read after the run.
#[derive(Debug, Clone)]
pub struct AgentHistory {
    /// Its node id (topology order in the list).
    pub node: String,
    /// Its runtime's peers, in the order of its outcomes' forward counts.
    pub peers: Vec<String>,
    /// Its latest iterations, oldest first.
    pub reports: Vec<TickReport>,
    /// When slot 0 of the load started, ms since the Unix epoch.
    pub start_ms: u64,
}

impl AgentHistory {
    /// The load slot an iteration ended (`-1`: the boundary where the load
    /// started; `None`: more than a fifth of a slot off any boundary).
    fn slot_of(&self, r: &TickReport, slot_ms: f64) -> Option<i64> {
        let k = (r.ended_ms as f64 - self.start_ms as f64) / slot_ms;
        ((k - k.round()).abs() <= 0.2).then(|| k.round() as i64 - 1)
    }

    /// Slots the agent had played, all idle, when slot 0 of the load started:
    /// the zeros its predictor had seen (0 when that iteration is missing).
    pub fn idle_slots(&self, slot_ms: f64) -> usize {
        self.ended(-1, slot_ms).map_or(0, |r| usize::try_from(r.slot + 1).unwrap_or(0))
    }

    /// The iteration that ended load slot `t`.
    fn ended(&self, t: i64, slot_ms: f64) -> Option<&TickReport> {
        self.reports.iter().find(|r| self.slot_of(r, slot_ms) == Some(t))
    }
}

/// The live episode read from the agents' histories.
#[derive(Debug, Clone)]
pub struct LiveEpisode {
    /// Per slot, per node (topology order): the counters each agent
    /// measured, forwards in topology neighbour order.
    pub outcomes: Vec<Vec<SlotOutcome>>,
    /// What was missing or did not match the load sent.
    pub issues: Vec<SlotIssue>,
    /// Per node, the error of the forecasts the agents planned each slot with.
    pub prediction: Vec<NodePredictionError>,
}

/// Reads the live episode of `counts` (sent per node and slot) from `histories`.
pub fn live_outcomes(
    histories: &[AgentHistory],
    topo: &Topology,
    counts: &[Vec<u32>],
    opts: &DeployedOpts,
) -> Result<LiveEpisode> {
    let slot_ms = opts.slot_seconds * 1000.0;
    let names = topo.names();
    let mut issues = Vec::new();
    let mut outcomes = vec![Vec::with_capacity(topo.len()); opts.slots];
    let (mut acc, mut inputs) = (vec![PredictionError::default(); topo.len()], vec![0.0; topo.len()]);
    for (i, h) in histories.iter().enumerate() {
        // Topology neighbour k is the agent's peer perm[k].
        let perm: Vec<Option<usize>> =
            topo.neighbors(i).iter().map(|&j| h.peers.iter().position(|p| *p == names[j])).collect();
        if perm.iter().any(Option::is_none) {
            anyhow::bail!("{}: its peers {:?} are not its topology neighbours", h.node, h.peers);
        }
        let pick = |v: &[u32]| perm.iter().map(|p| p.and_then(|p| v.get(p).copied()).unwrap_or(0)).collect();
        for (t, slot) in outcomes.iter_mut().enumerate() {
            let o = match h.ended(t as i64, slot_ms) {
                Some(r) => {
                    let mut o = r.outcome.clone();
                    o.forwarded = pick(&o.forwarded);
                    o.forward_rejects = pick(&o.forward_rejects);
                    if o.input != counts[i].get(t).copied().unwrap_or(0) {
                        issues.push(issue(
                            t,
                            &h.node,
                            format!("counted {} arrivals, {} were sent", o.input, counts[i][t]),
                        ));
                    }
                    o
                }
                None => {
                    issues.push(issue(t, &h.node, "no iteration ended this slot".into()));
                    SlotOutcome {
                        forwarded: vec![0; perm.len()],
                        forward_rejects: vec![0; perm.len()],
                        ..Default::default()
                    }
                }
            };
            // The forecast for slot t was made as slot t − 1 ended.
            if let Some(prev) = h.ended(t as i64 - 1, slot_ms) {
                acc[i].add(prev.observation.predicted_input, f64::from(o.input));
                inputs[i] += f64::from(o.input);
            }
            slot.push(o);
        }
    }
    Ok(LiveEpisode { outcomes, issues, prediction: report(names, &acc, &inputs) })
}

fn issue(slot: usize, node: &str, what: String) -> SlotIssue {
    SlotIssue { episode: 0, slot: Some(slot), node: node.to_string(), issue: what }
}
