//! Blocks as one self-contained HTML page: semantic, `lang="sv"`, headings
//! in order, tables with `<caption>` and `scope`, charts as inline SVG with
//! title, summary and the table of their data, no script, a print
//! stylesheet. Every text is escaped.

use std::fmt::Write;

use super::{
    blocks::{Block, Cell, Chart, Cover, Document, Mark, Span, Table},
    svg::{self, escape},
};

const STYLE: &str = r#"
:root { color: #1a1a1a; background: #fff; }
body { font-family: "Libertinus Serif", Georgia, "Times New Roman", serif; line-height: 1.5; margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem; }
h1, h2, h3, h4, h5, h6 { font-family: "Libertinus Sans", "Helvetica Neue", Arial, sans-serif; color: #1f4e79; line-height: 1.25; }
h1 { font-size: 2.2rem; } h2 { font-size: 1.6rem; margin-top: 2.5rem; border-bottom: 2px solid #1f4e79; }
h3 { font-size: 1.3rem; } h4 { font-size: 1.1rem; } h5, h6 { font-size: 1rem; }
a { color: #1f4e79; }
a:focus, a:hover { outline: 2px solid #8a3b00; }
.cover { padding: 4rem 0 3rem; border-bottom: 4px solid #1f4e79; }
.cover .kommun { font-size: 1.2rem; font-weight: bold; }
.cover .subtitle { font-size: 1.4rem; }
.utkast { border: 3px solid #8a3b00; color: #8a3b00; font-weight: bold; padding: .5rem 1rem; }
.utkast-sida { display: none; }
table { border-collapse: collapse; margin: 1rem 0 1.5rem; width: 100%; font-size: .95rem; }
caption { text-align: left; font-weight: bold; padding: .25rem 0; }
th, td { border-bottom: 1px solid #767676; padding: .3rem .5rem; vertical-align: top; text-align: left; }
thead th { border-bottom: 2px solid #1a1a1a; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tfoot th, tfoot td { font-weight: bold; border-top: 2px solid #1a1a1a; }
.sym { display: inline-block; min-width: 1.2em; }
figure { margin: 1rem 0 1.5rem; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
figcaption .titel { font-weight: bold; display: block; }
.diagram { display: flex; flex-wrap: wrap; gap: 1rem 2rem; }
.diagram figure { flex: 0 1 19rem; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; }
@media print {
  @page { size: A4; margin: 20mm 16mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav.innehall { break-after: page; }
  .cover { break-after: page; }
  h2 { break-before: page; }
  h2, h3, h4 { break-after: avoid; }
  table, figure { break-inside: auto; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  .skip { display: none; }
  .utkast-sida { display: block; position: fixed; top: 0; right: 0; color: #8a3b00; font-weight: bold; }
}
"#;

/// The whole page.
pub fn page(doc: &Document) -> String {
    let mut out = String::with_capacity(256 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#innehall-start\">Till innehållet</a>\n",
        escape(&if doc.draft {
            format!("Utkast: {}", doc.title)
        } else {
            doc.title.clone()
        })
    );
    if doc.draft {
        // Repeated on every printed page (position: fixed in print).
        out.push_str("<div class=\"utkast-sida\" aria-hidden=\"true\">Utkast</div>\n");
    }
    let mut in_main = false;
    for block in &doc.blocks {
        if !in_main && !matches!(block, Block::Cover(_) | Block::Contents) {
            out.push_str("<main id=\"innehall-start\">\n");
            in_main = true;
        }
        render(doc, block, &mut out);
    }
    if !in_main {
        out.push_str("<main id=\"innehall-start\">\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn render(doc: &Document, block: &Block, out: &mut String) {
    match block {
        Block::Cover(c) => cover(doc, c, out),
        Block::Contents => contents(doc, out),
        Block::Heading(h) => {
            let _ = writeln!(
                out,
                "<h{l} id=\"{id}\">{t}</h{l}>",
                l = h.level,
                id = escape(&h.id),
                t = escape(&h.text)
            );
        }
        Block::Paragraph(spans) => {
            out.push_str("<p>");
            spans_into(spans, out);
            out.push_str("</p>\n");
        }
        Block::List(items) => {
            out.push_str("<ul>\n");
            for item in items {
                out.push_str("<li>");
                spans_into(item, out);
                out.push_str("</li>\n");
            }
            out.push_str("</ul>\n");
        }
        Block::Table(t) => table(t, out),
        Block::Chart(c) => chart(c, out),
        Block::ChartGroup(charts) => {
            out.push_str("<div class=\"diagram\">\n");
            for c in charts {
                chart(c, out);
            }
            out.push_str("</div>\n");
        }
    }
}

fn cover(doc: &Document, c: &Cover, out: &mut String) {
    let _ = write!(
        out,
        "<header class=\"cover\">\n<p class=\"kommun\">{}</p>\n<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n",
        escape(&c.kommun),
        escape(&c.title),
        escape(&c.subtitle)
    );
    if doc.draft {
        let _ = writeln!(
            out,
            "<p class=\"utkast\" role=\"note\">{}</p>",
            escape(&c.status_line)
        );
    } else {
        let _ = writeln!(out, "<p>{}</p>", escape(&c.status_line));
    }
    out.push_str("</header>\n");
}

fn contents(doc: &Document, out: &mut String) {
    out.push_str(
        "<nav class=\"innehall\" aria-labelledby=\"innehallsforteckning\">\n\
         <h2 id=\"innehallsforteckning\">Innehållsförteckning</h2>\n",
    );
    // Nested lists by level.
    let headings: Vec<_> = doc
        .contents()
        .into_iter()
        .filter(|h| h.level >= 2)
        .collect();
    let base = headings.iter().map(|h| h.level).min().unwrap_or(2);
    let mut depth = 0usize;
    for h in headings {
        let want = (h.level - base) as usize + 1;
        if want > depth {
            while depth < want {
                out.push_str("<ol>\n");
                depth += 1;
                if depth < want {
                    out.push_str("<li>");
                }
            }
        } else {
            out.push_str("</li>\n");
            while depth > want {
                out.push_str("</ol>\n</li>\n");
                depth -= 1;
            }
        }
        let _ = write!(
            out,
            "<li><a href=\"#{}\">{}</a>",
            escape(&h.id),
            escape(&h.text)
        );
    }
    if depth > 0 {
        out.push_str("</li>\n");
        while depth > 1 {
            out.push_str("</ol>\n</li>\n");
            depth -= 1;
        }
        out.push_str("</ol>\n");
    }
    out.push_str("</nav>\n");
}

fn spans_into(spans: &[Span], out: &mut String) {
    for s in spans {
        let t = escape(&s.text);
        match (s.strong, s.emph) {
            (true, true) => {
                let _ = write!(out, "<strong><em>{t}</em></strong>");
            }
            (true, false) => {
                let _ = write!(out, "<strong>{t}</strong>");
            }
            (false, true) => {
                let _ = write!(out, "<em>{t}</em>");
            }
            (false, false) => out.push_str(&t),
        }
    }
}

fn cell_content(c: &Cell, out: &mut String) {
    match c.mark {
        Some(Mark::Trend(arrow)) => {
            let _ = write!(
                out,
                "<span class=\"sym\" aria-hidden=\"true\">{arrow}</span> {}",
                escape(&c.text)
            );
        }
        Some(Mark::Bedomning(b)) => {
            let (fill, stroke) = bedomning_colours(b);
            let _ = write!(
                out,
                "<svg class=\"sym\" aria-hidden=\"true\" focusable=\"false\" width=\"14\" height=\"14\" viewBox=\"0 0 14 14\">\
                 <circle cx=\"7\" cy=\"7\" r=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/></svg> {}",
                escape(&c.text)
            );
        }
        None => out.push_str(&escape(&c.text)),
    }
}

/// Fill and outline of a bedömning circle (the outline keeps 3:1 contrast).
pub fn bedomning_colours(b: &str) -> (&'static str, &'static str) {
    match b {
        "gron" => ("#2e8540", "#1b4d26"),
        "gul" => ("#f2c200", "#5c4a00"),
        "rod" => ("#c8102e", "#6b0818"),
        _ => ("#ffffff", "#595959"),
    }
}

fn table(t: &Table, out: &mut String) {
    let _ = write!(
        out,
        "<table id=\"{}\">\n<caption>{}</caption>\n<thead>\n<tr>",
        escape(&t.id),
        escape(&t.caption)
    );
    for c in &t.columns {
        let _ = write!(
            out,
            "<th scope=\"col\"{}>{}</th>",
            if c.numeric { " class=\"num\"" } else { "" },
            escape(&c.label)
        );
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in &t.rows {
        table_row(t, row, out);
    }
    out.push_str("</tbody>\n");
    if let Some(total) = &t.total {
        out.push_str("<tfoot>\n");
        table_row(t, total, out);
        out.push_str("</tfoot>\n");
    }
    out.push_str("</table>\n");
}

fn table_row(t: &Table, row: &[Cell], out: &mut String) {
    out.push_str("<tr>");
    for (i, c) in row.iter().enumerate() {
        let numeric = t.columns.get(i).is_some_and(|c| c.numeric);
        let class = if numeric { " class=\"num\"" } else { "" };
        if i == 0 {
            let _ = write!(out, "<th scope=\"row\"{class}>");
            cell_content(c, out);
            out.push_str("</th>");
        } else {
            let _ = write!(out, "<td{class}>");
            cell_content(c, out);
            out.push_str("</td>");
        }
    }
    out.push_str("</tr>\n");
}

fn chart(c: &Chart, out: &mut String) {
    let _ = write!(
        out,
        "<figure id=\"{id}\" aria-labelledby=\"{id}-rubrik\">\n{svg}\n<figcaption id=\"{id}-rubrik\">\
         <span class=\"titel\">{t}</span> {s} <a href=\"#{table}\">Diagrammets data som tabell</a>.</figcaption>\n</figure>\n",
        id = escape(&c.id),
        svg = svg::svg(c),
        t = escape(&c.title),
        s = escape(&c.summary),
        table = escape(&c.data_table),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }
}
