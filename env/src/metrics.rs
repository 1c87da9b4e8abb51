//! Metrics: per-slot rows (CSV, one row per slot and agent) and episode
//! totals per agent and for the federation.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::contract::SlotOutcome;
use crate::topology::Topology;

/// Sums of a node's (or the federation's) outcomes over an episode.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub slots: u64,
    pub input: u64,
    pub local: u64,
    pub forwarded: u64,
    pub rejected: u64,
    pub local_rejects: u64,
    pub forward_rejects: u64,
    pub forward_lost: u64,
    pub received: u64,
    pub received_rejects: u64,
    pub processed: u64,
    pub reward: f64,
    /// Σ response time × processed (for the processed-weighted mean).
    pub response_time_weighted: f64,
    pub response_time_count: u64,
    /// Σ queue length at slot end (queue model).
    pub queue_len: u64,
}

impl Totals {
    /// Adds one slot's outcome.
    pub fn add(&mut self, o: &SlotOutcome) {
        self.slots += 1;
        self.input += o.input as u64;
        self.local += o.local as u64;
        self.forwarded += o.forwarded_total() as u64;
        self.rejected += o.rejected as u64;
        self.local_rejects += o.local_rejects as u64;
        self.forward_rejects += o.forward_rejects_total() as u64;
        self.forward_lost += o.forward_lost as u64;
        self.received += o.received as u64;
        self.received_rejects += o.received_rejects as u64;
        self.processed += o.processed as u64;
        self.reward += o.reward;
        if let Some(rt) = o.response_time_s {
            self.response_time_weighted += rt * o.processed as f64;
            self.response_time_count += o.processed as u64;
        }
        self.queue_len += o.queue_len.unwrap_or(0) as u64;
    }

    /// Adds another total (federation = Σ agents).
    pub fn merge(&mut self, o: &Totals) {
        self.slots = self.slots.max(o.slots);
        self.input += o.input;
        self.local += o.local;
        self.forwarded += o.forwarded;
        self.rejected += o.rejected;
        self.local_rejects += o.local_rejects;
        self.forward_rejects += o.forward_rejects;
        self.forward_lost += o.forward_lost;
        self.received += o.received;
        self.received_rejects += o.received_rejects;
        self.processed += o.processed;
        self.reward += o.reward;
        self.response_time_weighted += o.response_time_weighted;
        self.response_time_count += o.response_time_count;
        self.queue_len += o.queue_len;
    }

    fn ratio(x: u64, input: u64) -> f64 {
        if input == 0 { 0.0 } else { x as f64 / input as f64 }
    }

    /// Requests executed / requests that arrived (federation-wide meaning;
    /// for one node of the queue model it counts what that node executed).
    pub fn processed_ratio(&self) -> f64 {
        if self.input == 0 { 1.0 } else { (self.processed as f64 / self.input as f64).min(1.0) }
    }

    /// Own requests not lost (not rejected anywhere) / own input.
    pub fn served_ratio(&self) -> f64 {
        1.0 - Self::ratio(self.rejected + self.local_rejects + self.forward_rejects + self.forward_lost, self.input)
    }

    /// Rejected on purpose / input.
    pub fn rejected_ratio(&self) -> f64 {
        Self::ratio(self.rejected, self.input)
    }

    /// Rejected by the local platform / input.
    pub fn local_reject_ratio(&self) -> f64 {
        Self::ratio(self.local_rejects, self.input)
    }

    /// Forwards rejected by neighbours / input.
    pub fn forward_reject_ratio(&self) -> f64 {
        Self::ratio(self.forward_rejects, self.input)
    }

    /// Forwarded / input.
    pub fn forwarded_ratio(&self) -> f64 {
        Self::ratio(self.forwarded, self.input)
    }

    /// Processed-weighted mean response time, seconds.
    pub fn mean_response_time_s(&self) -> Option<f64> {
        (self.response_time_count > 0).then(|| self.response_time_weighted / self.response_time_count as f64)
    }
}

/// One episode's totals per agent and for the federation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EpisodeSummary {
    pub seed: u64,
    pub agents: Vec<Totals>,
    pub federation: Totals,
}

impl EpisodeSummary {
    /// An empty summary for `n` agents.
    pub fn new(seed: u64, n: usize) -> Self {
        Self { seed, agents: vec![Totals::default(); n], federation: Totals::default() }
    }

    /// Adds one slot's outcomes (one per agent).
    pub fn add_slot(&mut self, outcomes: &[SlotOutcome]) {
        for (t, o) in self.agents.iter_mut().zip(outcomes) {
            t.add(o);
        }
    }

    /// Computes the federation totals (call once at the end).
    pub fn finish(&mut self) {
        let mut f = Totals::default();
        for a in &self.agents {
            f.merge(a);
        }
        // The federation reward is the mean per-agent episode reward.
        f.reward /= self.agents.len().max(1) as f64;
        self.federation = f;
    }
}

/// Writes per-slot, per-agent rows as CSV.
pub struct SlotCsv<W: Write> {
    out: csv::Writer<W>,
    names: Vec<String>,
    neighbor_names: Vec<Vec<String>>,
}

/// Column names of the per-slot CSV.
pub const SLOT_CSV_HEADER: &[&str] = &[
    "episode",
    "seed",
    "slot",
    "agent",
    "input",
    "local",
    "forwarded",
    "forwarded_to",
    "rejected",
    "local_rejects",
    "forward_rejects",
    "forward_lost",
    "received",
    "received_rejects",
    "processed",
    "queue_len",
    "response_time_s",
    "network_delay_s",
    "reward",
];

impl<W: Write> SlotCsv<W> {
    /// A writer for a federation's agents; writes the header.
    pub fn new(w: W, topology: &Topology) -> csv::Result<Self> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(SLOT_CSV_HEADER)?;
        let names = topology.names().to_vec();
        let neighbor_names =
            (0..topology.len()).map(|i| topology.neighbors(i).iter().map(|&j| names[j].clone()).collect()).collect();
        Ok(Self { out, names, neighbor_names })
    }

    /// Writes one slot's rows.
    pub fn write_slot(&mut self, episode: usize, seed: u64, slot: usize, outcomes: &[SlotOutcome]) -> csv::Result<()> {
        let opt = |x: Option<f64>| x.map(|v| format!("{v:.6}")).unwrap_or_default();
        for (i, o) in outcomes.iter().enumerate() {
            let to: Vec<String> =
                self.neighbor_names[i].iter().zip(&o.forwarded).map(|(n, c)| format!("{n}:{c}")).collect();
            self.out.write_record([
                episode.to_string(),
                seed.to_string(),
                slot.to_string(),
                self.names[i].clone(),
                o.input.to_string(),
                o.local.to_string(),
                o.forwarded_total().to_string(),
                to.join(";"),
                o.rejected.to_string(),
                o.local_rejects.to_string(),
                o.forward_rejects_total().to_string(),
                o.forward_lost.to_string(),
                o.received.to_string(),
                o.received_rejects.to_string(),
                o.processed.to_string(),
                o.queue_len.map(|q| q.to_string()).unwrap_or_default(),
                opt(o.response_time_s),
                opt(o.network_delay_s),
                format!("{:.6}", o.reward),
            ])?;
        }
        Ok(())
    }

    /// Flushes and returns the inner writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}
