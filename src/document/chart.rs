//! A chart's picture laid out once, as marks in SVG user units (CSS
//! pixels). [`super::svg`] writes the marks as SVG for the web page and
//! [`super::draw`] as Typst shapes for the PDF, so both show the same
//! geometry, colours, line styles and printed values.
//!
//! Every chart prints its values as text beside the marks and tells series
//! apart by fill and line style as well as by colour.

use rust_decimal::{Decimal, prelude::ToPrimitive};

use super::blocks::{ChartKind, Series};
use crate::domain::swedish::number;

pub const DARK: &str = "#1f4e79";
pub const TARGET: &str = "#8a3b00";
pub const TEXT: &str = "#1a1a1a";
const LIGHT: &str = "#9db9d5";
const WHITE: &str = "#ffffff";

pub type Point = (f64, f64);

/// The chart's size and its marks, in drawing order.
pub struct Picture {
    pub width: f64,
    pub height: f64,
    pub marks: Vec<Mark>,
}

/// Where a text stands relative to its point, as SVG's `text-anchor`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

#[derive(Clone, Copy)]
pub struct Stroke {
    pub colour: &'static str,
    pub width: f64,
    /// Dash and gap lengths of a dashed line.
    pub dash: Option<(f64, f64)>,
}

pub enum Mark {
    Line {
        from: Point,
        to: Point,
        stroke: Stroke,
    },
    Polyline {
        points: Vec<Point>,
        stroke: Stroke,
    },
    Dot {
        centre: Point,
        radius: f64,
        fill: &'static str,
    },
    Rect {
        at: Point,
        size: (f64, f64),
        fill: &'static str,
        stroke: Option<Stroke>,
    },
    /// Text with its baseline at the point's y.
    Text {
        at: Point,
        anchor: Anchor,
        fill: &'static str,
        text: String,
    },
}

pub fn picture(kind: &ChartKind) -> Picture {
    match kind {
        ChartKind::Bars {
            labels,
            series,
            unit,
        } => bars(labels, series, unit),
        ChartKind::Line {
            years,
            values,
            target,
            unit,
        } => line(years, values, *target, unit),
    }
}

fn f(v: Decimal) -> f64 {
    v.to_f64().unwrap_or(0.0)
}

fn plain(colour: &'static str, width: f64) -> Stroke {
    Stroke {
        colour,
        width,
        dash: None,
    }
}

/// A bar or legend swatch of series `i`: series 0 solid, series 1
/// outlined, others lighter, so they are told apart without colour.
fn series_rect(i: usize, at: Point, size: (f64, f64)) -> Mark {
    let (fill, stroke) = match i {
        0 => (DARK, None),
        1 => (WHITE, Some(plain(DARK, 2.0))),
        _ => (LIGHT, Some(plain(DARK, 1.0))),
    };
    Mark::Rect {
        at,
        size,
        fill,
        stroke,
    }
}

fn text(at: Point, anchor: Anchor, fill: &'static str, text: String) -> Mark {
    Mark::Text {
        at,
        anchor,
        fill,
        text,
    }
}

