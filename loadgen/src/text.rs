//! Text rendering of a [`Report`], laid out like Vegeta's text report.

use std::collections::BTreeMap;
use std::fmt::{Display, Write};

use super::report::Report;

impl Report {
    /// The report as aligned text lines (plus a per-slot table for per-slot runs).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let l = &self.latency;
        let mean = |total: u64| if self.requests > 0 { total as f64 / self.requests as f64 } else { 0.0 };
        let rows = [
            ("Target", "", self.target.clone()),
            (
                "Requests",
                "[total, rate, throughput]",
                format!("{}, {:.2}, {:.2}", self.requests, self.rate, self.throughput),
            ),
            (
                "Duration",
                "[total, attack, wait]",
                format!(
                    "{}, {}, {}",
                    dur(1e3 * (self.duration + self.wait)),
                    dur(1e3 * self.duration),
                    dur(1e3 * self.wait)
                ),
            ),
            (
                "Latencies",
                "[min, mean, 50, 90, 95, 99, max]",
                if l.count == 0 {
                    "-".into()
                } else {
                    [l.min, l.mean, l.p50, l.p90, l.p95, l.p99, l.max].map(dur).join(", ")
                },
            ),
            ("Bytes In", "[total, mean]", format!("{}, {:.2}", self.bytes_in, mean(self.bytes_in))),
            ("Bytes Out", "[total, mean]", format!("{}, {:.2}", self.bytes_out, mean(self.bytes_out))),
            ("Success", "[ratio]", format!("{:.2}%", 100.0 * self.success_ratio)),
            ("Status Codes", "[code:count]", counts(&self.status_codes)),
            ("Errors", "[kind:count]", counts(&self.errors)),
            ("Served By", "[node:count]", counts(&self.by_served_by)),
            ("Forwarded", "[count]", self.forwarded.to_string()),
            ("Rejects", "[reason:count]", counts(&self.by_reject_reason)),
            ("Send Lag", "[max]", dur(self.max_send_lag)),
        ];
        for (name, fields, value) in rows {
            let _ = writeln!(s, "{name:<14}{fields:<34}{value}");
        }
        if self.capped {
            s.push_str("Note: the schedule was cut at the request cap\n");
        }
        if !self.slots.is_empty() {
            let _ = writeln!(
                s,
                "\n{:>5} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9}  rejects",
                "slot", "start_s", "rate", "arrive", "ok", "reject", "fail", "p50", "p90", "p99"
            );
            for r in &self.slots {
                let rejected: u64 = r.rejects.values().sum();
                let lat = &r.success_latency;
                let p = |x: f64| if lat.count == 0 { "-".to_string() } else { dur(x) };
                let _ = writeln!(
                    s,
                    "{:>5} {:>8.2} {:>8.2} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9}  {}",
                    r.slot,
                    r.start,
                    r.target_rate,
                    r.arrivals,
                    r.successes,
                    rejected,
                    r.failures,
                    p(lat.p50),
                    p(lat.p90),
                    p(lat.p99),
                    counts(&r.rejects)
                );
            }
        }
        s
    }
}

/// `key:count` pairs separated by two spaces; `-` when empty.
fn counts<K: Display>(m: &BTreeMap<K, u64>) -> String {
    if m.is_empty() {
        return "-".into();
    }
    m.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join("  ")
}

/// Milliseconds as `1.234s`, `12.345ms` or `456µs`.
fn dur(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.3}s", ms / 1e3)
    } else if ms >= 1.0 {
        format!("{ms:.3}ms")
    } else {
        format!("{:.0}µs", ms * 1e3)
    }
}
