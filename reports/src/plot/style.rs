//! Shared colours and text sizes of every figure.

use plotters::style::{FontDesc, IntoFont, RGBColor};

use super::font::FAMILY;

/// Colours of the series, chosen to stay distinct in print and for the
/// common colour-vision deficiencies (Okabe–Ito).
pub const BLACK: RGBColor = RGBColor(0, 0, 0);
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const RED: RGBColor = RGBColor(213, 94, 0);
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
pub const SKY: RGBColor = RGBColor(86, 180, 233);
pub const GREY: RGBColor = RGBColor(128, 128, 128);

/// A palette for series without a fixed colour.
pub const PALETTE: [RGBColor; 7] = [BLUE, ORANGE, GREEN, RED, PURPLE, SKY, BLACK];

/// Font of titles.
pub fn title_font() -> FontDesc<'static> {
    (FAMILY, 22).into_font()
}

/// Font of panel captions.
pub fn caption_font() -> FontDesc<'static> {
    (FAMILY, 18).into_font()
}

/// Font of axis descriptions.
pub fn axis_font() -> FontDesc<'static> {
    (FAMILY, 15).into_font()
}

/// Font of tick labels and legends.
pub fn label_font() -> FontDesc<'static> {
    (FAMILY, 14).into_font()
}

/// A compact tick label: no trailing zeros, exponent form for very large or
/// small magnitudes.
pub fn tick(y: f64) -> String {
    let a = y.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        format!("{y:.1e}")
    } else {
        let s = format!("{:.4}", y);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::tick;

    #[test]
    fn tick_labels_are_compact() {
        assert_eq!(tick(50.0), "50");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(0.025), "0.025");
        assert_eq!(tick(-0.0), "0");
        assert_eq!(tick(28800.0), "28800");
        assert_eq!(tick(2.5e7), "2.5e7");
        assert_eq!(tick(1e-5), "1.0e-5");
    }
}
