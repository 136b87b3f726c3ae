//! A nämnd's report as blocks, in the order the seeds print it: cover,
//! contents, the chapters with their sections and tables, and the
//! appendices (resultatmål, uppdrag, indicators).

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::{
    blocks::*,
    model::{Figures, Get, MoneyRow, MoneyTable, ReportDoc, Section},
};
use crate::domain::swedish::{number, signed, whole};

/// What the document says about its report beyond the version's content.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// "Katrineholms kommun"
    pub kommun: String,
    /// "Vård- och omsorgsnämnden"
    pub namnd_name: String,
    /// Live figures of a report not (or no longer) approved: "Utkast".
    pub draft: bool,
}

/// What stands in a chapter.
#[derive(Clone, Copy)]
enum Part {
    Section(&'static str),
    Volymer,
    Drift,
    Investering,
    Atgardsplan,
    Personal,
    Goals,
    Uppdrag,
    Indicators,
}

/// Chapter title, the section whose text opens it, its parts (each a
/// section and the table that belongs to it).
type Chapter = (&'static str, Option<&'static str>, &'static [(Part, Part)]);

const NONE: Part = Part::Section("");

const OUTLINE: &[Chapter] = &[
    ("Inledning", Some("inledning"), &[]),
    (
        "Ansvarsområde och organisation",
        None,
        &[
            (Part::Section("ansvarsomrade"), NONE),
            (Part::Section("privata_utforare"), NONE),
            (Part::Section("vasentliga_organisationsforandringar"), NONE),
        ],
    ),
    (
        "Viktiga förhållanden för resultat och ekonomisk ställning",
        None,
        &[
            (Part::Section("verksamhetsrapport"), NONE),
            (Part::Section("volymutveckling"), Part::Volymer),
            (Part::Section("hallbarhet"), NONE),
        ],
    ),
    (
        "God ekonomisk hushållning och måluppfyllelse",
        None,
        &[
            (Part::Section("samlad_bedomning"), NONE),
            (Part::Section("bedomning_av_resultatmal"), NONE),
        ],
    ),
    (
        "Ekonomisk ställning",
        None,
        &[
            (Part::Section("driftredovisning"), Part::Drift),
            (Part::Section("investeringsredovisning"), Part::Investering),
            (Part::Section("atgardsplan"), Part::Atgardsplan),
        ],
    ),
    (
        "Väsentliga personalförhållanden",
        Some("personal"),
        &[
            (
                Part::Section("personalkostnader_och_personalstyrka"),
                Part::Personal,
            ),
            (Part::Section("medarbetarskap_och_ledarskap"), NONE),
            (
                Part::Section("kompetensforsorjning_och_kompetensutveckling"),
                NONE,
            ),
            (Part::Section("hallbart_arbetsliv_och_arbetsmiljo"), NONE),
        ],
    ),
    ("Förväntad utveckling", Some("forvantad_utveckling"), &[]),
    ("Särskilda uppdrag", Some("sarskilda_uppdrag"), &[]),
];

const APPENDICES: &[(Part, Part)] = &[
    (Part::Section("uppfoljning_av_resultatmal"), Part::Goals),
    (Part::Section("uppfoljning_av_uppdrag"), Part::Uppdrag),
    (
        Part::Section("indikatorer_och_riktvarden"),
        Part::Indicators,
    ),
];

fn default_title(part: Part) -> &'static str {
    match part {
        Part::Section("volymutveckling") | Part::Volymer => "Volymutveckling",
        Part::Section("driftredovisning") | Part::Drift => "Driftredovisning",
        Part::Section("investeringsredovisning") | Part::Investering => "Investeringsredovisning",
        Part::Section("atgardsplan") | Part::Atgardsplan => "Åtgärdsplan",
        Part::Section("personalkostnader_och_personalstyrka") | Part::Personal => {
            "Personalkostnader och personalstyrka"
        }
        Part::Section("uppfoljning_av_resultatmal") | Part::Goals => "Uppföljning av resultatmål",
        Part::Section("uppfoljning_av_uppdrag") | Part::Uppdrag => {
            "Uppföljning av uppdrag i kommunplanen"
        }
        Part::Section("indikatorer_och_riktvarden") | Part::Indicators => {
            "Indikatorer och riktvärden"
        }
        _ => "",
    }
}

/// The report type as printed.
pub fn type_label(report_type: &str) -> &'static str {
    match report_type {
        "arsredovisning" => "Årsredovisning",
        "delarsrapport" => "Delårsrapport",
        "tertialrapport" => "Tertialrapport",
        "manadsrapport" => "Månadsrapport",
        "plan" => "Plan med budget",
        _ => "Rapport",
    }
}

