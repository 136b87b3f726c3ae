//! Blocks as a tagged PDF (PDF/UA-1) typeset by the embedded Typst
//! compiler: language sv, bookmarks from the headings, tables with header
//! cells (column headers, row headers), charts drawn with Typst shapes
//! behind alternative text, fonts from the binary (typst-assets: Libertinus, New Computer
//! Modern, DejaVu Sans Mono); nothing is read from disk or the network.
//!
//! Every text reaches Typst as a string literal (`#"…";`), never as markup,
//! so no text of a report can change the document's structure.

use std::sync::OnceLock;

use typst::{
    Feature, Library, LibraryExt, World,
    diag::{FileError, FileResult},
    foundations::{Bytes, Datetime, Duration},
    syntax::{FileId, Source},
    text::{Font, FontBook},
    utils::LazyHash,
};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use super::{
    blocks::{Block, Cell, Chart, Document, Mark, Span, Table},
    draw,
    html::bedomning_colours,
};

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        Fonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        LazyHash::new(
            Library::builder()
                .with_features([Feature::A11yExtras].into_iter().collect())
                .build(),
        )
    })
}

/// Loads the embedded fonts and Typst's library, so that the first PDF a
/// running service makes does not pay for them (seconds in a debug build).
pub fn warm_up() {
    let _ = fonts();
    let _ = library();
}

/// The one-file world a document is compiled in.
struct DocWorld {
    main: Source,
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn file(&self, _id: FileId) -> FileResult<Bytes> {
        Err(FileError::AccessDenied)
    }
    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// The document as PDF/UA-1 bytes; the error names Typst's diagnostics.
pub fn pdf(doc: &Document) -> Result<Vec<u8>, String> {
    let world = DocWorld {
        main: Source::detached(markup(doc)),
    };
    let paged = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(|e| e.message.to_string()).collect();
            format!("typesetting failed: {}", messages.join("; "))
        });
    // Typst keeps every layout it memoised (comemo) for the next compile;
    // a service compiles each document once, so they are dropped as soon as
    // the pages exist, before the export needs its own memory.
    evict();
    let paged = paged?;
    let standards =
        PdfStandards::new(&[PdfStandard::Ua_1]).map_err(|e| format!("pdf standard: {e:?}"))?;
    let options = PdfOptions {
        standards,
        tagged: true,
        ..PdfOptions::default()
    };
    let bytes = typst_pdf::pdf(&paged, &options).map_err(|errors| {
        let messages: Vec<String> = errors.iter().map(|e| e.message.to_string()).collect();
        format!("pdf export failed: {}", messages.join("; "))
    });
    drop(paged);
    evict();
    bytes
}

/// Drops Typst's memoised results.
fn evict() {
    typst::comemo::evict(0);
}

/// Whether one of the embedded fonts has a glyph for `c`.
fn displayable(c: char) -> bool {
    fonts()
        .fonts
        .iter()
        .any(|font| font.info().coverage.contains(c as u32))
}

/// A Typst string literal of `text`. A character no embedded font can show
/// (a control character, an unassigned code point) becomes U+FFFD: PDF/UA-1
/// refuses text that cannot be displayed, and stored text may hold anything.
pub(super) fn lit(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            ' ' | '\t' => out.push(c),
            c if !displayable(c) => out.push(char::REPLACEMENT_CHARACTER),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The table's column widths: the first column twice a text column, a
/// number column as wide as its widest cell or label (reckoned from the
/// characters, so that Typst need not lay every cell out twice to measure
/// an `auto` column), text columns share the rest.
fn column_widths(t: &Table) -> Vec<String> {
    t.columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 {
                "2fr".into()
            } else if c.numeric {
                // Digits are half an em; the label may wrap between words.
                let cells = t
                    .rows
                    .iter()
                    .chain(t.total.iter())
                    .filter_map(|r| r.get(i))
                    .map(|c| c.text.chars().count() as f64 * 0.5)
                    .fold(0.0, f64::max);
                let word = c
                    .label
                    .split_whitespace()
                    .map(|w| w.chars().count() as f64 * 0.6)
                    .fold(0.0, f64::max);
                format!("{:.2}em", cells.max(word) + 1.0)
            } else {
                "1fr".into()
            }
        })
        .collect()
}

