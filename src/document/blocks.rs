//! The neutral shape of a document: headings, text, tables and charts in
//! reading order. The HTML and the PDF writers render the same blocks, so
//! the two never disagree on content or order.

use rust_decimal::Decimal;

/// A whole document.
#[derive(Debug, Default)]
pub struct Document {
    /// `<title>` and the PDF's title.
    pub title: String,
    /// Drafts say "Utkast" on every page.
    pub draft: bool,
    pub blocks: Vec<Block>,
    /// Where the parts begin that the PDF typesets one at a time (indices
    /// into `blocks`: the kommun overview and each nämnd's chapter); the
    /// blocks before the first part are the front matter (cover, contents).
    /// Empty: the whole document is one part. The web page ignores it.
    pub parts: Vec<usize>,
}

#[derive(Debug)]
pub enum Block {
    Cover(Cover),
    /// The table of contents: every heading with `in_contents`.
    Contents,
    Heading(Heading),
    Paragraph(Vec<Span>),
    List(Vec<Vec<Span>>),
    Table(Table),
    Chart(Chart),
    /// Charts side by side where there is room (each one complete).
    ChartGroup(Vec<Chart>),
}

#[derive(Debug, Default)]
pub struct Cover {
    /// "Årsredovisning 2024"
    pub title: String,
    /// "Uppföljningsrapport Vård- och omsorgsnämnden"
    pub subtitle: String,
    /// "Katrineholms kommun"
    pub kommun: String,
    /// "Godkänd av vård- och omsorgsnämnden 2025-02-27, § 22", or the draft note.
    pub status_line: String,
}

#[derive(Debug, Clone)]
pub struct Heading {
    /// 1 (the cover's title) to 6.
    pub level: u8,
    /// Unique in the document; the contents and bookmarks link to it.
    pub id: String,
    pub text: String,
    pub in_contents: bool,
}

/// A run of text with emphasis.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Span {
    pub text: String,
    pub strong: bool,
    pub emph: bool,
}

impl Span {
    pub fn plain(text: impl Into<String>) -> Span {
        Span {
            text: text.into(),
            ..Span::default()
        }
    }
    pub fn strong(text: impl Into<String>) -> Span {
        Span {
            text: text.into(),
            strong: true,
            ..Span::default()
        }
    }
}

#[derive(Debug, Default)]
pub struct Table {
    pub id: String,
    pub caption: String,
    pub columns: Vec<Column>,
    /// The first cell of every row is its header (`scope="row"`).
    pub rows: Vec<Vec<Cell>>,
    /// The Summa row, if any.
    pub total: Option<Vec<Cell>>,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub label: String,
    pub numeric: bool,
}

impl Column {
    pub fn text(label: impl Into<String>) -> Column {
        Column {
            label: label.into(),
            numeric: false,
        }
    }
    pub fn number(label: impl Into<String>) -> Column {
        Column {
            label: label.into(),
            numeric: true,
        }
    }
}

/// A cell: its text, and for trend and bedömning a symbol that repeats
/// the text (colour and shape are never the only carriers).
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub mark: Option<Mark>,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            mark: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// ↗ → ↘ —
    Trend(&'static str),
    /// A coloured circle; the value is the bedömning (`gron`, `gul`, `rod`, `ingen`).
    Bedomning(&'static str),
}

/// A chart: title, a text summary that says what it shows, the picture and
/// where its data are as a table.
#[derive(Debug)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub kind: ChartKind,
    /// The id of the table that holds the chart's data.
    pub data_table: String,
}

#[derive(Debug)]
pub enum ChartKind {
    /// Grouped horizontal bars: one group per label, one bar per series.
    Bars {
        labels: Vec<String>,
        series: Vec<Series>,
        unit: String,
    },
    /// One series over years against a target value.
    Line {
        years: Vec<i32>,
        values: Vec<Option<Decimal>>,
        target: Option<Decimal>,
        unit: String,
    },
}

#[derive(Debug)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<Decimal>>,
}

impl Document {
    /// The headings of the contents, in order.
    pub fn contents(&self) -> Vec<&Heading> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading(h) if h.in_contents => Some(h),
                _ => None,
            })
            .collect()
    }
}

/// Makes heading ids unique and readable (`driftredovisning`, `driftredovisning-2`).
#[derive(Debug, Default)]
pub struct Ids {
    used: std::collections::HashMap<String, usize>,
}

