//! Blocks as a tagged PDF (PDF/UA-1) typeset by the embedded Typst
//! compiler: language sv, bookmarks from the headings, tables with header
//! cells (column headers, row headers), charts drawn with Typst shapes
//! behind alternative text, fonts from the binary (typst-assets: Libertinus, New Computer
//! Modern, DejaVu Sans Mono); nothing is read from disk or the network.
//!
//! Every text reaches Typst as a string literal (`#"…";`), never as markup,
//! so no text of a report can change the document's structure.

use std::sync::OnceLock;

use typst::model::DocumentInfo;
use typst::{
    Feature, Library, LibraryExt, World,
    diag::{FileError, FileResult},
    ecow::EcoVec,
    foundations::{Bytes, Datetime, Duration, NativeElement, StyleChain},
    introspection::Introspector as _,
    layout::Point,
    model::{Document as _, HeadingElem},
    syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot},
    text::{Font, FontBook},
    utils::LazyHash,
};
use typst_layout::{Page, PagedDocument};
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use super::{
    blocks::{Block, Cell, Chart, Document, Heading, Mark, Span, Table},
    draw,
    html::bedomning_colours,
    merge::{Bookmark, CONTENTS_LINK, Merger, Place},
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
///
/// A document of one part is one Typst compilation. A document of several
/// parts (the kommun's compilation) typesets each part on its own, in turn,
/// exports it and merges the PDFs: Typst holds the whole layout of a
/// compilation in memory, and its PDF export the laid-out pages of the
/// whole document, so one compilation of 25 chapters would cost gigabytes.
pub fn pdf(doc: &Document) -> Result<Vec<u8>, String> {
    if doc.parts.is_empty() {
        let paged = compile(Source::detached(markup(doc)))?;
        export(paged)
    } else {
        joined(doc)
    }
}

/// Typst's pages as PDF/UA-1 bytes, dropping the pages and what the
/// export memoised.
fn export(paged: PagedDocument) -> Result<Vec<u8>, String> {
    let standards =
        PdfStandards::new(&[PdfStandard::Ua_1]).map_err(|e| format!("pdf standard: {e:?}"))?;
    let options = PdfOptions {
        standards,
        tagged: true,
        ..PdfOptions::default()
    };
    let started = std::time::Instant::now();
    let bytes = typst_pdf::pdf(&paged, &options).map_err(|errors| {
        let messages: Vec<String> = errors.iter().map(|e| e.message.to_string()).collect();
        format!("pdf export failed: {}", messages.join("; "))
    });
    tracing::debug!(
        rss_mib = ?crate::memory::resident_mib(),
        pages = paged.pages().len(),
        ms = started.elapsed().as_millis(),
        "pdf exported"
    );
    drop(paged);
    evict();
    bytes
}

/// Typesets one source and drops what Typst memoised on the way.
fn compile(main: Source) -> Result<PagedDocument, String> {
    let paged = compile_kept(main);
    // Typst keeps every layout it memoised (comemo) for the next compile;
    // a service compiles each document once, so they are dropped as soon as
    // the pages exist, before the next part or the export needs memory.
    evict();
    paged
}

/// Typesets one source, leaving Typst's memoised results in place.
fn compile_kept(main: Source) -> Result<PagedDocument, String> {
    let started = std::time::Instant::now();
    let id = main.id();
    let world = DocWorld { main };
    let paged = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(|e| e.message.to_string()).collect();
            format!("typesetting failed: {}", messages.join("; "))
        });
    tracing::debug!(
        source = ?id,
        rss_mib = ?crate::memory::resident_mib(),
        pages = paged.as_ref().map_or(0, |p| p.pages().len()),
        ms = started.elapsed().as_millis(),
        "typeset"
    );
    paged
}

