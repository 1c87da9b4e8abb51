//! Training curves from a run directory's `scalars.csv` (columns
//! `step,wall_time_s,tag,value`, one row per scalar, the step being the
//! agent steps done so far; see dfaas-training's logging module): one panel
//! per known tag, value against agent steps.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{Figure, msg};
use super::error::PlotError;
use super::style;

/// Tags drawn, in panel order, with their captions.
pub const PANELS: [(&str, &str); 6] = [
    ("episode/reward_mean", "mean episode reward"),
    ("episode/processed_ratio", "processed ratio"),
    ("losses/policy_loss", "policy loss"),
    ("losses/value_loss", "value loss"),
    ("losses/entropy", "policy entropy"),
    ("losses/approx_kl", "approximate KL divergence"),
];

/// Tags of runs logged before the CleanRL names, read as the current ones.
const OLD_TAGS: [(&str, &str); 4] = [
    ("loss/policy", "losses/policy_loss"),
    ("loss/value", "losses/value_loss"),
    ("policy/entropy", "losses/entropy"),
    ("policy/kl", "losses/approx_kl"),
];

/// Every tag's (step, value) points, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scalars {
    pub tags: BTreeMap<String, Vec<(f64, f64)>>,
}

impl Scalars {
    /// Iterations logged (distinct steps).
    pub fn iterations(&self) -> usize {
        let mut steps: Vec<u64> = self.tags.values().flatten().map(|p| p.0 as u64).collect();
        steps.sort_unstable();
        steps.dedup();
        steps.len()
    }

    /// Smallest and largest step (0, 0 when empty).
    pub fn step_range(&self) -> (f64, f64) {
        let steps = self.tags.values().flatten().map(|p| p.0);
        let lo = steps.clone().fold(f64::INFINITY, f64::min);
        let hi = steps.fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() { (lo, hi) } else { (0.0, 0.0) }
    }

    /// The last finite value of a tag.
    pub fn last(&self, tag: &str) -> Option<(f64, f64)> {
        self.tags.get(tag)?.iter().rev().find(|p| p.1.is_finite()).copied()
    }

    /// The first finite value of a tag.
    pub fn first(&self, tag: &str) -> Option<(f64, f64)> {
        self.tags.get(tag)?.iter().find(|p| p.1.is_finite()).copied()
    }
}

/// Whether a CSV header is the training logger's.
pub fn matches(header: &[&str]) -> bool {
    header == ["step", "wall_time_s", "tag", "value"]
}

/// Reads `scalars.csv`. Values `NaN`/`inf` are kept (and skipped when drawn).
pub fn read(file: &Path) -> Result<Scalars, PlotError> {
    let mut rdr = csv::Reader::from_path(file).map_err(|e| PlotError::input(file, e.to_string()))?;
    let header: Vec<String> =
        rdr.headers().map_err(|e| PlotError::input(file, e.to_string()))?.iter().map(str::to_string).collect();
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    if !matches(&h) {
        return Err(PlotError::input(
            file,
            format!(
                "not a training scalars.csv: header {h:?}, expected [\"step\", \"wall_time_s\", \"tag\", \"value\"]"
            ),
        ));
    }
    let mut s = Scalars::default();
    for (line, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| PlotError::input(file, e.to_string()))?;
        let row = line + 2;
        let step = rec.get(0).unwrap_or("");
        let step: u64 = step
            .parse()
            .map_err(|_| PlotError::input(file, format!("row {row}: step `{step}` is not a whole number")))?;
        let value = rec.get(3).unwrap_or("");
        let value: f64 =
            value.parse().map_err(|_| PlotError::input(file, format!("row {row}: value `{value}` is not a number")))?;
        let tag = rec.get(2).unwrap_or("");
        let tag = OLD_TAGS.iter().find(|(old, _)| *old == tag).map_or(tag, |(_, new)| new);
        s.tags.entry(tag.to_string()).or_default().push((step as f64, value));
    }
    if !PANELS.iter().any(|(t, _)| s.tags.contains_key(*t)) {
        let known: Vec<&str> = PANELS.iter().map(|p| p.0).collect();
        return Err(PlotError::input(file, format!("no training tags to plot (expected one of {known:?})")));
    }
    Ok(s)
}

/// The training-curve figure: a grid of two columns.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingCurves {
    pub title: String,
    pub scalars: Scalars,
}

impl TrainingCurves {
    fn panels(&self) -> Vec<Panel<'_>> {
        PANELS.iter().filter_map(|(t, c)| self.scalars.tags.get(*t).map(|v| (*t, *c, v.as_slice()))).collect()
    }
}

/// A panel: tag, caption, points.
type Panel<'a> = (&'a str, &'a str, &'a [(f64, f64)]);

const WIDTH: u32 = 1100;
const HEAD: u32 = 50;
const ROW: u32 = 300;

impl Figure for TrainingCurves {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEAD + ROW * self.panels().len().div_ceil(2).max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (title, body) = root.split_vertically(HEAD);
        title.titled(&self.title, style::title_font()).map_err(msg)?;
        let panels = self.panels();
        let areas = body.split_evenly((panels.len().div_ceil(2).max(1), 2));
        let (x_min, x_max) = self.scalars.step_range();
        let x_max = if x_max > x_min { x_max } else { x_min + 1.0 };
        for (k, ((_, caption, pts), area)) in panels.iter().zip(&areas).enumerate() {
            let pts: Vec<(f64, f64)> = pts.iter().copied().filter(|p| p.1.is_finite()).collect();
            let (lo, hi) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p.1), h.max(p.1)));
            let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
            let pad = ((hi - lo).abs() * 0.08).max(hi.abs().max(lo.abs()) * 0.02).max(1e-6);
            let mut chart = ChartBuilder::on(area)
                .caption(*caption, style::caption_font())
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(80)
                .build_cartesian_2d(x_min..x_max, (lo - pad)..(hi + pad))
                .map_err(msg)?;
            chart
                .configure_mesh()
                .x_desc("agent steps")
                .x_label_formatter(&|x| style::tick(*x))
                .axis_desc_style(style::axis_font())
                .label_style(style::label_font())
                .y_label_formatter(&|y| style::tick(*y))
                .light_line_style(style::GREY.mix(0.12))
                .bold_line_style(style::GREY.mix(0.3))
                .draw()
                .map_err(msg)?;
            let color = style::PALETTE[k % style::PALETTE.len()];
            chart.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2))).map_err(msg)?;
            if pts.len() <= 60 {
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(msg)?;
            }
        }
        Ok(())
    }
}