/// "Årsredovisning 2024", "Månadsrapport Mars 2023".
pub fn title(doc: &ReportDoc) -> String {
    let head = &doc.report;
    let year = head
        .period_end
        .map(|d| chrono::Datelike::year(&d).to_string())
        .unwrap_or_default();
    match head.report_type.as_str() {
        "arsredovisning" | "plan" | "delarsrapport" => {
            format!("{} {year}", type_label(&head.report_type))
        }
        _ => format!("{} {}", type_label(&head.report_type), head.period),
    }
    .trim()
    .to_string()
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A whole report document: cover, contents and the report from level 2.
pub fn document(doc: &ReportDoc, meta: &Meta) -> Document {
    let mut ids = Ids::default();
    let mut blocks = vec![Block::Cover(cover(doc, meta)), Block::Contents];
    chapters(doc, meta, 2, &mut ids, &mut blocks);
    Document {
        title: format!("{} – {}", title(doc), meta.namnd_name),
        draft: meta.draft,
        blocks,
        parts: Vec::new(),
    }
}

pub fn cover(doc: &ReportDoc, meta: &Meta) -> Cover {
    let head = &doc.report;
    let status_line = match (&head.beslut_datum, &head.beslut_paragraf, meta.draft) {
        (Some(d), Some(p), false) => {
            format!("Godkänd av {} {d}, {p}", lower_first(&meta.namnd_name))
        }
        _ => "Utkast – inte beslutad av nämnden. Siffrorna är dagens och kan ändras.".into(),
    };
    Cover {
        title: title(doc),
        subtitle: format!("Uppföljningsrapport {}", meta.namnd_name),
        kommun: meta.kommun.clone(),
        status_line,
    }
}

/// The chapters of a report, headings from `level` (2 in a report of its
/// own, 3 inside the kommun's compilation).
pub fn chapters(doc: &ReportDoc, meta: &Meta, level: u8, ids: &mut Ids, out: &mut Vec<Block>) {
    let sections: HashMap<&str, &Section> =
        doc.sections.iter().map(|s| (s.key.as_str(), s)).collect();
    let mut placed: Vec<&str> = Vec::new();
    let ctx = Ctx {
        doc,
        meta,
        sections: &sections,
    };
    for (title, body, parts) in OUTLINE {
        let mut inner = Vec::new();
        if let Some(key) = body {
            placed.push(key);
            if let Some(s) = sections.get(key) {
                inner.extend(markdown(&s.body, level, ids));
            }
        }
        parts_into(&ctx, parts, level + 1, ids, &mut inner, &mut placed);
        if !inner.is_empty() {
            out.push(heading(level, title, ids));
            out.append(&mut inner);
        }
    }
    for key in [
        "uppfoljning_av_resultatmal",
        "uppfoljning_av_uppdrag",
        "indikatorer_och_riktvarden",
    ] {
        placed.push(key);
    }
    // Sections of keys the outline does not know, in their own order.
    let mut rest: Vec<&Section> = doc
        .sections
        .iter()
        .filter(|s| !placed.contains(&s.key.as_str()) && !s.body.trim().is_empty())
        .collect();
    rest.sort_by_key(|s| s.position);
    for s in rest {
        out.push(heading(level, &s.title, ids));
        out.extend(markdown(&s.body, level, ids));
    }
    let mut inner = Vec::new();
    parts_into(&ctx, APPENDICES, level + 1, ids, &mut inner, &mut placed);
    if !inner.is_empty() {
        out.push(heading(level, "Bilagor", ids));
        out.append(&mut inner);
    }
}

struct Ctx<'a> {
    doc: &'a ReportDoc,
    meta: &'a Meta,
    sections: &'a HashMap<&'a str, &'a Section>,
}

fn heading(level: u8, text: &str, ids: &mut Ids) -> Block {
    Block::Heading(Heading {
        level: level.min(6),
        id: ids.make(text),
        text: text.to_string(),
        in_contents: level <= 4,
    })
}

