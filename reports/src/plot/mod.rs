//! Figures (PNG and SVG, drawn with plotters) and Markdown reports from the
//! outputs of `dfaas simulate`, `compare`, `evaluate`, `cluster`, `sim2real`
//! and from training run directories.
//!
//! Each input kind has a reader (`from_*`) that turns it into plain data,
//! each figure kind a module that draws that data ([`timeline`]: per node
//! over time; [`bars`]: grouped bars with error bars; [`training`]: training
//! curves), and [`report`] detects the kind of a path and writes every figure
//! plus a `REPORT.md`. Text is drawn with an embedded DejaVu Sans subset
//! (see `plot/fonts/README.md`), so no system font is needed.

pub mod bars;
mod canvas;
mod error;
mod font;
pub mod from_cluster;
pub mod from_compare;
pub mod from_slot_csv;
mod legend;
mod markdown;
pub mod report;
pub mod sim2real;
pub mod style;
pub mod timeline;
pub mod training;

pub use canvas::{Figure, save_figure};
pub use error::PlotError;
pub use report::{ReportOptions, ReportOutput, write_report};
