//! Per-slot aggregates of a per-slot run (what the cluster report needs).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::percentiles::LatencyStats;
use super::record::{ErrorKind, Outcome, RequestRecord};
use super::report::SlotInfo;

/// One slot of a per-slot run, by the slot the requests were scheduled in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SlotReport {
    pub slot: u32,
    /// Start of the slot (seconds from the start of the run).
    pub start: f64,
    /// Scheduled rate (req/s).
    pub target_rate: f64,
    /// Requests due in the slot (sent or dropped).
    pub arrivals: u64,
    /// 2xx answers.
    pub successes: u64,
    /// Answers with `X-Dfaas-Reject-Reason`, per reason.
    pub rejects: BTreeMap<String, u64>,
    /// Everything else: other statuses and requests without an answer.
    pub failures: u64,
    /// Of the failures, timeouts.
    pub timeouts: u64,
    /// Answers with `X-Dfaas-Forwarded: true`.
    pub forwarded: u64,
    /// Answers per `X-Dfaas-Served-By`.
    pub by_served_by: BTreeMap<String, u64>,
    /// Latency of the 2xx answers (ms; p50/p90/p99 among others).
    pub success_latency: LatencyStats,
}

/// One row per slot of `info` (empty slots included).
pub(crate) fn slot_reports(records: &[RequestRecord], info: &SlotInfo) -> Vec<SlotReport> {
    let mut rows: Vec<(SlotReport, Vec<std::time::Duration>)> = info
        .rates
        .iter()
        .enumerate()
        .map_while(|(k, &rate)| {
            let k = u32::try_from(k).ok()?;
            let start = info.slot.checked_mul(k)?.as_secs_f64();
            let row = SlotReport {
                slot: k,
                start,
                target_rate: rate,
                arrivals: 0,
                successes: 0,
                rejects: BTreeMap::new(),
                failures: 0,
                timeouts: 0,
                forwarded: 0,
                by_served_by: BTreeMap::new(),
                success_latency: LatencyStats::default(),
            };
            Some((row, Vec::new()))
        })
        .collect();
    for rec in records {
        let Some((row, lat)) = rec.slot.and_then(|k| rows.get_mut(k as usize)) else { continue };
        row.arrivals += 1;
        if rec.outcome.is_success() {
            row.successes += 1;
            lat.push(rec.latency);
        } else if let Some(reason) = &rec.reject_reason {
            *row.rejects.entry(reason.clone()).or_default() += 1;
        } else {
            row.failures += 1;
            row.timeouts += u64::from(rec.outcome == Outcome::Error(ErrorKind::Timeout));
        }
        row.forwarded += u64::from(rec.forwarded);
        if let Some(s) = &rec.served_by {
            *row.by_served_by.entry(s.clone()).or_default() += 1;
        }
    }
    rows.into_iter()
        .map(|(mut row, lat)| {
            row.success_latency = LatencyStats::of(lat);
            row
        })
        .collect()
}
