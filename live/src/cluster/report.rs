//! The text report of a cluster run, and its summary in the shape of
//! `dfaas compare` (one live episode: every std is 0).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::{ClusterReport, NodeReport};
use dfaas_experiments::compare::{CompareReport, NodeRates, PolicyResult};
use dfaas_experiments::table::{node_table, render};
use dfaas_loadgen::SlotReport;

/// Reject reasons the runtime sends, by the compare table's column.
const PURPOSE: &[&str] = &["policy"];
const PLATFORM: &[&str] = &["capacity"];
const FORWARD: &[&str] = &["peer-rejected", "peer-unreachable"];

fn sum_reasons(m: &BTreeMap<String, u64>, reasons: &[&str]) -> u64 {
    reasons.iter().map(|r| m.get(*r).copied().unwrap_or(0)).sum()
}

fn ratio(x: u64, of: u64) -> f64 {
    if of == 0 { 0.0 } else { x as f64 / of as f64 }
}

/// The run as a one-row [`CompareReport`]: ratios of all requests sent, and
/// per-node mean rates (req/s) over the slots after the first. Forwarded
/// counts answers run by a peer plus forwards the peer refused or could not
/// take; the rates per peer count the answers it ran.
pub fn compare_view(scenario: &str, policy: &str, slot_seconds: f64, seed: u64, nodes: &[NodeReport]) -> CompareReport {
    let (mut requests, mut ok, mut purpose, mut platform, mut fwd_rej, mut forwarded) = (0, 0, 0, 0, 0, 0);
    let (mut latency_ms, mut latency_n) = (0.0, 0u64);
    for l in nodes.iter().filter_map(|n| n.load.as_ref()) {
        requests += l.requests;
        ok += l.successes;
        purpose += sum_reasons(&l.by_reject_reason, PURPOSE);
        platform += sum_reasons(&l.by_reject_reason, PLATFORM);
        fwd_rej += sum_reasons(&l.by_reject_reason, FORWARD);
        forwarded += l.forwarded + sum_reasons(&l.by_reject_reason, FORWARD);
        latency_ms += l.success_latency.mean * l.success_latency.count as f64;
        latency_n += l.success_latency.count;
    }
    let processed = if requests == 0 { 1.0 } else { ratio(ok, requests) };
    let result = PolicyResult {
        policy: policy.to_string(),
        reference: false,
        processed_ratio: processed,
        processed_ratio_std: 0.0,
        rejected_ratio: ratio(purpose, requests),
        rejected_ratio_std: 0.0,
        local_reject_ratio: ratio(platform, requests),
        local_reject_ratio_std: 0.0,
        forward_reject_ratio: ratio(fwd_rej, requests),
        forward_reject_ratio_std: 0.0,
        forwarded_ratio: ratio(forwarded, requests),
        forwarded_ratio_std: 0.0,
        reward: None,
        reward_std: None,
        response_time_s: (latency_n > 0).then(|| latency_ms / latency_n as f64 / 1000.0),
        agent_steps_per_second: nodes.len() as f64 / slot_seconds,
        episode_processed_ratios: vec![processed],
        nodes: node_rates(nodes, slot_seconds),
        certified_gap_ratio: None,
        functions: Vec::new(),
    };
    CompareReport {
        scenario: scenario.to_string(),
        episodes: 1,
        seeds: vec![seed],
        results: vec![result],
        paired: Vec::new(),
        prediction: Vec::new(),
    }
}

/// The node id of an agent name (`node` or `node/function`): what the
/// gateways answer in `x-dfaas-node`, whose loads are counted by it.
fn node_id(agent: &str) -> &str {
    agent.rsplit_once('/').map_or(agent, |(n, _)| n)
}

/// The function part of an agent name (`""` for a node's one function).
fn function_of(agent: &str) -> &str {
    agent.rsplit_once('/').map_or("", |(_, f)| f)
}

fn after_first(n: &NodeReport) -> Vec<&SlotReport> {
    n.load.as_ref().map(|l| l.slots.iter().skip(1).collect()).unwrap_or_default()
}

