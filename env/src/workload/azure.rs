//! Azure Functions Trace 2019 (Shahrad et al., "Serverless in the Wild",
//! USENIX ATC 2020; CC-BY) invocations-per-minute files:
//! `HashOwner,HashApp,HashFunction,Trigger,1,2,…,1440`.
//!
//! * Only rows with `Trigger == "http"` are kept (others are dropped unread).
//! * The minute columns `1..M` (1440 in the real files, fewer in tests) form
//!   one periodic day. **Re-binning sums fractional minutes**: each minute's
//!   invocations are spread evenly over its 60 s, and slot bin `k` collects
//!   what falls in `[k·s, (k+1)·s)` (modulo the day), so any slot length
//!   works; with 300 s slots and 1440 minutes this is upstream's sum of five
//!   minutes. There are `ceil(day/s)` bins; an episode longer than that wraps.
//! * Each function's bins are min-max scaled to `[scale_min, scale_max]` and
//!   truncated to integers (a flat function is all `scale_max`), as
//!   upstream's `np.interp(…).astype(int32)`.
//! * The optional selection on the mean and standard deviation (sample
//!   standard deviation, as pandas) is made on upstream's 5-minute scaled
//!   series whatever the slot length, so the same functions are kept for
//!   every slot length and an empty selection is reported when the file is
//!   loaded.
//! * Each episode assigns the selected functions to nodes with the episode's
//!   generator, without replacement (each agent a different function) while
//!   there are enough; beyond that functions repeat. Upstream draws each
//!   agent from a different day file; here one file is the pool.

use std::path::Path;

use rand::seq::index;

use super::check::{at_least, ordered};
use super::trace_csv::{csv_error, parse_count};
use crate::error::ConfigError;
use crate::seeds::SimRng;

/// Upstream's bin length for selection statistics, seconds.
const SELECTION_BIN_S: f64 = 300.0;

/// Scaling and selection options of an `azure` workload.
#[derive(Debug, Clone, Copy)]
pub(super) struct AzureOptions {
    pub scale_min: f64,
    pub scale_max: f64,
    pub mean: (Option<f64>, Option<f64>),
    pub std: (Option<f64>, Option<f64>),
}

/// The HTTP-triggered functions of a file that pass the selection.
#[derive(Debug, Clone)]
pub(super) struct AzurePool {
    /// `HashFunction` of each kept function.
    names: Vec<String>,
    /// Invocations per minute of each kept function.
    minutes: Vec<Vec<u32>>,
    scale_min: f64,
    scale_max: f64,
}

impl AzurePool {
    /// Reads and filters `csv`; `scenario` names the scenario file in errors
    /// about its own fields.
    pub fn load(scenario: &Path, csv: &Path, o: AzureOptions) -> Result<Self, ConfigError> {
        at_least(scenario, "workload.scale_min", o.scale_min, 0.0, "requests per slot")?;
        at_least(
            scenario,
            "workload.scale_max",
            o.scale_max,
            o.scale_min,
            "requests per slot (not below `scale_min`)",
        )?;
        for (field, v) in [
            ("workload.mean_min", o.mean.0),
            ("workload.mean_max", o.mean.1),
            ("workload.std_min", o.std.0),
            ("workload.std_max", o.std.1),
        ] {
            if let Some(x) = v {
                at_least(scenario, field, x, 0.0, "requests per slot")?;
            }
        }
        if let (Some(lo), Some(hi)) = o.mean {
            ordered(scenario, "workload.mean_min", lo, "workload.mean_max", hi)?;
        }
        if let (Some(lo), Some(hi)) = o.std {
            ordered(scenario, "workload.std_min", lo, "workload.std_max", hi)?;
        }

        let (names, minutes, total_rows) = read_http(csv)?;
        let http = names.len();
        let keep: Vec<bool> = minutes
            .iter()
            .map(|m| {
                let s = scaled_bins(m, SELECTION_BIN_S, o.scale_min, o.scale_max);
                let (mean, std) = mean_std(&s);
                let within = |x: f64, r: (Option<f64>, Option<f64>)| {
                    r.0.is_none_or(|lo| x >= lo) && r.1.is_none_or(|hi| x <= hi)
                };
                within(mean, o.mean) && within(std, o.std)
            })
            .collect();
        let (names, minutes): (Vec<_>, Vec<_>) =
            names.into_iter().zip(minutes).zip(&keep).filter(|(_, k)| **k).map(|(x, _)| x).unzip();
        if names.is_empty() {
            return Err(ConfigError::invalid(
                scenario,
                "workload.mean_min/mean_max/std_min/std_max",
                format!("0 of {http} HTTP functions kept ({total_rows} rows in {})", csv.display()),
                "the selection keeps no function; widen the ranges",
            ));
        }
        Ok(AzurePool { names, minutes, scale_min: o.scale_min, scale_max: o.scale_max })
    }

