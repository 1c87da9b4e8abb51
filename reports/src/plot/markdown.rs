//! Markdown tables of the report, one function per input kind.

use super::sim2real::{Sim2Real, metric};
use super::timeline::NodeTimeline;
use super::training::{PANELS, Scalars};
use dfaas_experiments::compare::CompareReport;
use dfaas_live::cluster::ClusterReport;
use dfaas_live::live_env::share_metrics;

fn row(cells: &[String]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

fn header(cells: &[&str]) -> String {
    let mut s = row(&cells.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    s += &row(&cells.iter().map(|_| "---".to_string()).collect::<Vec<_>>());
    s
}

fn pct(mean: f64, std: f64, with_std: bool) -> String {
    if with_std { format!("{:.2} ± {:.2}", mean * 100.0, std * 100.0) } else { format!("{:.2}", mean * 100.0) }
}

/// Per-node totals of a live cluster run (requests).
pub fn cluster(c: &ClusterReport) -> String {
    let mut o = format!(
        "Scenario `{}`, policy `{}`, slots of {} s. Federation: {} requests, {} ok, {} rejected, {} failed; \
         processed ratio {:.4}.\n\n",
        c.scenario,
        c.policy,
        c.slot_seconds,
        c.summary.requests,
        c.summary.successes,
        c.summary.rejected,
        c.summary.failures,
        c.summary.processed_ratio
    );
    o += &header(&[
        "node",
        "capacity (req/s)",
        "arrivals",
        "ok",
        "served locally",
        "served by a neighbour",
        "rejected",
        "failed",
        "executed here",
    ]);
    for n in &c.nodes {
        let slots = n.load.iter().flat_map(|l| &l.slots);
        let sum = |f: &dyn Fn(&dfaas_loadgen::SlotReport) -> u64| slots.clone().map(f).sum::<u64>();
        let local = sum(&|s| s.by_served_by.get(&n.node).copied().unwrap_or(0));
        let ok = sum(&|s| s.successes);
        let executed: u64 = c
            .nodes
            .iter()
            .flat_map(|o| o.load.iter().flat_map(|l| &l.slots))
            .map(|s| s.by_served_by.get(&n.node).copied().unwrap_or(0))
            .sum();
        o += &row(&[
            n.node.clone(),
            n.capacity_rps.to_string(),
            sum(&|s| s.arrivals).to_string(),
            ok.to_string(),
            local.to_string(),
            ok.saturating_sub(local).to_string(),
            sum(&|s| s.rejects.values().sum()).to_string(),
            sum(&|s| s.failures).to_string(),
            executed.to_string(),
        ]);
    }
    o
}

/// Per-node totals of one simulated episode (requests).
pub fn slot_totals(nodes: &[NodeTimeline]) -> String {
    let mut o = header(&["node", "input", "executed here", "served locally", "served by a neighbour", "rejected"]);
    for n in nodes {
        let s = |v: &[f64]| format!("{}", v.iter().sum::<f64>().round());
        o += &row(&[n.node.clone(), s(&n.input), s(&n.executed), s(&n.local), s(&n.forwarded), s(&n.rejected)]);
    }
    o
}

/// Shares of the input per contender, in percent.
pub fn compare(c: &CompareReport) -> String {
    let sd = c.episodes > 1;
    let mut o = format!(
        "Scenario `{}`, {} episode(s); shares of the federation's input in percent{}.\n\n",
        c.scenario,
        c.episodes,
        if sd { ", mean ± std over episodes" } else { "" }
    );
    o += &header(&[
        "policy",
        "processed",
        "forwarded",
        "rejected by the policy",
        "rejected by the platform",
        "rejected by the neighbour",
        "reward per slot",
    ]);
    for r in &c.results {
        let name = if r.reference { format!("{} (reference)", r.policy) } else { r.policy.clone() };
        let reward = match (r.reward, r.reward_std) {
            (Some(m), Some(s)) if sd => format!("{m:.4} ± {s:.4}"),
            (Some(m), _) => format!("{m:.4}"),
            _ => "–".into(),
        };
        o += &row(&[
            name,
            pct(r.processed_ratio, r.processed_ratio_std, sd),
            pct(r.forwarded_ratio, r.forwarded_ratio_std, sd),
            pct(r.rejected_ratio, r.rejected_ratio_std, sd),
            pct(r.local_reject_ratio, r.local_reject_ratio_std, sd),
            pct(r.forward_reject_ratio, r.forward_reject_ratio_std, sd),
            reward,
        ]);
    }
    o
}

/// First and last value of each plotted training tag.
pub fn training(s: &Scalars) -> String {
    let mut o = format!("{} iteration(s) logged, up to {} agent steps.\n\n", s.iterations(), s.step_range().1);
    o += &header(&["tag", "first (at step)", "last (at step)"]);
    for (tag, _) in PANELS {
        if let (Some(f), Some(l)) = (s.first(tag), s.last(tag)) {
            o += &row(&[format!("`{tag}`"), format!("{:.4} ({})", f.1, f.0), format!("{:.4} ({})", l.1, l.0)]);
        }
    }
    o
}

/// Sim against live per metric, with the gap in points.
pub fn sim2real(s: &Sim2Real) -> String {
    let mut o = format!("Scenario `{}`, policy `{}`; shares of the input in percent.\n\n", s.scenario, s.policy);
    o += &header(&["metric", "simulator", "live", "gap (live − sim, points)"]);
    for (m, label) in share_metrics() {
        let (a, sa) = metric(&s.sim, m);
        let (b, sb) = metric(&s.live, m);
        let gap = s.gap.get(m).copied().unwrap_or(b - a);
        o += &row(&[label.to_string(), pct(a, sa, true), pct(b, sb, true), format!("{:+.2}", gap * 100.0)]);
    }
    // Other reported gaps (not shares), in their own units.
    for (k, v) in s.gap.iter().filter(|(k, _)| !share_metrics().any(|m| m.0 == k.as_str())) {
        o += &row(&[format!("`{k}`"), "–".into(), "–".into(), format!("{v:+.4}")]);
    }
    if !s.forecasts.is_empty() {
        o += "\nOne-step forecast errors per node, requests per slot (what each world's nodes planned with):\n\n";
        o += &header(&["node", "mean input", "sim MAE", "sim bias", "live MAE", "live bias"]);
        for f in &s.forecasts {
            o += &row(&[
                f.node.clone(),
                format!("{:.1}", f.mean_input),
                format!("{:.2}", f.sim_mae),
                format!("{:+.2}", f.sim_bias),
                format!("{:.2}", f.live_mae),
                format!("{:+.2}", f.live_bias),
            ]);
        }
    }
    o
}
