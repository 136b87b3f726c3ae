//! Charts as Typst drawing for the PDF: the same picture as [`super::svg`]
//! (same geometry, colours, line styles and printed values) built from
//! Typst's own shapes and text instead of an embedded SVG image.
//!
//! An SVG image costs the typesetter a parse, a text layout of its labels
//! with a font lookup, and a conversion into PDF, for every chart; the
//! kommun's compilation holds thousands of them. Native shapes cost what a
//! table cell does.
//!
//! Coordinates are the SVG's user units; one unit is 0.75 pt (CSS pixels),
//! so the picture has the size the SVG would have at its natural size.

use rust_decimal::{Decimal, prelude::ToPrimitive};

use super::{
    blocks::{Chart, ChartKind, Series},
    svg::{DARK, TARGET, TEXT, shorten, suffix},
};
use crate::domain::swedish::number;

/// Points per SVG user unit.
const PT: f64 = 0.75;

fn f(v: Decimal) -> f64 {
    v.to_f64().unwrap_or(0.0)
}

/// A length in pt from SVG units.
fn u(v: f64) -> String {
    format!("{:.2}pt", v * PT)
}

/// Collects the picture's shapes as Typst code inside a fixed-size box.
struct Canvas {
    out: String,
}

#[derive(Clone, Copy)]
enum Anchor {
    Start,
    Middle,
    End,
}

impl Canvas {
    fn new(w: f64, h: f64) -> Canvas {
        Canvas {
            // Text placed by its baseline, as SVG places it.
            out: format!(
                "box(width: {}, height: {}, {{ set text(size: 9pt, top-edge: \"baseline\", bottom-edge: \"baseline\", hyphenate: false); ",
                u(w),
                u(h)
            ),
        }
    }

    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str) {
        self.out.push_str(&format!(
            "place(line(start: ({}, {}), end: ({}, {}), stroke: {stroke})); ",
            u(x1),
            u(y1),
            u(x2),
            u(y2)
        ));
    }

    fn polyline(&mut self, points: &[(f64, f64)], stroke: &str) {
        let mut parts = Vec::with_capacity(points.len());
        for (i, (x, y)) in points.iter().enumerate() {
            let op = if i == 0 { "move" } else { "line" };
            parts.push(format!("curve.{op}(({}, {}))", u(*x), u(*y)));
        }
        self.out.push_str(&format!(
            "place(curve(stroke: {stroke}, {})); ",
            parts.join(", ")
        ));
    }

    fn circle(&mut self, (cx, cy): (f64, f64), r: f64, fill: &str) {
        self.out.push_str(&format!(
            "place(dx: {}, dy: {}, circle(radius: {}, fill: rgb(\"{fill}\"))); ",
            u(cx - r),
            u(cy - r),
            u(r)
        ));
    }

    fn rect(&mut self, (x, y): (f64, f64), (w, h): (f64, f64), style: &str) {
        self.out.push_str(&format!(
            "place(dx: {}, dy: {}, rect(width: {}, height: {}, {style})); ",
            u(x),
            u(y),
            u(w),
            u(h)
        ));
    }

    /// Text with its baseline at `y`, anchored at `x` as SVG's `text-anchor`.
    fn text(&mut self, (x, y): (f64, f64), anchor: Anchor, fill: &str, text: &str) {
        // A wide box around the anchor, the text aligned in it.
        let span = 400.0;
        let (dx, align) = match anchor {
            Anchor::Start => (x, "left"),
            Anchor::Middle => (x - span / 2.0, "center"),
            Anchor::End => (x - span, "right"),
        };
        self.out.push_str(&format!(
            "place(dx: {}, dy: {}, box(width: {}, align({align}, text(fill: rgb(\"{fill}\"), {})))); ",
            u(dx),
            u(y),
            u(span),
            super::pdf::lit(text)
        ));
    }

    fn finish(mut self) -> String {
        self.out.push_str("})");
        self.out
    }
}

fn stroke(colour: &str, width: f64, dash: Option<(f64, f64)>) -> String {
    match dash {
        Some((on, off)) => format!(
            "(paint: rgb(\"{colour}\"), thickness: {}, dash: ({}, {}))",
            u(width),
            u(on),
            u(off)
        ),
        None => format!("(paint: rgb(\"{colour}\"), thickness: {})", u(width)),
    }
}