fn parts_into<'a>(
    ctx: &Ctx<'a>,
    parts: &[(Part, Part)],
    level: u8,
    ids: &mut Ids,
    out: &mut Vec<Block>,
    placed: &mut Vec<&'a str>,
) {
    for (section, table) in parts {
        let section_doc = match section {
            Part::Section(key) => {
                placed.push(key);
                ctx.sections.get(key).copied()
            }
            _ => None,
        };
        let mut tables = Vec::new();
        part_blocks(ctx, *table, level, ids, &mut tables);
        let text = section_doc.filter(|s| !s.body.trim().is_empty());
        if text.is_none() && tables.is_empty() {
            continue;
        }
        let title = section_doc
            .map(|s| s.title.clone())
            .unwrap_or_else(|| default_title(*section).to_string());
        out.push(heading(level, &title, ids));
        // Tables first where the seeds print them first (drift, volymer), the
        // text after.
        out.append(&mut tables);
        if let Some(s) = text {
            out.extend(markdown(&s.body, level, ids));
        }
    }
}

fn part_blocks(ctx: &Ctx, part: Part, level: u8, ids: &mut Ids, out: &mut Vec<Block>) {
    let doc = ctx.doc;
    match part {
        Part::Volymer => volymer(doc, ids, out),
        Part::Drift => {
            if let Some(t) = doc.drift.as_ref().and_then(|u| u.tkr.as_ref()) {
                drift(doc, t, ids, out);
            }
        }
        Part::Investering => {
            if let Some(t) = doc.investering.as_ref().and_then(|u| u.tkr.as_ref()) {
                investering(t, ids, out);
            }
        }
        Part::Atgardsplan => atgardsplan(doc, ids, out),
        Part::Personal => personal(doc, ids, out),
        Part::Goals => goals(ctx, level, ids, out),
        Part::Uppdrag => uppdrag(doc, level, ids, out),
        Part::Indicators => indicators(doc, level, ids, out),
        Part::Section(_) => {}
    }
}

fn year_of(doc: &ReportDoc) -> Option<i32> {
    doc.report.period_end.map(|d| chrono::Datelike::year(&d))
}

fn opt(v: Option<Decimal>) -> String {
    v.map(whole).unwrap_or_default()
}

/// A money column: its label and how to read it from the figures.
struct MoneyColumn {
    label: String,
    get: Get,
}

fn drift_columns(doc: &ReportDoc, t: &MoneyTable) -> Vec<MoneyColumn> {
    let year = year_of(doc).map(|y| y.to_string()).unwrap_or_default();
    let prev = year_of(doc)
        .map(|y| (y - 1).to_string())
        .unwrap_or_default();
    let month = doc
        .report
        .period_end
        .map(|d| month_name(chrono::Datelike::month(&d)))
        .unwrap_or("månad");
    let candidates: Vec<(String, Get)> = vec![
        (format!("Utfall {prev} (tkr)"), |f| f.utfall_foregaende_ar),
        (format!("Utfall {month} (tkr)"), |f| f.utfall_manad),
        (format!("Budget {month} (tkr)"), |f| f.budget_manad),
        (format!("Avvikelse {month} (tkr)"), |f| f.avvikelse_manad),
        (format!("Utfall ack {year} (tkr)"), |f| f.utfall_ack),
        (format!("Budget ack {year} (tkr)"), |f| f.budget_ack),
        (format!("Avvikelse ack {year} (tkr)"), |f| f.avvikelse_ack),
        (format!("Utfall {year} (tkr)"), |f| f.utfall),
        (format!("Budget {year} (tkr)"), |f| f.budget),
        (format!("Avvikelse {year} (tkr)"), |f| f.avvikelse),
        (format!("Prognos helår {year} (tkr)"), |f| f.helarsprognos),
        (format!("Prognosavvikelse {year} (tkr)"), |f| {
            f.prognos_avvikelse
        }),
    ];
    let all: Vec<&Figures> = flat_rows(&t.rows)
        .into_iter()
        .map(|(_, r)| &r.figures)
        .chain([&t.total])
        .collect();
    candidates
        .into_iter()
        .filter(|(_, get)| all.iter().any(|f| get(f).is_some()))
        .map(|(label, get)| MoneyColumn { label, get })
        .collect()
}

fn month_name(m: u32) -> &'static str {
    [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ]
    .get(m.saturating_sub(1) as usize)
    .copied()
    .unwrap_or("månad")
}

