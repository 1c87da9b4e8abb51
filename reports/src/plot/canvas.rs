//! Rendering a [`Figure`] to PNG and SVG files.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::PlotError;
use super::font;

/// Something that draws itself on any plotters backend.
pub trait Figure {
    /// Size in pixels (width, height).
    fn size(&self) -> (u32, u32);
    /// Draws on `root` (already filled white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Turns a plotters error into a message.
pub(crate) fn msg<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Writes `dir/stem.png` and `dir/stem.svg`; returns both paths (PNG first).
pub fn save_figure(fig: &impl Figure, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, PlotError> {
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    font::ensure_registered().map_err(|problem| PlotError::Draw { file: png.clone(), problem })?;
    let (w, h) = fig.size();

    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| PlotError::Draw { file: svg.clone(), problem: msg(e) })?;
        fig.draw(&root).map_err(|problem| PlotError::Draw { file: svg.clone(), problem })?;
        root.present().map_err(|e| PlotError::Draw { file: svg.clone(), problem: msg(e) })?;
    }
    std::fs::write(&svg, text).map_err(|e| PlotError::io(&svg, e))?;

    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| PlotError::Draw { file: png.clone(), problem: msg(e) })?;
        fig.draw(&root).map_err(|problem| PlotError::Draw { file: png.clone(), problem })?;
        root.present().map_err(|e| PlotError::Draw { file: png.clone(), problem: msg(e) })?;
    }
    write_png(&png, &pixels, w, h)?;
    Ok(vec![png, svg])
}

/// Encodes 8-bit RGB pixels as a PNG file.
fn write_png(path: &Path, rgb: &[u8], w: u32, h: u32) -> Result<(), PlotError> {
    let bad = |e: png::EncodingError| PlotError::Draw { file: path.to_path_buf(), problem: e.to_string() };
    let file = std::fs::File::create(path).map_err(|e| PlotError::io(path, e))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::High);
    let mut writer = enc.write_header().map_err(bad)?;
    writer.write_image_data(rgb).map_err(bad)?;
    writer.finish().map_err(bad)
}
