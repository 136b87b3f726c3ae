//! Charts as Typst drawing for the PDF: [`super::chart`]'s picture, the
//! one the web page shows as SVG, built from Typst's own shapes and text
//! instead of an embedded SVG image.
//!
//! An SVG image costs the typesetter a parse, a text layout of its labels
//! with a font lookup, and a conversion into PDF, for every chart; the
//! kommun's compilation holds thousands of them. Native shapes cost what a
//! table cell does.
//!
//! Coordinates are the SVG's user units; one unit is 0.75 pt (CSS pixels),
//! so the picture has the size the SVG would have at its natural size.

use super::{
    blocks::Chart,
    chart::{self, Anchor, Mark, Stroke},
};

/// Points per SVG user unit.
const PT: f64 = 0.75;

/// A length in pt from SVG units.
fn u(v: f64) -> String {
    format!("{:.2}pt", v * PT)
}

/// Collects the picture's shapes as Typst code inside a fixed-size box.
struct Canvas {
    out: String,
    literal: fn(&str) -> String,
}

impl Canvas {
    fn new(w: f64, h: f64, literal: fn(&str) -> String) -> Canvas {
        Canvas {
            literal,
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
            (self.literal)(text)
        ));
    }

    fn finish(mut self) -> String {
        self.out.push_str("})");
        self.out
    }
}

fn stroke(stroke: &Stroke) -> String {
    let (colour, width) = (stroke.colour, u(stroke.width));
    match stroke.dash {
        Some((on, off)) => format!(
            "(paint: rgb(\"{colour}\"), thickness: {width}, dash: ({}, {}))",
            u(on),
            u(off)
        ),
        None => format!("(paint: rgb(\"{colour}\"), thickness: {width})"),
    }
}

/// The chart's picture as a Typst expression (a box), without its title
/// and summary (the figure around it carries them). Its texts are quoted
/// by `literal`, the PDF's own string literal (which knows what its fonts
/// can show).
pub fn picture(chart: &Chart, literal: fn(&str) -> String) -> String {
    let picture = chart::picture(&chart.kind);
    let mut c = Canvas::new(picture.width, picture.height, literal);
    for mark in &picture.marks {
        match mark {
            Mark::Line {
                from,
                to,
                stroke: s,
            } => c.line(*from, *to, &stroke(s)),
            Mark::Polyline { points, stroke: s } => c.polyline(points, &stroke(s)),
            Mark::Dot {
                centre,
                radius,
                fill,
            } => c.circle(*centre, *radius, fill),
            Mark::Rect {
                at,
                size,
                fill,
                stroke: s,
            } => {
                let outline = s.as_ref().map_or("none".to_string(), stroke);
                c.rect(
                    *at,
                    *size,
                    &format!("fill: rgb(\"{fill}\"), stroke: {outline}"),
                );
            }
            Mark::Text {
                at,
                anchor,
                fill,
                text,
            } => c.text(*at, *anchor, fill, text),
        }
    }
    c.finish()
}