impl Ids {
    pub fn make(&mut self, text: &str) -> String {
        let mut slug = String::new();
        for c in text.to_lowercase().chars() {
            let c = match c {
                'å' | 'ä' => 'a',
                'ö' => 'o',
                'é' => 'e',
                c => c,
            };
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
            if slug.len() >= 48 {
                break;
            }
        }
        let slug = slug.trim_end_matches('-').to_string();
        let slug = if slug.is_empty() {
            "avsnitt".into()
        } else {
            slug
        };
        let n = self.used.entry(slug.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { slug } else { format!("{slug}-{n}") }
    }
}

/// Parses the markdown of a section body (the subset the seeds use:
/// paragraphs, `-` lists, `#` headings, `**strong**`, `*emphasis*`) into
/// blocks. Headings nest under `level` (the section's own heading level)
/// without skipping a level.
pub fn markdown(body: &str, level: u8, ids: &mut Ids) -> Vec<Block> {
    let mut out = Vec::new();
    let mut para: Vec<String> = Vec::new();
    let mut list: Vec<Vec<Span>> = Vec::new();
    let min_heading = body
        .lines()
        .filter_map(|l| heading_level(l.trim_start()))
        .min()
        .unwrap_or(1);
    let flush = |para: &mut Vec<String>, list: &mut Vec<Vec<Span>>, out: &mut Vec<Block>| {
        if !para.is_empty() {
            out.push(Block::Paragraph(inline(&para.join(" "))));
            para.clear();
        }
        if !list.is_empty() {
            out.push(Block::List(std::mem::take(list)));
        }
    };
    for line in body.lines() {
        let t = line.trim();
        if t.is_empty() {
            flush(&mut para, &mut list, &mut out);
            continue;
        }
        if let Some(l) = heading_level(t) {
            flush(&mut para, &mut list, &mut out);
            let text = t.trim_start_matches('#').trim().replace("**", "");
            let lvl = (level as usize + 1 + (l - min_heading)).min(6) as u8;
            out.push(Block::Heading(Heading {
                level: lvl,
                id: ids.make(&text),
                text,
                in_contents: false,
            }));
        } else if let Some(item) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            if !para.is_empty() {
                out.push(Block::Paragraph(inline(&para.join(" "))));
                para.clear();
            }
            list.push(inline(item));
        } else if !list.is_empty() && line.starts_with("  ") {
            if let Some(last) = list.last_mut() {
                last.push(Span::plain(" "));
                last.extend(inline(t));
            }
        } else {
            if !list.is_empty() {
                out.push(Block::List(std::mem::take(&mut list)));
            }
            para.push(t.to_string());
        }
    }
    flush(&mut para, &mut list, &mut out);
    out
}

fn heading_level(line: &str) -> Option<usize> {
    let n = line.chars().take_while(|c| *c == '#').count();
    (n > 0 && n <= 6 && line[n..].starts_with(' ')).then_some(n)
}

/// `**strong**` and `*emphasis*`; anything else is text.
pub fn inline(text: &str) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut strong = false;
    let mut emph = false;
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    let push = |cur: &mut String, out: &mut Vec<Span>, strong: bool, emph: bool| {
        if !cur.is_empty() {
            out.push(Span {
                text: std::mem::take(cur),
                strong,
                emph,
            });
        }
    };
    while let Some(c) = chars.next() {
        if c == '*' {
            if chars.peek() == Some(&'*') {
                chars.next();
                push(&mut cur, &mut out, strong, emph);
                strong = !strong;
            } else {
                push(&mut cur, &mut out, strong, emph);
                emph = !emph;
            }
        } else {
            cur.push(c);
        }
    }
    push(&mut cur, &mut out, strong, emph);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_headings_nest_under_the_section() {
        let mut ids = Ids::default();
        let blocks = markdown(
            "Intro **fet** text\n\n## Rubrik\n\n- ett\n- två\n\nSlut",
            3,
            &mut ids,
        );
        assert!(matches!(&blocks[0], Block::Paragraph(s) if s[1] == Span::strong("fet")));
        assert!(matches!(&blocks[1], Block::Heading(h) if h.level == 4 && h.text == "Rubrik"));
        assert!(matches!(&blocks[2], Block::List(items) if items.len() == 2));
        assert!(matches!(&blocks[3], Block::Paragraph(_)));
    }

    #[test]
    fn ids_are_unique_slugs() {
        let mut ids = Ids::default();
        assert_eq!(ids.make("Ekonomisk ställning"), "ekonomisk-stallning");
        assert_eq!(ids.make("Ekonomisk ställning"), "ekonomisk-stallning-2");
        assert_eq!(ids.make("§ !"), "avsnitt");
    }
}
