//! `dfaas simulate`: episodes of one contender, per-slot or per-episode report.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::Duration;

use dfaas_env::metrics::{SlotCsv, Totals};
use dfaas_env::{Scenario, Simulator};
use serde::{Deserialize, Serialize};

use crate::contender::Contender;
use crate::runner::{EpisodeRun, RunError, run_episode};
use crate::table::render;

/// Totals of one node or of the federation, as reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TotalsReport {
    pub name: String,
    pub input: u64,
    pub local: u64,
    pub forwarded: u64,
    pub rejected: u64,
    pub local_rejects: u64,
    pub forward_rejects: u64,
    pub forward_lost: u64,
    pub received: u64,
    pub processed: u64,
    pub processed_ratio: f64,
    pub served_ratio: f64,
    /// Mean reward per slot.
    pub reward: f64,
    pub mean_response_time_s: Option<f64>,
}

impl TotalsReport {
    fn new(name: &str, t: &Totals) -> Self {
        Self {
            name: name.to_string(),
            input: t.input,
            local: t.local,
            forwarded: t.forwarded,
            rejected: t.rejected,
            local_rejects: t.local_rejects,
            forward_rejects: t.forward_rejects,
            forward_lost: t.forward_lost,
            received: t.received,
            processed: t.processed,
            processed_ratio: t.processed_ratio(),
            served_ratio: t.served_ratio(),
            reward: t.reward / t.slots.max(1) as f64,
            mean_response_time_s: t.mean_response_time_s(),
        }
    }
}

/// One episode as reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpisodeReport {
    pub seed: u64,
    pub federation: TotalsReport,
    pub agents: Vec<TotalsReport>,
}

/// The report of `dfaas simulate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimulateReport {
    pub scenario: String,
    pub policy: String,
    pub slot_seconds: f64,
    pub episodes: Vec<EpisodeReport>,
    /// Wall time of the simulator's stepping alone, seconds.
    pub step_wall_seconds: f64,
    pub agent_steps: u64,
    pub agent_steps_per_second: f64,
    /// Where policies plan with predicted input: each node's one-step
    /// prediction error over the episodes.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub prediction: Vec<dfaas_env::predict::NodePredictionError>,
    /// Per-slot federation totals of the first episode (text report only).
    #[serde(skip)]
    pub first_episode_slots: Vec<Totals>,
}