/// A source of its own for part `n` of a document (0 the front matter):
/// the parts' spans, and so the locations of their elements, differ, so the
/// joined pages have one tag tree and one outline without clashes. The ids
/// are interned by path, so they are the same few for every document.
fn part_source(n: usize, text: String) -> Result<Source, String> {
    let path = VirtualPath::new(format!("/part-{n}.typ")).map_err(|e| format!("{e:?}"))?;
    Ok(Source::new(
        RootedPath::new(VirtualRoot::Project, path).intern(),
        text,
    ))
}

/// How many tables and charts (Typst figures, numbered) blocks hold.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    tables: usize,
    charts: usize,
}

impl Figures {
    fn add(mut self, blocks: &[Block]) -> Figures {
        for b in blocks {
            match b {
                Block::Table(_) => self.tables += 1,
                Block::Chart(_) => self.charts += 1,
                Block::ChartGroup(c) => self.charts += c.len(),
                _ => {}
            }
        }
        self
    }
}

/// A heading of a joined document: a bookmark, and a line of its
/// contents if it is listed there.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    level: usize,
    text: String,
    /// Whether the contents list it (as Typst's outline of depth 3 would).
    listed: bool,
    /// Page number in the joined document, 1-based (0 while unknown).
    page: usize,
    /// Where the heading is on its page, in points.
    x: f64,
    y: f64,
}

/// The bookmarked headings of a typeset part, on pages counted from 1.
/// `lift` is how many levels the part's headings were typeset higher than
/// they are (see `PART_LIFT`).
fn headings(paged: &PagedDocument, lift: u8) -> Vec<Entry> {
    let introspector = paged.introspector();
    introspector
        .query(&HeadingElem::ELEM.select())
        .iter()
        .filter_map(|elem| {
            let heading = elem.to_packed::<HeadingElem>()?;
            let level = heading.resolve_level(StyleChain::default()).get();
            let outlined = heading.outlined.get(StyleChain::default());
            if !heading
                .bookmarked
                .get(StyleChain::default())
                .unwrap_or(outlined)
            {
                return None;
            }
            let pos = introspector.position(elem.location()?)?;
            let level = level + usize::from(lift);
            Some(Entry {
                level,
                text: heading.body.plain_text().to_string(),
                listed: outlined && level <= CONTENTS_DEPTH,
                page: pos.page.get(),
                x: pos.point.x.to_pt(),
                y: pos.point.y.to_pt(),
            })
        })
        .collect()
}

/// The headings the contents will list, from the blocks (pages unknown).
fn planned(blocks: &[Block]) -> Vec<Entry> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Cover(c) => Some((1, c.title.clone())),
            Block::Heading(h) if outlined(h) && usize::from(h.level) <= CONTENTS_DEPTH => {
                Some((usize::from(h.level), h.text.clone()))
            }
            _ => None,
        })
        .map(|(level, text)| Entry {
            level,
            text,
            listed: true,
            page: 0,
            x: 0.0,
            y: 0.0,
        })
        .collect()
}

/// A typeset part of a joined document: its pages (without footers) and
/// its headings, on pages counted from 1.
struct TypesetPart {
    pages: Vec<Page>,
    headings: Vec<Entry>,
    info: DocumentInfo,
}

