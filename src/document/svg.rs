//! Charts as SVG. Every chart carries its title and summary inside
//! (`<title>`, `<desc>`); the picture itself is [`super::chart`]'s, the
//! same the PDF draws.

use super::{
    blocks::Chart,
    chart::{self, Anchor, Mark, Stroke},
};

/// Escapes text for SVG and HTML: element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The chart as a standalone SVG document (also embedded in HTML as is).
pub fn svg(chart: &Chart) -> String {
    let picture = chart::picture(&chart.kind);
    let (w, h) = (picture.width, picture.height);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
         role=\"img\" aria-labelledby=\"{id}-t {id}-d\" font-family=\"Libertinus Serif, Georgia, serif\" font-size=\"12\">\
         <title id=\"{id}-t\">{t}</title><desc id=\"{id}-d\">{d}</desc>\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>",
        id = escape(&chart.id),
        t = escape(&chart.title),
        d = escape(&chart.summary),
    );
    for mark in &picture.marks {
        s.push_str(&element(mark));
    }
    s.push_str("</svg>");
    s
}

fn element(mark: &Mark) -> String {
    match mark {
        Mark::Line {
            from: (x1, y1),
            to: (x2, y2),
            stroke,
        } => format!(
            "<line x1=\"{x1:.1}\" x2=\"{x2:.1}\" y1=\"{y1:.1}\" y2=\"{y2:.1}\"{}/>",
            stroke_attrs(stroke)
        ),
        Mark::Polyline { points, stroke } => {
            let points: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            format!(
                "<polyline points=\"{}\" fill=\"none\"{}/>",
                points.join(" "),
                stroke_attrs(stroke)
            )
        }
        Mark::Dot {
            centre: (cx, cy),
            radius,
            fill,
        } => format!("<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{radius}\" fill=\"{fill}\"/>"),
        Mark::Rect {
            at: (x, y),
            size: (w, h),
            fill,
            stroke,
        } => format!(
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{fill}\"{}/>",
            stroke.as_ref().map(stroke_attrs).unwrap_or_default()
        ),
        Mark::Text {
            at: (x, y),
            anchor,
            fill,
            text,
        } => {
            let anchor = match anchor {
                Anchor::Start => "",
                Anchor::Middle => " text-anchor=\"middle\"",
                Anchor::End => " text-anchor=\"end\"",
            };
            format!(
                "<text x=\"{x:.1}\" y=\"{y:.1}\"{anchor} fill=\"{fill}\">{}</text>",
                escape(text)
            )
        }
    }
}

fn stroke_attrs(stroke: &Stroke) -> String {
    let mut s = format!(" stroke=\"{}\"", stroke.colour);
    if stroke.width != 1.0 {
        s.push_str(&format!(" stroke-width=\"{}\"", stroke.width));
    }
    if let Some((on, off)) = stroke.dash {
        s.push_str(&format!(" stroke-dasharray=\"{on} {off}\""));
    }
    s
}