/// Plays `contender` on each seed; writes every slot to `csv` if given.
pub fn simulate(
    scenario: &Scenario,
    contender: &Contender,
    seeds: &[u64],
    csv: Option<&Path>,
    progress: bool,
) -> Result<SimulateReport, RunError> {
    let mut sim = Simulator::new(scenario).map_err(|e| RunError::Unsupported(e.to_string()))?;
    let mut writer = match csv {
        Some(p) => {
            let f =
                File::create(p).map_err(|e| RunError::Unsupported(format!("{}: cannot create: {e}", p.display())))?;
            Some(SlotCsv::new(BufWriter::new(f), sim.topology())?)
        }
        None => None,
    };
    let names = sim.topology().names().to_vec();
    let bar = if progress && seeds.len() > 1 {
        indicatif::ProgressBar::new(seeds.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut runs: Vec<EpisodeRun> = Vec::new();
    for (i, &seed) in seeds.iter().enumerate() {
        runs.push(run_episode(&mut sim, contender, seed, i, writer.as_mut())?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    if let Some(w) = writer {
        w.finish().map_err(|e| RunError::Unsupported(format!("writing CSV: {e}")))?;
    }
    let time: Duration = runs.iter().map(|r| r.step_time).sum();
    let steps: u64 = runs.iter().map(|r| r.agent_steps).sum();
    Ok(SimulateReport {
        scenario: scenario.name.clone(),
        policy: contender.name(),
        slot_seconds: scenario.episode.slot_seconds,
        episodes: runs
            .iter()
            .map(|r| EpisodeReport {
                seed: r.summary.seed,
                federation: TotalsReport::new("federation", &r.summary.federation),
                agents: r.summary.agents.iter().zip(&names).map(|(t, n)| TotalsReport::new(n, t)).collect(),
            })
            .collect(),
        step_wall_seconds: time.as_secs_f64(),
        agent_steps: steps,
        agent_steps_per_second: if time.as_secs_f64() > 0.0 { steps as f64 / time.as_secs_f64() } else { 0.0 },
        first_episode_slots: runs.first().map(|r| r.slots.clone()).unwrap_or_default(),
        prediction: crate::compare::prediction_errors(&sim, seeds),
    })
}

impl SimulateReport {
    /// Text report: per-slot table for one episode, per-episode table for several,
    /// then per-node totals, rates in requests per second.
    pub fn to_text(&self) -> String {
        let mut out = format!("scenario {} — policy {}\n", self.scenario, self.policy);
        if self.episodes.len() == 1 {
            self.slots_table(&mut out);
        } else {
            self.episodes_table(&mut out);
        }
        if let Some(e) = self.episodes.first() {
            self.nodes_table(e, &mut out);
        }
        out.push_str(&crate::table::prediction_table(&self.prediction));
        out.push_str(&format!(
            "\n{} agent-steps in {:.3} s of stepping: {:.0} agent-steps/s\n",
            self.agent_steps, self.step_wall_seconds, self.agent_steps_per_second
        ));
        out
    }

    /// One episode: the federation per slot.
    fn slots_table(&self, out: &mut String) {
        let header = [
            "slot",
            "input",
            "local",
            "forwarded",
            "rejected",
            "platform rej.",
            "fwd rej.",
            "processed",
            "proc. %",
            "reward",
        ];
        let rows: Vec<Vec<String>> = self
            .first_episode_slots
            .iter()
            .enumerate()
            .map(|(t, s)| {
                vec![
                    t.to_string(),
                    s.input.to_string(),
                    s.local.to_string(),
                    s.forwarded.to_string(),
                    s.rejected.to_string(),
                    s.local_rejects.to_string(),
                    s.forward_rejects.to_string(),
                    s.processed.to_string(),
                    format!("{:.1}", 100.0 * s.processed_ratio()),
                    format!("{:.4}", s.reward / self.episodes[0].agents.len().max(1) as f64),
                ]
            })
            .collect();
        out.push_str("per slot (federation, requests per slot):\n");
        out.push_str(&render(&header, &rows));
    }

    /// Several episodes: one row each.
    fn episodes_table(&self, out: &mut String) {
        let header =
            ["episode", "seed", "input", "processed %", "rejected %", "platform rej. %", "fwd rej. %", "reward"];
        let rows: Vec<Vec<String>> = self
            .episodes
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let f = &e.federation;
                let pc = |x: u64| format!("{:.2}", 100.0 * x as f64 / f.input.max(1) as f64);
                vec![
                    i.to_string(),
                    e.seed.to_string(),
                    f.input.to_string(),
                    format!("{:.2}", 100.0 * f.processed_ratio),
                    pc(f.rejected),
                    pc(f.local_rejects),
                    pc(f.forward_rejects),
                    format!("{:.4}", f.reward),
                ]
            })
            .collect();
        out.push_str(&render(&header, &rows));
    }

    /// Episode `e`'s nodes and the federation, in mean rates.
    fn nodes_table(&self, e: &EpisodeReport, out: &mut String) {
        out.push_str(&format!("\nper node, episode seed {} (mean rates, requests per second):\n", e.seed));
        let header =
            ["node", "input", "local", "forwarded", "received", "rejected", "platform rej.", "fwd rej.", "served %"];
        let slots = e.federation_slots(self);
        let per = |x: u64| x as f64 / slots / self.slot_seconds;
        let rows: Vec<Vec<String>> = e
            .agents
            .iter()
            .chain(std::iter::once(&e.federation))
            .map(|a| {
                vec![
                    a.name.clone(),
                    format!("{:.2}", per(a.input)),
                    format!("{:.2}", per(a.local)),
                    format!("{:.2}", per(a.forwarded)),
                    format!("{:.2}", per(a.received)),
                    format!("{:.2}", per(a.rejected)),
                    format!("{:.2}", per(a.local_rejects)),
                    format!("{:.2}", per(a.forward_rejects)),
                    format!("{:.2}", 100.0 * a.served_ratio),
                ]
            })
            .collect();
        out.push_str(&render(&header, &rows));
    }
}

impl EpisodeReport {
    fn federation_slots(&self, r: &SimulateReport) -> f64 {
        let n = self.agents.len().max(1) as f64;
        (r.agent_steps as f64 / r.episodes.len().max(1) as f64 / n).max(1.0)
    }
}
