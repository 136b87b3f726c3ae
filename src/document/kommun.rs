//! The kommunledningsförvaltning's compilation of a period: the kommun
//! overview (drift and investering per nämnd, the goal matrix, the
//! indicator overview, submission status), then each nämnd's report as a
//! chapter, laid out by the same code as a report of its own.

use rust_decimal::Decimal;

use super::{
    blocks::*,
    model::{Figures, Get, ReportDoc},
    report::{self, Meta, bedomning_label, bedomning_mark, trend_arrow, type_label},
};
use crate::domain::swedish::{number, signed, whole};

/// What the compilation shows; the handler fills it from the service.
#[derive(Debug, Default)]
pub struct KommunInput {
    pub kommun: String,
    /// `arsredovisning`, …
    pub report_type: String,
    /// "Helår 2024"
    pub period: String,
    pub year: i32,
    /// Every nämnd of the kommun, in code order.
    pub namnder: Vec<NamndPart>,
    pub goal_matrix: Vec<MatrixArea>,
    pub indicators: Vec<IndicatorLine>,
}

#[derive(Debug, Default)]
pub struct NamndPart {
    pub code: String,
    pub name: String,
    /// `saknas`, `utkast`, `for_beslut`, `godkand`.
    pub status: String,
    pub beslut: Option<String>,
    /// The report's document (decided when approved) and whether it is a draft.
    pub report: Option<(ReportDoc, bool)>,
}

#[derive(Debug, Default)]
pub struct MatrixArea {
    pub name: String,
    pub goals: Vec<MatrixGoal>,
}

#[derive(Debug, Default)]
pub struct MatrixGoal {
    pub title: String,
    pub suggested: String,
    /// (nämnd code, role, bedömning or None when not assessed)
    pub cells: Vec<(String, String, Option<String>)>,
}

#[derive(Debug, Default)]
pub struct IndicatorLine {
    pub name: String,
    pub goal_areas: String,
    pub utfall_year: Option<i32>,
    pub utfall: Option<Decimal>,
    pub trend: String,
    pub riktvarde: Option<Decimal>,
    pub bedomning: String,
}

fn status_label(s: &str) -> &'static str {
    match s {
        "utkast" => "Utkast",
        "for_beslut" => "För beslut",
        "godkand" => "Godkänd",
        _ => "Saknas",
    }
}

/// The compilation as one document.
pub fn document(input: &KommunInput) -> Document {
    let mut ids = Ids::default();
    let title = format!(
        "{} {} – {}",
        type_label(&input.report_type),
        input.year,
        input.kommun
    );
    let drafts = input
        .namnder
        .iter()
        .any(|n| n.report.as_ref().is_some_and(|(_, d)| *d));
    let mut blocks = vec![
        Block::Cover(Cover {
            title: format!("{} {}", type_label(&input.report_type), input.year),
            subtitle: format!("Sammanställning för {}, {}", input.kommun, input.period),
            kommun: input.kommun.clone(),
            status_line: if drafts {
                "Utkast – minst en nämnds rapport är inte beslutad; dess siffror är dagens och kan ändras.".into()
            } else {
                "Nämndernas beslutade rapporter.".into()
            },
        }),
        Block::Contents,
    ];
    let mut parts = vec![blocks.len()];
    blocks.push(heading(2, "Kommunens översikt", &mut ids));
    money_overview(input, "drift", &mut ids, &mut blocks);
    money_overview(input, "investering", &mut ids, &mut blocks);
    goal_matrix(input, &mut ids, &mut blocks);
    indicator_overview(input, &mut ids, &mut blocks);
    submissions(input, &mut ids, &mut blocks);
    for n in &input.namnder {
        let Some((doc, draft)) = &n.report else {
            continue;
        };
        parts.push(blocks.len());
        let mut h = heading(2, &n.name, &mut ids);
        if let Block::Heading(head) = &mut h {
            head.in_contents = true;
        }
        blocks.push(h);
        let meta = Meta {
            kommun: input.kommun.clone(),
            namnd_name: n.name.clone(),
            draft: *draft,
        };
        let cover = report::cover(doc, &meta);
        blocks.push(Block::Paragraph(vec![
            Span::strong(format!("{}. ", cover.title)),
            Span::plain(cover.status_line),
        ]));
        let mut inner = Vec::new();
        report::chapters(doc, &meta, 3, &mut ids, &mut inner);
        // Inside the compilation only the nämnd and its chapters are listed.
        for b in &mut inner {
            if let Block::Heading(h) = b {
                h.in_contents = h.level <= 3;
            }
        }
        blocks.append(&mut inner);
    }
    Document {
        title,
        draft: drafts,
        blocks,
        parts,
    }
}

fn heading(level: u8, text: &str, ids: &mut Ids) -> Block {
    Block::Heading(Heading {
        level,
        id: ids.make(text),
        text: text.into(),
        in_contents: true,
    })
}

