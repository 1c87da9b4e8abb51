//! What the users of a live federation saw: the load generators' totals.

use serde::Serialize;

use crate::loadgen::Report;

/// Requests sent and how they were answered, over every node's users.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClientView {
    pub requests: u64,
    /// Answered by a function execution (200).
    pub successes: u64,
    /// Answered with a rejection.
    pub rejected: u64,
    /// No answer, a timeout or a transport error.
    pub failures: u64,
    /// successes / requests (1 without requests).
    pub processed_ratio: f64,
}

impl ClientView {
    /// Adds one generator's report.
    pub fn add(&mut self, r: &Report) {
        self.requests += r.requests;
        self.successes += r.successes;
        self.rejected += r.by_reject_reason.values().sum::<u64>();
        self.failures += r.slots.iter().map(|s| s.failures).sum::<u64>();
        self.processed_ratio = if self.requests > 0 { self.successes as f64 / self.requests as f64 } else { 1.0 };
    }
}