    /// Number of functions in the pool.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// The pool entries assigned to `n` agents for one episode.
    pub fn assign(&self, n: usize, rng: &mut SimRng) -> Vec<usize> {
        let p = self.len();
        if p == 0 {
            return Vec::new();
        }
        let picked = index::sample(rng, p, n.min(p)).into_vec();
        (0..n).map(|i| picked[i % picked.len()]).collect()
    }

    /// Traces `[agent][slot]`.
    pub fn generate(&self, n: usize, steps: usize, slot: f64, rng: &mut SimRng) -> Vec<Vec<u32>> {
        let chosen = self.assign(n, rng);
        if chosen.is_empty() || !(slot.is_finite() && slot > 0.0) {
            return vec![vec![0; steps]; n];
        }
        chosen
            .iter()
            .map(|&f| {
                let day = Day::new(&self.minutes[f]);
                day.scaled_slots(slot, steps, self.scale_min, self.scale_max)
            })
            .collect()
    }
}

/// The HTTP rows of a file: function names, minute counts, rows read.
type HttpRows = (Vec<String>, Vec<Vec<u32>>, usize);

/// Reads the HTTP rows of `csv`.
fn read_http(csv: &Path) -> Result<HttpRows, ConfigError> {
    let (mut reader, header) = super::trace_csv::open_csv(csv)?;
    let trigger = header.iter().position(|h| h == "Trigger").ok_or_else(|| {
        ConfigError::invalid(
            csv,
            "header",
            header.join(","),
            "no `Trigger` column (expected HashOwner,HashApp,HashFunction,Trigger,1,…,1440)",
        )
    })?;
    let name_col = header.iter().position(|h| h == "HashFunction");
    let first = trigger + 1;
    let minute_cols = header.len().saturating_sub(first);
    if minute_cols == 0 {
        return Err(ConfigError::invalid(csv, "header", header.join(","), "no minute columns after `Trigger`"));
    }
    for (k, h) in header[first..].iter().enumerate() {
        if h.parse::<usize>().ok() != Some(k + 1) {
            return Err(ConfigError::invalid(
                csv,
                format!("header column {}", first + k + 1),
                h,
                format!("minute columns must be numbered 1, 2, … in order; expected `{}`", k + 1),
            ));
        }
    }
    let (mut names, mut minutes, mut rows) = (Vec::new(), Vec::new(), 0);
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(csv, e))?;
        rows += 1;
        if record.get(trigger) != Some("http") {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let mut m = Vec::with_capacity(minute_cols);
        for (col, minute) in header.iter().enumerate().skip(first) {
            let cell = record.get(col).unwrap_or("");
            let v = parse_count(cell).ok_or_else(|| {
                ConfigError::invalid(
                    csv,
                    format!("row {line}, column {} (minute `{minute}`)", col + 1),
                    format!("{cell:?}"),
                    "must be a non-negative integer count",
                )
            })?;
            m.push(v as u32);
        }
        names.push(name_col.and_then(|c| record.get(c)).map_or_else(|| format!("row {line}"), str::to_string));
        minutes.push(m);
    }
    if names.is_empty() {
        return Err(ConfigError::invalid(
            csv,
            "Trigger",
            format!("0 of {rows} rows"),
            "no row has Trigger == \"http\"",
        ));
    }
    Ok((names, minutes, rows))
}

/// One function's day as a periodic, piecewise-constant rate.
struct Day {
    /// Invocations per minute.
    v: Vec<f64>,
    /// Prefix sums: `p[m]` = invocations in the first `m` minutes.
    p: Vec<f64>,
}

impl Day {
    fn new(minutes: &[u32]) -> Self {
        let v: Vec<f64> = minutes.iter().map(|&x| x as f64).collect();
        let mut p = Vec::with_capacity(v.len() + 1);
        p.push(0.0);
        for x in &v {
            p.push(p.last().copied().unwrap_or(0.0) + x);
        }
        Day { v, p }
    }

    fn seconds(&self) -> f64 {
        60.0 * self.v.len() as f64
    }

    /// Invocations in `[0, x)` seconds of the periodic day.
    fn cumulative(&self, x: f64) -> f64 {
        let (m, day) = (self.v.len(), self.seconds());
        if m == 0 {
            return 0.0;
        }
        let cycles = (x / day).floor();
        let r = x - cycles * day;
        let mi = ((r / 60.0).floor() as usize).min(m - 1);
        let frac = ((r - 60.0 * mi as f64) / 60.0).clamp(0.0, 1.0);
        cycles * self.p[m] + self.p[mi] + frac * self.v[mi]
    }

    /// Number of bins of `s` seconds in a day.
    fn bins(&self, s: f64) -> usize {
        ((self.seconds() / s).ceil() as usize).max(1)
    }

