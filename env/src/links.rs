//! Network links between neighbours: access delay plus transfer time from a
//! per-slot bandwidth (constant, or drawn from a bandwidth trace).
//!
//! Delay in a slot = `access_delay_s + bytes·8 / (mbps·1e6)` seconds, with
//! `request_bytes` for a forwarded request and `response_bytes` for its
//! response; both directions of a link share its bandwidth. The bandwidths
//! are fixed by the build seed and identical in every episode (marl-dfaas
//! 1.8).

use std::path::{Path, PathBuf};

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::seeds::substream;
use crate::topology::Topology;

/// Link parameters as written in a scenario file (`[links]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Fixed access delay per transfer, seconds (0.005).
    #[serde(default = "d_access")]
    pub access_delay_s: f64,
    /// Size of a forwarded request, bytes (1943).
    #[serde(default = "d_request")]
    pub request_bytes: f64,
    /// Size of a response, bytes (1131).
    #[serde(default = "d_response")]
    pub response_bytes: f64,
    /// Bandwidth of every link (`[links.bandwidth]`; constant 100 Mbps).
    #[serde(default)]
    pub bandwidth: BandwidthSpec,
    /// Propagation delay per unit of distance, seconds: each link adds this ×
    /// the distance between its nodes in the unit square (nodes placed by a
    /// `geometric` topology generator; none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_delay_s: Option<f64>,
}

/// How each link's bandwidth per slot is chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum BandwidthSpec {
    /// The same bandwidth on every link in every slot.
    Constant {
        /// Megabits per second (100).
        #[serde(default = "d_mbps")]
        mbps: f64,
    },
    /// marl-dfaas's `generated` method: the trace is scaled to `mean_mbps`;
    /// each link draws `max_steps` i.i.d. samples of it (its own generator,
    /// `substream(build_seed, link index)`, links in [`Topology::edges`]
    /// order) and multiplies each by `1 + U(−noise, noise)`. Upstream first
    /// pads the pool with shifted and half-swapped copies of the trace; with
    /// i.i.d. draws that changes nothing, so it is skipped here.
    Trace {
        /// CSV file (relative to the scenario's folder) with a `Throughput`
        /// or `Uplink_Mbps` column, Mbps.
        file: PathBuf,
        /// Column to read instead (default: `Throughput`, else `Uplink_Mbps`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<String>,
        /// Target mean, Mbps (100).
        #[serde(default = "d_mbps")]
        mean_mbps: f64,
        /// Relative noise amplitude, in [0, 1) (0.1).
        #[serde(default = "d_noise")]
        noise: f64,
        /// Floor on a drawn bandwidth, Mbps (1): a zero sample in the trace
        /// would otherwise give an infinite delay.
        #[serde(default = "d_min_mbps")]
        min_mbps: f64,
    },
}

fn d_access() -> f64 {
    0.005
}
fn d_request() -> f64 {
    1943.0
}
fn d_response() -> f64 {
    1131.0
}
fn d_mbps() -> f64 {
    100.0
}
fn d_noise() -> f64 {
    0.1
}
fn d_min_mbps() -> f64 {
    1.0
}

impl Default for LinkSpec {
    fn default() -> Self {
        Self {
            access_delay_s: d_access(),
            request_bytes: d_request(),
            response_bytes: d_response(),
            bandwidth: BandwidthSpec::default(),
            distance_delay_s: None,
        }
    }
}

impl Default for BandwidthSpec {
    fn default() -> Self {
        BandwidthSpec::Constant { mbps: d_mbps() }
    }
}

/// Per-slot link delays of a built federation (fixed by the build seed).
#[derive(Debug, Clone)]
pub struct Links {
    access_s: f64,
    request_bits: f64,
    response_bits: f64,
    /// For node `a`, the link index of each neighbour, in neighbour order.
    link_of: Vec<Vec<(usize, usize)>>,
    /// Bandwidth per link per slot, Mbps (one entry per link when constant).
    mbps: Vec<Vec<f64>>,
    /// Propagation delay per link, seconds (from distances; 0 without).
    prop_s: Vec<f64>,
}