/// Rows with their children after them (depth, row); rows without any
/// figure are left out.
fn flat_rows(rows: &[MoneyRow]) -> Vec<(usize, &MoneyRow)> {
    fn walk<'a>(rows: &'a [MoneyRow], depth: usize, out: &mut Vec<(usize, &'a MoneyRow)>) {
        for r in rows {
            if !r.figures.is_empty() {
                out.push((depth, r));
            }
            walk(&r.children, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(rows, 0, &mut out);
    out
}

fn drift(doc: &ReportDoc, t: &MoneyTable, ids: &mut Ids, out: &mut Vec<Block>) {
    let cols = drift_columns(doc, t);
    // Lines with nothing in the report's columns are left out.
    let rows: Vec<_> = flat_rows(&t.rows)
        .into_iter()
        .filter(|(_, r)| cols.iter().any(|c| (c.get)(&r.figures).is_some()))
        .collect();
    if rows.is_empty() {
        return;
    }
    let id = ids.make("tabell-driftredovisning");
    let mut columns = vec![Column::text("Verksamhetsområde")];
    columns.extend(cols.iter().map(|c| Column::number(c.label.clone())));
    let line = |name: String, f: &Figures| {
        let mut cells = vec![Cell::new(name)];
        cells.extend(cols.iter().map(|c| Cell::new(opt((c.get)(f)))));
        cells
    };
    let table = Table {
        id: id.clone(),
        caption: format!("Driftredovisning, {} (tkr)", t.period),
        columns,
        rows: rows
            .iter()
            .map(|(depth, r)| line(indent(*depth, &r.name), &r.figures))
            .collect(),
        total: Some(line("Summa".into(), &t.total)),
    };
    out.push(Block::Table(table));
    // The chart: utfall against budget per verksamhet, for the columns the
    // report has (the year, else the month).
    let pick: Option<(Get, Get, Get)> = if t.total.utfall.is_some() && t.total.budget.is_some() {
        Some((|f| f.utfall, |f| f.budget, |f| f.avvikelse))
    } else if t.total.utfall_manad.is_some() {
        Some((
            |f| f.utfall_manad,
            |f| f.budget_manad,
            |f| f.avvikelse_manad,
        ))
    } else {
        None
    };
    let Some((u, b, a)) = pick else { return };
    let top: Vec<&MoneyRow> = rows
        .iter()
        .filter(|(d, _)| *d == 0)
        .map(|(_, r)| *r)
        .collect();
    let magnitude = |v: Option<Decimal>| v.map(|x| x.abs());
    let best = top
        .iter()
        .filter_map(|r| a(&r.figures).map(|v| (v, r)))
        .max_by_key(|(v, _)| *v);
    let worst = top
        .iter()
        .filter_map(|r| a(&r.figures).map(|v| (v, r)))
        .min_by_key(|(v, _)| *v);
    let mut summary = format!(
        "Nämnden redovisar en avvikelse mot budget på {} tkr för {}.",
        t.total_avvikelse(a),
        t.period
    );
    if let (Some((bv, br)), Some((wv, wr))) = (best, worst) {
        summary.push_str(&format!(
            " Störst positiv avvikelse: {} {} tkr. Störst negativ avvikelse: {} {} tkr.",
            br.name,
            signed(bv, Some(0)),
            wr.name,
            signed(wv, Some(0))
        ));
    }
    summary.push_str(" Staplarna visar nettokostnaden (utfall och budget) som belopp; siffrorna finns i tabellen ovan.");
    out.push(Block::Chart(Chart {
        id: ids.make("diagram-driftredovisning"),
        title: format!(
            "Utfall och budget per verksamhetsområde, {} (tkr)",
            t.period
        ),
        summary,
        kind: ChartKind::Bars {
            labels: top.iter().map(|r| r.name.clone()).collect(),
            series: vec![
                Series {
                    name: "Utfall".into(),
                    values: top.iter().map(|r| magnitude(u(&r.figures))).collect(),
                },
                Series {
                    name: "Budget".into(),
                    values: top.iter().map(|r| magnitude(b(&r.figures))).collect(),
                },
            ],
            unit: "tkr".into(),
        },
        data_table: id,
    }));
}

impl MoneyTable {
    fn total_avvikelse(&self, a: Get) -> String {
        a(&self.total)
            .map(|v| signed(v, Some(0)))
            .unwrap_or_else(|| "–".into())
    }
}

fn indent(depth: usize, name: &str) -> String {
    format!("{}{name}", "\u{a0}\u{a0}\u{a0}".repeat(depth))
}

fn investering(t: &MoneyTable, ids: &mut Ids, out: &mut Vec<Block>) {
    // Utgifter as the seeds print them: positive (the result convention
    // stores them negative).
    let spent = |f: &Figures| f.utfall.or(f.utfall_ack).map(|v| -v);
    let budget = |f: &Figures| f.budget.or(f.helarsbudget).map(|v| -v);
    // Projects with nothing in the report's columns (other years') are left out.
    let rows: Vec<_> = flat_rows(&t.rows)
        .into_iter()
        .filter(|(_, r)| {
            spent(&r.figures).is_some()
                || budget(&r.figures).is_some()
                || r.figures.kvar_av_arets_budget.is_some()
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let line = |name: String, f: &Figures, done: Option<&String>| {
        vec![
            Cell::new(name),
            Cell::new(opt(spent(f))),
            Cell::new(opt(budget(f))),
            Cell::new(opt(f.kvar_av_arets_budget)),
            // "2025-12" as printed: "2025/12".
            Cell::new(done.map(|d| d.replace('-', "/")).unwrap_or_default()),
        ]
    };
    out.push(Block::Table(Table {
        id: ids.make("tabell-investeringsredovisning"),
        caption: format!("Investeringsredovisning, {} (tkr)", t.period),
        columns: vec![
            Column::text("Huvudprojekt"),
            Column::number("Utfall ack (tkr)"),
            Column::number("Budget (tkr)"),
            Column::number("Kvar av årets budget (tkr)"),
            Column::text("Färdigställs år/mån"),
        ],
        rows: rows
            .iter()
            .map(|(d, r)| {
                let name = if r.code.chars().all(|c| c.is_ascii_digit()) && !r.code.is_empty() {
                    format!("{} {}", r.code, r.name)
                } else {
                    r.name.clone()
                };
                line(indent(*d, &name), &r.figures, r.planned_completion.as_ref())
            })
            .collect(),
        total: Some(line("Summa".into(), &t.total, None)),
    }));
}

fn volymer(doc: &ReportDoc, ids: &mut Ids, out: &mut Vec<Block>) {
    let rows: Vec<_> = doc
        .volymer
        .iter()
        .filter(|v| v.period_value.is_some())
        .collect();
    if rows.is_empty() {
        return;
    }
    let with_prognos =
        doc.report.report_type != "arsredovisning" && rows.iter().any(|v| v.prognos.is_some());
    let period = &doc.report.period;
    let prev = previous_label(period);
    let mut columns = vec![
        Column::text("Volymmått"),
        Column::number(period.clone()),
        Column::number(prev),
    ];
    if with_prognos {
        columns.push(Column::number("Prognos helår"));
    }
    out.push(Block::Table(Table {
        id: ids.make("tabell-volymmatt"),
        caption: format!("Volymmått, {period}"),
        columns,
        rows: rows
            .iter()
            .map(|v| {
                let mut cells = vec![
                    Cell::new(v.name.clone()),
                    Cell::new(v.period_value.map(|x| number(x, None)).unwrap_or_default()),
                    Cell::new(
                        v.same_period_last_year
                            .map(|x| number(x, None))
                            .unwrap_or_default(),
                    ),
                ];
                if with_prognos {
                    cells.push(Cell::new(
                        v.prognos.map(|x| number(x, None)).unwrap_or_default(),
                    ));
                }
                cells
            })
            .collect(),
        total: None,
    }));
}

/// "Helår 2024" → "Helår 2023": the same period a year earlier.
fn previous_label(period: &str) -> String {
    let mut words: Vec<String> = period.split(' ').map(str::to_string).collect();
    if let Some(last) = words.last_mut()
        && let Ok(y) = last.parse::<i32>()
    {
        *last = (y - 1).to_string();
        return words.join(" ");
    }
    "Föregående år".into()
}

fn atgardsplan(doc: &ReportDoc, ids: &mut Ids, out: &mut Vec<Block>) {
    if doc.action_plans.is_empty() {
        return;
    }
    out.push(Block::Table(Table {
        id: ids.make("tabell-atgardsplan"),
        caption: "Åtgärdsplan".into(),
        columns: vec![
            Column::text("Avvikelse"),
            Column::text("Åtgärd"),
            Column::text("Förväntad ekonomisk effekt"),
            Column::text("Förväntad effekt på verksamheten"),
        ],
        rows: doc
            .action_plans
            .iter()
            .map(|p| {
                vec![
                    Cell::new(p.avvikelse.clone()),
                    Cell::new(p.atgard.clone()),
                    Cell::new(p.ekonomisk_effekt.clone().unwrap_or_default()),
                    Cell::new(p.verksamhetseffekt.clone().unwrap_or_default()),
                ]
            })
            .collect(),
        total: None,
    }));
}

fn personal(doc: &ReportDoc, ids: &mut Ids, out: &mut Vec<Block>) {
    let rows: Vec<_> = doc
        .nyckeltal
        .iter()
        .filter(|n| n.t.is_some() || n.k.is_some() || n.m.is_some())
        .collect();
    if rows.is_empty() {
        return;
    }
    let y = year_of(doc).map(|y| y.to_string()).unwrap_or_default();
    let p = year_of(doc)
        .map(|y| (y - 1).to_string())
        .unwrap_or_default();
    let n = |v: Option<Decimal>| v.map(|x| number(x, None)).unwrap_or_default();
    out.push(Block::Table(Table {
        id: ids.make("tabell-personal"),
        caption: format!(
            "Nyckeltal för personal, {} (T = totalt, K = kvinnor, M = män)",
            doc.report.period
        ),
        columns: vec![
            Column::text("Nyckeltal"),
            Column::text("Mätdatum"),
            Column::number(format!("Totalt {y}")),
            Column::number(format!("Kvinnor {y}")),
            Column::number(format!("Män {y}")),
            Column::number(format!("Totalt {p}")),
            Column::number(format!("Kvinnor {p}")),
            Column::number(format!("Män {p}")),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::new(r.name.clone()),
                    Cell::new(r.measured.clone().unwrap_or_default()),
                    Cell::new(n(r.t)),
                    Cell::new(n(r.k)),
                    Cell::new(n(r.m)),
                    Cell::new(n(r.t_foregaende_ar)),
                    Cell::new(n(r.k_foregaende_ar)),
                    Cell::new(n(r.m_foregaende_ar)),
                ]
            })
            .collect(),
        total: None,
    }));
}

pub fn bedomning_label(b: &str) -> &'static str {
    match b {
        "gron" => "Grön",
        "gul" => "Gul",
        "rod" => "Röd",
        _ => "Ingen bedömning",
    }
}

pub fn bedomning_mark(b: &str) -> &'static str {
    match b {
        "gron" => "gron",
        "gul" => "gul",
        "rod" => "rod",
        _ => "ingen",
    }
}

pub fn trend_arrow(t: &str) -> (&'static str, &'static str) {
    match t {
        "forbattrad" => ("↗", "Förbättrad"),
        "oforandrad" => ("→", "Oförändrad"),
        "forsamrad" => ("↘", "Försämrad"),
        _ => ("—", "Ej jämförbar"),
    }
}

fn bedomning_cell(b: Option<&str>) -> Cell {
    let b = b.unwrap_or("ingen");
    Cell {
        text: bedomning_label(b).into(),
        mark: Some(Mark::Bedomning(bedomning_mark(b))),
    }
}

fn goals(ctx: &Ctx, level: u8, ids: &mut Ids, out: &mut Vec<Block>) {
    let Some(a) = &ctx.doc.assessments else {
        return;
    };
    let items: Vec<_> = a.items.iter().filter(|i| i.assessment.is_some()).collect();
    if items.is_empty() {
        return;
    }
    let area_names: HashMap<uuid::Uuid, (usize, &str)> = ctx
        .doc
        .indicator_appendix
        .iter()
        .flat_map(|ap| ap.goal_areas.iter())
        .enumerate()
        .filter_map(|(i, ar)| ar.id.map(|id| (id, (i, ar.name.as_str()))))
        .collect();
    let mut groups: Vec<(usize, String, Vec<_>)> = Vec::new();
    for item in items {
        let (order, name) = item
            .goal
            .goal_area_id
            .and_then(|id| area_names.get(&id).copied())
            .unwrap_or((usize::MAX, "Övriga resultatmål"));
        match groups.iter_mut().find(|(_, n, _)| n == name) {
            Some((_, _, v)) => v.push(item),
            None => groups.push((order, name.to_string(), vec![item])),
        }
    }
    groups.sort_by_key(|(o, _, _)| *o);
    // Summary table: every goal with the nämnd's bedömning.
    let summary_id = ids.make("tabell-resultatmal");
    out.push(Block::Table(Table {
        id: summary_id,
        caption: "Resultatmål med nämndens bedömning".into(),
        columns: vec![
            Column::text("Resultatmål"),
            Column::text("Övergripande mål"),
            Column::text("Ansvar"),
            Column::text("Nämndens bedömning"),
            Column::text("Förslag utifrån indikatorerna"),
        ],
        rows: groups
            .iter()
            .flat_map(|(_, area, items)| {
                items.iter().map(move |i| {
                    vec![
                        Cell::new(i.goal.title.clone()),
                        Cell::new(area.clone()),
                        Cell::new(if i.role == "huvudansvar" {
                            "Huvudansvar"
                        } else {
                            "Medansvar"
                        }),
                        bedomning_cell(i.assessment.as_ref().map(|a| a.bedomning.as_str())),
                        bedomning_cell(i.suggested_bedomning.as_deref()),
                    ]
                })
            })
            .collect(),
        total: None,
    }));
    let _ = ctx.meta;
    for (_, area, items) in &groups {
        out.push(heading(level + 1, area, ids));
        for item in items {
            out.push(Block::Heading(Heading {
                level: (level + 2).min(6),
                id: ids.make(&item.goal.title),
                text: item.goal.title.clone(),
                in_contents: false,
            }));
            let mut line = Vec::new();
            if let Some(h) = &item.goal.huvudansvar {
                line.push(Span::strong("Huvudansvar: "));
                line.push(Span::plain(format!("{}. ", h.code)));
            }
            if !item.goal.medansvariga.is_empty() {
                line.push(Span::strong("Medansvariga: "));
                let codes: Vec<&str> = item
                    .goal
                    .medansvariga
                    .iter()
                    .map(|m| m.code.as_str())
                    .collect();
                line.push(Span::plain(format!("{}. ", codes.join(", "))));
            }
            if !item.goal.agenda2030.is_empty() {
                line.push(Span::strong("Agenda 2030: "));
                let goals: Vec<String> = item
                    .goal
                    .agenda2030
                    .iter()
                    .map(|g| format!("{} {}", g.number, g.name))
                    .collect();
                line.push(Span::plain(format!("{}.", goals.join(", "))));
            }
            if !line.is_empty() {
                out.push(Block::Paragraph(line));
            }
            if let Some(a) = &item.assessment {
                out.push(Block::Paragraph(vec![
                    Span::strong("Nämndens bedömning: "),
                    Span::plain(format!("{}. ", bedomning_label(&a.bedomning))),
                    Span::strong("Förslag utifrån indikatorerna: "),
                    Span::plain(format!(
                        "{}.",
                        bedomning_label(item.suggested_bedomning.as_deref().unwrap_or("ingen"))
                    )),
                ]));
                out.extend(markdown(&a.comment, (level + 2).min(6), ids));
            }
        }
    }
}

pub fn status_label(s: Option<&str>) -> &'static str {
    match s {
        Some("ej_startad") => "Ej startad",
        Some("paborjad") => "Påbörjad",
        Some("klar") => "Klar",
        Some("stoppad") => "Stoppad",
        _ => "Ingen status",
    }
}

