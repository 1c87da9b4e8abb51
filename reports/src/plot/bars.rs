//! Grouped horizontal bars with error bars: one group per category (a policy,
//! a metric), one bar per series, values in [0, 1] shown as percentages.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Figure, msg};
use super::legend::{self, Entry, Mark};
use super::style;

/// A bar's value and, when known, its standard deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Value {
    pub mean: f64,
    pub std: Option<f64>,
}

/// The figure: `values[category][series]`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedBars {
    pub title: String,
    pub x_desc: String,
    pub categories: Vec<String>,
    pub series: Vec<(String, RGBColor)>,
    pub values: Vec<Vec<Value>>,
}

const WIDTH: u32 = 1100;
const HEAD: u32 = 90;
const BAR: u32 = 16;
const GAP: u32 = 22;

impl GroupedBars {
    fn group_height(&self) -> u32 {
        BAR * self.series.len().max(1) as u32 + GAP
    }

    /// Largest bar end (mean + std), at least 1 (100 %).
    fn x_max(&self) -> f64 {
        self.values
            .iter()
            .flatten()
            .map(|v| v.mean + v.std.unwrap_or(0.0))
            .filter(|x| x.is_finite())
            .fold(1.0_f64, f64::max)
    }
}

impl Figure for GroupedBars {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEAD + 90 + self.group_height() * self.categories.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (head, body) = root.split_vertically(HEAD);
        let (title, legend_area) = head.split_vertically(40);
        title.titled(&self.title, style::title_font()).map_err(msg)?;
        let entries: Vec<Entry> =
            self.series.iter().map(|(l, c)| Entry { label: l.clone(), color: *c, mark: Mark::Box }).collect();
        legend::draw(&legend_area, &entries)?;
        let label_w = self
            .categories
            .iter()
            .map(|c| body.estimate_text_size(c, &style::label_font().into()).map(|(w, _)| w))
            .collect::<Result<Vec<_>, _>>()
            .map_err(msg)?
            .into_iter()
            .max()
            .unwrap_or(0)
            + 24;
        let n = self.categories.len().max(1) as f64;
        let x_max = self.x_max() * 100.0 * 1.07;
        let mut chart = ChartBuilder::on(&body)
            .margin_right(40)
            .margin_bottom(10)
            .x_label_area_size(50)
            .y_label_area_size(label_w)
            .build_cartesian_2d(0.0..x_max, 0.0..n)
            .map_err(msg)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(self.x_desc.as_str())
            .axis_desc_style(style::axis_font())
            .label_style(style::label_font())
            .x_label_formatter(&|x| format!("{x:.0} %"))
            .light_line_style(style::GREY.mix(0.12))
            .bold_line_style(style::GREY.mix(0.3))
            .draw()
            .map_err(msg)?;
        let group = self.group_height() as f64;
        let bar = BAR as f64 / group;
        let pad = GAP as f64 / 2.0 / group;
        for (ci, row) in self.values.iter().enumerate() {
            // Category 0 at the top.
            let top = n - ci as f64 - pad;
            for (si, v) in row.iter().enumerate().take(self.series.len()) {
                let color = self.series[si].1;
                let y1 = top - si as f64 * bar;
                let y0 = y1 - bar * 0.9;
                let x = (v.mean * 100.0).clamp(0.0, x_max);
                chart
                    .draw_series(std::iter::once(Rectangle::new([(0.0, y0), (x, y1)], color.filled())))
                    .map_err(msg)?;
                let mut end = x;
                if let Some(s) = v.std.filter(|s| s.is_finite() && *s > 0.0) {
                    let (lo, hi) = (((v.mean - s) * 100.0).max(0.0), (v.mean + s) * 100.0);
                    let yc = (y0 + y1) / 2.0;
                    let whisker = bar * 0.3;
                    let ink = style::BLACK.stroke_width(1);
                    chart
                        .draw_series([
                            PathElement::new(vec![(lo, yc), (hi, yc)], ink),
                            PathElement::new(vec![(lo, yc - whisker), (lo, yc + whisker)], ink),
                            PathElement::new(vec![(hi, yc - whisker), (hi, yc + whisker)], ink),
                        ])
                        .map_err(msg)?;
                    end = end.max(hi);
                }
                if v.mean > 0.0 {
                    let (px, py) = chart.backend_coord(&(end, (y0 + y1) / 2.0));
                    let (ox, oy) = body.get_base_pixel();
                    let pos = Pos::new(HPos::Left, VPos::Center);
                    let font = (super::font::FAMILY, 12).into_font().color(&style::BLACK).pos(pos);
                    body.draw(&Text::new(format!("{:.1}", v.mean * 100.0), (px - ox + 5, py - oy), font))
                        .map_err(msg)?;
                }
            }
            let (px, py) = chart.backend_coord(&(0.0, n - ci as f64 - 0.5));
            let (ox, oy) = body.get_base_pixel();
            let pos = Pos::new(HPos::Right, VPos::Center);
            body.draw(&Text::new(
                self.categories[ci].clone(),
                (px - ox - 10, py - oy),
                style::label_font().color(&style::BLACK).pos(pos),
            ))
            .map_err(msg)?;
        }
        Ok(())
    }
}