/// Text as a markup expression ended by `;`.
fn text(t: &str) -> String {
    format!("#{};", lit(t))
}

const PREAMBLE: &str = r##"
#set text(lang: "sv", region: "se", font: ("Libertinus Serif", "New Computer Modern", "DejaVu Sans Mono"), size: 10pt)
#set par(justify: false, leading: 0.6em, spacing: 0.9em)
#show heading: set text(fill: rgb("#1f4e79"))
#show heading.where(level: 1): set text(size: 26pt)
#show heading.where(level: 2): set text(size: 16pt)
#set table(stroke: (x, y) => (bottom: 0.5pt + rgb("#767676")), inset: (x: 4pt, y: 3pt))
#show figure.where(kind: table): set figure.caption(position: top)
#show figure.caption: set text(weight: "bold")
#show figure: set block(breakable: true)
#show figure: set align(left)
"##;

fn markup(doc: &Document) -> String {
    let mut out = String::with_capacity(256 * 1024);
    out.push_str(&format!(
        "#set document(title: {})\n",
        lit(&if doc.draft {
            format!("Utkast: {}", doc.title)
        } else {
            doc.title.clone()
        })
    ));
    out.push_str(PREAMBLE);
    let header = if doc.draft {
        "header: align(right, text(fill: rgb(\"#8a3b00\"), weight: \"bold\")[Utkast]), "
    } else {
        ""
    };
    out.push_str(&format!(
        "#set page(paper: \"a4\", margin: (x: 18mm, y: 20mm), {header}footer: context align(center, text(size: 9pt, counter(page).display(\"1\"))))\n"
    ));
    for block in &doc.blocks {
        render(doc, block, &mut out);
    }
    out
}

fn render(doc: &Document, block: &Block, out: &mut String) {
    match block {
        Block::Cover(c) => {
            out.push_str("#v(30mm)\n");
            out.push_str(&format!(
                "#text(size: 14pt, weight: \"bold\", {})\n\n",
                lit(&c.kommun)
            ));
            out.push_str(&format!(
                "#heading(level: 1, outlined: true, bookmarked: true, {})\n\n",
                lit(&c.title)
            ));
            out.push_str(&format!("#text(size: 16pt, {})\n\n", lit(&c.subtitle)));
            if doc.draft {
                out.push_str(&format!(
                    "#block(stroke: 2pt + rgb(\"#8a3b00\"), inset: 8pt, text(fill: rgb(\"#8a3b00\"), weight: \"bold\", {}))\n\n",
                    lit(&c.status_line)
                ));
            } else {
                out.push_str(&format!("{}\n\n", text(&c.status_line)));
            }
            out.push_str("#pagebreak()\n");
        }
        Block::Contents => {
            out.push_str(
                "#outline(title: heading(level: 2, outlined: false, bookmarked: true, \"Innehållsförteckning\"), depth: 3, indent: auto)\n#pagebreak()\n",
            );
        }
        Block::Heading(h) => {
            if h.level == 2 {
                out.push_str("#pagebreak(weak: true)\n");
            }
            out.push_str(&format!(
                "#heading(level: {}, outlined: {}, bookmarked: true, {})\n\n",
                h.level,
                h.in_contents && h.level <= 4,
                lit(&h.text)
            ));
        }
        Block::Paragraph(spans) => {
            spans_into(spans, out);
            out.push_str("\n\n");
        }
        Block::List(items) => {
            for item in items {
                out.push_str("- ");
                spans_into(item, out);
                out.push('\n');
            }
            out.push('\n');
        }
        Block::Table(t) => table(t, out),
        Block::Chart(c) => chart(c, out),
        Block::ChartGroup(charts) => {
            out.push_str("#grid(columns: (1fr, 1fr), gutter: 10pt,\n");
            for c in charts {
                out.push_str("[\n");
                chart(c, out);
                out.push_str("],\n");
            }
            out.push_str(")\n\n");
        }
    }
}