    /// Invocations in bin `k` of `s` seconds.
    fn bin(&self, k: usize, s: f64) -> f64 {
        (self.cumulative((k + 1) as f64 * s) - self.cumulative(k as f64 * s)).max(0.0)
    }

    /// Smallest and largest bin of `s` seconds. For `s <= 30` every minute
    /// contains a whole bin and every bin averages whole-minute rates, so the
    /// extremes are the extreme minutes times `s/60` (no need to visit
    /// `day/s` bins).
    fn extremes(&self, s: f64) -> (f64, f64) {
        if s <= 30.0 {
            let lo = self.v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = self.v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            return (lo * s / 60.0, hi * s / 60.0);
        }
        (0..self.bins(s))
            .map(|k| self.bin(k, s))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), b| (lo.min(b), hi.max(b)))
    }

    /// Min-max scaled counts for `steps` slots of `s` seconds from minute 0.
    fn scaled_slots(&self, s: f64, steps: usize, lo_to: f64, hi_to: f64) -> Vec<u32> {
        let nb = self.bins(s);
        let (lo, hi) = self.extremes(s);
        (0..steps).map(|t| scale(self.bin(t % nb, s), lo, hi, lo_to, hi_to)).collect()
    }
}

/// Min-max scaling of `b` from `[lo, hi]` to `[to_lo, to_hi]`, truncated
/// (`to_hi` when `lo == hi`).
fn scale(b: f64, lo: f64, hi: f64, to_lo: f64, to_hi: f64) -> u32 {
    let x = if hi > lo { to_lo + (b - lo) / (hi - lo) * (to_hi - to_lo) } else { to_hi };
    // A tiny tolerance so that float noise in the bin sums does not turn 150 into 149.
    let x = (x + 1e-9).floor().clamp(to_lo.floor(), to_hi.floor());
    if x.is_nan() { 0 } else { x as u32 }
}

/// A whole day's scaled bins of `s` seconds.
fn scaled_bins(minutes: &[u32], s: f64, to_lo: f64, to_hi: f64) -> Vec<u32> {
    let day = Day::new(minutes);
    let nb = day.bins(s);
    day.scaled_slots(s, nb, to_lo, to_hi)
}