/// Per-node mean rates over the slots after the first, as `dfaas compare` gives them.
fn node_rates(nodes: &[NodeReport], slot_seconds: f64) -> Vec<NodeRates> {
    let rate = |count: u64, slots: usize| if slots == 0 { 0.0 } else { count as f64 / (slots as f64 * slot_seconds) };
    nodes
        .iter()
        .map(|n| {
            let slots = after_first(n);
            let k = slots.len();
            let served = |by: &str| slots.iter().map(|s| s.by_served_by.get(by).copied().unwrap_or(0)).sum::<u64>();
            let reasons = |rs: &[&str]| slots.iter().map(|s| sum_reasons(&s.rejects, rs)).sum::<u64>();
            let me = node_id(&n.node);
            let received: f64 = nodes
                .iter()
                .filter(|o| o.node != n.node && function_of(&o.node) == function_of(&n.node))
                .map(|o| {
                    let os = after_first(o);
                    rate(os.iter().map(|s| s.by_served_by.get(me).copied().unwrap_or(0)).sum(), os.len())
                })
                .sum();
            NodeRates {
                node: n.node.clone(),
                input_rps: rate(slots.iter().map(|s| s.arrivals).sum(), k),
                local_rps: rate(served(me), k),
                forwarded_rps: n.neighbors.iter().map(|m| (m.clone(), rate(served(node_id(m)), k))).collect(),
                received_rps: received,
                rejected_rps: rate(reasons(PURPOSE), k),
                platform_rejected_rps: rate(reasons(PLATFORM), k),
                forward_rejected_rps: rate(reasons(FORWARD), k),
            }
        })
        .collect()
}

/// The summary table: `dfaas compare`'s columns (percentages of all
/// requests; no std, no reward live) plus failed requests, then per-node rates.
pub fn summary_table(c: &CompareReport, failed_ratio: f64) -> String {
    let header = [
        "policy",
        "processed %",
        "rejected (purpose) %",
        "rejected (platform) %",
        "forward rejects %",
        "forwarded %",
        "failed %",
        "latency ms",
    ];
    let pc = |x: f64| format!("{:.2}", 100.0 * x);
    let rows: Vec<Vec<String>> = c
        .results
        .iter()
        .map(|r| {
            vec![
                r.policy.clone(),
                pc(r.processed_ratio),
                pc(r.rejected_ratio),
                pc(r.local_reject_ratio),
                pc(r.forward_reject_ratio),
                pc(r.forwarded_ratio),
                pc(failed_ratio),
                r.response_time_s.map_or("-".into(), |t| format!("{:.1}", 1000.0 * t)),
            ]
        })
        .collect();
    format!(
        "scenario {} — one live run (percentages of all requests sent; latency: mean of the successes)\n{}{}",
        c.scenario,
        render(&header, &rows),
        node_table(c)
    )
}

pub fn text(r: &ClusterReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "dfaas cluster: scenario {}, policy {}, {} slots of {} s (federation formed in {:.1} s)",
        r.scenario, r.policy, r.slots, r.slot_seconds, r.ready_s
    );
    let mut names: Vec<&str> = r.nodes.iter().map(|n| node_id(&n.node)).collect();
    names.dedup();
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
            load.by_served_by.get(node_id(&n.node)).copied().unwrap_or(0),
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
    let failed = if s.requests == 0 { 0.0 } else { s.failures as f64 / s.requests as f64 };
    let _ = writeln!(o, "\n{}", summary_table(&r.compare, failed));
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_table_has_the_compare_columns_and_node_rates() {
        let node = NodeRates {
            node: "node_1".into(),
            input_rps: 50.0,
            local_rps: 10.0,
            forwarded_rps: [("node_2".to_string(), 16.0), ("node_3".to_string(), 24.0)].into(),
            received_rps: 0.0,
            rejected_rps: 0.0,
            platform_rejected_rps: 0.0,
            forward_rejected_rps: 0.0,
        };
        let r = PolicyResult {
            policy: "slack-proportional".into(),
            reference: false,
            processed_ratio: 0.9712,
            processed_ratio_std: 0.0,
            rejected_ratio: 0.0,
            rejected_ratio_std: 0.0,
            local_reject_ratio: 0.0288,
            local_reject_ratio_std: 0.0,
            forward_reject_ratio: 0.0,
            forward_reject_ratio_std: 0.0,
            forwarded_ratio: 0.7,
            forwarded_ratio_std: 0.0,
            reward: None,
            reward_std: None,
            response_time_s: Some(0.1734),
            agent_steps_per_second: 3.0,
            episode_processed_ratios: vec![0.9712],
            nodes: vec![node],
            certified_gap_ratio: None,
            functions: Vec::new(),
        };
        let c = CompareReport {
            scenario: "s".into(),
            episodes: 1,
            seeds: vec![1],
            results: vec![r],
            paired: Vec::new(),
            prediction: Vec::new(),
        };
        let t = summary_table(&c, 0.0);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[1].starts_with("policy") && lines[1].contains("rejected (platform) %"), "{t}");
        assert!(lines[3].starts_with("slack-proportional") && lines[3].contains("97.12"), "{t}");
        assert!(lines[3].contains("2.88") && lines[3].contains("70.00") && lines[3].contains("173.4"), "{t}");
        assert!(t.contains("node_2:16.00 node_3:24.00"), "{t}");
    }
}
