//! The text report of a cluster run.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::ClusterReport;

pub fn text(r: &ClusterReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "dfaas cluster: scenario {}, policy {}, {} slots of {} s (federation formed in {:.1} s)",
        r.scenario, r.policy, r.slots, r.slot_seconds, r.ready_s
    );
    let names: Vec<&str> = r.nodes.iter().map(|n| n.node.as_str()).collect();
    for n in &r.nodes {
        let _ = writeln!(o, "\n{} (capacity {} req/s, neighbours {})", n.node, n.capacity_rps, n.neighbors.join(", "));
        let Some(load) = &n.load else {
            let _ = writeln!(o, "  no load");
            continue;
        };
        let reasons: BTreeSet<&str> = load.slots.iter().flat_map(|s| s.rejects.keys().map(String::as_str)).collect();
        let mut head = format!("{:>4} {:>7} {:>8} {:>6}", "slot", "rate", "arrivals", "ok");
        for m in &names {
            let _ = write!(head, " {:>9}", format!("by {m}"));
        }
        for rs in &reasons {
            let _ = write!(head, " {:>10}", format!("rej {rs}"));
        }
        let _ = write!(head, " {:>6} {:>8} {:>8} {:>8}", "failed", "p50 ms", "p90 ms", "p99 ms");
        let _ = writeln!(o, "{head}");
        for s in &load.slots {
            let mut line = format!("{:>4} {:>7.1} {:>8} {:>6}", s.slot, s.target_rate, s.arrivals, s.successes);
            for m in &names {
                let _ = write!(line, " {:>9}", s.by_served_by.get(*m).copied().unwrap_or(0));
            }
            for rs in &reasons {
                let _ = write!(line, " {:>10}", s.rejects.get(*rs).copied().unwrap_or(0));
            }
            let l = &s.success_latency;
            let _ = write!(line, " {:>6} {:>8.1} {:>8.1} {:>8.1}", s.failures, l.p50, l.p90, l.p99);
            let _ = writeln!(o, "{line}");
        }
        let served: Vec<String> = load.by_served_by.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let rejects: Vec<String> = load.by_reject_reason.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(
            o,
            "  total: {} requests, {} ok (local {}), served by: {}; rejected: {}; latency p50/p90/p99 {:.1}/{:.1}/{:.1} ms",
            load.requests,
            load.successes,
            load.by_served_by.get(&n.node).copied().unwrap_or(0),
            if served.is_empty() { "-".into() } else { served.join(", ") },
            if rejects.is_empty() { "none".into() } else { rejects.join(", ") },
            load.success_latency.p50,
            load.success_latency.p90,
            load.success_latency.p99
        );
    }
    let s = &r.summary;
    let _ = writeln!(
        o,
        "\nfederation: {} requests, {} ok, {} rejected, {} failed; processed ratio {:.4}",
        s.requests, s.successes, s.rejected, s.failures, s.processed_ratio
    );
    o
}
