//! A one-line legend drawn across the top of a figure.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::msg;
use super::style;

/// How an entry's sample is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// A line of this width.
    Line(u32),
    /// A dashed line.
    Dashed,
    /// A filled box.
    Box,
}

/// One legend entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub label: String,
    pub color: RGBColor,
    pub mark: Mark,
}

/// Draws the entries left to right, centred vertically in `area`, wrapping to
/// a second line when they do not fit.
pub fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[Entry]) -> Result<(), String> {
    let font = style::label_font();
    let (w, h) = area.dim_in_pixel();
    let widths: Vec<i32> = entries
        .iter()
        .map(|e| area.estimate_text_size(&e.label, &font.clone().into()).map(|(tw, _)| tw as i32 + 60).map_err(msg))
        .collect::<Result<_, _>>()?;
    let mut lines: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0;
    for (i, &ew) in widths.iter().enumerate() {
        if used + ew > w as i32 - 20 && !lines.last().is_some_and(|l| l.is_empty()) {
            lines.push(Vec::new());
            used = 0;
        }
        used += ew;
        lines.last_mut().expect("one line").push(i);
    }
    let line_h = 22;
    let top = (h as i32 - line_h * lines.len() as i32) / 2 + line_h / 2;
    for (k, line) in lines.iter().enumerate() {
        let total: i32 = line.iter().map(|&i| widths[i]).sum();
        let mut x = (w as i32 - total) / 2;
        let y = top + k as i32 * line_h;
        for &i in line {
            let e = &entries[i];
            match e.mark {
                Mark::Line(width) => {
                    area.draw(&PathElement::new(vec![(x, y), (x + 36, y)], e.color.stroke_width(width))).map_err(msg)?
                }
                Mark::Dashed => {
                    for s in 0..3 {
                        let x0 = x + s * 14;
                        area.draw(&PathElement::new(vec![(x0, y), (x0 + 8, y)], e.color.stroke_width(2)))
                            .map_err(msg)?;
                    }
                }
                Mark::Box => {
                    area.draw(&Rectangle::new([(x + 6, y - 7), (x + 30, y + 7)], e.color.filled())).map_err(msg)?
                }
            }
            let pos = Pos::new(HPos::Left, VPos::Center);
            area.draw(&Text::new(e.label.clone(), (x + 44, y), font.clone().color(&style::BLACK).pos(pos)))
                .map_err(msg)?;
            x += widths[i];
        }
    }
    Ok(())
}
