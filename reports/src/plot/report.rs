//! `dfaas report`: reads what a path holds, draws its figures (PNG and SVG)
//! and writes a `REPORT.md` that shows the tables and links the figures.
//! JSON documents are read by their `kind` tag ([`crate::document`]);
//! untagged ones (written before the tag) by their fields.
//!
//! Inputs: a training run directory (with `scalars.csv`); a results folder
//! (every `*.json` and `*.csv` in it); or one file: the JSON of `dfaas
//! cluster`, `compare`, `evaluate`, `simulate` or `sim2real`, the per-slot CSV
//! of `dfaas simulate --csv`, or a `scalars.csv`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use dfaas_env::Scenario;

use super::canvas::save_figure;
use super::error::PlotError;
use super::{from_cluster, from_compare, from_slot_csv, markdown, sim2real, training};
use crate::document::Document;

/// Options of a report.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Where to write (default: the folder given, or the file's folder).
    pub out: Option<PathBuf>,
    /// Slot length of per-slot CSVs, seconds: plots them in requests per
    /// second (default: requests per slot).
    pub slot_seconds: Option<f64>,
    /// Episode of per-slot CSVs to plot (default: the first in the file).
    pub episode: Option<u64>,
    /// Scenario of per-slot CSVs: gives the slot length (unless
    /// `slot_seconds` is set) and, for the capacity model, node capacities.
    pub scenario: Option<PathBuf>,
}

/// Scenario name, slot length and node capacities from `opts` (and its scenario).
fn csv_context(opts: &ReportOptions) -> Result<CsvContext, PlotError> {
    let Some(path) = &opts.scenario else {
        return Ok(CsvContext { slot_seconds: opts.slot_seconds, ..Default::default() });
    };
    let s = Scenario::load(path).map_err(|e| PlotError::input(path, e.to_string()))?;
    let topo = s.build_topology().map_err(|e| PlotError::input(path, e.to_string()))?;
    let caps = match dfaas_live::cluster::capacities(&s, topo.len()) {
        Ok((caps, _)) => topo.names().iter().cloned().zip(caps).collect(),
        Err(_) => BTreeMap::new(),
    };
    Ok(CsvContext {
        scenario: Some(s.name.clone()),
        slot_seconds: opts.slot_seconds.or(Some(s.episode.slot_seconds)),
        capacities: caps,
    })
}

/// What per-slot CSVs need beyond their rows.
#[derive(Debug, Default)]
struct CsvContext {
    scenario: Option<String>,
    slot_seconds: Option<f64>,
    capacities: BTreeMap<String, f64>,
}

/// What a report wrote.
#[derive(Debug, Clone)]
pub struct ReportOutput {
    pub out_dir: PathBuf,
    pub markdown: PathBuf,
    /// Figures written (PNG and SVG).
    pub figures: Vec<PathBuf>,
    /// Each input and the kind it was read as.
    pub inputs: Vec<(PathBuf, &'static str)>,
}

/// One input, read.
enum Source {
    Cluster(Box<dfaas_live::cluster::ClusterReport>),
    SlotCsv(Box<from_slot_csv::SlotEpisode>),
    Compare(Box<dfaas_experiments::compare::CompareReport>, &'static str),
    Training(Box<training::Scalars>),
    Sim2Real(Box<sim2real::Sim2Real>),
}

impl Source {
    fn kind(&self) -> &'static str {
        match self {
            Source::Cluster(_) => "live cluster run (dfaas cluster --json)",
            Source::SlotCsv(_) => "simulator per-slot CSV (dfaas simulate --csv)",
            Source::Compare(_, k) => k,
            Source::Training(_) => "training run (scalars.csv)",
            Source::Sim2Real(_) => "sim-to-real comparison (dfaas sim2real --json)",
        }
    }
}

/// Reads one input file: a tagged JSON document by its `kind`, an untagged
/// one (schema version 0) by its fields (an array of documents gives one
/// source each), or a CSV file by its header.
fn load(file: &Path, opts: &ReportOptions) -> Result<Vec<Source>, PlotError> {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "json" => {
            let text = std::fs::read_to_string(file).map_err(|e| PlotError::io(file, e))?;
            let v: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| PlotError::input(file, format!("not valid JSON: {e}")))?;
            match v {
                serde_json::Value::Array(items)
                    if items.iter().all(|d| d.get("kind").is_some()) && !items.is_empty() =>
                {
                    items.into_iter().map(|d| load_json(file, d)).collect()
                }
                v => Ok(vec![load_json(file, v)?]),
            }
        }
        "csv" => {
            let mut rdr = csv::Reader::from_path(file).map_err(|e| PlotError::input(file, e.to_string()))?;
            let header: Vec<String> =
                rdr.headers().map_err(|e| PlotError::input(file, e.to_string()))?.iter().map(str::to_string).collect();
            let h: Vec<&str> = header.iter().map(String::as_str).collect();
            if training::matches(&h) {
                Ok(vec![Source::Training(Box::new(training::read(file)?))])
            } else if from_slot_csv::matches(&h) {
                Ok(vec![Source::SlotCsv(Box::new(from_slot_csv::read(file, opts.episode)?))])
            } else {
                Err(PlotError::input(
                    file,
                    format!(
                        "unknown CSV header {h:?}: expected a training scalars.csv or the per-slot CSV of dfaas \
                         simulate --csv"
                    ),
                ))
            }
        }
        _ => Err(PlotError::input(
            file,
            "unknown input: expected a .json or .csv file, a results folder or a training run folder (with scalars.csv)",
        )),
    }
}

