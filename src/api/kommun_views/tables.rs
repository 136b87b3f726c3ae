//! `/kommun/{kind}`: every nämnd's drift or investering totals side by
//! side for a period, with the kommun's total.

use crate::error::ServiceError;
use std::collections::HashMap;

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Format, PeriodView, json_or_csv, period_view};
use crate::api::resource::Ctx;
use crate::api::{
    csv,
    figures::{FiguresDto, TableDto, Unit, table_dto},
};
use crate::{
    domain::{
        BudgetLineKind,
        structure::{PeriodKind, ReportType},
    },
    error::ApiError,
    service::{consolidation, kommun_views as views, versions},
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KommunTableQuery {
    /// The period (e.g. Helår 2024).
    pub period_id: Uuid,
    /// Drill down to one nämnd's lines (nämnd code).
    #[param(example = "VON")]
    pub namnd: Option<String>,
    /// `kr` (default) or `tkr`.
    pub unit: Option<Unit>,
    /// `json` or `csv`; decides over `Accept` (which may ask for `text/csv`). Without either, JSON.
    pub format: Option<Format>,
    /// `beslutad` (default): each nämnd's row as its approved report for
    /// the period decided it, where there is one (live otherwise);
    /// `live`: today's figures for every nämnd. The drill-down is live.
    pub basis: Option<crate::api::decided::Basis>,
}

/// One nämnd's row of the kommun table.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "namnd": "VON", "name": "Vård- och omsorgsnämnden",
    "figures": {"utfall": -907875, "budget": -907426, "avvikelse": -450}}))]
pub struct NamndRow {
    pub namnd_id: Uuid,
    pub namnd: String,
    pub name: String,
    pub figures: FiguresDto,
    /// `beslutad` when the row is the nämnd's decided report, `live` otherwise.
    pub basis: crate::api::decided::Basis,
    /// The decided version the row comes from.
    pub decided_version: Option<i32>,
}

/// The kommun's driftredovisning or investeringsredovisning: a row per
/// nämnd and the kommun total.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "drift", "unit": "tkr", "period": "Helår 2024", "namnder": [], "total": {"avvikelse": -450}}))]
pub struct KommunTableDto {
    pub kind: BudgetLineKind,
    pub unit: Unit,
    pub period: String,
    pub namnder: Vec<NamndRow>,
    /// Computed from every nämnd's lines before any rounding.
    pub total: FiguresDto,
}

/// The answer of `GET /kommun/{kind}`: the kommun table, or with `namnd`
/// that nämnd's lines (the drill-down). Told apart by `namnder` or `rows`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(example = json!({"kind": "drift", "unit": "tkr", "period": "Helår 2024", "namnder": [], "total": {"avvikelse": -450}}))]
pub enum KommunTableAnswer {
    /// Without `namnd`: a row per nämnd and the kommun total.
    Kommun(KommunTableDto),
    /// With `namnd`: the nämnd's lines and their total.
    Namnd(TableDto),
}

const FIGURE_COLUMNS: [&str; 7] = [
    "Utfall",
    "Budget",
    "Avvikelse",
    "Avvikelse %",
    "Helårsbudget",
    "Helårsprognos",
    "Prognosavvikelse",
];

fn figure_cells(f: &FiguresDto) -> Vec<String> {
    [
        f.utfall,
        f.budget,
        f.avvikelse,
        f.avvikelse_procent,
        f.helarsbudget,
        f.helarsprognos,
        f.prognos_avvikelse,
    ]
    .into_iter()
    .map(csv::number)
    .collect()
}

