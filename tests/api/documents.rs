//! Report documents: seed 000's årsredovisning as a web page and as a
//! tagged PDF, compared cell by cell with the tables the seed prints.

use std::collections::HashMap;

use kommunrapport::auth::Role;

use crate::{both_databases, helpers::*};

/// Seed 000 lines 254-259, as printed (tab-separated).
const DRIFT: &str = "\
Förvaltningsgemensamt	-17 013	-20 790	-29 814	9 024
Förvaltningskontor	-228 762	-235 172	-234 029	-1 143
Funktionsstöd	-232 833	-255 840	-253 584	-2 256
Hälsa- och sjukvård	-80 359	-81 171	-80 857	-314
Äldreomsorg	-308 457	-314 902	-309 142	-5 761
Summa	-867 424	-907 875	-907 426	-450";

/// Seed 000 lines 280-283.
const INVESTERING: &str = "\
770022 Inventarier Norrgläntan	583	3 089	2 506	2025/12
770023 Inventarier brukar-miljö	738	1 300	562	2024/12
770026 Furuliden	4 616	7 034	2 418	2025/12
Summa	5 937	11 423	5 486	";

/// A table of the page: its caption and rows of cell texts (header row
/// first), entities decoded, tags dropped.
#[derive(Debug)]
struct HtmlTable {
    caption: String,
    rows: Vec<Vec<String>>,
    /// Whether every cell of the header row is `<th scope="col">` and the
    /// first cell of every other row `<th scope="row">`.
    scoped: bool,
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace(['\u{a0}', '\u{202f}'], " ")
        .trim()
        .to_string()
}

/// Every `<table id=…>` of the page by id.
fn tables(html: &str) -> HashMap<String, HtmlTable> {
    let mut out = HashMap::new();
    for chunk in html.split("<table id=\"").skip(1) {
        let id = chunk.split('"').next().unwrap().to_string();
        let body = chunk.split("</table>").next().unwrap();
        let caption = body
            .split("<caption>")
            .nth(1)
            .and_then(|c| c.split("</caption>").next())
            .map(strip_tags)
            .unwrap_or_default();
        let mut rows = Vec::new();
        let mut scoped = true;
        for (i, tr) in body.split("<tr>").skip(1).enumerate() {
            let tr = tr.split("</tr>").next().unwrap();
            let mut cells = Vec::new();
            for (j, cell) in tr.split("<t").skip(1).enumerate() {
                let open = cell.split('>').next().unwrap();
                let want = if i == 0 {
                    "h scope=\"col\""
                } else if j == 0 {
                    "h scope=\"row\""
                } else {
                    "d"
                };
                scoped &= open.starts_with(want);
                let content = cell.split_once('>').unwrap().1;
                let content = content
                    .rsplit_once("</t")
                    .map(|(c, _)| c)
                    .unwrap_or(content);
                cells.push(strip_tags(content));
            }
            rows.push(cells);
        }
        out.insert(
            id,
            HtmlTable {
                caption,
                rows,
                scoped,
            },
        );
    }
    out
}

/// Printed text with the minus sign the document uses for negative numbers.
fn printed(cell: &str) -> String {
    match cell.strip_prefix('-') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => format!("\u{2212}{rest}"),
        _ => cell.to_string(),
    }
}

/// The number at the start of a cell ("9,3 %", "86 000 l", "4 mnkr"), or
/// None for "–", "-" and empty cells.
fn number(cell: &str) -> Option<f64> {
    let t: String = cell
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, ' ' | ',' | '-' | '\u{2212}'))
        .filter(|c| *c != ' ')
        .map(|c| match c {
            ',' => '.',
            '\u{2212}' => '-',
            c => c,
        })
        .collect();
    t.parse().ok()
}

fn assert_rows(table: &HtmlTable, expected: &str, what: &str) {
    let rows: Vec<Vec<String>> = expected
        .lines()
        .map(|l| l.split('\t').map(printed).collect())
        .collect();
    assert_eq!(
        table.rows[1..],
        rows[..],
        "{what}: every cell as seed 000 prints it"
    );
}