/// Mean and sample standard deviation (0 for fewer than two values).
fn mean_std(x: &[u32]) -> (f64, f64) {
    let n = x.len() as f64;
    if x.is_empty() {
        return (0.0, 0.0);
    }
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    if x.len() < 2 {
        return (mean, 0.0);
    }
    let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

impl super::Generate for AzurePool {
    fn episode(&self, n: usize, steps: usize, slot: f64, rng: &mut SimRng) -> Vec<Vec<u32>> {
        Self::generate(self, n, steps, slot, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::rng;

    fn opts() -> AzureOptions {
        AzureOptions { scale_min: 0.0, scale_max: 150.0, mean: (None, None), std: (None, None) }
    }

    /// A 10-minute file: three HTTP functions, two others.
    fn file(dir: &tempfile::TempDir) -> std::path::PathBuf {
        let header = format!(
            "HashOwner,HashApp,HashFunction,Trigger,{}",
            (1..=10).map(|m| m.to_string()).collect::<Vec<_>>().join(",")
        );
        let rows = [
            "o,a,f_ramp,http,0,1,2,3,4,5,6,7,8,9",
            "o,a,f_timer,timer,100,100,100,100,100,100,100,100,100,100",
            "o,a,f_flat,http,7,7,7,7,7,7,7,7,7,7",
            "o,a,f_queue,queue,x,not,even,numbers,,,,,,",
            "o,a,f_spike,http,0,0,0,0,50,50,50,0,0,0",
        ];
        let p = dir.path().join("azure.csv");
        std::fs::write(&p, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        p
    }

    #[test]
    fn filters_http_rows() {
        let dir = tempfile::tempdir().unwrap();
        let pool = AzurePool::load(Path::new("s.toml"), &file(&dir), opts()).unwrap();
        assert_eq!(pool.len(), 3);
        assert_eq!(pool.names, ["f_ramp", "f_flat", "f_spike"]);
    }

    #[test]
    fn rebins_and_scales() {
        // Two-minute bins of the ramp: 1, 5, 9, 13, 17 → scaled to 0..150.
        assert_eq!(scaled_bins(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 120.0, 0.0, 150.0), vec![0, 37, 75, 112, 150]);
        // 30 s bins halve each minute; the scale is unchanged.
        assert_eq!(scaled_bins(&[0, 2], 30.0, 0.0, 100.0), vec![0, 0, 100, 100]);
        // 90 s bins straddle minutes: [0,90) = 4 + 4/2, [90,180) = 4/2 + 8.
        let d = Day::new(&[4, 4, 8]);
        assert_eq!((d.bin(0, 90.0), d.bin(1, 90.0)), (6.0, 10.0));
        // A flat function is all `scale_max`; a slot longer than the day is one bin.
        assert_eq!(scaled_bins(&[7, 7, 7], 60.0, 0.0, 150.0), vec![150; 3]);
        assert_eq!(scaled_bins(&[1, 2, 3], 1000.0, 0.0, 150.0), vec![150]);
        // A last bin running past the day wraps to its start: [120, 240) = 8 + 4.
        assert_eq!((d.bins(120.0), d.bin(1, 120.0)), (2, 12.0));
    }

    #[test]
    fn extremes_shortcut_matches_the_bins() {
        let d = Day::new(&[3, 9, 0, 5, 12, 1]);
        for s in [1.0, 7.0, 13.0, 25.0, 30.0] {
            let nb = d.bins(s);
            let (lo, hi) =
                (0..nb).map(|k| d.bin(k, s)).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
            let (slo, shi) = d.extremes(s);
            assert!((lo - slo).abs() < 1e-9 && (hi - shi).abs() < 1e-9, "s = {s}");
        }
    }

    #[test]
    fn generate_assigns_distinct_functions_and_wraps() {
        let dir = tempfile::tempdir().unwrap();
        let pool = AzurePool::load(Path::new("s.toml"), &file(&dir), opts()).unwrap();
        let tr = pool.generate(3, 12, 120.0, &mut rng(1));
        assert!(tr.iter().all(|a| a.len() == 12 && a.iter().all(|&v| v <= 150)));
        let mut sorted = tr.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 3, "three agents, three different functions");
        assert!(tr.iter().any(|a| a[..5] == [0, 37, 75, 112, 150] && a[5..10] == a[..5]));
        assert_eq!(tr, pool.generate(3, 12, 120.0, &mut rng(1)));
        let seen: std::collections::HashSet<Vec<usize>> = (0..20).map(|s| pool.assign(3, &mut rng(s))).collect();
        assert!(seen.len() > 1);
        // More agents than functions: functions repeat, every agent gets one.
        assert_eq!(pool.assign(5, &mut rng(0)).len(), 5);
        assert_eq!(pool.generate(2, 3, f64::NAN, &mut rng(0)), vec![vec![0; 3]; 2]);
    }

    #[test]
    fn selection_by_mean_and_std() {
        let dir = tempfile::tempdir().unwrap();
        // 5-minute bins over 10 minutes: ramp 10, 35 → [0, 150] (mean 75, std 106);
        // flat → [150, 150] (mean 150, std 0); spike 50, 100 → [0, 150].
        let o = AzureOptions { mean: (Some(30.0), Some(130.0)), ..opts() };
        let pool = AzurePool::load(Path::new("s.toml"), &file(&dir), o).unwrap();
        assert_eq!(pool.len(), 2);
        let o = AzureOptions { std: (None, Some(10.0)), ..opts() };
        let pool = AzurePool::load(Path::new("s.toml"), &file(&dir), o).unwrap();
        assert_eq!(pool.names, ["f_flat"]);
        let o = AzureOptions { mean: (Some(200.0), None), ..opts() };
        let e = AzurePool::load(Path::new("s.toml"), &file(&dir), o).unwrap_err().to_string();
        assert!(e.contains("workload.mean_min") && e.contains("0 of 3"), "{e}");
    }

    #[test]
    fn errors_name_file_row_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let s = Path::new("s.toml");
        let p = dir.path().join("bad.csv");
        std::fs::write(&p, "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,-2\n").unwrap();
        let e = AzurePool::load(s, &p, opts()).unwrap_err().to_string();
        assert!(e.contains("bad.csv") && e.contains("row 2") && e.contains("minute `2`") && e.contains("-2"), "{e}");
        std::fs::write(&p, "HashOwner,HashApp,HashFunction,Trigger,1,3\n").unwrap();
        let e = AzurePool::load(s, &p, opts()).unwrap_err().to_string();
        assert!(e.contains("header column 6") && e.contains('3'), "{e}");
        std::fs::write(&p, "HashOwner,HashApp,HashFunction,1,2\n").unwrap();
        assert!(AzurePool::load(s, &p, opts()).unwrap_err().to_string().contains("Trigger"));
        std::fs::write(&p, "HashOwner,HashApp,HashFunction,Trigger,1\no,a,f,timer,3\n").unwrap();
        let e = AzurePool::load(s, &p, opts()).unwrap_err().to_string();
        assert!(e.contains("0 of 1 rows"), "{e}");
        let o = AzureOptions { scale_min: 10.0, scale_max: 5.0, ..opts() };
        let e = AzurePool::load(s, &file(&dir), o).unwrap_err().to_string();
        assert!(e.contains("workload.scale_max"), "{e}");
    }
}