fn money_overview(input: &KommunInput, key: &str, ids: &mut Ids, out: &mut Vec<Block>) {
    let drift = key == "drift";
    let table_of = |doc: &ReportDoc, unit: &str| {
        let units = if drift { &doc.drift } else { &doc.investering };
        units.as_ref().and_then(|u| match unit {
            "kr" => u.kr.as_ref().map(|t| t.total.clone()),
            _ => u.tkr.as_ref().map(|t| t.total.clone()),
        })
    };
    let rows: Vec<(&NamndPart, Option<Figures>, Option<Figures>)> = input
        .namnder
        .iter()
        .map(|n| {
            let doc = n.report.as_ref().map(|(d, _)| d);
            (
                n,
                doc.and_then(|d| table_of(d, "tkr")),
                doc.and_then(|d| table_of(d, "kr")),
            )
        })
        .collect();
    if rows
        .iter()
        .all(|(_, t, _)| t.as_ref().is_none_or(Figures::is_empty))
    {
        return;
    }
    // The total from every nämnd's exact kronor, rounded once.
    let sum = |get: Get| {
        let values: Vec<Decimal> = rows
            .iter()
            .filter_map(|(_, _, kr)| kr.as_ref().and_then(get))
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<Decimal>() / Decimal::ONE_THOUSAND)
    };
    let title = if drift {
        "Driftredovisning per nämnd"
    } else {
        "Investeringsredovisning per nämnd"
    };
    out.push(heading(3, title, ids));
    let id = ids.make(&format!("tabell {title}"));
    let cols: [(&str, Get); 5] = [
        ("Utfall (tkr)", |f| {
            f.utfall.or(f.utfall_ack).or(f.utfall_manad)
        }),
        ("Budget (tkr)", |f| {
            f.budget.or(f.budget_ack).or(f.budget_manad)
        }),
        ("Avvikelse (tkr)", |f| {
            f.avvikelse.or(f.avvikelse_ack).or(f.avvikelse_manad)
        }),
        ("Helårsprognos (tkr)", |f| f.helarsprognos),
        ("Prognosavvikelse (tkr)", |f| f.prognos_avvikelse),
    ];
    let shown: Vec<_> = cols
        .iter()
        .filter(|(_, get)| {
            rows.iter()
                .any(|(_, t, _)| t.as_ref().and_then(get).is_some())
        })
        .collect();
    let mut columns = vec![Column::text("Nämnd")];
    columns.extend(shown.iter().map(|(l, _)| Column::number(*l)));
    let table_rows: Vec<Vec<Cell>> = rows
        .iter()
        .map(|(n, t, _)| {
            let mut cells = vec![Cell::new(n.name.clone())];
            cells.extend(shown.iter().map(|(label, get)| {
                Cell::new(
                    t.as_ref()
                        .and_then(get)
                        .map(|v| whole(outflow(drift, label, v)))
                        .unwrap_or_else(|| "–".into()),
                )
            }));
            cells
        })
        .collect();
    let mut total = vec![Cell::new("Summa")];
    total.extend(shown.iter().map(|(label, get)| {
        Cell::new(
            sum(*get)
                .map(|v| whole(outflow(drift, label, v)))
                .unwrap_or_default(),
        )
    }));
    out.push(Block::Table(Table {
        id: id.clone(),
        caption: format!("{title}, {} (tkr)", input.period),
        columns,
        rows: table_rows,
        total: Some(total),
    }));
    if drift {
        let avv = |f: &Figures| f.avvikelse.or(f.avvikelse_ack).or(f.avvikelse_manad);
        let with: Vec<(&NamndPart, Decimal)> = rows
            .iter()
            .filter_map(|(n, t, _)| t.as_ref().and_then(avv).map(|v| (*n, v)))
            .collect();
        if with.is_empty() {
            return;
        }
        let negative: Vec<&str> = with
            .iter()
            .filter(|(_, v)| v.is_sign_negative() && !v.is_zero())
            .map(|(n, _)| n.code.as_str())
            .collect();
        let summary = format!(
            "{} {} avvikelse mot budget; {} av dem negativ{}. Kommunens samlade avvikelse är {} tkr.",
            with.len(),
            if with.len() == 1 {
                "nämnd redovisar"
            } else {
                "nämnder redovisar"
            },
            negative.len(),
            if negative.is_empty() {
                String::new()
            } else {
                format!(" ({})", negative.join(", "))
            },
            sum(avv)
                .map(|v| signed(v, Some(0)))
                .unwrap_or_else(|| "–".into())
        );
        out.push(Block::Chart(Chart {
            id: ids.make("diagram avvikelse per namnd"),
            title: format!("Avvikelse mot budget per nämnd, {} (tkr)", input.period),
            summary,
            kind: ChartKind::Bars {
                labels: with.iter().map(|(n, _)| n.code.clone()).collect(),
                series: vec![Series {
                    name: "Avvikelse".into(),
                    values: with.iter().map(|(_, v)| Some(*v)).collect(),
                }],
                unit: "tkr".into(),
            },
            data_table: id,
        }));
    }
}