async fn document_html(app: &TestApp, path: &str, token: &str, accept: &str) -> String {
    let response = app
        .get(path, token)
        .header("Accept", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    response.text().await.unwrap()
}

/// Headings never skip a level, there is one h1, and tables have a
/// caption and scoped header cells; nothing is scripted.
fn assert_accessible_structure(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"sv\">"));
    assert!(!html.contains("<script"), "no script");
    assert!(html.contains("@media print"), "a print stylesheet");
    let mut last = 1;
    let mut h1 = 0;
    for part in html.split("<h").skip(1) {
        let Some(level) = part.chars().next().and_then(|c| c.to_digit(10)) else {
            continue;
        };
        if level == 1 {
            h1 += 1;
        }
        assert!(
            level <= last + 1,
            "heading h{level} after h{last}: {}",
            &part[..part.len().min(80)]
        );
        last = level;
    }
    assert_eq!(h1, 1, "one h1");
    for (id, t) in tables(html) {
        assert!(!t.caption.is_empty(), "table {id} has a caption");
        assert!(t.scoped, "table {id} has scoped header cells");
    }
    // Every chart has a title, a summary and a link to its data.
    for figure in html.split("<figure").skip(1) {
        let figure = figure.split("</figure>").next().unwrap();
        assert!(figure.contains("<svg") && figure.contains("role=\"img\""));
        assert!(figure.contains("<title") && figure.contains("<desc"));
        assert!(figure.contains("<figcaption") && figure.contains("Diagrammets data som tabell"));
    }
}

async fn seed_000_as_a_web_page(backend: Backend) {
    let app = demo_app(backend).await;
    let token = app.token(Role::Kommunledning);
    let report = app
        .id_of("/api/v1/reports?namnd=VON&type=arsredovisning", &token)
        .await;
    let path = format!("/api/v1/reports/{report}/document");
    let html = document_html(&app, &path, &token, "text/html").await;
    assert_accessible_structure(&html);
    // The cover: kommun, nämnd, type, period and the decision.
    assert!(html.contains("<h1>Årsredovisning 2024</h1>"));
    assert!(html.contains("Uppföljningsrapport Vård- och omsorgsnämnden"));
    assert!(html.contains("Godkänd av vård- och omsorgsnämnden 2025-02-27, § 22"));
    assert!(!html.contains("Utkast"), "an approved report is no draft");
    // The check: "9 024" and "−450" in the driftredovisning.
    let all = tables(&html);
    let drift = &all["tabell-driftredovisning"];
    assert!(drift.rows.iter().flatten().any(|c| c == "9 024"));
    assert!(drift.rows.iter().flatten().any(|c| c == "\u{2212}450"));
    assert_eq!(
        drift.rows[0],
        [
            "Verksamhetsområde",
            "Utfall 2023 (tkr)",
            "Utfall 2024 (tkr)",
            "Budget 2024 (tkr)",
            "Avvikelse 2024 (tkr)"
        ]
    );
    assert_rows(drift, DRIFT, "driftredovisning");
    assert_rows(
        &all["tabell-investeringsredovisning"],
        INVESTERING,
        "investeringsredovisning",
    );

    // The indicator appendix: every printed row, by indicator name.
    let mut appendix: HashMap<String, Vec<String>> = HashMap::new();
    for (id, t) in &all {
        if id.starts_with("indikatorer-") {
            assert_eq!(
                t.rows[0][1..4],
                ["Utfall 2022", "Utfall 2023", "Utfall 2024"]
            );
            for row in &t.rows[1..] {
                appendix.insert(row[0].clone(), row.clone());
            }
        }
    }
    let served = app
        .get("/api/v1/indicators/table?namnd=VON&year=2024", &token)
        .returns(200)
        .await;
    let mut served_bedomning = HashMap::new();
    for area in served["goal_areas"].as_array().unwrap() {
        for goal in area["goals"].as_array().unwrap() {
            for i in goal["indicators"].as_array().unwrap() {
                served_bedomning.insert(
                    i["name"].as_str().unwrap().to_string(),
                    i["bedomning"]["final"].as_str().unwrap().to_string(),
                );
            }
        }
    }
    let fixture = include_str!("../fixtures/seed000_indikatorer.tsv");
    let mut compared = 0;
    for line in fixture.lines().filter(|l| !l.starts_with('#')) {
        let p: Vec<&str> = line.split('\t').collect();
        let (seed_line, name) = (p[0], p[1]);
        let row = appendix
            .get(name)
            .unwrap_or_else(|| panic!("seed line {seed_line}: no row {name:?} in the appendix"));
        for (i, col) in [(2, 1), (3, 2), (4, 3), (6, 5)] {
            assert_eq!(
                number(row[col].as_str()),
                number(p[i]),
                "seed line {seed_line} {name}: column {col} is {:?}, printed {:?}",
                row[col],
                p[i]
            );
        }
        // The trend arrow, and its word beside it.
        assert!(
            row[4].starts_with(p[5]),
            "seed line {seed_line} {name}: trend {:?}, printed {}",
            row[4],
            p[5]
        );
        let word = match p[5] {
            "↗" => "Förbättrad",
            "→" => "Oförändrad",
            "↘" => "Försämrad",
            _ => "Ej jämförbar",
        };
        assert!(row[4].ends_with(word), "{name}: {:?}", row[4]);
        // The bedömning as text: the service's, and grön where the seed's
        // extraction kept a filled circle (the seeds README: the other
        // circles did not survive reliably).
        let served = served_bedomning
            .get(name)
            .unwrap_or_else(|| panic!("{name} not in /indicators/table"));
        let label = match served.as_str() {
            "gron" => "Grön",
            "gul" => "Gul",
            "rod" => "Röd",
            _ => "Ingen bedömning",
        };
        assert_eq!(row[6], label, "seed line {seed_line} {name}: bedömning");
        if p.get(7) == Some(&"●") {
            assert_eq!(row[6], "Grön", "seed line {seed_line} {name}: printed ●");
        }
        compared += 1;
    }
    assert_eq!(compared, 41, "every printed indicator of the appendix");
    // Each indicator with utfall has a chart with its summary.
    assert!(html.contains(
        "<title id=\"diagram-arbetsloshet-16-64-ar-t\">Arbetslöshet 16-64 år (%)</title>"
    ));
    assert!(html.replace('\u{a0}', " ").contains("Utfall 2022: 9 %, 2023: 9,1 %, 2024: 9,3 %. Riktvärde 2024: 8 %. Trend: försämrad. Bedömning: röd."));

    // ?format=html is the same page; a format that is neither is a 422.
    let again = document_html(
        &app,
        &format!("{path}?format=html"),
        &token,
        "application/pdf",
    )
    .await;
    assert_eq!(again, html);
    app.get(&format!("{path}?format=docx"), &token)
        .problem(422)
        .await;
}

