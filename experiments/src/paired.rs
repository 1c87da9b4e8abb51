//! Paired differences: a policy against the others on the same evaluation
//! episodes (same seeds, same inputs), which cancels the episode-to-episode
//! variance that the per-policy standard deviations include.

use serde::{Deserialize, Serialize};

use crate::compare::CompareReport;
use crate::stats::MeanStd;
use crate::table::render;

/// `policy − other` in processed-ratio points, over the shared episodes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PairedDiff {
    pub policy: String,
    pub other: String,
    /// Mean difference, percentage points.
    pub mean_points: f64,
    /// Standard deviation of the per-episode differences, points.
    pub sd_points: f64,
    pub min_points: f64,
    pub max_points: f64,
    /// Episodes where `policy` processed strictly more than `other`.
    pub wins: usize,
    pub episodes: usize,
}

/// The best deployable policy of the report other than `except` (highest
/// mean processed ratio; references excluded).
pub fn best_policy<'a>(report: &'a CompareReport, except: &str) -> Option<&'a str> {
    report
        .results
        .iter()
        .filter(|r| !r.reference && r.policy != except)
        .max_by(|a, b| a.processed_ratio.total_cmp(&b.processed_ratio))
        .map(|r| r.policy.as_str())
}

/// `policy` against each of `others` (names absent from the report are skipped).
pub fn paired(report: &CompareReport, policy: &str, others: &[&str]) -> Vec<PairedDiff> {
    let Some(p) = report.results.iter().find(|r| r.policy == policy) else {
        return Vec::new();
    };
    others
        .iter()
        .filter_map(|o| report.results.iter().find(|r| r.policy == *o))
        .map(|o| {
            let d: Vec<f64> = p
                .episode_processed_ratios
                .iter()
                .zip(&o.episode_processed_ratios)
                .map(|(a, b)| 100.0 * (a - b))
                .collect();
            let m = MeanStd::of(&d);
            PairedDiff {
                policy: policy.to_string(),
                other: o.policy.clone(),
                mean_points: m.mean,
                sd_points: m.std,
                min_points: d.iter().copied().fold(f64::INFINITY, f64::min),
                max_points: d.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                wins: d.iter().filter(|&&x| x > 0.0).count(),
                episodes: d.len(),
            }
        })
        .collect()
}

/// `policy` against the best other policy and every reference of the report.
pub fn against_best_and_references(report: &CompareReport, policy: &str) -> Vec<PairedDiff> {
    let mut others: Vec<&str> = best_policy(report, policy).into_iter().collect();
    others.extend(report.results.iter().filter(|r| r.reference).map(|r| r.policy.as_str()));
    paired(report, policy, &others)
}

/// A text table of paired differences.
pub fn paired_table(diffs: &[PairedDiff]) -> String {
    let rows: Vec<Vec<String>> = diffs
        .iter()
        .map(|d| {
            vec![
                format!("{} − {}", d.policy, d.other),
                format!("{:+.3} ± {:.3}", d.mean_points, d.sd_points),
                format!("{:+.3}", d.min_points),
                format!("{:+.3}", d.max_points),
                format!("{}/{}", d.wins, d.episodes),
            ]
        })
        .collect();
    render(&["paired difference (processed, points)", "mean ± sd", "min", "max", "episodes won"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::PolicyResult;

    fn result(policy: &str, reference: bool, eps: &[f64]) -> PolicyResult {
        PolicyResult {
            policy: policy.into(),
            reference,
            processed_ratio: eps.iter().sum::<f64>() / eps.len() as f64,
            episode_processed_ratios: eps.to_vec(),
            ..PolicyResult::default()
        }
    }

    #[test]
    fn differences_are_per_episode() {
        let report = CompareReport {
            scenario: "s".into(),
            episodes: 3,
            seeds: vec![1, 2, 3],
            results: vec![
                result("learned:x", false, &[0.60, 0.70, 0.80]),
                result("static", false, &[0.50, 0.72, 0.70]),
                result("all-local", false, &[0.40, 0.40, 0.40]),
                result("oracle", true, &[0.61, 0.71, 0.81]),
            ],
            paired: Vec::new(),
            prediction: Vec::new(),
        };
        assert_eq!(best_policy(&report, "learned:x"), Some("static"));
        let d = against_best_and_references(&report, "learned:x");
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].other.as_str(), d[0].wins, d[0].episodes), ("static", 2, 3));
        assert!((d[0].mean_points - (10.0 - 2.0 + 10.0) / 3.0).abs() < 1e-9);
        assert!((d[0].min_points + 2.0).abs() < 1e-9 && (d[0].max_points - 10.0).abs() < 1e-9);
        assert!((d[1].mean_points + 1.0).abs() < 1e-9 && d[1].sd_points < 1e-9 && d[1].wins == 0);
        let t = paired_table(&d);
        assert!(t.contains("learned:x − oracle") && t.contains("-1.000 ± 0.000") && t.contains("0/3"), "{t}");
    }
}