/// The chart's picture as a Typst expression (a box), without its title
/// and summary (the figure around it carries them).
pub fn picture(chart: &Chart) -> String {
    match &chart.kind {
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

/// Series 0 solid, series 1 outlined, others lighter (as the SVG).
fn style(i: usize) -> String {
    match i {
        0 => format!("fill: rgb(\"{DARK}\"), stroke: none"),
        1 => format!("fill: white, stroke: {}", stroke(DARK, 2.0, None)),
        _ => format!(
            "fill: rgb(\"#9db9d5\"), stroke: {}",
            stroke(DARK, 1.0, None)
        ),
    }
}

fn bars(labels: &[String], series: &[Series], unit: &str) -> String {
    let label_w = 190.0;
    let value_w = 90.0;
    let plot_w = 360.0;
    let bar_h = 14.0;
    let gap = 10.0;
    let legend_h = 24.0;
    let n = series.len().max(1) as f64;
    let group_h = bar_h * n + gap;
    let h = legend_h + group_h * labels.len() as f64 + 10.0;
    let w = label_w + plot_w + value_w;
    let all: Vec<f64> = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().map(|v| f(*v)))
        .collect();
    let max = all.iter().cloned().fold(0.0_f64, f64::max);
    let min = all.iter().cloned().fold(0.0_f64, f64::min);
    let span = if max - min > 0.0 { max - min } else { 1.0 };
    let x_of = |v: f64| label_w + (v - min) / span * plot_w;
    let zero = x_of(0.0);
    let mut c = Canvas::new(w, h);
    for (i, se) in series.iter().enumerate() {
        let x = label_w + i as f64 * 120.0;
        c.rect((x, 4.0), (14.0, 12.0), &style(i));
        c.text(
            (x + 18.0, 14.0),
            Anchor::Start,
            TEXT,
            &format!("{} ({unit})", se.name),
        );
    }
    for (gi, label) in labels.iter().enumerate() {
        let y0 = legend_h + gi as f64 * group_h;
        c.text(
            (label_w - 6.0, y0 + bar_h * n / 2.0 + 4.0),
            Anchor::End,
            TEXT,
            &shorten(label, 30),
        );
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
            c.rect((bx, y), (bw.max(0.5), bar_h - 2.0), &style(si));
            c.text(
                (x.max(zero) + 4.0, y + bar_h - 4.0),
                Anchor::Start,
                TEXT,
                &number(v, Some(0)),
            );
        }
    }
    c.line((zero, legend_h), (zero, h - 6.0), &stroke(TEXT, 1.0, None));
    c.finish()
}

fn line(years: &[i32], values: &[Option<Decimal>], target: Option<Decimal>, unit: &str) -> String {
    let (w, h) = (300.0, 170.0);
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
    let (lo, hi) = (min - spread * 0.35, max + spread * 0.35);
    let n = years.len().max(1) as f64;
    let x_of = |i: usize| left + (i as f64 + 0.5) * (w - left - right) / n;
    let y_of = |v: f64| top + (hi - v) / (hi - lo) * (h - top - bottom);
    let mut c = Canvas::new(w, h);
    c.line(
        (left, h - bottom),
        (w - right, h - bottom),
        &stroke(TEXT, 1.0, None),
    );
    for (i, y) in years.iter().enumerate() {
        c.text(
            (x_of(i), h - bottom + 16.0),
            Anchor::Middle,
            TEXT,
            &y.to_string(),
        );
    }
    if let Some(t) = target {
        let y = y_of(f(t));
        c.line(
            (left, y),
            (w - right, y),
            &stroke(TARGET, 2.0, Some((6.0, 4.0))),
        );
        c.text(
            (w - right, y + 14.0),
            Anchor::End,
            TARGET,
            &format!("Riktvärde {}{}", number(t, None), suffix(unit)),
        );
    }
    let points: Vec<(f64, f64, Decimal)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (x_of(i), y_of(f(v)), v)))
        .collect();
    if points.len() > 1 {
        let path: Vec<(f64, f64)> = points.iter().map(|(x, y, _)| (*x, *y)).collect();
        c.polyline(&path, &stroke(DARK, 2.0, None));
    }
    for (x, y, v) in points {
        c.circle((x, y), 4.0, DARK);
        c.text(
            (x, y - 8.0),
            Anchor::Middle,
            TEXT,
            &format!("{}{}", number(v, None), suffix(unit)),
        );
    }
    c.finish()
}
