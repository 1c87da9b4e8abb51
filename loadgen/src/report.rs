//! The summary of a run (Vegeta-like), built from the request records.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::percentiles::{LatencyStats, ms};
use super::record::{ErrorKind, Outcome, RequestRecord};
use super::slots::{SlotReport, slot_reports};

/// Summary of a run. Times in seconds, latencies in milliseconds. Read back,
/// fields a document lacks are empty: hand-written or older cluster
/// documents carry only the per-slot rows their plots use.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Report {
    pub target: String,
    /// Requests due by the schedule (sent or dropped).
    pub requests: u64,
    /// Achieved send rate (req/s): `(requests - 1) / duration`; 0 with fewer than 2.
    pub rate: f64,
    /// Successes (2xx) per second from the first send to the last answer.
    pub throughput: f64,
    /// Seconds from the first send to the last send.
    pub duration: f64,
    /// Seconds from the last send to the last answer.
    pub wait: f64,
    /// Latency of every HTTP answer, whatever its status (not of errors).
    pub latency: LatencyStats,
    /// Latency of the 2xx answers.
    pub success_latency: LatencyStats,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// 2xx answers.
    pub successes: u64,
    /// `successes / requests` (0 when no requests).
    pub success_ratio: f64,
    /// Answers per HTTP status.
    pub status_codes: BTreeMap<u16, u64>,
    /// Requests without an answer per kind: `timeout`, `connect`, `dropped`
    /// (too many in flight), `other`.
    pub errors: BTreeMap<String, u64>,
    /// Answers per `X-Dfaas-Served-By`.
    pub by_served_by: BTreeMap<String, u64>,
    /// Answers per `X-Dfaas-Reject-Reason`.
    pub by_reject_reason: BTreeMap<String, u64>,
    /// Answers with `X-Dfaas-Forwarded: true`.
    pub forwarded: u64,
    /// Largest delay of a send past its scheduled time (ms): generator lag.
    pub max_send_lag: f64,
    /// The schedule asked for more than the request cap and was cut.
    pub capped: bool,
    /// Per-slot aggregates (per-slot schedules only; empty otherwise).
    pub slots: Vec<SlotReport>,
}

/// Slot length and the rate of each slot of a per-slot run.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotInfo {
    pub slot: Duration,
    pub rates: Vec<f64>,
}

impl Report {
    /// Aggregates `records`; `slots` adds the per-slot table.
    pub fn from_records(target: &str, records: &[RequestRecord], slots: Option<&SlotInfo>, capped: bool) -> Self {
        let requests = records.len() as u64;
        let first_sent = records.iter().map(|r| r.sent).min().unwrap_or_default();
        let last_sent = records.iter().map(|r| r.sent).max().unwrap_or_default();
        let last_end = records.iter().map(RequestRecord::end).max().unwrap_or_default().max(last_sent);
        let span = last_sent - first_sent;
        let rate = if requests >= 2 && !span.is_zero() { (requests - 1) as f64 / span.as_secs_f64() } else { 0.0 };

        let mut r = Report {
            target: target.to_string(),
            requests,
            rate,
            throughput: 0.0,
            duration: span.as_secs_f64(),
            wait: (last_end - last_sent).as_secs_f64(),
            latency: LatencyStats::default(),
            success_latency: LatencyStats::default(),
            bytes_in: 0,
            bytes_out: 0,
            successes: 0,
            success_ratio: 0.0,
            status_codes: BTreeMap::new(),
            errors: BTreeMap::new(),
            by_served_by: BTreeMap::new(),
            by_reject_reason: BTreeMap::new(),
            forwarded: 0,
            max_send_lag: 0.0,
            capped,
            slots: Vec::new(),
        };
        let (mut answered, mut succeeded) = (Vec::new(), Vec::new());
        let mut max_lag = Duration::ZERO;
        for rec in records {
            r.bytes_in += rec.bytes_in;
            r.bytes_out += rec.bytes_out;
            max_lag = max_lag.max(rec.sent.saturating_sub(rec.scheduled));
            match rec.outcome {
                Outcome::Status(code) => {
                    *r.status_codes.entry(code).or_default() += 1;
                    answered.push(rec.latency);
                    if rec.outcome.is_success() {
                        succeeded.push(rec.latency);
                    }
                }
                Outcome::Error(kind) => *r.errors.entry(kind.as_str().to_string()).or_default() += 1,
            }
            if let Some(s) = &rec.served_by {
                *r.by_served_by.entry(s.clone()).or_default() += 1;
            }
            if let Some(s) = &rec.reject_reason {
                *r.by_reject_reason.entry(s.clone()).or_default() += 1;
            }
            r.forwarded += u64::from(rec.forwarded);
        }
        r.successes = succeeded.len() as u64;
        r.success_ratio = if requests > 0 { r.successes as f64 / requests as f64 } else { 0.0 };
        let window = (last_end - first_sent).as_secs_f64();
        r.throughput = if window > 0.0 { r.successes as f64 / window } else { 0.0 };
        r.max_send_lag = ms(max_lag);
        r.latency = LatencyStats::of(answered);
        r.success_latency = LatencyStats::of(succeeded);
        if let Some(info) = slots {
            r.slots = slot_reports(records, info);
        }
        r
    }

    /// Requests without an answer of one kind.
    pub fn error_count(&self, kind: ErrorKind) -> u64 {
        self.errors.get(kind.as_str()).copied().unwrap_or(0)
    }
}
