//! A pool of trace files for federations of any size: every column of every
//! file is one series of counts per slot, and each episode gives each node a
//! series drawn from the pool (with the episode's generator), optionally
//! scaled per node and started at a row drawn per episode (one offset for the
//! whole federation: the nodes share a clock).

use std::path::{Path, PathBuf};

use rand::RngExt;

use super::check::sat_u32;
use super::trace_csv::{count_cell, csv_error, open_csv};
use crate::error::ConfigError;
use crate::per_node::PerNode;
use crate::seeds::SimRng;

/// Every series of the pool, and how nodes play them.
#[derive(Debug, Clone)]
pub(super) struct TracePool {
    /// `file:column` of each series (what the tests check).
    #[cfg_attr(not(test), allow(dead_code))]
    pub names: Vec<String>,
    series: Vec<Vec<u32>>,
    scale: Vec<f64>,
    random_offset: bool,
}

/// How the pool is read and played.
pub(super) struct PoolOptions<'a> {
    /// Columns that are not series.
    pub exclude: &'a [String],
    pub scale: &'a PerNode<f64>,
    pub random_offset: bool,
}

impl TracePool {
    /// Reads every file (paths resolved against `base`) for `n` nodes;
    /// `scenario` names the scenario file in errors about its own fields.
    pub fn load(
        scenario: &Path,
        base: &Path,
        files: &[PathBuf],
        opts: &PoolOptions<'_>,
        n: usize,
    ) -> Result<Self, ConfigError> {
        let (scale, random_offset) = (opts.scale, opts.random_offset);
        if files.is_empty() {
            return Err(ConfigError::invalid(scenario, "workload.files", "[]", "name at least one trace file"));
        }
        if let Some(p) = scale.draw_problem() {
            return Err(ConfigError::invalid(scenario, "workload.scale", "draw", p));
        }
        let scale = scale.values(n);
        if let Some((i, s)) = scale.iter().enumerate().find(|(_, s)| !(s.is_finite() && **s >= 0.0)) {
            return Err(ConfigError::invalid(scenario, format!("workload.scale[{i}]"), s, "must be a factor ≥ 0"));
        }
        let (mut names, mut series) = (Vec::new(), Vec::new());
        for f in files {
            let path = base.join(f);
            let (header, columns) = read_columns(&path)?;
            for (h, c) in header.into_iter().zip(columns) {
                if !opts.exclude.contains(&h) {
                    names.push(format!("{}:{h}", f.display()));
                    series.push(c);
                }
            }
        }
        if series.is_empty() {
            return Err(ConfigError::invalid(
                scenario,
                "workload.exclude",
                format!("{:?}", opts.exclude),
                "every column of every file is excluded: no series left",
            ));
        }
        Ok(TracePool { names, series, scale, random_offset })
    }

    /// Number of series in the pool.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.series.len()
    }
}

/// Every column of `csv` (a header row, then counts): its names and its series.
fn read_columns(csv: &Path) -> Result<(Vec<String>, Vec<Vec<u32>>), ConfigError> {
    let (mut reader, header) = open_csv(csv)?;
    let mut cols = vec![Vec::new(); header.len()];
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(csv, e))?;
        let line = record.position().map_or(0, |p| p.line());
        for (c, col) in cols.iter_mut().enumerate() {
            col.push(sat_u32(count_cell(csv, &record, line, c, &header)?));
        }
    }
    if cols.is_empty() || cols[0].is_empty() {
        return Err(ConfigError::invalid(csv, "rows", 0, "the trace has no columns or no data rows"));
    }
    Ok((header, cols))
}

impl super::Generate for TracePool {
    fn episode(&self, n: usize, steps: usize, _slot: f64, rng: &mut SimRng) -> Vec<Vec<u32>> {
        let offset: usize = if self.random_offset { rng.random_range(0..usize::MAX >> 1) } else { 0 };
        (0..n)
            .map(|i| {
                let s = &self.series[rng.random_range(0..self.series.len())];
                let k = self.scale.get(i).copied().unwrap_or(1.0);
                (0..steps).map(|t| sat_u32((s[(offset + t) % s.len()] as f64 * k).round())).collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Generate;
    use super::*;
    use crate::seeds::rng;

    fn load(
        d: &Path,
        files: &[PathBuf],
        scale: PerNode<f64>,
        exclude: &[String],
        n: usize,
    ) -> Result<TracePool, ConfigError> {
        let opts = PoolOptions { exclude, scale: &scale, random_offset: true };
        TracePool::load(Path::new("s.toml"), d, files, &opts, n)
    }

    fn pool_dir() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.csv"), "x,y\n1,10\n2,20\n3,30\n").unwrap();
        std::fs::write(d.path().join("b.csv"), "z\n100\n200\n").unwrap();
        d
    }

    #[test]
    fn every_column_of_every_file_is_a_series_and_nodes_draw_from_them() {
        let d = pool_dir();
        let files = [PathBuf::from("a.csv"), PathBuf::from("b.csv")];
        let opts = PoolOptions { exclude: &[], scale: &PerNode::One(1.0), random_offset: false };
        let p = TracePool::load(Path::new("s.toml"), d.path(), &files, &opts, 40).unwrap();
        assert_eq!(p.names, ["a.csv:x", "a.csv:y", "b.csv:z"]);
        assert_eq!(p.len(), 3);
        let ep = p.episode(40, 4, 1.0, &mut rng(3));
        let starts: std::collections::BTreeSet<u32> = ep.iter().map(|s| s[0]).collect();
        assert_eq!(starts.into_iter().collect::<Vec<_>>(), [1, 10, 100], "40 nodes draw every series");
        assert_eq!(ep.iter().find(|s| s[0] == 100).unwrap(), &[100, 200, 100, 200], "a short series wraps");
        assert_eq!(ep, p.episode(40, 4, 1.0, &mut rng(3)), "same generator, same episode");
        let scaled = load(d.path(), &files, PerNode::Each(vec![2.0, 0.5]), &[], 2).unwrap();
        let e = scaled.episode(2, 3, 1.0, &mut rng(4));
        assert!(e[0].iter().all(|v| v % 2 == 0), "node 0 doubled: {e:?}");
        let only_y = load(d.path(), &files[..1], PerNode::One(1.0), &["x".into()], 3).unwrap();
        assert_eq!(only_y.names, ["a.csv:y"], "excluded columns are not series");
    }

    #[test]
    fn bad_pools_are_refused_naming_file_and_field() {
        let d = pool_dir();
        let one = || PerNode::One(1.0);
        let e = load(d.path(), &[], one(), &[], 3).unwrap_err().to_string();
        assert!(e.contains("s.toml") && e.contains("workload.files"), "{e}");
        let e = load(d.path(), &[PathBuf::from("missing.csv")], one(), &[], 3).unwrap_err().to_string();
        assert!(e.contains("missing.csv"), "{e}");
        std::fs::write(d.path().join("bad.csv"), "x\n1\n-4\n").unwrap();
        let e = load(d.path(), &[PathBuf::from("bad.csv")], one(), &[], 3).unwrap_err().to_string();
        assert!(e.contains("bad.csv") && e.contains("row 3") && e.contains("-4"), "{e}");
        let e = load(d.path(), &[PathBuf::from("a.csv")], PerNode::One(-1.0), &[], 3).unwrap_err().to_string();
        assert!(e.contains("workload.scale[0]"), "{e}");
        let e = load(d.path(), &[PathBuf::from("b.csv")], one(), &["z".into()], 3).unwrap_err().to_string();
        assert!(e.contains("workload.exclude") && e.contains("no series"), "{e}");
    }
}