fn spans_into(spans: &[Span], out: &mut String) {
    for s in spans {
        let l = lit(&s.text);
        match (s.strong, s.emph) {
            (true, true) => out.push_str(&format!("#strong(emph({l}));")),
            (true, false) => out.push_str(&format!("#strong({l});")),
            (false, true) => out.push_str(&format!("#emph({l});")),
            (false, false) => out.push_str(&format!("#{l};")),
        }
    }
}

fn cell(c: &Cell) -> String {
    match c.mark {
        Some(Mark::Trend(arrow)) => format!("[#{} #{};]", lit(arrow), lit(&c.text)),
        Some(Mark::Bedomning(b)) => {
            let (fill, stroke) = bedomning_colours(b);
            format!(
                "[#box(baseline: 1pt, circle(radius: 3.5pt, fill: rgb(\"{fill}\"), stroke: 0.8pt + rgb(\"{stroke}\"))) #{};]",
                lit(&c.text)
            )
        }
        None => format!("[#{};]", lit(&c.text)),
    }
}

fn table(t: &Table, out: &mut String) {
    let n = t.columns.len().max(1);
    let widths = column_widths(t);
    let aligns: Vec<&str> = t
        .columns
        .iter()
        .map(|c| if c.numeric { "right" } else { "left" })
        .collect();
    let size = if n > 6 { "8pt" } else { "9pt" };
    out.push_str(&format!(
        "#figure(kind: table, caption: {}, text(size: {size}, table(columns: ({},), align: ({},),\n",
        lit(&t.caption),
        widths.join(", "),
        aligns.join(", ")
    ));
    out.push_str("table.header(");
    for c in &t.columns {
        out.push_str(&format!("[#strong({})], ", lit(&c.label)));
    }
    out.push_str("),\n");
    let row = |cells: &[Cell], strong: bool, out: &mut String| {
        for (i, c) in cells.iter().enumerate() {
            let content = if strong {
                format!("strong({})", cell(c))
            } else {
                cell(c)
            };
            if i == 0 {
                out.push_str(&format!("pdf.header-cell(scope: \"row\", {content}), "));
            } else {
                out.push_str(&content);
                out.push_str(", ");
            }
        }
        // A short row is padded so the next row starts in the first column.
        for _ in cells.len()..n {
            out.push_str("[], ");
        }
        out.push('\n');
    };
    for r in &t.rows {
        row(r, false, out);
    }
    if let Some(total) = &t.total {
        row(total, true, out);
    }
    out.push_str(")))\n\n");
}

fn chart(c: &Chart, out: &mut String) {
    // The picture is hidden from assistive technology behind the figure's
    // alternative text (title and summary); the summary is also printed.
    out.push_str(&format!(
        "#figure(kind: image, supplement: \"Diagram\", caption: figure.caption(position: top, strong({})), alt: {}, {})\n",
        lit(&c.title),
        lit(&format!("{} {}", c.title, c.summary)),
        draw::picture(c)
    ));
    out.push_str(&format!(
        "{} Diagrammets data finns i tabellen ovan.\n\n",
        text(&c.summary)
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_a_string_literal() {
        assert_eq!(lit("a\"b\\c\n#[x]"), "\"a\\\"b\\\\c\\n#[x]\"");
        assert_eq!(text("x"), "#\"x\";");
    }

    #[test]
    fn text_no_font_can_show_becomes_a_replacement_character() {
        assert!(displayable(char::REPLACEMENT_CHARACTER));
        assert_eq!(lit("a\u{87}b\u{81835}ö\tc"), "\"a\u{FFFD}b\u{FFFD}ö\tc\"");
    }
}
