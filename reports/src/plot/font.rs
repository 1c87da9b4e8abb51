//! The embedded font, registered once with plotters as `sans-serif`.

use std::sync::OnceLock;

use plotters::style::FontStyle;

/// DejaVu Sans, Latin subset (licence in `fonts/LICENSE-DejaVu.txt`).
const DEJAVU_SANS: &[u8] = include_bytes!("fonts/DejaVuSans-subset.ttf");

/// The family name every figure uses.
pub const FAMILY: &str = "sans-serif";

/// Registers the embedded font (idempotent); an error if it cannot be parsed.
pub fn ensure_registered() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            plotters::style::register_font(FAMILY, style, DEJAVU_SANS)
                .map_err(|_| "the embedded font could not be parsed".to_string())?;
        }
        Ok(())
    })
    .clone()
}