/// One JSON document: by its `kind` tag, else (schema version 0) by its fields.
fn load_json(file: &Path, v: serde_json::Value) -> Result<Source, PlotError> {
    const COMPARE: &str = "comparison (dfaas compare/evaluate --json)";
    const SIMULATE: &str = "simulation (dfaas simulate --json)";
    if v.get("kind").is_some() {
        let doc = Document::from_value(v)
            .map_err(|e| PlotError::input(file, e.to_string()))?
            .ok_or_else(|| PlotError::input(file, "`kind` is not a document kind"))?;
        return match doc {
            Document::Compare(c) => Ok(Source::Compare(Box::new(from_compare::check_compare(file, c)?), COMPARE)),
            Document::LiveEvaluate(l) => Ok(Source::Compare(
                Box::new(from_compare::check_compare(file, l.compare)?),
                "live evaluation (dfaas evaluate --live --json)",
            )),
            Document::Simulate(s) => {
                Ok(Source::Compare(Box::new(from_compare::simulate_as_compare(file, &s)?), SIMULATE))
            }
            Document::Cluster(c) => Ok(Source::Cluster(Box::new(from_cluster::check(file, c)?))),
            Document::Sim2Real(r) => Ok(Source::Sim2Real(Box::new(sim2real::from_report(file, &r)?))),
            Document::Loadgen(_) => Err(PlotError::input(
                file,
                "a loadgen document has no figure: dfaas report draws compare, evaluate, simulate, cluster and \
                 sim2real documents",
            )),
        };
    }
    if sim2real::matches(&v) {
        Ok(Source::Sim2Real(Box::new(sim2real::parse(file, v)?)))
    } else if from_cluster::matches(&v) {
        Ok(Source::Cluster(Box::new(from_cluster::parse(file, v)?)))
    } else if from_compare::matches_compare(&v) {
        Ok(Source::Compare(Box::new(from_compare::parse_compare(file, v)?), COMPARE))
    } else if from_compare::matches_simulate(&v) {
        Ok(Source::Compare(Box::new(from_compare::parse_simulate(file, v)?), SIMULATE))
    } else {
        Err(PlotError::input(
            file,
            "unknown JSON shape: expected the --json output of dfaas cluster, compare, evaluate, simulate or sim2real",
        ))
    }
}