both_databases!(seed_000_as_a_web_page);

async fn a_draft_says_utkast_and_shows_todays_figures(backend: Backend) {
    let app = demo_app(backend).await;
    let token = app.token(Role::Kommunledning);
    let report = app
        .id_of("/api/v1/reports?namnd=VON&type=manadsrapport", &token)
        .await;
    let html = document_html(
        &app,
        &format!("/api/v1/reports/{report}/document"),
        &token,
        "text/html",
    )
    .await;
    assert_accessible_structure(&html);
    assert!(html.contains("<title>Utkast: Månadsrapport"));
    assert!(
        html.contains("class=\"utkast-sida\""),
        "on every printed page"
    );
    assert!(html.contains("Utkast – inte beslutad av nämnden"));
    // A lasare reads approved reports only: the draft is not there for them.
    let lasare = app.token(Role::Lasare);
    app.get(&format!("/api/v1/reports/{report}/document"), &lasare)
        .problem(404)
        .await;
}

both_databases!(a_draft_says_utkast_and_shows_todays_figures);

/// The text `pdftotext` finds in `pdf`, and what `pdfinfo` says of it.
fn pdf_text_and_info(pdf: &[u8], name: &str) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("kommunrapport-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("document.pdf");
    std::fs::write(&file, pdf).unwrap();
    let run = |cmd: &str, args: &[&str]| {
        let out = std::process::Command::new(cmd)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{cmd} (apt-get install poppler-utils): {e}"));
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let path = file.to_str().unwrap();
    let text = run("pdftotext", &["-layout", path, "-"]);
    let info = run("pdfinfo", &[path]);
    let _ = std::fs::remove_dir_all(&dir);
    (text.replace(['\u{a0}', '\u{202f}'], " "), info)
}

/// The PDF does not depend on the database: SQLite only, to keep it fast.
#[tokio::test]
async fn seed_000_as_a_tagged_pdf() {
    let app = demo_app(Backend::Sqlite).await;
    let token = app.token(Role::Kommunledning);
    let report = app
        .id_of("/api/v1/reports?namnd=VON&type=arsredovisning", &token)
        .await;
    let response = app
        .get(&format!("/api/v1/reports/{report}/document"), &token)
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = response.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let (text, info) = pdf_text_and_info(&pdf, "seed000");
    assert!(
        info.lines()
            .any(|l| l.starts_with("Tagged:") && l.ends_with("yes")),
        "{info}"
    );
    assert!(
        info.contains("Title:           Årsredovisning 2024 – Vård- och omsorgsnämnden"),
        "{info}"
    );
    assert_printed_rows(&text);
    assert!(text.contains("Godkänd av vård- och omsorgsnämnden 2025-02-27, § 22"));
}

/// Every row of VON's printed driftredovisning and investeringsredovisning
/// is in the PDF's text, its cells in order on one line.
fn assert_printed_rows(text: &str) {
    for line in DRIFT.lines().chain(INVESTERING.lines()) {
        let cells: Vec<String> = line
            .split('\t')
            .filter(|c| !c.is_empty())
            .map(printed)
            .collect();
        assert!(
            text.lines().any(|l| {
                let mut rest = l;
                cells.iter().all(|c| match rest.find(c.as_str()) {
                    Some(i) => {
                        rest = &rest[i + c.len()..];
                        true
                    }
                    None => false,
                })
            }),
            "the PDF's text has the row {cells:?}"
        );
    }
    assert!(text.contains("9 024") && text.contains("\u{2212}450"));
}

/// The compilation's PDF is typeset part by part and joined: one tagged
/// document whose page numbers run on, whose contents give each chapter's
/// page, with every chapter's numbers. SQLite only, like seed 000's PDF.
#[tokio::test]
async fn the_kommun_compilation_as_a_tagged_pdf() {
    let app = demo_app(Backend::Sqlite).await;
    let token = app.token(Role::Kommunledning);
    let period = app
        .id_of("/api/v1/periods?kind=helar&year=2024", &token)
        .await;
    let response = app
        .get(
            &format!("/api/v1/kommun/document?period_id={period}&type=arsredovisning&format=pdf"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let pdf = response.bytes().await.unwrap();
    assert!(
        pdf.starts_with(b"%PDF"),
        "{}",
        String::from_utf8_lossy(&pdf)
    );
    let (text, info) = pdf_text_and_info(&pdf, "kommun");
    assert!(
        info.lines()
            .any(|l| l.starts_with("Tagged:") && l.ends_with("yes")),
        "{info}"
    );
    assert!(
        info.contains("Title:           Årsredovisning 2024 – Katrineholms kommun"),
        "{info}"
    );
    // The footer of every page is its number, 1 to the last.
    let pages: Vec<&str> = text.trim_end_matches('\u{c}').split('\u{c}').collect();
    let pages_of = |key: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|n| n.trim().parse::<usize>().ok())
    };
    assert_eq!(Some(pages.len()), pages_of("Pages:"));
    for (i, page) in pages.iter().enumerate() {
        let footer = page.lines().rev().map(str::trim).find(|l| !l.is_empty());
        assert_eq!(footer, Some((i + 1).to_string().as_str()), "page {}", i + 1);
    }
    // The contents (typeset after the chapters) give VON's chapter the
    // page it starts on.
    let listed: usize = pages[1]
        .lines()
        .find(|l| l.trim_start().starts_with("Vård- och omsorgsnämnden"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .expect("VON in the contents");
    assert!(
        pages[listed - 1]
            .lines()
            .any(|l| l.trim() == "Vård- och omsorgsnämnden"),
        "VON's chapter starts on page {listed}"
    );
    // The overview and VON's chapter, with its printed tables.
    assert!(text.contains("Driftredovisning per nämnd"));
    assert_printed_rows(&text);
    assert_one_structure(&pdf, &pages);
}

/// The compilation's parts are merged into one tagged document: one
/// structure tree whose parent tree answers every page and annotation and
/// whose table cells name header cells that exist; bookmarks of every part
/// under the cover's title, each going to the page (of `text`, a page's
/// text each) its heading is on; the contents link there too.
fn assert_one_structure(pdf: &[u8], text: &[&str]) {
    use lopdf::{Document, Object};
    let doc = Document::load_mem(pdf).unwrap();
    let pages: Vec<_> = doc.page_iter().collect();
    let page_of = |dest: &Object| {
        let page = dest.as_array().unwrap()[0].as_reference().unwrap();
        pages.iter().position(|p| *p == page).unwrap() + 1
    };
    let get = |o: &Object| doc.dereference(o).unwrap().1.clone();
    let catalog = doc.catalog().unwrap();
    let root = get(catalog.get(b"StructTreeRoot").unwrap());
    let root = root.as_dict().unwrap();
    // One Document element, holding a section per part.
    let kids = get(root.get(b"K").unwrap());
    let kids = match kids {
        Object::Array(k) => k,
        k => vec![k],
    };
    assert_eq!(kids.len(), 1);
    let document = get(&kids[0]);
    let document = document.as_dict().unwrap();
    assert_eq!(document.get(b"S").unwrap().as_name().unwrap(), b"Document");
    let sections = get(document.get(b"K").unwrap())
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| {
            matches!(get(k), Object::Dictionary(d) if d.get(b"S").and_then(Object::as_name).ok() == Some(b"Sect"))
        })
        .count();
    assert!(sections >= 2, "{sections} parts");
    // Flattened number and name trees.
    fn pairs(doc: &Document, node: &Object, key: &[u8], out: &mut Vec<(Object, Object)>) {
        let node = doc.dereference(node).unwrap().1.as_dict().unwrap().clone();
        if let Ok(items) = node.get(key).and_then(Object::as_array) {
            out.extend(items.chunks(2).map(|kv| (kv[0].clone(), kv[1].clone())));
        }
        if let Ok(kids) = node.get(b"Kids").and_then(Object::as_array) {
            for kid in kids {
                pairs(doc, kid, key, out);
            }
        }
    }
    let mut parents = Vec::new();
    pairs(
        &doc,
        root.get(b"ParentTree").unwrap(),
        b"Nums",
        &mut parents,
    );
    let keys: std::collections::HashSet<i64> =
        parents.iter().map(|(k, _)| k.as_i64().unwrap()).collect();
    assert_eq!(keys.len(), parents.len(), "parent tree keys are unique");
    let next = root.get(b"ParentTreeNextKey").unwrap().as_i64().unwrap();
    assert!(keys.iter().all(|k| *k < next));
    let mut ids = Vec::new();
    pairs(&doc, root.get(b"IDTree").unwrap(), b"Names", &mut ids);
    let ids: std::collections::HashSet<Vec<u8>> = ids
        .iter()
        .map(|(k, _)| k.as_str().unwrap().to_vec())
        .collect();
    let mut struct_parents = 0;
    let mut headers = 0;
    for object in doc.objects.values() {
        let Ok(dict) = object.as_dict() else { continue };
        for key in [b"StructParents".as_slice(), b"StructParent"] {
            if let Ok(k) = dict.get(key).and_then(Object::as_i64) {
                assert!(keys.contains(&k), "parent tree key {k}");
                struct_parents += 1;
            }
        }
        let attributes = dict.get(b"A").map(&get);
        let attributes = match attributes {
            Ok(Object::Array(a)) => a.iter().map(get).collect(),
            Ok(a) => vec![a],
            Err(_) => vec![],
        };
        for a in attributes {
            if let Ok(list) = a
                .as_dict()
                .and_then(|a| a.get(b"Headers"))
                .and_then(Object::as_array)
            {
                for id in list {
                    assert!(ids.contains(id.as_str().unwrap()), "header cell {id:?}");
                    headers += 1;
                }
            }
        }
    }
    assert!(struct_parents >= pages.len());
    assert!(headers > 0);
    // The bookmarks: the cover's title, and below it every chapter.
    let outline = get(catalog.get(b"Outlines").unwrap());
    let top = get(outline.as_dict().unwrap().get(b"First").unwrap());
    let top = top.as_dict().unwrap();
    assert!(top.get(b"Next").is_err(), "one bookmark at the top");
    let title = |d: &lopdf::Dictionary| {
        let t = d.get(b"Title").unwrap().as_str().unwrap().to_vec();
        match t.strip_prefix(&[0xFE, 0xFF]) {
            Some(utf16) => String::from_utf16(
                &utf16
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
            None => String::from_utf8(t).unwrap(),
        }
    };
    assert_eq!(title(top), "Årsredovisning 2024");
    let mut chapters = Vec::new();
    let mut next = top.get(b"First").ok().cloned();
    while let Some(item) = next {
        let item = get(&item);
        let item = item.as_dict().unwrap();
        chapters.push((title(item), page_of(&get(item.get(b"Dest").unwrap()))));
        next = item.get(b"Next").ok().cloned();
    }
    assert_eq!(pages.len(), text.len());
    for wanted in [
        "Innehållsförteckning",
        "Kommunens översikt",
        "Vård- och omsorgsnämnden",
    ] {
        assert!(chapters.iter().any(|(t, _)| t == wanted), "{chapters:?}");
    }
    for (title, page) in &chapters {
        assert!(
            text[page - 1].lines().any(|l| l.trim() == title),
            "bookmark {title} on page {page}"
        );
    }
    // The contents' links go to the chapters, described by their page.
    let mut links = Vec::new();
    for link in doc.get_page_annotations(pages[1]).unwrap() {
        let page = page_of(&get(link.get(b"Dest").unwrap()));
        let description = link.get(b"Contents").unwrap().as_str().unwrap();
        assert_eq!(description, format!("sida {page}").as_bytes());
        links.push(page);
    }
    for (title, page) in chapters.iter().filter(|(t, _)| t != "Innehållsförteckning") {
        assert!(links.contains(page), "{title}: {links:?}");
    }
}

async fn the_kommun_compilation(backend: Backend) {
    let app = demo_app(backend).await;
    let token = app.token(Role::Kommunledning);
    let period = app
        .id_of("/api/v1/periods?kind=helar&year=2024", &token)
        .await;
    let path = format!("/api/v1/kommun/document?period_id={period}&type=arsredovisning");
    let html = document_html(&app, &path, &token, "text/html").await;
    assert_accessible_structure(&html);
    let all = tables(&html);
    // Drift per nämnd: VON's decided total, and the kommun's Summa.
    let drift = &all["tabell-driftredovisning-per-namnd"];
    let von = drift
        .rows
        .iter()
        .find(|r| r[0] == "Vård- och omsorgsnämnden")
        .unwrap();
    assert_eq!(
        von[1..],
        ["\u{2212}907 875", "\u{2212}907 426", "\u{2212}450"]
    );
    assert_eq!(drift.rows.last().unwrap()[0], "Summa");
    // Investering per nämnd: utgifter positive, as the nämnd's report prints them.
    let inv = &all["tabell-investeringsredovisning-per-namnd"];
    let von = inv
        .rows
        .iter()
        .find(|r| r[0] == "Vård- och omsorgsnämnden")
        .unwrap();
    assert_eq!(von[1..], ["5 937", "11 423", "5 486"]);
    // Submission status: every nämnd, VON approved with its decision.
    let status = &all["tabell-inlamning"];
    assert!(status.rows.len() > 10);
    let von = status.rows.iter().find(|r| r[1] == "VON").unwrap();
    assert_eq!(von[2..], ["Godkänd", "2025-02-27, § 22"]);
    // Then VON's report as a chapter, with its own tables.
    assert!(html.contains("<h2 id=\"vard-och-omsorgsnamnden\">Vård- och omsorgsnämnden</h2>"));
    assert_rows(&all["tabell-driftredovisning"], DRIFT, "VON's chapter");
    // A nämnd-scoped role has no compilation.
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    app.get(&path, &redaktor).problem(403).await;
}

both_databases!(the_kommun_compilation);