/// The parts typeset, exported and merged: the parts first, each merged as
/// soon as it is exported, then the front matter with the contents made
/// from the parts' headings and pages.
///
/// A part's layout does not depend on where it starts, only its footers'
/// page numbers do: so the parts are typeset without footers, two at a time
/// (the front matter with the planned contents beside the first), and each
/// part's footers are typeset in a small document of empty pages once the
/// parts before it are typeset, laid over its pages, and the part exported
/// to PDF; then its pages are dropped. The front matter's length must be
/// known before the parts' page numbers: it comes from the planned
/// contents, and should the real contents come out longer or shorter, the
/// parts are typeset again.
fn joined(doc: &Document) -> Result<Vec<u8>, String> {
    let first = doc.parts.first().copied().unwrap_or(doc.blocks.len());
    let front_blocks = &doc.blocks[..first];
    let mut bounds = doc.parts.clone();
    bounds.push(doc.blocks.len());
    let parts: Vec<&[Block]> = bounds
        .windows(2)
        .map(|w| &doc.blocks[w[0]..w[1].max(w[0])])
        .collect();
    let plan: Vec<Entry> = planned(front_blocks)
        .into_iter()
        .chain(parts.iter().flat_map(|p| planned(p)))
        .collect();
    // The tables and charts before each part.
    let mut before = vec![Figures::default().add(front_blocks)];
    for blocks in &parts {
        let last = before[before.len() - 1];
        before.push(last.add(blocks));
    }
    // Job 0 is the front matter with the planned contents, job i the part
    // i; each job's markup is made by the thread that typesets it.
    let source_of = |job: usize| match job {
        0 => part_source(0, front_markup(doc, front_blocks, &plan)),
        i => part_source(i, part_markup(doc, parts[i - 1], before[i - 1])),
    };
    let mut front_len = None;
    for _ in 0..3 {
        let mut own = Vec::new();
        let mut marks: Vec<Entry> = Vec::new();
        let mut merger = Merger::new(PART_LIFT, PAGE_WORD);
        let mut next_page = 0;
        typeset_all(parts.len() + 1, &source_of, &mut |job, part| {
            if job == 0 {
                own = part.headings;
                next_page = *front_len.get_or_insert(part.pages.len()) + 1;
                return Ok(());
            }
            let start = next_page;
            next_page += part.pages.len();
            marks.extend(part.headings.iter().map(|h| Entry {
                page: h.page + start - 1,
                ..h.clone()
            }));
            merger.append(&export(numbered(doc, part, start)?)?)
        })?;
        let front_len_now = front_len.unwrap_or(0);
        let contents: Vec<Entry> = own
            .iter()
            .chain(&marks)
            .filter(|e| e.listed)
            .cloned()
            .collect();
        let front = compile(part_source(0, front_markup(doc, front_blocks, &contents))?)?;
        if front.pages().len() != front_len_now {
            front_len = Some(front.pages().len());
            continue;
        }
        let bookmarks: Vec<Bookmark> = headings(&front, 0)
            .into_iter()
            .chain(marks)
            .map(|e| Bookmark {
                level: e.level,
                title: e.text,
                place: place(e.page, e.x, e.y),
            })
            .collect();
        let places: Vec<Place> = contents.iter().map(|e| place(e.page, e.x, e.y)).collect();
        let front = export(front)?;
        let started = std::time::Instant::now();
        let merged = merger.finish(&front, &places, &bookmarks);
        tracing::debug!(
            rss_mib = ?crate::memory::resident_mib(),
            ms = started.elapsed().as_millis(),
            "pdf merged"
        );
        return merged;
    }
    Err("the contents' length did not settle".into())
}

fn place(page: usize, x: f64, y: f64) -> Place {
    Place { page, x, y }
}

/// A typeset part's pages with their footers, numbered from `start`.
fn numbered(doc: &Document, part: TypesetPart, start: usize) -> Result<PagedDocument, String> {
    let count = part.pages.len();
    let footers = compile(part_source(
        FOOTERS_SOURCE,
        footer_markup(doc, start, count),
    )?)?;
    if footers.pages().len() != count {
        return Err(format!(
            "{} footers typeset for {count} pages",
            footers.pages().len()
        ));
    }
    let pages: EcoVec<Page> = part
        .pages
        .into_iter()
        .zip(footers.pages())
        .map(|(mut page, footer)| {
            page.number = footer.number;
            page.frame.push_frame(Point::zero(), footer.frame.clone());
            page
        })
        .collect();
    Ok(PagedDocument::new(pages, part.info))
}

/// The source number of the footers' documents (above any part's).
const FOOTERS_SOURCE: usize = usize::MAX;