impl Links {
    /// Builds every link's per-slot bandwidth for `max_steps` slots.
    pub fn build(
        spec: &LinkSpec,
        topology: &Topology,
        max_steps: usize,
        build_seed: u64,
        base_dir: &Path,
        file: &Path,
    ) -> Result<Links, ConfigError> {
        for (field, v) in [
            ("links.access_delay_s", spec.access_delay_s),
            ("links.request_bytes", spec.request_bytes),
            ("links.response_bytes", spec.response_bytes),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(ConfigError::invalid(file, field, v, "must be a finite, non-negative number"));
            }
        }
        if max_steps == 0 {
            return Err(ConfigError::invalid(file, "episode.max_steps", 0, "must be positive"));
        }
        let edges = topology.edges();
        let mbps = match &spec.bandwidth {
            BandwidthSpec::Constant { mbps } => {
                positive(file, "links.bandwidth.mbps", *mbps)?;
                vec![vec![*mbps]; edges.len()]
            }
            BandwidthSpec::Trace { file: csv, column, mean_mbps, noise, min_mbps } => {
                positive(file, "links.bandwidth.mean_mbps", *mean_mbps)?;
                positive(file, "links.bandwidth.min_mbps", *min_mbps)?;
                if !(noise.is_finite() && (0.0..1.0).contains(noise)) {
                    return Err(ConfigError::invalid(file, "links.bandwidth.noise", noise, "must lie in [0, 1)"));
                }
                let base = read_trace(&base_dir.join(csv), column.as_deref())?;
                let mean = base.iter().sum::<f64>() / base.len() as f64;
                let factor = mean_mbps / mean;
                (0..edges.len())
                    .map(|link| {
                        let mut rng = substream(build_seed, link as u64);
                        (0..max_steps)
                            .map(|_| {
                                let v = base[rng.random_range(0..base.len())] * factor;
                                let u = if *noise > 0.0 { rng.random_range(-noise..*noise) } else { 0.0 };
                                (v * (1.0 + u)).max(*min_mbps)
                            })
                            .collect()
                    })
                    .collect()
            }
        };
        let mut link_of = vec![Vec::new(); topology.len()];
        for (i, &(a, b)) in edges.iter().enumerate() {
            link_of[a].push((b, i));
            link_of[b].push((a, i));
        }
        Ok(Links {
            access_s: spec.access_delay_s,
            request_bits: spec.request_bytes * 8.0,
            response_bits: spec.response_bytes * 8.0,
            link_of,
            prop_s: vec![0.0; mbps.len()],
            mbps,
        })
    }

    /// Adds each link's propagation delay, `per_unit_s` × the distance
    /// between its nodes at `positions` (a geometric generator's); `None`
    /// per unit: no change.
    pub fn with_distances(
        mut self,
        per_unit_s: Option<f64>,
        positions: Option<&[(f64, f64)]>,
        file: &Path,
    ) -> Result<Self, ConfigError> {
        let Some(k) = per_unit_s else { return Ok(self) };
        if !(k.is_finite() && k >= 0.0) {
            return Err(ConfigError::invalid(
                file,
                "links.distance_delay_s",
                k,
                "must be a finite, non-negative number of seconds",
            ));
        }
        let Some(pos) = positions else {
            return Err(ConfigError::invalid(
                file,
                "links.distance_delay_s",
                k,
                "needs node positions: a `geometric` topology generator places the nodes",
            ));
        };
        for (a, links) in self.link_of.iter().enumerate() {
            for &(b, link) in links {
                let d = ((pos[a].0 - pos[b].0).powi(2) + (pos[a].1 - pos[b].1).powi(2)).sqrt();
                self.prop_s[link] = k * d;
            }
        }
        Ok(self)
    }

    /// Propagation delay of the link between neighbours `a` and `b`, seconds
    /// (0 without distances or for non-neighbours).
    pub fn propagation_s(&self, a: usize, b: usize) -> f64 {
        self.link(a, b).map_or(0.0, |l| self.prop_s[l])
    }

    fn link(&self, a: usize, b: usize) -> Option<usize> {
        self.link_of.get(a)?.iter().find(|(n, _)| *n == b).map(|&(_, l)| l)
    }

    /// Bandwidth between neighbours `a` and `b` (either order) in `slot`
    /// (modulo the episode length), Mbps; `None` for non-neighbours.
    pub fn bandwidth_mbps(&self, a: usize, b: usize, slot: usize) -> Option<f64> {
        let (_, link) = self.link_of.get(a)?.iter().find(|(n, _)| *n == b)?;
        let series = &self.mbps[*link];
        series.get(slot % series.len().max(1)).copied()
    }

    /// One-way delay of a request forwarded from `a` to `b` in `slot`, seconds
    /// (0 for non-neighbours).
    pub fn forward_delay_s(&self, a: usize, b: usize, slot: usize) -> f64 {
        self.delay(a, b, slot, self.request_bits)
    }

    /// Delay of the response travelling back from `b` to `a` in `slot`, seconds
    /// (0 for non-neighbours).
    pub fn return_delay_s(&self, a: usize, b: usize, slot: usize) -> f64 {
        self.delay(a, b, slot, self.response_bits)
    }

    fn delay(&self, a: usize, b: usize, slot: usize, bits: f64) -> f64 {
        match (self.bandwidth_mbps(a, b, slot), self.link(a, b)) {
            (Some(mbps), Some(link)) => self.access_s + self.prop_s[link] + bits / (mbps * 1e6),
            _ => 0.0,
        }
    }
}