/// The kommun's driftredovisning or investeringsredovisning for a period:
/// per nämnd utfall, budget, avvikelse, helårsprognos and prognosavvikelse,
/// and the kommun total; `namnd` drills down to that nämnd's lines.
#[utoipa::path(tag = "kommun", params(("kind" = BudgetLineKind, Path, description = "drift or investering"), KommunTableQuery),
    responses(
        crate::api::responses::JsonOrCsvOnly,
        (status = 200, description = "Per nämnd (or, with `namnd`, that nämnd's lines); CSV with `format=csv` or `Accept: text/csv`", body = KommunTableAnswer,
            content((KommunTableAnswer = "application/json"), (String = "text/csv", example = json!("\u{feff}Nämnd;Namn;Utfall;Budget;Avvikelse;Avvikelse %;Helårsbudget;Helårsprognos;Prognosavvikelse\r\nVON;Vård- och omsorgsnämnden;-907875;-907426;-450;0;-907426;;\r\nSumma;Kommunen;-907875;-907426;-450;0;-907426;;\r\n")))),
        (status = 422, description = "Unknown period or nämnd", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/kommun/{kind}")]
pub async fn kommun_table(
    cx: Ctx,
    kind: web::Path<BudgetLineKind>,
    query: crate::api::common::ApiQuery<KommunTableQuery>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind.into_inner();
    period_view(cx, query.period_id, "", async |v| {
        let unit = query.unit.unwrap_or_default();
        let file = format!("{}-{}-{}.csv", kind_name(kind), v.spec.year, v.spec.kind);
        if let Some(code) = &query.namnd {
            // Drill-down: only that nämnd's lines.
            let table = views::namnd_table(&v.state.db, v.kommun_id, code, kind, v.period).await?;
            let month_and_ack = v.spec.kind != PeriodKind::Helar;
            let dto: TableDto = table_dto(&table, kind, v.spec.label(), unit, month_and_ack)?;
            let headers = [&["Kod", "Namn"][..], &FIGURE_COLUMNS[..]].concat();
            return json_or_csv(&v.req, query.format, &dto, (&file, &headers), || {
                let mut rows = Vec::new();
                flatten(&dto.rows, 0, &mut rows);
                rows.push(
                    [
                        vec!["Summa".to_string(), String::new()],
                        figure_cells(&dto.total),
                    ]
                    .concat(),
                );
                rows
            });
        }
        let dto = namnder_table(v, kind, unit, query.basis.unwrap_or_default()).await?;
        let headers = [&["Nämnd", "Namn"][..], &FIGURE_COLUMNS[..]].concat();
        json_or_csv(&v.req, query.format, &dto, (&file, &headers), || {
            let total = [
                vec!["Summa".to_string(), "Kommunen".to_string()],
                figure_cells(&dto.total),
            ]
            .concat();
            dto.namnder
                .iter()
                .map(|r| {
                    [
                        vec![r.namnd.clone(), r.name.clone()],
                        figure_cells(&r.figures),
                    ]
                    .concat()
                })
                .chain([total])
                .collect()
        })
    })
    .await
}

/// Every nämnd's row of the kommun table, each from its decided report of
/// the period where `basis` asks for it and there is one, live otherwise;
/// the kommun total of the rows shown.
async fn namnder_table(
    v: &PeriodView,
    kind: BudgetLineKind,
    unit: Unit,
    basis: crate::api::decided::Basis,
) -> Result<KommunTableDto, ApiError> {
    let (state, kommun_id) = (&v.state, v.kommun_id);
    let month_and_ack = v.spec.kind != PeriodKind::Helar;
    let data = consolidation::kommun_table(&state.db, kommun_id, kind, v.period).await?;
    let decided = match (basis, decided_report_type(v.spec.kind)) {
        (crate::api::decided::Basis::Beslutad, Some(report_type)) => {
            versions::decided_for_period(&state.db, kommun_id, v.period_id, report_type).await?
        }
        _ => HashMap::new(),
    };
    let documents = versions::parsed_all(&state.db, &state.versions, decided.values()).await?;
    let mut rows = Vec::with_capacity(data.namnder.len());
    let mut bases = Vec::with_capacity(data.namnder.len());
    for (n, figures) in &data.namnder {
        let (shown, base, basis, version) = match decided.get(&n.id) {
            Some(v) => {
                let parsed = documents.get(&v.id).ok_or_else(|| {
                    ApiError::Service(ServiceError::Unexpected(
                        "a decided version was not read".into(),
                    ))
                })?;
                let (shown, base) = decided_total(parsed, kind, unit)?;
                (
                    shown,
                    base,
                    crate::api::decided::Basis::Beslutad,
                    Some(v.number),
                )
            }
            None => (
                FiguresDto::new(figures, unit, month_and_ack),
                *figures,
                crate::api::decided::Basis::Live,
                None,
            ),
        };
        bases.push(base);
        rows.push(NamndRow {
            namnd_id: n.id,
            namnd: n.code.clone(),
            name: n.name.clone(),
            figures: shown,
            basis,
            decided_version: version,
        });
    }
    // The kommun total of the rows shown, from their exact kronor.
    let total = if decided.is_empty() {
        data.total
    } else {
        crate::domain::summa(bases.iter())
            .map_err(|e| ServiceError::Unexpected(format!("kommun total: {e}")))?
    };
    Ok(KommunTableDto {
        kind,
        unit,
        period: v.spec.label(),
        namnder: rows,
        total: FiguresDto::new(&total, unit, month_and_ack),
    })
}

/// The report type whose decision a kommun view of a period shows.
fn decided_report_type(kind: PeriodKind) -> Option<ReportType> {
    [
        ReportType::Manadsrapport,
        ReportType::Tertialrapport,
        ReportType::Delarsrapport,
        ReportType::Arsredovisning,
    ]
    .into_iter()
    .find(|t| t.period_kinds().contains(&kind))
}

/// A decided report's total of `kind`: as shown in `unit`, and its exact
/// kronor base figures for the kommun total.
fn decided_total(
    version: &versions::ParsedVersion,
    kind: BudgetLineKind,
    unit: Unit,
) -> Result<(FiguresDto, crate::domain::LineFigures), ApiError> {
    let key = match kind {
        BudgetLineKind::Drift => "drift",
        BudgetLineKind::Investering => "investering",
    };
    let figures = |unit: &str| -> Result<FiguresDto, ApiError> {
        serde_json::from_str(version.total(&format!("{key}.{unit}")).get()).map_err(|e| {
            ApiError::Service(ServiceError::Unexpected(format!(
                "stored version total: {e}"
            )))
        })
    };
    let kr = figures("kr")?;
    let shown = match unit {
        Unit::Kr => kr.clone(),
        Unit::Tkr => figures("tkr")?,
    };
    Ok((shown, kr.base_figures()))
}

fn kind_name(kind: BudgetLineKind) -> &'static str {
    match kind {
        BudgetLineKind::Drift => "driftredovisning",
        BudgetLineKind::Investering => "investeringsredovisning",
    }
}

fn flatten(rows: &[crate::api::figures::TableRowDto], depth: usize, out: &mut Vec<Vec<String>>) {
    for row in rows {
        let name = format!("{}{}", "  ".repeat(depth), row.name);
        out.push([vec![row.code.clone(), name], figure_cells(&row.figures)].concat());
        flatten(&row.children, depth + 1, out);
    }
}