/// Typesets the sources `source_of(0..jobs)`, as many at a time as there
/// are cores but at most two (each compilation holds its layout in memory
/// while it converges), and hands each typeset part to `done`, in order.
/// Each source is made by the thread that typesets it.
fn typeset_all(
    jobs: usize,
    source_of: &(dyn Fn(usize) -> Result<Source, String> + Sync),
    done: &mut dyn FnMut(usize, TypesetPart) -> Result<(), String>,
) -> Result<(), String> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 2);
    for first in (0..jobs).step_by(workers) {
        let batch = first..(first + workers).min(jobs);
        let results: Vec<Result<TypesetPart, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .map(|job| {
                    std::thread::Builder::new()
                        .name("typeset".into())
                        .stack_size(TYPESET_STACK)
                        .spawn_scoped(scope, move || {
                            let lift = if job == 0 { 0 } else { PART_LIFT };
                            typeset_part(source_of(job)?, lift)
                        })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| match h {
                    Ok(h) => h
                        .join()
                        .unwrap_or_else(|_| Err("typesetting a part panicked".into())),
                    Err(e) => Err(format!("cannot start a typesetting thread: {e}")),
                })
                .collect()
        });
        // Both compilations of the batch have ended: nothing they memoised
        // is needed again.
        evict();
        for (job, result) in (first..).zip(results) {
            done(job, result?)?;
        }
    }
    Ok(())
}

/// Stack of a typesetting thread: Typst recurses deeply through nested
/// content (the request threads have the same).
const TYPESET_STACK: usize = 8 << 20;

/// Typesets one part, its headings on pages counted from 1. Memoised
/// results are left for the caller to evict (another part may be typeset
/// beside this one).
fn typeset_part(main: Source, lift: u8) -> Result<TypesetPart, String> {
    let paged = compile_kept(main)?;
    Ok(TypesetPart {
        headings: headings(&paged, lift),
        pages: paged.pages().to_vec(),
        info: paged.info().clone(),
    })
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

/// How deep the contents go (heading levels).
const CONTENTS_DEPTH: usize = 3;

/// Whether the heading is listed in the contents and the outline.
fn outlined(h: &Heading) -> bool {
    h.in_contents && h.level <= 4
}

/// Which of a page's marginals a source typesets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Marginals {
    /// The "Utkast" header of a draft and the page number.
    Both,
    /// The header alone: a part of a joined document, its footers laid
    /// over its pages afterwards.
    Header,
    /// The page number alone: the footers of a joined document's parts.
    Footer,
}

/// The document's settings and page style, before any content.
fn head(doc: &Document, marginals: Marginals) -> String {
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
    let header = if doc.draft && marginals != Marginals::Footer {
        "header: align(right, text(fill: rgb(\"#8a3b00\"), weight: \"bold\")[Utkast]), "
    } else {
        ""
    };
    let footer = if marginals == Marginals::Header {
        "footer: none"
    } else {
        "footer: context align(center, text(size: 9pt, counter(page).display(\"1\")))"
    };
    out.push_str(&format!(
        "#set page(paper: \"a4\", margin: (x: 18mm, y: 20mm), {header}{footer})\n"
    ));
    out
}

/// A document of one part: Typst's own outline is the contents.
fn markup(doc: &Document) -> String {
    let mut out = head(doc, Marginals::Both);
    for block in &doc.blocks {
        render(doc, block, None, 0, &mut out);
    }
    out
}

/// The front matter of a joined document, with `contents` as its contents.
fn front_markup(doc: &Document, blocks: &[Block], contents: &[Entry]) -> String {
    let mut out = head(doc, Marginals::Both);
    for block in blocks {
        render(doc, block, Some(contents), 0, &mut out);
    }
    out
}

