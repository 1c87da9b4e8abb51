//! Per-node trace files: a CSV of counts per slot with a header row, one row
//! per slot and one column per node.
//!
//! Agent `i` reads the `i`-th column, or the column named `columns[i]`;
//! other columns (a slot index, a timestamp) are ignored. Cells are
//! non-negative integers (`12` or `12.0`), multiplied by `scale` and rounded.
//! An episode starts at the first row, or at a row drawn from the episode's
//! generator with `random_offset`; it wraps around to the first row when it
//! runs past the last one.

use std::path::Path;

use rand::RngExt;

use super::check::{at_least, sat_u32};
use crate::error::ConfigError;
use crate::seeds::SimRng;

/// A trace read from its file: counts `[agent][row]`.
#[derive(Debug, Clone)]
pub(super) struct TraceData {
    counts: Vec<Vec<u32>>,
    random_offset: bool,
}

/// Options of a `trace` workload.
pub(super) struct TraceOptions<'a> {
    pub columns: Option<&'a [String]>,
    /// The agents by name: a header of `node/function` columns is matched by name.
    pub names: Option<&'a super::AgentNames<'a>>,
    pub scale: f64,
    pub random_offset: bool,
}

impl TraceData {
    /// Reads `csv` (already resolved) for `n` agents; `scenario` names the
    /// scenario file in errors about its own fields.
    pub fn load(scenario: &Path, csv: &Path, opts: TraceOptions<'_>, n: usize) -> Result<Self, ConfigError> {
        at_least(scenario, "workload.scale", opts.scale, 0.0, "factor")?;
        let (mut reader, header) = open_csv(csv)?;
        let picked: Vec<usize> = match opts.columns {
            Some(names) => {
                if names.len() != n {
                    return Err(ConfigError::invalid(
                        scenario,
                        "workload.columns",
                        format!("{} names", names.len()),
                        format!("need one column name per node ({n})"),
                    ));
                }
                names
                    .iter()
                    .map(|name| {
                        header.iter().position(|h| h == name).ok_or_else(|| {
                            ConfigError::invalid(
                                scenario,
                                "workload.columns",
                                name,
                                format!("no such column in {} (header: {})", csv.display(), header.join(",")),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
            None if opts.names.is_some() && header.iter().any(|h| h.contains('/')) => {
                let names = opts.names.expect("checked");
                by_agent_name(csv, &header, names)?
            }
            None => {
                if header.len() < n {
                    return Err(ConfigError::invalid(
                        csv,
                        "header",
                        format!("{} columns", header.len()),
                        format!("need at least one column per agent ({n})"),
                    ));
                }
                (0..n).collect()
            }
        };
        let mut counts = vec![Vec::new(); n];
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(csv, e))?;
            let line = record.position().map_or(0, |p| p.line());
            for (agent, &col) in picked.iter().enumerate() {
                let v = count_cell(csv, &record, line, col, &header)?;
                counts[agent].push(sat_u32((v * opts.scale).round()));
            }
        }
        if counts.first().is_some_and(Vec::is_empty) {
            return Err(ConfigError::invalid(csv, "rows", 0, "the trace has no data rows"));
        }
        Ok(TraceData { counts, random_offset: opts.random_offset })
    }

    /// Number of slots in the file.
    pub fn len(&self) -> usize {
        self.counts.first().map_or(0, Vec::len)
    }

    /// Traces `[agent][slot]` (agents beyond the loaded ones reuse the last column).
    pub fn generate(&self, n: usize, steps: usize, rng: &mut SimRng) -> Vec<Vec<u32>> {
        let len = self.len();
        if len == 0 {
            return vec![vec![0; steps]; n];
        }
        let offset = if self.random_offset { rng.random_range(0..len) } else { 0 };
        (0..n)
            .map(|i| {
                let col = &self.counts[i.min(self.counts.len() - 1)];
                (0..steps).map(|t| col[(offset + t) % len]).collect()
            })
            .collect()
    }
}

/// The columns of `names.names` in a header of `node/function` columns;
/// a column naming a function or node the scenario lacks is refused.
fn by_agent_name(csv: &Path, header: &[String], names: &super::AgentNames<'_>) -> Result<Vec<usize>, ConfigError> {
    if let Some((h, why)) = header.iter().find_map(|h| (names.unknown)(h).map(|why| (h, why))) {
        return Err(ConfigError::invalid(csv, "header", h, why));
    }
    names
        .names
        .iter()
        .map(|name| {
            header.iter().position(|h| h == name).ok_or_else(|| {
                ConfigError::invalid(csv, "header", name, "no column for this agent (columns are named node/function)")
            })
        })
        .collect()
}

/// Opens a CSV with a header row (cells trimmed): the reader and the header.
pub(super) fn open_csv(csv: &Path) -> Result<(csv::Reader<std::fs::File>, Vec<String>), ConfigError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_path(csv)
        .map_err(|e| csv_error(csv, e))?;
    let header: Vec<String> = reader.headers().map_err(|e| csv_error(csv, e))?.iter().map(str::to_string).collect();
    Ok((reader, header))
}

/// Column `col` of a record at `line` as a count, or an error naming the
/// file, the row, the column and the cell.
pub(super) fn count_cell(
    csv: &Path,
    record: &csv::StringRecord,
    line: u64,
    col: usize,
    header: &[String],
) -> Result<f64, ConfigError> {
    let cell = record.get(col).unwrap_or("");
    parse_count(cell).ok_or_else(|| {
        ConfigError::invalid(
            csv,
            format!("row {line}, column {} (`{}`)", col + 1, header.get(col).map_or("", String::as_str)),
            format!("{cell:?}"),
            "must be a non-negative integer count",
        )
    })
}

/// A whole, non-negative count up to `u32::MAX`.
pub(super) fn parse_count(cell: &str) -> Option<f64> {
    let v: f64 = cell.parse().ok()?;
    (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64).then_some(v)
}

/// A CSV reader error as a [`ConfigError`] naming `file`.
pub(super) fn csv_error(file: &Path, e: csv::Error) -> ConfigError {
    if e.is_io_error() {
        if let csv::ErrorKind::Io(source) = e.into_kind() {
            return ConfigError::Io { file: file.to_path_buf(), source };
        }
        return ConfigError::Parse { file: file.to_path_buf(), message: "cannot read the CSV".into() };
    }
    ConfigError::Parse { file: file.to_path_buf(), message: e.to_string() }
}

impl super::Generate for TraceData {
    fn episode(&self, n: usize, steps: usize, _slot: f64, rng: &mut SimRng) -> Vec<Vec<u32>> {
        Self::generate(self, n, steps, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds::rng;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn opts(columns: Option<&[String]>, scale: f64, random_offset: bool) -> TraceOptions<'_> {
        TraceOptions { columns, names: None, scale, random_offset }
    }

    #[test]
    fn reads_columns_wraps_and_scales() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "t.csv", "node_0,node_1,extra\n1,10,x\n2,20,y\n3,30.0,z\n");
        let s = Path::new("s.toml");
        let t = TraceData::load(s, &p, opts(None, 1.0, false), 2).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.generate(2, 5, &mut rng(0)), vec![vec![1, 2, 3, 1, 2], vec![10, 20, 30, 10, 20]]);
        let cols = vec!["node_1".to_string(), "node_0".to_string()];
        let t = TraceData::load(s, &p, opts(Some(&cols), 2.0, false), 2).unwrap();
        assert_eq!(t.generate(2, 2, &mut rng(0)), vec![vec![20, 40], vec![2, 4]]);
    }

    #[test]
    fn random_offset_is_seeded() {
        let dir = tempfile::tempdir().unwrap();
        let body: String = (0..100).map(|i| format!("{i}\n")).collect();
        let p = write(&dir, "t.csv", &format!("a\n{body}"));
        let t = TraceData::load(Path::new("s.toml"), &p, opts(None, 1.0, true), 1).unwrap();
        let a = t.generate(1, 10, &mut rng(3));
        assert_eq!(a, t.generate(1, 10, &mut rng(3)));
        let starts: std::collections::HashSet<u32> = (0..20).map(|s| t.generate(1, 1, &mut rng(s))[0][0]).collect();
        assert!(starts.len() > 5);
        // Consecutive slots follow the file, wrapping at its end.
        assert!(a[0].windows(2).all(|w| w[1] == (w[0] + 1) % 100));
    }

    #[test]
    fn errors_name_file_row_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let s = Path::new("s.toml");
        let p = write(&dir, "neg.csv", "a,b\n1,2\n3,-4\n");
        let e = TraceData::load(s, &p, opts(None, 1.0, false), 2).unwrap_err().to_string();
        assert!(e.contains("neg.csv") && e.contains("row 3") && e.contains("column 2") && e.contains("-4"), "{e}");
        let p = write(&dir, "frac.csv", "a,b\n1,2.5\n");
        let e = TraceData::load(s, &p, opts(None, 1.0, false), 2).unwrap_err().to_string();
        assert!(e.contains("frac.csv") && e.contains("row 2") && e.contains("`b`") && e.contains("2.5"), "{e}");
        let p = write(&dir, "narrow.csv", "a\n1\n");
        let e = TraceData::load(s, &p, opts(None, 1.0, false), 2).unwrap_err().to_string();
        assert!(e.contains("narrow.csv") && e.contains("1 columns"), "{e}");
        let p = write(&dir, "empty.csv", "a,b\n");
        let e = TraceData::load(s, &p, opts(None, 1.0, false), 2).unwrap_err().to_string();
        assert!(e.contains("no data rows"), "{e}");
        let p = write(&dir, "ragged.csv", "a,b\n1,2\n3\n");
        assert!(TraceData::load(s, &p, opts(None, 1.0, false), 2).is_err());
        let cols = vec!["zz".to_string()];
        let p = write(&dir, "ok.csv", "a\n1\n");
        let e = TraceData::load(s, &p, opts(Some(&cols), 1.0, false), 1).unwrap_err().to_string();
        assert!(e.contains("workload.columns") && e.contains("zz"), "{e}");
        let e = TraceData::load(s, &p, opts(None, -1.0, false), 1).unwrap_err().to_string();
        assert!(e.contains("workload.scale"), "{e}");
        let e = TraceData::load(s, &dir.path().join("missing.csv"), opts(None, 1.0, false), 1).unwrap_err();
        assert!(matches!(e, ConfigError::Io { .. }) && e.to_string().contains("missing.csv"));
    }
}
