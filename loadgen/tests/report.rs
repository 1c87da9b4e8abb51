//! Report and percentile computation on hand-made records (no network).

use std::collections::BTreeMap;
use std::time::Duration;

use dfaas_loadgen::{ErrorKind, LatencyStats, Outcome, Report, RequestRecord, SlotInfo, nearest_rank};

fn ms(x: u64) -> Duration {
    Duration::from_millis(x)
}

fn answer(slot: u32, at: u64, latency: u64, status: u16, reason: Option<&str>, by: Option<&str>) -> RequestRecord {
    RequestRecord {
        slot: Some(slot),
        scheduled: ms(at),
        sent: ms(at),
        latency: ms(latency),
        outcome: Outcome::Status(status),
        served_by: by.map(str::to_string),
        forwarded: by == Some("peer"),
        reject_reason: reason.map(str::to_string),
        bytes_in: 2,
        bytes_out: 0,
    }
}

#[test]
fn percentiles_of_a_hand_made_list() {
    // 1..=100 ms shuffled: nearest rank gives p50 = 50, p90 = 90, p95 = 95, p99 = 99.
    let lat: Vec<Duration> = (1..=100u64).map(|i| ms((i * 37) % 100 + 1)).collect();
    let s = LatencyStats::of(lat);
    assert_eq!((s.count, s.min, s.max), (100, 1.0, 100.0));
    assert_eq!((s.p50, s.p90, s.p95, s.p99), (50.0, 90.0, 95.0, 99.0));
    assert!((s.mean - 50.5).abs() < 1e-9);

    let five = LatencyStats::of([10, 20, 30, 40, 1000].map(ms).to_vec());
    assert_eq!((five.p50, five.p90, five.p99, five.max), (30.0, 1000.0, 1000.0, 1000.0));
    assert!((five.mean - 220.0).abs() < 1e-9);
    assert_eq!(LatencyStats::of(vec![]), LatencyStats::default());
    assert_eq!(nearest_rank(&[10, 20, 30], 34.0), Some(20));
}

#[test]
fn report_from_records() {
    let timeout = RequestRecord::failed(Some(1), ms(600), ms(601), ms(200), ErrorKind::Timeout);
    let dropped = RequestRecord::failed(Some(1), ms(800), ms(800), ms(0), ErrorKind::Dropped);
    let records = vec![
        answer(0, 0, 10, 200, None, Some("local")),
        answer(0, 200, 30, 200, None, Some("peer")),
        answer(0, 400, 20, 503, Some("capacity"), None),
        timeout,
        dropped,
        answer(1, 1000, 40, 500, None, None),
    ];
    let info = SlotInfo { slot: ms(500), rates: vec![6.0, 6.0, 0.0] };
    let r = Report::from_records("http://x/f", &records, Some(&info), false);
    assert_eq!(r.requests, 6);
    assert!((r.rate - 5.0).abs() < 1e-9, "{}", r.rate);
    assert!((r.duration - 1.0).abs() < 1e-9);
    assert!((r.wait - 0.04).abs() < 1e-9);
    assert!((r.throughput - 2.0 / 1.04).abs() < 1e-9);
    assert_eq!(r.successes, 2);
    assert!((r.success_ratio - 2.0 / 6.0).abs() < 1e-12);
    assert_eq!(r.status_codes, BTreeMap::from([(200, 2), (500, 1), (503, 1)]));
    assert_eq!(r.errors, BTreeMap::from([("dropped".into(), 1), ("timeout".into(), 1)]));
    assert_eq!(r.by_reject_reason, BTreeMap::from([("capacity".into(), 1)]));
    assert_eq!(r.by_served_by, BTreeMap::from([("local".into(), 1), ("peer".into(), 1)]));
    assert_eq!(r.forwarded, 1);
    assert_eq!((r.latency.count, r.latency.max), (4, 40.0));
    assert_eq!((r.success_latency.count, r.success_latency.p50), (2, 10.0));
    assert!((r.max_send_lag - 1.0).abs() < 1e-9);
    assert_eq!(r.bytes_in, 8);

    assert_eq!(r.slots.len(), 3);
    let (s0, s1, s2) = (&r.slots[0], &r.slots[1], &r.slots[2]);
    assert_eq!((s0.arrivals, s0.successes, s0.failures), (3, 2, 0));
    assert_eq!(s0.rejects, BTreeMap::from([("capacity".into(), 1)]));
    assert_eq!((s0.success_latency.p50, s0.success_latency.p99), (10.0, 30.0));
    assert_eq!(s0.forwarded, 1);
    assert_eq!((s1.arrivals, s1.successes, s1.failures, s1.timeouts), (3, 0, 3, 1));
    assert_eq!((s2.arrivals, s2.start), (0, 1.0));
    let text = r.to_text();
    assert!(text.contains("dropped:1  timeout:1"), "{text}");
    assert!(text.lines().last().unwrap().trim_end().ends_with("-"), "{text}");
}

#[test]
fn empty_report() {
    let r = Report::from_records("http://x/f", &[], None, false);
    assert_eq!((r.requests, r.rate, r.throughput, r.success_ratio), (0, 0.0, 0.0, 0.0));
    assert!(r.slots.is_empty());
    assert!(r.to_text().contains("Status Codes"));
}