fn positive(file: &Path, field: &str, v: f64) -> Result<(), ConfigError> {
    if !(v.is_finite() && v > 0.0) {
        return Err(ConfigError::invalid(file, field, v, "must be a positive number of Mbps"));
    }
    Ok(())
}

/// Reads the bandwidth column of a trace CSV (Mbps, finite, non-negative,
/// positive mean).
fn read_trace(csv_path: &Path, column: Option<&str>) -> Result<Vec<f64>, ConfigError> {
    let io = |source| ConfigError::Io { file: csv_path.to_path_buf(), source };
    let parse = |message: String| ConfigError::Parse { file: csv_path.to_path_buf(), message };
    let mut reader =
        csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(csv_path).map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(source) => io(source),
            kind => parse(format!("{kind:?}")),
        })?;
    let header: Vec<String> = reader.headers().map_err(|e| parse(e.to_string()))?.iter().map(str::to_string).collect();
    let wanted: Vec<&str> = match column {
        Some(c) => vec![c],
        None => vec!["Throughput", "Uplink_Mbps"],
    };
    let col = wanted.iter().find_map(|w| header.iter().position(|h| h == w)).ok_or_else(|| {
        ConfigError::invalid(
            csv_path,
            "links.bandwidth.column",
            wanted.join(" or "),
            format!("no such column (header: {})", header.join(",")),
        )
    })?;
    let mut values = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| parse(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = record.get(col).unwrap_or("");
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => values.push(v),
            _ => {
                return Err(ConfigError::invalid(
                    csv_path,
                    format!("row {line}, column `{}`", header[col]),
                    format!("{cell:?}"),
                    "must be a finite, non-negative bandwidth in Mbps",
                ));
            }
        }
    }
    let sum: f64 = values.iter().sum();
    if values.is_empty() || sum <= 0.0 {
        return Err(ConfigError::invalid(
            csv_path,
            header[col].clone(),
            format!("{} rows, sum {sum}", values.len()),
            "the bandwidth trace needs at least one positive value",
        ));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topo() -> Topology {
        let lines: Vec<String> = ["n0 n1 n2", "n1 n2"].iter().map(|s| s.to_string()).collect();
        Topology::from_adjacency(None, &lines).unwrap()
    }

    fn parse(text: &str) -> Result<LinkSpec, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    fn build(spec: &LinkSpec, steps: usize, seed: u64, dir: &Path) -> Result<Links, String> {
        Links::build(spec, &topo(), steps, seed, dir, Path::new("scenario.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn default_constant_delay() {
        assert_eq!(parse("").unwrap(), LinkSpec::default());
        let l = build(&LinkSpec::default(), 288, 42, Path::new(".")).unwrap();
        let fwd = 0.005 + 1943.0 * 8.0 / 100e6;
        let ret = 0.005 + 1131.0 * 8.0 / 100e6;
        for (a, b) in [(0, 1), (1, 0), (2, 1), (0, 2)] {
            for slot in [0, 5, 287, 1000] {
                assert!((l.forward_delay_s(a, b, slot) - fwd).abs() < 1e-15);
                assert!((l.return_delay_s(a, b, slot) - ret).abs() < 1e-15);
            }
        }
        assert!((fwd - 0.00515544).abs() < 1e-12);
        assert_eq!(l.forward_delay_s(0, 0, 0), 0.0);
        assert_eq!(l.forward_delay_s(7, 1, 0), 0.0);
        assert_eq!(l.bandwidth_mbps(1, 2, 3), Some(100.0));
    }

    #[test]
    fn toml_shape() {
        let s = parse(
            "access_delay_s = 0.001\nrequest_bytes = 1000\n[bandwidth]\nkind = \"trace\"\nfile = \"bw.csv\"\nmean_mbps = 50",
        )
        .unwrap();
        assert_eq!(s.response_bytes, 1131.0);
        assert_eq!(
            s.bandwidth,
            BandwidthSpec::Trace { file: "bw.csv".into(), column: None, mean_mbps: 50.0, noise: 0.1, min_mbps: 1.0 }
        );
        let s = parse("[bandwidth]\nkind = \"constant\"\nmbps = 20").unwrap();
        assert_eq!(s.bandwidth, BandwidthSpec::Constant { mbps: 20.0 });
        assert!(parse("delay = 3").unwrap_err().contains("delay"));
        assert!(parse("[bandwidth]\nkind = \"constant\"\nmean = 3").unwrap_err().contains("mean"));
    }

    fn trace_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("Timestamp,Downlink_Mbps,Uplink_Mbps,Throughput\n");
        for i in 0..500 {
            let v = 20.0 + (i % 50) as f64 * 2.0; // mean 69
            text.push_str(&format!("\"01/13/2021, 10:22 AM\",500,{v},{v}\n"));
        }
        text.push_str("\"01/13/2021, 10:23 AM\",500,0,0\n");
        std::fs::write(dir.path().join("bw.csv"), text).unwrap();
        std::fs::write(dir.path().join("up.csv"), "Uplink_Mbps\n10\n30\n").unwrap();
        dir
    }

    fn trace_spec(file: &str, noise: f64) -> LinkSpec {
        LinkSpec {
            bandwidth: BandwidthSpec::Trace { file: file.into(), column: None, mean_mbps: 100.0, noise, min_mbps: 1.0 },
            ..LinkSpec::default()
        }
    }

    #[test]
    fn trace_bandwidth_mean_matches_target() {
        let dir = trace_dir();
        let spec = trace_spec("bw.csv", 0.1);
        let l = build(&spec, 5000, 7, dir.path()).unwrap();
        for (a, b) in [(0, 1), (0, 2), (1, 2)] {
            let bw: Vec<f64> = (0..5000).map(|t| l.bandwidth_mbps(a, b, t).unwrap()).collect();
            let mean = bw.iter().sum::<f64>() / bw.len() as f64;
            assert!((mean - 100.0).abs() < 2.0, "link {a}-{b}: mean {mean}");
            assert!(bw.iter().all(|&x| (1.0..=1.1 * 118.0 / 68.0 * 100.0).contains(&x)));
            assert_eq!(l.bandwidth_mbps(b, a, 5003), Some(bw[3]), "symmetric, wraps modulo max_steps");
            let d = l.forward_delay_s(a, b, 10);
            assert!((d - (0.005 + 1943.0 * 8.0 / (bw[10] * 1e6))).abs() < 1e-15);
        }
        // Links differ from each other; the build seed fixes them.
        let s01: Vec<f64> = (0..50).map(|t| l.bandwidth_mbps(0, 1, t).unwrap()).collect();
        let s12: Vec<f64> = (0..50).map(|t| l.bandwidth_mbps(1, 2, t).unwrap()).collect();
        assert_ne!(s01, s12);
        let again = build(&spec, 5000, 7, dir.path()).unwrap();
        assert_eq!(again.bandwidth_mbps(0, 1, 17), l.bandwidth_mbps(0, 1, 17));
        let other = build(&spec, 5000, 8, dir.path()).unwrap();
        assert!((0..50).any(|t| other.bandwidth_mbps(0, 1, t) != l.bandwidth_mbps(0, 1, t)));
        // Without noise every value is a scaled trace sample; Uplink_Mbps is the fallback column.
        let l = build(&trace_spec("up.csv", 0.0), 100, 1, dir.path()).unwrap();
        assert!((0..100).all(|t| matches!(l.bandwidth_mbps(0, 1, t), Some(x) if x == 50.0 || x == 150.0)));
    }

    #[test]
    fn bad_values_name_field_and_value() {
        let dir = trace_dir();
        let p = dir.path();
        let bad = |s: LinkSpec| build(&s, 10, 1, p).unwrap_err();
        let e = bad(LinkSpec { access_delay_s: -1.0, ..LinkSpec::default() });
        assert!(e.contains("links.access_delay_s") && e.contains("-1") && e.contains("scenario.toml"), "{e}");
        let e = bad(LinkSpec { response_bytes: f64::NAN, ..LinkSpec::default() });
        assert!(e.contains("links.response_bytes"), "{e}");
        let e = bad(LinkSpec { bandwidth: BandwidthSpec::Constant { mbps: 0.0 }, ..LinkSpec::default() });
        assert!(e.contains("links.bandwidth.mbps") && e.contains('0'), "{e}");
        let e = bad(LinkSpec { bandwidth: BandwidthSpec::Constant { mbps: -5.0 }, ..LinkSpec::default() });
        assert!(e.contains("-5"), "{e}");
        let e = bad(trace_spec("bw.csv", 1.5));
        assert!(e.contains("links.bandwidth.noise") && e.contains("1.5"), "{e}");
        let mut s = trace_spec("bw.csv", 0.1);
        if let BandwidthSpec::Trace { mean_mbps, .. } = &mut s.bandwidth {
            *mean_mbps = -3.0;
        }
        assert!(bad(s).contains("links.bandwidth.mean_mbps"));
        std::fs::write(p.join("nocol.csv"), "Time,Down\n1,2\n").unwrap();
        let e = bad(trace_spec("nocol.csv", 0.1));
        assert!(e.contains("nocol.csv") && e.contains("Throughput or Uplink_Mbps"), "{e}");
        std::fs::write(p.join("neg.csv"), "Throughput\n5\n-2\n").unwrap();
        let e = bad(trace_spec("neg.csv", 0.1));
        assert!(e.contains("neg.csv") && e.contains("row 3") && e.contains("-2"), "{e}");
        std::fs::write(p.join("zero.csv"), "Throughput\n0\n").unwrap();
        assert!(bad(trace_spec("zero.csv", 0.1)).contains("positive value"));
        let e = bad(trace_spec("missing.csv", 0.1));
        assert!(e.contains("missing.csv") && e.contains("cannot read"), "{e}");
        let e = Links::build(&LinkSpec::default(), &topo(), 0, 1, p, Path::new("s.toml")).unwrap_err().to_string();
        assert!(e.contains("episode.max_steps"), "{e}");
    }
}
