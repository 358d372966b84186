//! PNG charts drawn with plotters into memory and encoded with `png`: line
//! charts over time (x in fractional years) and bar charts by category.
//! The font (DejaVu Sans) is compiled in, so nothing depends on the
//! machine's fonts.

use plotters::prelude::*;
use std::io::{self, Write};
use std::path::Path;

const SIZE: (u32, u32) = (960, 420);

/// One line of a line chart.
pub struct Line<'a> {
    /// Legend text.
    pub label: &'a str,
    /// `(x, y)` points; non-finite ones are skipped.
    pub points: Vec<(f64, f64)>,
    /// Its colour.
    pub color: RGBColor,
    /// Fill the area between the line and zero.
    pub fill: bool,
}

fn font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The font is the crate's own bundled file: it always parses.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// The finite range of `values`, padded; (-1, 1) when there is none.
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

/// Draws a line chart to `path` (written under a temporary name first).
pub fn lines(path: &Path, title: &str, y_desc: &str, lines: &[Line]) -> io::Result<()> {
    font();
    let mut buffer = vec![255u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, SIZE).into_drawing_area();
        let finite = |l: &Line| -> Vec<(f64, f64)> {
            l.points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect()
        };
        let all: Vec<(f64, f64)> = lines.iter().flat_map(finite).collect();
        let (x0, x1) = span(all.iter().map(|p| p.0));
        let (mut y0, mut y1) = span(all.iter().map(|p| p.1));
        if lines.iter().any(|l| l.fill) {
            (y0, y1) = (y0.min(0.0), y1.max(0.0));
        }
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(other)?;
        chart
            .configure_mesh()
            .y_desc(y_desc)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(other)?;
        for l in lines {
            let points = finite(l);
            let color = l.color;
            if l.fill {
                chart
                    .draw_series(AreaSeries::new(points, 0.0, color.mix(0.3)).border_style(color))
                    .map_err(other)?
                    .label(l.label)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 4), (x + 16, y + 4)], color.filled())
                    });
            } else {
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))
                    .map_err(other)?
                    .label(l.label)
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                    });
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .draw()
            .map_err(other)?;
        root.present().map_err(other)?;
    }
    write_png(path, &buffer)
}

/// Draws a bar chart (one bar per label, negative bars below zero) to `path`.
pub fn bars(
    path: &Path,
    title: &str,
    y_desc: &str,
    labels: &[String],
    values: &[f64],
) -> io::Result<()> {
    font();
    let mut buffer = vec![255u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, SIZE).into_drawing_area();
        let (y0, y1) = span(values.iter().copied().chain([0.0]));
        let n = labels.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5f64..n as f64 - 0.5, y0..y1)
            .map_err(other)?;
        let names = labels.to_vec();
        chart
            .configure_mesh()
            .y_desc(y_desc)
            .x_labels(n)
            .x_label_formatter(&move |x| {
                let k = x.round();
                match (k - x).abs() < 1e-6 && k >= 0.0 {
                    true => names.get(k as usize).cloned().unwrap_or_default(),
                    false => String::new(),
                }
            })
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(other)?;
        chart
            .draw_series(
                values
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(k, &v)| {
                        let color = if v >= 0.0 {
                            RGBColor(46, 117, 182)
                        } else {
                            RGBColor(200, 70, 60)
                        };
                        let x = k as f64;
                        Rectangle::new([(x - 0.35, 0.0), (x + 0.35, v)], color.filled())
                    }),
            )
            .map_err(other)?;
        root.present().map_err(other)?;
    }
    write_png(path, &buffer)
}

fn write_png(path: &Path, rgb: &[u8]) -> io::Result<()> {
    crate::query::print::write_file(path, |w: &mut dyn Write| {
        let mut encoder = png::Encoder::new(w, SIZE.0, SIZE.1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(other)?;
        writer.write_image_data(rgb).map_err(other)?;
        writer.finish().map_err(other)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_png_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.png");
        let line = Line {
            label: "equity",
            points: (0..100)
                .map(|k| (2000.0 + k as f64 / 50.0, (k as f64).sin()))
                .collect(),
            color: BLUE,
            fill: false,
        };
        lines(&path, "t", "y", &[line]).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let path = dir.path().join("b.png");
        bars(&path, "t", "y", &["a".into(), "b".into()], &[1.0, -2.0]).unwrap();
        assert_eq!(&std::fs::read(&path).unwrap()[1..4], b"PNG");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
