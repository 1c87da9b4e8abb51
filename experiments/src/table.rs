//! Plain-text tables for the terminal.

use crate::compare::CompareReport;

/// Formats `mean ± std` as percentages.
pub fn pct(mean: f64, std: f64) -> String {
    format!("{:6.2} ± {:5.2}", 100.0 * mean, 100.0 * std)
}

/// Renders rows with aligned columns (first column left-aligned).
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| if i == 0 { format!("{c:<w$}", w = width[i]) } else { format!("{c:>w$}", w = width[i]) })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    out.push_str(&width.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// The comparison table: one row per contender, percentages of the input.
pub fn compare_table(report: &CompareReport) -> String {
    let header = [
        "policy",
        "processed %",
        "rejected (purpose) %",
        "rejected (platform) %",
        "forward rejects %",
        "forwarded %",
        "reward",
    ];
    let rows: Vec<Vec<String>> = report
        .results
        .iter()
        .map(|r| {
            vec![
                if r.reference { format!("{} (upper ref.)", r.policy) } else { r.policy.clone() },
                pct(r.processed_ratio, r.processed_ratio_std),
                pct(r.rejected_ratio, r.rejected_ratio_std),
                pct(r.local_reject_ratio, r.local_reject_ratio_std),
                pct(r.forward_reject_ratio, r.forward_reject_ratio_std),
                pct(r.forwarded_ratio, r.forwarded_ratio_std),
                match (r.reward, r.reward_std) {
                    (Some(m), Some(s)) => format!("{m:.4} ± {s:.4}"),
                    _ => "n/a".into(),
                },
            ]
        })
        .collect();
    let mut out = format!(
        "scenario {} — {} evaluation episodes (mean ± std over episodes)\n{}",
        report.scenario,
        report.episodes,
        render(&header, &rows)
    );
    for r in report.results.iter().filter(|r| r.certified_gap_ratio.is_some()) {
        out.push_str(&format!(
            "{}: planned by flow stages, certified within {:.3} % of the input of its optimum (expected loss)\n",
            r.policy,
            100.0 * r.certified_gap_ratio.unwrap_or(0.0)
        ));
    }
    out.push_str(&function_table(report));
    out.push_str(&prediction_table(&report.prediction));
    out
}

/// Several functions per node: processed % per function and in total (empty otherwise).
pub fn function_table(report: &CompareReport) -> String {
    let Some(first) = report.results.iter().find(|r| !r.functions.is_empty()) else { return String::new() };
    let mut header = vec!["policy".to_string()];
    header.extend(first.functions.iter().map(|f| format!("{} %", f.function)));
    header.push("total %".into());
    let rows: Vec<Vec<String>> = (report.results.iter().filter(|r| !r.functions.is_empty()))
        .map(|r| {
            let mut row = vec![if r.reference { format!("{} (upper ref.)", r.policy) } else { r.policy.clone() }];
            row.extend(r.functions.iter().map(|f| pct(f.processed_ratio, f.processed_ratio_std)));
            row.push(pct(r.processed_ratio, r.processed_ratio_std));
            row
        })
        .collect();
    let inputs: Vec<String> =
        first.functions.iter().map(|f| format!("{} {:.1}", f.function, f.input_per_slot)).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    format!(
        "\nprocessed % per function (federation input per slot: {}):\n{}",
        inputs.join(", "),
        render(&header, &rows)
    )
}

/// Each node's one-step prediction error (empty when policies see the true input).
pub fn prediction_table(prediction: &[dfaas_env::predict::NodePredictionError]) -> String {
    if prediction.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = prediction
        .iter()
        .map(|p| {
            vec![p.node.clone(), format!("{:.2}", p.mean_input), format!("{:.2}", p.mae), format!("{:+.2}", p.bias)]
        })
        .collect();
    format!(
        "\npolicies plan with predicted input; one-step prediction error, requests per slot:\n{}",
        render(&["node", "mean input", "MAE", "bias"], &rows)
    )
}

/// Per-node mean rates of each non-reference contender (slots after the first).
pub fn node_table(report: &CompareReport) -> String {
    let mut out = String::new();
    for r in report.results.iter().filter(|r| !r.nodes.is_empty()) {
        out.push_str(&format!("\n{} — mean rates after the first slot, requests per second:\n", r.policy));
        let header = ["node", "input", "local", "forwarded to", "received", "rejected", "platform rej.", "fwd rej."];
        let rows: Vec<Vec<String>> = r
            .nodes
            .iter()
            .map(|n| {
                let to: Vec<String> = n.forwarded_rps.iter().map(|(k, v)| format!("{k}:{v:.2}")).collect();
                vec![
                    n.node.clone(),
                    format!("{:.2}", n.input_rps),
                    format!("{:.2}", n.local_rps),
                    if to.is_empty() { "-".into() } else { to.join(" ") },
                    format!("{:.2}", n.received_rps),
                    format!("{:.2}", n.rejected_rps),
                    format!("{:.2}", n.platform_rejected_rps),
                    format!("{:.2}", n.forward_rejected_rps),
                ]
            })
            .collect();
        out.push_str(&render(&header, &rows));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align() {
        let t = render(&["a", "bb"], &[vec!["xyz".into(), "1".into()]]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "a    bb");
        assert_eq!(lines[2], "xyz   1");
    }
}