fn uppdrag(doc: &ReportDoc, level: u8, ids: &mut Ids, out: &mut Vec<Block>) {
    let Some(a) = &doc.assignment_statuses else {
        return;
    };
    if a.items.is_empty() {
        return;
    }
    out.push(Block::Table(Table {
        id: ids.make("tabell-uppdrag"),
        caption: "Uppdrag med status".into(),
        columns: vec![
            Column::text("Uppdrag"),
            Column::text("Huvudansvar"),
            Column::text("Slutdatum"),
            Column::text("Status"),
        ],
        rows: a
            .items
            .iter()
            .map(|i| {
                vec![
                    Cell::new(i.assignment.title.clone()),
                    Cell::new(
                        i.assignment
                            .huvudansvar
                            .as_ref()
                            .map(|h| h.code.clone())
                            .unwrap_or_default(),
                    ),
                    Cell::new(i.assignment.slutdatum.clone().unwrap_or_default()),
                    Cell::new(status_label(
                        i.status.as_ref().and_then(|s| s.status.as_deref()),
                    )),
                ]
            })
            .collect(),
        total: None,
    }));
    for (n, i) in a.items.iter().enumerate() {
        let Some(comment) = i.status.as_ref().and_then(|s| s.comment.as_deref()) else {
            continue;
        };
        if comment.trim().is_empty() {
            continue;
        }
        out.push(Block::Heading(Heading {
            level: (level + 1).min(6),
            id: ids.make(&format!("uppdrag-{}", n + 1)),
            text: i.assignment.title.clone(),
            in_contents: false,
        }));
        out.push(Block::Paragraph(vec![
            Span::strong("Status: "),
            Span::plain(status_label(
                i.status.as_ref().and_then(|s| s.status.as_deref()),
            )),
        ]));
        out.extend(markdown(comment, (level + 1).min(6), ids));
    }
}

