//! Exact latency percentiles (sorting, nearest rank).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Nearest-rank percentile of an ascending slice: the value at 1-based rank
/// `ceil(p / 100 * n)`, i.e. the smallest value with at least `p` % of the
/// values at or below it (always one of the values, never interpolated).
/// `p` is clamped to `[0, 100]`, `p = 0` gives the minimum; `None` when the
/// slice is empty or `p` is NaN.
pub fn nearest_rank<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() || p.is_nan() {
        return None;
    }
    let n = sorted.len();
    // The epsilon keeps float noise (e.g. 99.9 * 1000 / 100) from adding a rank.
    let rank = (p.clamp(0.0, 100.0) * n as f64 / 100.0 - 1e-9).ceil();
    let i = (rank as usize).clamp(1, n) - 1;
    sorted.get(i).copied()
}

/// Milliseconds as a float.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Latency summary in milliseconds; all zero when `count` is 0.
/// Percentiles are nearest-rank (see [`nearest_rank`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LatencyStats {
    pub count: u64,
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl LatencyStats {
    /// Summarises `latencies` (in any order).
    pub fn of(mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        let (Some(&min), Some(&max)) = (latencies.first(), latencies.last()) else {
            return Self::default();
        };
        let n = latencies.len();
        let total: u128 = latencies.iter().map(Duration::as_nanos).sum();
        let p = |q| nearest_rank(&latencies, q).map_or(0.0, ms);
        Self {
            count: n as u64,
            min: ms(min),
            mean: total as f64 / n as f64 / 1e6,
            p50: p(50.0),
            p90: p(90.0),
            p95: p(95.0),
            p99: p(99.0),
            max: ms(max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_definition() {
        let xs: Vec<u32> = (1..=10).collect();
        assert_eq!(nearest_rank(&xs, 0.0), Some(1));
        assert_eq!(nearest_rank(&xs, 10.0), Some(1));
        assert_eq!(nearest_rank(&xs, 10.1), Some(2));
        assert_eq!(nearest_rank(&xs, 50.0), Some(5));
        assert_eq!(nearest_rank(&xs, 90.0), Some(9));
        assert_eq!(nearest_rank(&xs, 99.0), Some(10));
        assert_eq!(nearest_rank(&xs, 250.0), Some(10));
        assert_eq!(nearest_rank(&xs, f64::NAN), None);
        assert_eq!(nearest_rank::<u32>(&[], 50.0), None);
        let big: Vec<u32> = (1..=1000).collect();
        assert_eq!(nearest_rank(&big, 99.9), Some(999));
    }
}