/// Investment utgifter as the reports print them: positive (the result
/// convention stores them negative); deviations keep their sign.
fn outflow(drift: bool, label: &str, v: Decimal) -> Decimal {
    if !drift && !label.starts_with("Avvikelse") && !label.starts_with("Prognosavvikelse") {
        -v
    } else {
        v
    }
}

fn bedomning_cell(b: Option<&str>) -> Cell {
    let b = b.unwrap_or("ingen");
    Cell {
        text: bedomning_label(b).into(),
        mark: Some(Mark::Bedomning(bedomning_mark(b))),
    }
}

fn goal_matrix(input: &KommunInput, ids: &mut Ids, out: &mut Vec<Block>) {
    if input.goal_matrix.iter().all(|a| a.goals.is_empty()) {
        return;
    }
    out.push(heading(3, "Resultatmål: nämndernas bedömningar", ids));
    for area in input.goal_matrix.iter().filter(|a| !a.goals.is_empty()) {
        out.push(Block::Table(Table {
            id: ids.make(&format!("malmatris {}", area.name)),
            caption: format!("Resultatmål inom {}", area.name),
            columns: vec![
                Column::text("Resultatmål"),
                Column::text("Huvudansvar"),
                Column::text("Medansvariga"),
                Column::text("Förslag utifrån indikatorerna"),
            ],
            rows: area
                .goals
                .iter()
                .map(|g| {
                    let cell = |role: &str| {
                        let parts: Vec<String> = g
                            .cells
                            .iter()
                            .filter(|(_, r, _)| r == role)
                            .map(|(n, _, b)| {
                                format!("{n}: {}", bedomning_label(b.as_deref().unwrap_or("ingen")))
                            })
                            .collect();
                        Cell::new(parts.join("; "))
                    };
                    vec![
                        Cell::new(g.title.clone()),
                        cell("huvudansvar"),
                        cell("medansvar"),
                        bedomning_cell(Some(&g.suggested)),
                    ]
                })
                .collect(),
            total: None,
        }));
    }
}

fn indicator_overview(input: &KommunInput, ids: &mut Ids, out: &mut Vec<Block>) {
    if input.indicators.is_empty() {
        return;
    }
    out.push(heading(3, "Indikatorer", ids));
    let count = |b: &str| input.indicators.iter().filter(|i| i.bedomning == b).count();
    out.push(Block::Paragraph(vec![Span::plain(format!(
        "{} indikatorer: {} gröna, {} gula, {} röda och {} utan bedömning.",
        input.indicators.len(),
        count("gron"),
        count("gul"),
        count("rod"),
        input.indicators.len() - count("gron") - count("gul") - count("rod")
    ))]));
    out.push(Block::Table(Table {
        id: ids.make("tabell indikatoroversikt"),
        caption: format!("Indikatorer med senaste utfall, {}", input.year),
        columns: vec![
            Column::text("Indikator"),
            Column::text("Målområde"),
            Column::number("Utfallsår"),
            Column::number("Utfall"),
            Column::text("Trend"),
            Column::number("Riktvärde"),
            Column::text("Bedömning"),
        ],
        rows: input
            .indicators
            .iter()
            .map(|i| {
                let (arrow, text) = trend_arrow(&i.trend);
                vec![
                    Cell::new(i.name.clone()),
                    Cell::new(i.goal_areas.clone()),
                    Cell::new(i.utfall_year.map(|y| y.to_string()).unwrap_or_default()),
                    Cell::new(
                        i.utfall
                            .map(|v| number(v, None))
                            .unwrap_or_else(|| "–".into()),
                    ),
                    Cell {
                        text: text.into(),
                        mark: Some(Mark::Trend(arrow)),
                    },
                    Cell::new(
                        i.riktvarde
                            .map(|v| number(v, None))
                            .unwrap_or_else(|| "–".into()),
                    ),
                    bedomning_cell(Some(&i.bedomning)),
                ]
            })
            .collect(),
        total: None,
    }));
}

fn submissions(input: &KommunInput, ids: &mut Ids, out: &mut Vec<Block>) {
    out.push(heading(3, "Nämndernas rapporter", ids));
    out.push(Block::Table(Table {
        id: ids.make("tabell inlamning"),
        caption: format!(
            "{} per nämnd, {}",
            type_label(&input.report_type),
            input.period
        ),
        columns: vec![
            Column::text("Nämnd"),
            Column::text("Kod"),
            Column::text("Status"),
            Column::text("Beslut"),
        ],
        rows: input
            .namnder
            .iter()
            .map(|n| {
                vec![
                    Cell::new(n.name.clone()),
                    Cell::new(n.code.clone()),
                    Cell::new(status_label(&n.status)),
                    Cell::new(n.beslut.clone().unwrap_or_default()),
                ]
            })
            .collect(),
        total: None,
    }));
}