/// An indicator value with its unit as printed ("9,3 %", "75 200 l").
pub fn indicator_value(v: Decimal, unit: &str) -> String {
    let n = number(v, None);
    match unit {
        "procent" => format!("{n}\u{a0}%"),
        "mnkr" => format!("{n}\u{a0}mnkr"),
        "liter" => format!("{n}\u{a0}l"),
        _ => n,
    }
}

fn indicators(doc: &ReportDoc, level: u8, ids: &mut Ids, out: &mut Vec<Block>) {
    let Some(app) = &doc.indicator_appendix else {
        return;
    };
    for area in &app.goal_areas {
        let goals: Vec<_> = area
            .goals
            .iter()
            .filter(|g| !g.indicators.is_empty())
            .collect();
        if goals.is_empty() {
            continue;
        }
        out.push(heading(level + 1, &area.name, ids));
        for g in goals {
            let table_id = ids.make(&format!("indikatorer {}", g.title));
            let mut columns = vec![Column::text("Indikator")];
            columns.extend(
                app.years
                    .iter()
                    .map(|y| Column::number(format!("Utfall {y}"))),
            );
            columns.push(Column::text("Trend"));
            columns.push(Column::number(format!("Riktvärde {}", app.year)));
            columns.push(Column::text("Bedömning"));
            columns.push(Column::text("Källa"));
            let mut charts = Vec::new();
            let rows = g
                .indicators
                .iter()
                .map(|i| {
                    let (arrow, trend_text) =
                        trend_arrow(i.trend.final_value.as_deref().unwrap_or(""));
                    let values: Vec<Option<Decimal>> = app
                        .years
                        .iter()
                        .map(|y| i.utfall.iter().find(|u| u.year == *y).and_then(|u| u.value))
                        .collect();
                    let rikt = i.riktvarde.as_ref().and_then(|r| {
                        r.text
                            .clone()
                            .or_else(|| r.value.map(|v| indicator_value(v, &i.unit)))
                    });
                    let mut cells = vec![Cell::new(i.name.clone())];
                    cells.extend(values.iter().map(|v| {
                        Cell::new(
                            v.map(|v| indicator_value(v, &i.unit))
                                .unwrap_or_else(|| "–".into()),
                        )
                    }));
                    cells.push(Cell {
                        text: trend_text.into(),
                        mark: Some(Mark::Trend(arrow)),
                    });
                    cells.push(Cell::new(rikt.clone().unwrap_or_else(|| "–".into())));
                    let b = i.bedomning.final_value.as_deref();
                    cells.push(bedomning_cell(b));
                    let kalla = match (&i.kolada_id, &i.kalla) {
                        (Some(k), Some(s)) if !s.contains(k.as_str()) => format!("Kolada {k}. {s}"),
                        (Some(k), None) => format!("Kolada {k}"),
                        (_, Some(s)) => s.clone(),
                        (None, None) => String::new(),
                    };
                    cells.push(Cell::new(kalla));
                    if values.iter().any(Option::is_some) {
                        let shown: Vec<String> = app
                            .years
                            .iter()
                            .zip(&values)
                            .map(|(y, v)| match v {
                                Some(v) => format!("{y}: {}", indicator_value(*v, &i.unit)),
                                None => format!("{y}: utfall saknas"),
                            })
                            .collect();
                        charts.push(Chart {
                            id: ids.make(&format!("diagram {}", i.name)),
                            title: i.name.clone(),
                            summary: format!(
                                "Utfall {}. Riktvärde {}: {}. Trend: {}. Bedömning: {}.",
                                shown.join(", "),
                                app.year,
                                rikt.unwrap_or_else(|| "saknas".into()),
                                trend_text.to_lowercase(),
                                bedomning_label(b.unwrap_or("ingen")).to_lowercase()
                            ),
                            kind: ChartKind::Line {
                                years: app.years.clone(),
                                values,
                                target: i.riktvarde.as_ref().and_then(|r| r.value),
                                unit: match i.unit.as_str() {
                                    "procent" => "%".into(),
                                    u => u.to_string(),
                                },
                            },
                            data_table: table_id.clone(),
                        });
                    }
                    cells
                })
                .collect();
            out.push(Block::Heading(Heading {
                level: (level + 2).min(6),
                id: ids.make(&g.title),
                text: g.title.clone(),
                in_contents: false,
            }));
            if let Some(h) = &g.huvudansvar {
                out.push(Block::Paragraph(vec![
                    Span::strong("Huvudansvar: "),
                    Span::plain(h.clone()),
                ]));
            }
            out.push(Block::Table(Table {
                id: table_id,
                caption: format!("Indikatorer för {}", g.title),
                columns,
                rows,
                total: None,
            }));
            if !charts.is_empty() {
                out.push(Block::ChartGroup(charts));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_period_label() {
        assert_eq!(previous_label("Helår 2024"), "Helår 2023");
        assert_eq!(previous_label("Delår"), "Föregående år");
    }
}
