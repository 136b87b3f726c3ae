//! Charts as SVG. Every chart carries its title and summary inside
//! (`<title>`, `<desc>`), prints its values as text beside the marks, and
//! tells series apart by fill and line style as well as by colour.

use rust_decimal::{Decimal, prelude::ToPrimitive};

use super::{
    blocks::{Chart, ChartKind, Series},
    html::escape,
};
use crate::domain::swedish::number;

pub(super) const DARK: &str = "#1f4e79";
pub(super) const TARGET: &str = "#8a3b00";
pub(super) const TEXT: &str = "#1a1a1a";

/// The chart as a standalone SVG document (also embedded in HTML as is).
pub fn svg(chart: &Chart) -> String {
    match &chart.kind {
        ChartKind::Bars {
            labels,
            series,
            unit,
        } => bars(chart, labels, series, unit),
        ChartKind::Line {
            years,
            values,
            target,
            unit,
        } => line(chart, years, values, *target, unit),
    }
}

fn f(v: Decimal) -> f64 {
    v.to_f64().unwrap_or(0.0)
}

fn open(chart: &Chart, w: f64, h: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
         role=\"img\" aria-labelledby=\"{id}-t {id}-d\" font-family=\"Libertinus Serif, Georgia, serif\" font-size=\"12\">\
         <title id=\"{id}-t\">{t}</title><desc id=\"{id}-d\">{d}</desc>\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>",
        id = escape(&chart.id),
        t = escape(&chart.title),
        d = escape(&chart.summary),
    )
}

fn bars(chart: &Chart, labels: &[String], series: &[Series], unit: &str) -> String {
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
    let mut s = open(chart, w, h);
    // Legend: a swatch and the series name for each series.
    for (i, se) in series.iter().enumerate() {
        let x = label_w + i as f64 * 120.0;
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"4\" width=\"14\" height=\"12\" {}/>\
             <text x=\"{}\" y=\"14\" fill=\"{TEXT}\">{} ({})</text>",
            style(i),
            x + 18.0,
            escape(&se.name),
            escape(unit)
        ));
    }
    for (gi, label) in labels.iter().enumerate() {
        let y0 = legend_h + gi as f64 * group_h;
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{TEXT}\">{}</text>",
            label_w - 6.0,
            y0 + bar_h * n / 2.0 + 4.0,
            escape(&shorten(label, 30))
        ));
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
            s.push_str(&format!(
                "<rect x=\"{bx:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{}\" {}/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{TEXT}\">{}</text>",
                bw.max(0.5),
                bar_h - 2.0,
                style(si),
                x.max(zero) + 4.0,
                y + bar_h - 4.0,
                escape(&number(v, Some(0)))
            ));
        }
    }
    s.push_str(&format!(
        "<line x1=\"{zero:.1}\" x2=\"{zero:.1}\" y1=\"{legend_h}\" y2=\"{:.1}\" stroke=\"{TEXT}\"/></svg>",
        h - 6.0
    ));
    s
}

/// Series 0 solid, series 1 outlined, others lighter: told apart without colour.
fn style(i: usize) -> String {
    match i {
        0 => format!("fill=\"{DARK}\""),
        1 => format!("fill=\"#ffffff\" stroke=\"{DARK}\" stroke-width=\"2\""),
        _ => format!("fill=\"#9db9d5\" stroke=\"{DARK}\""),
    }
}

pub(super) fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn line(
    chart: &Chart,
    years: &[i32],
    values: &[Option<Decimal>],
    target: Option<Decimal>,
    unit: &str,
) -> String {
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
    // The values and the target fill the plot; the axis is not at zero
    // (the values are printed beside each point).
    let (lo, hi) = (min - spread * 0.35, max + spread * 0.35);
    let n = years.len().max(1) as f64;
    let x_of = |i: usize| left + (i as f64 + 0.5) * (w - left - right) / n;
    let y_of = |v: f64| top + (hi - v) / (hi - lo) * (h - top - bottom);
    let mut s = open(chart, w, h);
    s.push_str(&format!(
        "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{TEXT}\"/>",
        w - right,
        h - bottom,
        h - bottom
    ));
    for (i, y) in years.iter().enumerate() {
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"{TEXT}\">{y}</text>",
            x_of(i),
            h - bottom + 16.0
        ));
    }
    if let Some(t) = target {
        let y = y_of(f(t));
        s.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{TARGET}\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{TARGET}\">Riktvärde {}{}</text>",
            w - right,
            w - right,
            y + 14.0,
            escape(&number(t, None)),
            escape(&suffix(unit))
        ));
    }
    let points: Vec<(f64, f64, Decimal)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (x_of(i), y_of(f(v)), v)))
        .collect();
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        s.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{DARK}\" stroke-width=\"2\"/>",
            path.join(" ")
        ));
    }
    for (x, y, v) in points {
        s.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{DARK}\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{TEXT}\">{}{}</text>",
            y - 8.0,
            escape(&number(v, None)),
            escape(&suffix(unit))
        ));
    }
    s.push_str("</svg>");
    s
}

pub(super) fn suffix(unit: &str) -> String {
    match unit {
        "%" => "\u{a0}%".into(),
        "mnkr" | "liter" => format!("\u{a0}{unit}"),
        _ => String::new(),
    }
}