/// The inputs of a path: the file itself, a run's `scalars.csv`, or every
/// `*.json` / `*.csv` directly in a folder (name order).
fn inputs(path: &Path) -> Result<(Vec<PathBuf>, PathBuf), PlotError> {
    let meta = std::fs::metadata(path).map_err(|e| PlotError::io(path, e))?;
    if !meta.is_dir() {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        return Ok((vec![path.to_path_buf()], parent.to_path_buf()));
    }
    let scalars = path.join("scalars.csv");
    if scalars.is_file() {
        return Ok((vec![scalars], path.to_path_buf()));
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| PlotError::io(path, e))? {
        let p = entry.map_err(|e| PlotError::io(path, e))?.path();
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if p.is_file() && (ext == "json" || ext == "csv") {
            files.push(p);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(PlotError::input(path, "nothing to report: no scalars.csv, *.json or *.csv in this folder"));
    }
    Ok((files, path.to_path_buf()))
}

/// The command that rewrites this report, for its header.
fn command_line(path: &Path, opts: &ReportOptions) -> String {
    let mut command = format!("dfaas report {}", path.display());
    if let Some(o) = &opts.out {
        let _ = write!(command, " --out {}", o.display());
    }
    if let Some(s) = opts.slot_seconds {
        let _ = write!(command, " --slot-seconds {s}");
    }
    if let Some(e) = opts.episode {
        let _ = write!(command, " --episode {e}");
    }
    if let Some(f) = &opts.scenario {
        let _ = write!(command, " --scenario {}", f.display());
    }
    command
}

/// One source's figures (written to `out` as `fig_stem`.png/.svg, plus a
/// timeline for sim-to-real documents with slots) and its Markdown table.
fn draw(
    source: &Source,
    out: &Path,
    fig_stem: &str,
    stem: &str,
    file: &Path,
    path: &Path,
    ctx: &CsvContext,
) -> Result<(Vec<PathBuf>, String), PlotError> {
    Ok(match source {
        Source::Cluster(c) => (save_figure(&from_cluster::timelines(c), out, fig_stem)?, markdown::cluster(c)),
        Source::SlotCsv(e) => {
            let title = match &ctx.scenario {
                Some(sc) => format!("{sc}, {stem}"),
                None => stem.to_string(),
            };
            let fig = from_slot_csv::timelines(&title, e, ctx.slot_seconds, &ctx.capacities);
            let note = format!(
                "Episode {} of {} in the file; per-node totals over the episode (requests).\n\n",
                e.episode, e.episodes
            );
            (save_figure(&fig, out, fig_stem)?, note + &markdown::slot_totals(&e.nodes))
        }
        Source::Compare(c, _) => (save_figure(&from_compare::shares_figure(c), out, fig_stem)?, markdown::compare(c)),
        Source::Training(t) => {
            let run = if path.is_dir() { path } else { file.parent().unwrap_or(Path::new(".")) };
            let run_name = run.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let fig = training::TrainingCurves { title: format!("training run {run_name}"), scalars: (**t).clone() };
            (save_figure(&fig, out, fig_stem)?, markdown::training(t))
        }
        Source::Sim2Real(x) => {
            let mut written = save_figure(&sim2real::figure(x), out, fig_stem)?;
            let mut table = markdown::sim2real(x);
            if let Some(t) = sim2real::timelines(x) {
                let stem = format!("{fig_stem}-slots");
                written.extend(save_figure(&t, out, &stem)?);
                let _ = write!(table, "\n![{stem}]({stem}.png)\n\n([SVG]({stem}.svg))\n");
            }
            (written, table)
        }
    })
}

/// Reads every input of `path`, writes the figures and `REPORT.md`.
/// Every input is read before anything is written.
pub fn write_report(path: &Path, opts: &ReportOptions) -> Result<ReportOutput, PlotError> {
    if let Some(s) = opts.slot_seconds
        && !(s.is_finite() && s > 0.0)
    {
        return Err(PlotError::input(path, format!("slot length must be > 0 seconds, got {s}")));
    }
    let ctx = csv_context(opts)?;
    let (files, default_out) = inputs(path)?;
    // (file, its document's index when the file holds several, source)
    let mut sources: Vec<(PathBuf, Option<usize>, Source)> = Vec::new();
    for f in files {
        let list = load(&f, opts)?;
        let several = list.len() > 1;
        sources.extend(list.into_iter().enumerate().map(|(k, s)| (f.clone(), several.then_some(k), s)));
    }
    let out = opts.out.clone().unwrap_or(default_out);
    std::fs::create_dir_all(&out).map_err(|e| PlotError::io(&out, e))?;

    let mut md = format!("# Report\n\nWritten by `{}`.\n", command_line(path, opts));
    let mut figures = Vec::new();
    let mut read = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for (file, index, source) in &sources {
        let mut name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut stem = file.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "input".into());
        if let Some(k) = index {
            name = format!("{name}[{k}]");
            stem = format!("{stem}-{k}");
        }
        let suffix = match source {
            Source::Cluster(_) | Source::SlotCsv(_) => "nodes",
            Source::Compare(..) => "shares",
            Source::Training(_) => "training",
            Source::Sim2Real(_) => "sim2real",
        };
        let mut fig_stem = match source {
            Source::Training(_) if name == "scalars.csv" => "training".to_string(),
            _ => format!("{stem}-{suffix}"),
        };
        // `run.json` and `run.csv` in one folder must not overwrite each other's figures.
        if !taken.insert(fig_stem.clone()) {
            fig_stem = format!("{}-{suffix}", name.replace('.', "-"));
            taken.insert(fig_stem.clone());
        }
        let _ = write!(md, "\n## `{name}`: {}\n\n", source.kind());
        let (written, table) = draw(source, &out, &fig_stem, &stem, file, path, &ctx)?;
        md += &table;
        let _ = write!(md, "\n![{fig_stem}]({fig_stem}.png)\n\n([SVG]({fig_stem}.svg))\n");
        figures.extend(written);
        read.push((file.clone(), source.kind()));
    }
    let markdown = out.join("REPORT.md");
    std::fs::write(&markdown, md).map_err(|e| PlotError::io(&markdown, e))?;
    Ok(ReportOutput { out_dir: out, markdown, figures, inputs: read })
}
