//! Per node over time: input, executed here, served locally, forwarded and
//! rejected per slot (the DFaaS CloudNet 2021 paper's Figure 3, whose per-node
//! service rate is "executed here": every request the node ran in the slot,
//! whoever's users sent it).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{Figure, msg};
use super::legend::{self, Entry, Mark};
use super::style;

/// What the y values count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Requests per second (slot counts divided by the slot length).
    PerSecond,
    /// Requests per slot (the slot length is unknown).
    PerSlot,
}

impl Unit {
    /// Axis description.
    pub fn label(self) -> &'static str {
        match self {
            Unit::PerSecond => "requests per second",
            Unit::PerSlot => "requests per slot",
        }
    }
}

/// One node's series, one value per slot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeTimeline {
    pub node: String,
    /// Capacity in requests per second, when known (drawn for [`Unit::PerSecond`]).
    pub capacity_rps: Option<f64>,
    /// Slot numbers (x values).
    pub slots: Vec<f64>,
    /// Requests of the node's own users.
    pub input: Vec<f64>,
    /// Requests executed at the node, whatever their origin (service rate).
    pub executed: Vec<f64>,
    /// Own requests served locally.
    pub local: Vec<f64>,
    /// Own requests served by a neighbour.
    pub forwarded: Vec<f64>,
    /// Own requests rejected (anywhere) or failed.
    pub rejected: Vec<f64>,
}

/// Series names, as drawn in the legend (and written in the SVG).
pub const SERIES: [&str; 5] = [
    "input (own users)",
    "executed here (service rate)",
    "own, served locally",
    "own, served by a neighbour",
    "own, rejected or failed",
];

/// Colour and line width of each series, in [`SERIES`] order.
const LOOK: [(RGBColor, u32); 5] =
    [(style::BLACK, 2), (style::BLUE, 4), (style::GREEN, 2), (style::ORANGE, 2), (style::RED, 2)];

impl NodeTimeline {
    /// The series in [`SERIES`] order.
    fn series(&self) -> [&[f64]; 5] {
        [&self.input, &self.executed, &self.local, &self.forwarded, &self.rejected]
    }
}

/// Most slots a timeline accepts (inputs beyond are rejected as malformed).
pub const MAX_SLOTS: u64 = 100_000;

/// Most node panels drawn; further nodes are left out of the figure.
pub const MAX_PANELS: usize = 32;

/// One panel per node, stacked, with a shared legend on top.
#[derive(Debug, Clone, PartialEq)]
pub struct Timelines {
    pub title: String,
    pub unit: Unit,
    pub nodes: Vec<NodeTimeline>,
}

const WIDTH: u32 = 1100;
const HEAD: u32 = 90;
const PANEL: u32 = 260;

impl Timelines {
    /// The nodes drawn (at most [`MAX_PANELS`]).
    fn shown(&self) -> &[NodeTimeline] {
        &self.nodes[..self.nodes.len().min(MAX_PANELS)]
    }
}

impl Figure for Timelines {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEAD + PANEL * self.shown().len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (head, body) = root.split_vertically(HEAD);
        let (title, legend_area) = head.split_vertically(40);
        let title_text = if self.nodes.len() > MAX_PANELS {
            format!("{} (first {MAX_PANELS} of {} nodes)", self.title, self.nodes.len())
        } else {
            self.title.clone()
        };
        title.titled(&title_text, style::title_font()).map_err(msg)?;
        let mut entries: Vec<Entry> = SERIES
            .iter()
            .zip(LOOK)
            .map(|(l, (color, w))| Entry { label: l.to_string(), color, mark: Mark::Line(w) })
            .collect();
        let show_capacity = self.unit == Unit::PerSecond && self.nodes.iter().any(|n| n.capacity_rps.is_some());
        if show_capacity {
            entries.push(Entry { label: "capacity".into(), color: style::GREY, mark: Mark::Dashed });
        }
        legend::draw(&legend_area, &entries)?;
        if self.nodes.is_empty() {
            return Ok(());
        }
        let shown = self.shown();
        let panels = body.split_evenly((shown.len(), 1));
        let x_max = self.nodes.iter().flat_map(|n| n.slots.iter().copied()).fold(1.0_f64, f64::max);
        let x_min = self.nodes.iter().flat_map(|n| n.slots.iter().copied()).fold(x_max, f64::min).min(0.0);
        for (n, area) in shown.iter().zip(&panels) {
            let cap = n.capacity_rps.filter(|_| show_capacity);
            let y_max = n
                .series()
                .iter()
                .flat_map(|s| s.iter().copied())
                .chain(cap)
                .filter(|v| v.is_finite())
                .fold(1.0_f64, f64::max)
                * 1.12;
            let caption = match n.capacity_rps {
                Some(c) => format!("{} (capacity {c} req/s)", n.node),
                None => n.node.clone(),
            };
            let mut chart = ChartBuilder::on(area)
                .caption(caption, style::caption_font())
                .margin_left(10)
                .margin_right(30)
                .margin_bottom(8)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(x_min..x_max, 0.0..y_max)
                .map_err(msg)?;
            chart
                .configure_mesh()
                .x_desc("slot")
                .y_desc(self.unit.label())
                .x_label_formatter(&|x| style::tick(*x))
                .y_label_formatter(&|y| style::tick(*y))
                .axis_desc_style(style::axis_font())
                .label_style(style::label_font())
                .light_line_style(style::GREY.mix(0.12))
                .bold_line_style(style::GREY.mix(0.3))
                .draw()
                .map_err(msg)?;
            if let Some(c) = cap {
                chart
                    .draw_series(DashedLineSeries::new(vec![(x_min, c), (x_max, c)], 8, 6, style::GREY.stroke_width(2)))
                    .map_err(msg)?;
            }
            for (values, (color, width)) in n.series().into_iter().zip(LOOK) {
                let pts: Vec<(f64, f64)> =
                    n.slots.iter().copied().zip(values.iter().copied()).filter(|p| p.1.is_finite()).collect();
                chart.draw_series(LineSeries::new(pts, color.stroke_width(width))).map_err(msg)?;
            }
        }
        Ok(())
    }
}