/// Grouped horizontal bars: a legend line, then one group per label with
/// one bar per series from a zero line, each bar's value printed after it.
fn bars(labels: &[String], series: &[Series], unit: &str) -> Picture {
    let label_w = 190.0;
    let value_w = 90.0;
    let plot_w = 360.0;
    let bar_h = 14.0;
    let gap = 10.0;
    let legend_h = 24.0;
    let n = series.len().max(1) as f64;
    let group_h = bar_h * n + gap;
    let height = legend_h + group_h * labels.len() as f64 + 10.0;
    let width = label_w + plot_w + value_w;
    let all: Vec<f64> = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().map(|v| f(*v)))
        .collect();
    let max = all.iter().cloned().fold(0.0_f64, f64::max);
    let min = all.iter().cloned().fold(0.0_f64, f64::min);
    let span = if max - min > 0.0 { max - min } else { 1.0 };
    let x_of = |v: f64| label_w + (v - min) / span * plot_w;
    let zero = x_of(0.0);
    let mut marks = Vec::new();
    for (i, se) in series.iter().enumerate() {
        let x = label_w + i as f64 * 120.0;
        marks.push(series_rect(i, (x, 4.0), (14.0, 12.0)));
        let name = format!("{} ({unit})", se.name);
        marks.push(text((x + 18.0, 14.0), Anchor::Start, TEXT, name));
    }
    for (gi, label) in labels.iter().enumerate() {
        let y0 = legend_h + gi as f64 * group_h;
        let at = (label_w - 6.0, y0 + bar_h * n / 2.0 + 4.0);
        marks.push(text(at, Anchor::End, TEXT, shorten(label, 30)));
        for (si, se) in series.iter().enumerate() {
            let Some(v) = se.values.get(gi).copied().flatten() else {
                continue;
            };
            let x = x_of(f(v));
            let (bx, bw) = if x >= zero {
                (zero, x - zero)
            } else {
                (x, zero - x)
            };
            let y = y0 + si as f64 * bar_h;
            marks.push(series_rect(si, (bx, y), (bw.max(0.5), bar_h - 2.0)));
            let at = (x.max(zero) + 4.0, y + bar_h - 4.0);
            marks.push(text(at, Anchor::Start, TEXT, number(v, Some(0))));
        }
    }
    marks.push(Mark::Line {
        from: (zero, legend_h),
        to: (zero, height - 6.0),
        stroke: plain(TEXT, 1.0),
    });
    Picture {
        width,
        height,
        marks,
    }
}

/// One series over years against a dashed target line, each point's value
/// printed above it.
fn line(years: &[i32], values: &[Option<Decimal>], target: Option<Decimal>, unit: &str) -> Picture {
    let (width, height) = (300.0, 170.0);
    let (left, right, top, bottom) = (40.0, 20.0, 20.0, 30.0);
    let mut all: Vec<f64> = values.iter().flatten().map(|v| f(*v)).collect();
    all.extend(target.map(f));
    let max = all.iter().cloned().fold(f64::MIN, f64::max);
    let min = all.iter().cloned().fold(f64::MAX, f64::min);
    let spread = if max > min {
        max - min
    } else {
        max.abs().max(1.0)
    };
    // The values and the target fill the plot; the axis is not at zero
    // (the values are printed beside each point).
    let (lo, hi) = (min - spread * 0.35, max + spread * 0.35);
    let n = years.len().max(1) as f64;
    let x_of = |i: usize| left + (i as f64 + 0.5) * (width - left - right) / n;
    let y_of = |v: f64| top + (hi - v) / (hi - lo) * (height - top - bottom);
    let mut marks = vec![Mark::Line {
        from: (left, height - bottom),
        to: (width - right, height - bottom),
        stroke: plain(TEXT, 1.0),
    }];
    for (i, y) in years.iter().enumerate() {
        let at = (x_of(i), height - bottom + 16.0);
        marks.push(text(at, Anchor::Middle, TEXT, y.to_string()));
    }
    if let Some(t) = target {
        let y = y_of(f(t));
        marks.push(Mark::Line {
            from: (left, y),
            to: (width - right, y),
            stroke: Stroke {
                colour: TARGET,
                width: 2.0,
                dash: Some((6.0, 4.0)),
            },
        });
        let label = format!("Riktvärde {}{}", number(t, None), suffix(unit));
        marks.push(text((width - right, y + 14.0), Anchor::End, TARGET, label));
    }
    let points: Vec<(Point, Decimal)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| ((x_of(i), y_of(f(v))), v)))
        .collect();
    if points.len() > 1 {
        marks.push(Mark::Polyline {
            points: points.iter().map(|(p, _)| *p).collect(),
            stroke: plain(DARK, 2.0),
        });
    }
    for ((x, y), v) in points {
        marks.push(Mark::Dot {
            centre: (x, y),
            radius: 4.0,
            fill: DARK,
        });
        let value = format!("{}{}", number(v, None), suffix(unit));
        marks.push(text((x, y - 8.0), Anchor::Middle, TEXT, value));
    }
    Picture {
        width,
        height,
        marks,
    }
}

/// At most `n` characters, the last an ellipsis where it was cut.
pub fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// The unit printed after a value, with a no-break space.
fn suffix(unit: &str) -> String {
    match unit {
        "%" => "\u{a0}%".into(),
        "mnkr" | "liter" => format!("\u{a0}{unit}"),
        _ => String::new(),
    }
}