/// A part of a joined document without page footers, its tables and
/// charts numbered on from those of the parts before it.
fn part_markup(doc: &Document, blocks: &[Block], before: Figures) -> String {
    let mut out = head(doc, Marginals::Header);
    out.push_str(&format!(
        "#counter(figure.where(kind: table)).update({})\n#counter(figure.where(kind: image)).update({})\n",
        before.tables, before.charts
    ));
    out.push_str(LIFTED_HEADINGS);
    for block in blocks {
        render(doc, block, None, PART_LIFT, &mut out);
    }
    out
}

/// How many levels higher a part's headings are typeset than they are:
/// a part is exported to PDF/UA-1 on its own before the merge, and Typst's
/// check of it asks that its first heading be of level 1 (in the merged
/// document, the cover's title is). The merge tags them one level deeper
/// again (`merge::merge`), and they look as their level does
/// (`LIFTED_HEADINGS`).
pub(super) const PART_LIFT: u8 = 1;

/// How a link to a page is described to assistive technology: as Typst
/// describes its links to a place in a Swedish document ("sida 3").
const PAGE_WORD: &str = "sida";

/// A part's headings of levels 1 and 2 look like levels 2 and 3: level 2's
/// size of `PREAMBLE`, level 3's of Typst (1 em of the text's 10 pt), and
/// Typst's spacing of those levels (its `HeadingElem` show-set rule: above
/// 1.44 em over the size's scale, below 0.75 em over it). The sizes are
/// absolute: an em here is that of the size the rules before set.
const LIFTED_HEADINGS: &str = r##"
#show heading.where(level: 1): set text(size: 16pt)
#show heading.where(level: 1): set block(above: 1.2em, below: 0.625em)
#show heading.where(level: 2): set text(size: 10pt)
#show heading.where(level: 2): set block(above: 1.44em, below: 0.75em)
"##;

/// `pages` empty pages with the footers of pages `start`, `start + 1`, …
fn footer_markup(doc: &Document, start: usize, pages: usize) -> String {
    let mut out = head(doc, Marginals::Footer);
    out.push_str(&format!("#counter(page).update({start})\n"));
    for _ in 1..pages {
        out.push_str("#pagebreak()\n");
    }
    out
}

/// The contents of a joined document, made like Typst's outline: each
/// title links to its heading (entry n by the URL `kr-contents:n`, which
/// the merge turns into a link to the heading's place), the dots between title and page are an
/// artifact (not read out; an artifact may hold no link, so the link is
/// the title alone).
fn contents_into(entries: &[Entry], out: &mut String) {
    out.push_str(
        "#heading(level: 2, outlined: false, bookmarked: true, \"Innehållsförteckning\")\n\n",
    );
    for (i, e) in entries.iter().enumerate() {
        // The page number is not known in the first round: a placeholder
        // as wide as the widest three-digit number.
        let page = if e.page == 0 {
            "999".to_string()
        } else {
            e.page.to_string()
        };
        let title = if e.level <= 2 {
            format!("strong({})", lit(&e.text))
        } else {
            lit(&e.text)
        };
        out.push_str(&format!(
            "#block(above: {above}, inset: (left: {indent}em))[#link(\"{CONTENTS_LINK}{i}\", {title}) #pdf.artifact(box(width: 1fr, repeat(gap: 0.15em)[.])) #{page};]\n",
            above = if e.level <= 2 { "1em" } else { "0.55em" },
            indent = 1.5 * e.level.saturating_sub(2) as f64,
            page = lit(&page),
        ));
    }
    // The next part starts on a page of its own: no page break here, which
    // would leave an empty page at the end of the front matter.
}

/// `lift`: how many levels higher than its level a heading is typeset.
fn render(doc: &Document, block: &Block, contents: Option<&[Entry]>, lift: u8, out: &mut String) {
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
            if let Some(entries) = contents {
                contents_into(entries, out);
                return;
            }
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
                h.level.saturating_sub(lift).max(1),
                outlined(h),
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
        draw::picture(c, lit)
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
