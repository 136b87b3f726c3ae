//! `/api/v1/kommun/…`: consolidated, read-only views over every nämnd for
//! the kommunledningsförvaltning (kommunledning, admin, revisor), as JSON or
//! as CSV for Excel (`?format=csv`).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::computed,
    csv,
    figures::{FiguresDto, TableDto, Unit, table_dto},
    read_cache::{Snapshot, json, request_key},
};
use crate::{
    auth::{Action, Principal, Target, authorize},
    domain::{
        BudgetLineKind, ReportPeriod,
        process::{DeadlineKind, DeadlineState},
        structure::{PeriodKind, PeriodSpec, ReportType},
    },
    error::ApiError,
    service::{consolidation, deadlines, kommun_views as views, versions},
    state::AppState,
};

/// JSON (default) or CSV for Excel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(example = "csv")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

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
    pub basis: Option<super::decided::Basis>,
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
    pub basis: super::decided::Basis,
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

/// Authorises a kommun view, takes the kommun's change number (before
/// anything the view shows is read: see [`Snapshot`]) and reads the period.
async fn view_period(
    state: &AppState,
    principal: &Principal,
    period_id: Uuid,
) -> Result<(Uuid, PeriodSpec, ReportPeriod, Snapshot), ApiError> {
    authorize(
        principal,
        Action::Read,
        Target::Consolidated {
            kommun: &principal.kommun_code,
        },
    )?;
    let kommun_id = principal.require_kommun()?;
    let snapshot = Snapshot::take(state, kommun_id).await?;
    let (spec, report_period) = views::view_period(&state.db, kommun_id, period_id).await?;
    Ok((kommun_id, spec, report_period, snapshot))
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
        (status = 406, description = "`Accept` allows neither application/json nor text/csv", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "Per nämnd (or, with `namnd`, that nämnd's lines); CSV with `format=csv` or `Accept: text/csv`", body = KommunTableAnswer,
            content((KommunTableAnswer = "application/json"), (String = "text/csv", example = json!("\u{feff}Nämnd;Namn;Utfall;Budget;Avvikelse;Avvikelse %;Helårsbudget;Helårsprognos;Prognosavvikelse\r\nVON;Vård- och omsorgsnämnden;-907875;-907426;-450;0;-907426;;\r\nSumma;Kommunen;-907875;-907426;-450;0;-907426;;\r\n")))),
        (status = 422, description = "Unknown period or nämnd", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/kommun/{kind}")]
pub async fn kommun_table(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    kind: web::Path<BudgetLineKind>,
    query: crate::api::common::ApiQuery<KommunTableQuery>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind.into_inner();
    let (kommun_id, spec, period, snapshot) =
        view_period(&state, &principal, query.period_id).await?;
    let key = request_key(&req);
    snapshot
        .respond(&req, &state, key, || async {
            let unit = query.unit.unwrap_or_default();
            let month_and_ack = spec.kind != PeriodKind::Helar;
            let csv_name = format!("{}-{}-{}.csv", kind_name(kind), spec.year, spec.kind);
            if let Some(code) = &query.namnd {
                // Drill-down: only that nämnd's lines.
                let table = views::namnd_table(&state.db, kommun_id, code, kind, period).await?;
                let dto: TableDto = table_dto(&table, kind, spec.label(), unit, month_and_ack)?;
                if csv::wanted(&req, query.format.map(|f| f == Format::Csv))? {
                    let mut rows = Vec::new();
                    flatten(&dto.rows, 0, &mut rows);
                    rows.push(
                        [
                            vec!["Summa".to_string(), String::new()],
                            figure_cells(&dto.total),
                        ]
                        .concat(),
                    );
                    let headers = [&["Kod", "Namn"][..], &FIGURE_COLUMNS[..]].concat();
                    return Ok(csv::answer(&csv_name, &headers, &rows));
                }
                return json(&dto);
            }
            let data = consolidation::kommun_table(&state.db, kommun_id, kind, period).await?;
            let decided = match query.basis.unwrap_or_default() {
                super::decided::Basis::Live => HashMap::new(),
                super::decided::Basis::Beslutad => match decided_report_type(spec.kind) {
                    Some(report_type) => {
                        versions::decided_for_period(
                            &state.db,
                            kommun_id,
                            query.period_id,
                            report_type,
                        )
                        .await?
                    }
                    None => HashMap::new(),
                },
            };
            let mut rows = Vec::with_capacity(data.namnder.len());
            let mut bases = Vec::with_capacity(data.namnder.len());
            for (n, figures) in &data.namnder {
                let (shown, base, basis, version) = match decided.get(&n.id) {
                    Some(v) => {
                        let parsed = versions::parsed(&state.db, &state.versions, v).await?;
                        let (shown, base) = decided_total(&parsed, kind, unit)?;
                        (shown, base, super::decided::Basis::Beslutad, Some(v.number))
                    }
                    None => (
                        FiguresDto::new(figures, unit, month_and_ack),
                        *figures,
                        super::decided::Basis::Live,
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
                    .map_err(|e| ApiError::Unexpected(format!("kommun total: {e}")))?
            };
            let dto = KommunTableDto {
                kind,
                unit,
                period: spec.label(),
                namnder: rows,
                total: FiguresDto::new(&total, unit, month_and_ack),
            };
            if csv::wanted(&req, query.format.map(|f| f == Format::Csv))? {
                let mut rows: Vec<Vec<String>> = dto
                    .namnder
                    .iter()
                    .map(|r| {
                        [
                            vec![r.namnd.clone(), r.name.clone()],
                            figure_cells(&r.figures),
                        ]
                        .concat()
                    })
                    .collect();
                rows.push(
                    [
                        vec!["Summa".to_string(), "Kommunen".to_string()],
                        figure_cells(&dto.total),
                    ]
                    .concat(),
                );
                let headers = [&["Nämnd", "Namn"][..], &FIGURE_COLUMNS[..]].concat();
                return Ok(csv::answer(&csv_name, &headers, &rows));
            }
            json(&dto)
        })
        .await
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
        serde_json::from_str(version.total(&format!("{key}.{unit}")).get())
            .map_err(|e| ApiError::Unexpected(format!("stored version total: {e}")))
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

fn flatten(rows: &[super::figures::TableRowDto], depth: usize, out: &mut Vec<Vec<String>>) {
    for row in rows {
        let name = format!("{}{}", "  ".repeat(depth), row.name);
        out.push([vec![row.code.clone(), name], figure_cells(&row.figures)].concat());
        flatten(&row.children, depth + 1, out);
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmissionQuery {
    pub period_id: Uuid,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub report_type: ReportType,
    pub format: Option<Format>,
}

/// Where one nämnd's report stands.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "namnd": "VON", "name": "Vård- och omsorgsnämnden",
    "status": "godkand", "report_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "created_at": "2025-01-15T09:00:00Z",
    "submitted_at": "2025-02-10T08:00:00Z", "approved_at": "2025-02-27T15:00:00Z", "beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22",
    "deadlines": [{"deadline_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190", "kind": "underlag",
        "due_date": "2025-02-07", "met_on": "2025-02-10", "state": "late", "days_late": 3}]}))]
pub struct SubmissionRow {
    pub namnd_id: Uuid,
    pub namnd: String,
    pub name: String,
    /// `saknas` (no report yet), `utkast`, `for_beslut` or `godkand`.
    pub status: String,
    pub report_id: Option<Uuid>,
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub approved_at: Option<chrono::DateTime<chrono::Utc>>,
    pub beslut_datum: Option<NaiveDate>,
    pub beslut_paragraf: Option<String>,
    /// The nämnd against the process calendar's deadlines of the period and
    /// type (`/deadlines`): underlag, nämndbeslut and inlämning, its own
    /// date where it has one, else the kommun's. Empty without deadlines.
    pub deadlines: Vec<DeadlineStatus>,
}

/// A nämnd against one deadline, as of today.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"deadline_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190", "kind": "underlag",
    "due_date": "2025-02-07", "met_on": "2025-02-10", "state": "late", "days_late": 3}))]
pub struct DeadlineStatus {
    pub deadline_id: Uuid,
    pub kind: DeadlineKind,
    pub due_date: NaiveDate,
    /// When the nämnd met it: underlag when its report was submitted,
    /// nämndbeslut its beslut_datum, inlämning when it was approved.
    pub met_on: Option<NaiveDate>,
    pub state: DeadlineState,
    /// Days after the date it was met (late), or that have passed without
    /// it (missing); null otherwise.
    pub days_late: Option<i64>,
}

/// The nämnd steps of the process calendar as the submissions CSV names
/// them: per step a date, a state and days late.
const DEADLINE_COLUMNS: [(DeadlineKind, &str); 3] = [
    (DeadlineKind::Underlag, "Underlag"),
    (DeadlineKind::Namndbeslut, "Nämndbeslut"),
    (DeadlineKind::Inlamning, "Inlämning"),
];

/// Submission status for a period and report type: which nämnder have no
/// report, or one in utkast, for_beslut or godkand, with dates.
#[utoipa::path(tag = "kommun", params(SubmissionQuery),
    responses(
        (status = 406, description = "`Accept` allows neither application/json nor text/csv", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "A row per nämnd; CSV with `format=csv` or `Accept: text/csv`", body = Vec<SubmissionRow>,
            content((Vec<SubmissionRow> = "application/json"), (String = "text/csv", example = json!("\u{feff}Nämnd;Namn;Status;Skapad;Inlämnad;Godkänd;Beslutsdatum;Paragraf;Underlag senast;Underlag läge;Underlag dagar sent;Nämndbeslut senast;Nämndbeslut läge;Nämndbeslut dagar sent;Inlämning senast;Inlämning läge;Inlämning dagar sent\r\nBIN;Bildningsnämnden;saknas;;;;;;2025-02-07;missing;20;;;;;;\r\nVON;Vård- och omsorgsnämnden;godkand;2025-01-15;2025-02-10;2025-02-27;2025-02-27;§ 22;2025-02-07;late;3;;;;;;\r\n")))),
        (status = 422, description = "Unknown period", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/kommun/submissions")]
pub async fn submissions(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    query: crate::api::common::ApiQuery<SubmissionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (kommun_id, spec, _, snapshot) = view_period(&state, &principal, query.period_id).await?;
    let key = format!(
        "{}&today={}",
        request_key(&req),
        chrono::Utc::now().date_naive()
    );
    snapshot
        .respond(&req, &state, key, || async {
            let deadlines =
                deadlines::of_period(&state.db, kommun_id, query.period_id, query.report_type)
                    .await?;
            let today = chrono::Utc::now().date_naive();
            let rows: Vec<SubmissionRow> = consolidation::submissions(
                &state.db,
                kommun_id,
                query.period_id,
                query.report_type.as_str(),
            )
            .await?
            .into_iter()
            .map(|(n, r)| SubmissionRow {
                deadlines: deadlines::namnd_deadlines(&deadlines, n.id, r.as_ref(), today)
                    .into_iter()
                    .map(|d| DeadlineStatus {
                        deadline_id: d.deadline_id,
                        kind: d.kind,
                        due_date: d.due_date,
                        met_on: d.met_on,
                        state: d.state,
                        days_late: d.days_late,
                    })
                    .collect(),
                namnd_id: n.id,
                namnd: n.code,
                name: n.name,
                status: r
                    .as_ref()
                    .map(|r| r.status.to_string())
                    .unwrap_or_else(|| "saknas".into()),
                report_id: r.as_ref().map(|r| r.id),
                created_at: r.as_ref().map(|r| r.created_at),
                submitted_at: r.as_ref().and_then(|r| r.submitted_at),
                approved_at: r.as_ref().and_then(|r| r.approved_at),
                beslut_datum: r.as_ref().and_then(|r| r.beslut_datum),
                beslut_paragraf: r.and_then(|r| r.beslut_paragraf),
            })
            .collect();
            if csv::wanted(&req, query.format.map(|f| f == Format::Csv))? {
                let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
                    d.map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default()
                };
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        let mut cells = vec![
                            r.namnd.clone(),
                            r.name.clone(),
                            r.status.clone(),
                            date(r.created_at),
                            date(r.submitted_at),
                            date(r.approved_at),
                            r.beslut_datum.map(|d| d.to_string()).unwrap_or_default(),
                            r.beslut_paragraf.clone().unwrap_or_default(),
                        ];
                        // Per nämnd step: its date, the nämnd's state, days late.
                        for (kind, _) in DEADLINE_COLUMNS {
                            let d = r.deadlines.iter().find(|d| d.kind == kind);
                            cells.push(d.map(|d| d.due_date.to_string()).unwrap_or_default());
                            cells.push(d.map(|d| d.state.to_string()).unwrap_or_default());
                            cells.push(
                                d.and_then(|d| d.days_late)
                                    .map(|n| n.to_string())
                                    .unwrap_or_default(),
                            );
                        }
                        cells
                    })
                    .collect();
                let name = format!(
                    "inlamning-{}-{}-{}.csv",
                    query.report_type, spec.year, spec.kind
                );
                let mut headers: Vec<String> = [
                    "Nämnd",
                    "Namn",
                    "Status",
                    "Skapad",
                    "Inlämnad",
                    "Godkänd",
                    "Beslutsdatum",
                    "Paragraf",
                ]
                .map(String::from)
                .to_vec();
                for (_, label) in DEADLINE_COLUMNS {
                    headers.push(format!("{label} senast"));
                    headers.push(format!("{label} läge"));
                    headers.push(format!("{label} dagar sent"));
                }
                let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
                return Ok(csv::answer(&name, &headers, &cells));
            }
            json(&rows)
        })
        .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// First year, 1900–2200 (required).
    #[param(required = true, example = 2020, minimum = 1900, maximum = 2200)]
    pub from_year: Option<i32>,
    /// Last year, 1900–2200, not before `from_year`, at most 30 years on
    /// (required).
    #[param(required = true, example = 2024, minimum = 1900, maximum = 2200)]
    pub to_year: Option<i32>,
    /// `json` or `csv`; decides over `Accept` (which may ask for `text/csv`). Without either, JSON.
    pub format: Option<Format>,
}

/// A nämnd's prognossäkerhet for a year, from decided versions only.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "namnd": "VON",
    "name": "Vård- och omsorgsnämnden", "year": 2024, "helarsprognos": -907000000,
    "utfall": -907875400, "helarsbudget": -907425600, "prognossakerhet": 875400,
    "prognossakerhet_procent": 0.1, "delarsrapport_version": 1, "arsredovisning_version": 1}))]
pub struct ForecastRow {
    pub namnd_id: Uuid,
    pub namnd: String,
    pub name: String,
    pub year: i32,
    /// Drift helårsprognos of the decided delårsrapport, kr.
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub helarsprognos: Option<Decimal>,
    /// Drift utfall of the decided årsredovisning, kr.
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub utfall: Option<Decimal>,
    /// Drift helårsbudget of the decided årsredovisning, kr.
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub helarsbudget: Option<Decimal>,
    /// `helarsprognos − utfall`, kr; null unless both reports are decided.
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub prognossakerhet: Option<Decimal>,
    /// `prognossakerhet` as a percentage of |helårsbudget|, one decimal.
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub prognossakerhet_procent: Option<Decimal>,
    pub delarsrapport_version: Option<i32>,
    pub arsredovisning_version: Option<i32>,
}

/// Prognossäkerhet per nämnd and year (admin, kommunledning, revisor): the
/// helårsprognos of the decided delårsrapport against the decided
/// årsredovisning's utfall, in kr and in % of the budget. Decided versions
/// only: later corrections do not move a judged forecast.
#[utoipa::path(tag = "kommun", params(ForecastQuery),
    responses(
        (status = 406, description = "`Accept` allows neither application/json nor text/csv", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 200, description = "A row per nämnd and year with a decided report; CSV with `format=csv` or `Accept: text/csv`", body = Vec<ForecastRow>,
            content((Vec<ForecastRow> = "application/json"), (String = "text/csv", example = json!("\u{feff}Nämnd;Namn;År;Helårsprognos;Utfall;Helårsbudget;Prognossäkerhet;Prognossäkerhet %\r\nVON;Vård- och omsorgsnämnden;2024;-907000000;-907875400;-907425600;875400;0,1\r\n")))),
        (status = 422, description = "Years out of range", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/kommun/prognossakerhet")]
pub async fn forecast_accuracy(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    query: crate::api::common::ApiQuery<ForecastQuery>,
) -> Result<HttpResponse, ApiError> {
    authorize(
        &principal,
        Action::Read,
        Target::Consolidated {
            kommun: &principal.kommun_code,
        },
    )?;
    let kommun_id = principal.require_kommun()?;
    // Checked after the authorisation: a caller who may not read the view
    // learns nothing about its parameters.
    let years = crate::domain::MIN_YEAR..=crate::domain::MAX_YEAR;
    let mut errors = Vec::new();
    for (field, year) in [("from_year", query.from_year), ("to_year", query.to_year)] {
        match year {
            None => errors.push(crate::error::FieldError::new(field, "is required")),
            Some(y) if !years.contains(&y) => errors.push(crate::error::FieldError::new(
                field,
                "must be a year from 1900 to 2200",
            )),
            Some(_) => {}
        }
    }
    let (from_year, to_year) = (
        query.from_year.unwrap_or_default(),
        query.to_year.unwrap_or_default(),
    );
    if errors.is_empty() && !(0..=30).contains(&(to_year - from_year)) {
        errors.push(crate::error::FieldError::new(
            "to_year",
            "must be from from_year to 30 years after it",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let rows: Vec<ForecastRow> = views::forecast_accuracy(&state.db, kommun_id, from_year, to_year)
        .await?
        .into_iter()
        .map(|r| ForecastRow {
            namnd_id: r.namnd.id,
            namnd: r.namnd.code,
            name: r.namnd.name,
            year: r.year,
            helarsprognos: r.helarsprognos,
            utfall: r.utfall,
            helarsbudget: r.helarsbudget,
            prognossakerhet: r.prognossakerhet,
            prognossakerhet_procent: r.prognossakerhet_procent,
            delarsrapport_version: r.delarsrapport_version,
            arsredovisning_version: r.arsredovisning_version,
        })
        .collect();
    if csv::wanted(&req, query.format.map(|f| f == Format::Csv))? {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.namnd.clone(),
                    r.name.clone(),
                    r.year.to_string(),
                    csv::number(r.helarsprognos),
                    csv::number(r.utfall),
                    csv::number(r.helarsbudget),
                    csv::number(r.prognossakerhet),
                    csv::number(r.prognossakerhet_procent),
                ]
            })
            .collect();
        let headers = [
            "Nämnd",
            "Namn",
            "År",
            "Helårsprognos",
            "Utfall",
            "Helårsbudget",
            "Prognossäkerhet",
            "Prognossäkerhet %",
        ];
        let name = format!("prognossakerhet-{from_year}-{to_year}.csv");
        return Ok(csv::response(&name, &headers, &cells));
    }
    computed(&req, &rows)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(submissions)
        .service(forecast_accuracy)
        .service(goal_matrix)
        .service(indicator_overview)
        .service(assignment_overview)
        .service(kommun_table);
}

mod plan_views {

    use actix_web::{HttpRequest, HttpResponse, get, web};
    use serde::{Deserialize, Serialize};
    use utoipa::{IntoParams, ToSchema};
    use uuid::Uuid;

    use super::{Format, view_period};
    use crate::{
        api::{
            common::computed,
            csv,
            read_cache::{Snapshot, json, request_key},
        },
        auth::Principal,
        domain::{Bedomning, Trend, structure::ReportType},
        error::ApiError,
        service::kommun_views as views,
        state::AppState,
    };

    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct PlanViewQuery {
        pub period_id: Uuid,
        /// The report type whose assessments and statuses are shown.
        #[serde(rename = "type")]
        #[param(rename = "type")]
        pub report_type: ReportType,
        pub format: Option<Format>,
    }

    /// Colour counts.
    #[derive(Debug, Default, Clone, Serialize, ToSchema)]
    #[schema(example = json!({"gron": 3, "gul": 1, "rod": 0, "ingen": 2}))]
    pub struct ColourCount {
        pub gron: u32,
        pub gul: u32,
        pub rod: u32,
        pub ingen: u32,
    }

    impl From<views::ColourCount> for ColourCount {
        fn from(c: views::ColourCount) -> Self {
            ColourCount {
                gron: c.gron,
                gul: c.gul,
                rod: c.rod,
                ingen: c.ingen,
            }
        }
    }

    /// One nämnd's assessment of a goal.
    #[derive(Debug, Serialize, ToSchema)]
    #[schema(example = json!({"namnd": "VON", "role": "huvudansvar", "report_id": null, "bedomning": "gul", "comment": "Delvis uppfyllt"}))]
    pub struct MatrixCell {
        pub namnd: String,
        /// `huvudansvar` or `medansvar`.
        pub role: String,
        pub report_id: Option<Uuid>,
        /// The nämnd's final bedömning; null when not assessed yet.
        pub bedomning: Option<Bedomning>,
        pub comment: Option<String>,
    }

    #[derive(Debug, Serialize, ToSchema)]
    #[schema(example = json!({"goal_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071d0", "title": "Ökad nöjdhet med hemtjänsten", "suggested": "rod",
        "cells": [], "summary": {"gron": 0, "gul": 0, "rod": 1, "ingen": 0}}))]
    pub struct MatrixGoal {
        pub goal_id: Uuid,
        pub title: String,
        /// Suggested from the goal's indicators for the period's year.
        pub suggested: Bedomning,
        pub cells: Vec<MatrixCell>,
        pub summary: ColourCount,
    }

    #[derive(Debug, Serialize, ToSchema)]
    #[schema(example = json!({"goal_area_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071e0", "name": "Trygg omsorg & vård", "goals": [], "summary": {"gron": 2, "gul": 3, "rod": 1, "ingen": 0}}))]
    pub struct MatrixArea {
        pub goal_area_id: Uuid,
        pub name: String,
        pub goals: Vec<MatrixGoal>,
        pub summary: ColourCount,
    }

    impl From<views::MatrixArea> for MatrixArea {
        fn from(a: views::MatrixArea) -> Self {
            MatrixArea {
                goal_area_id: a.goal_area_id,
                name: a.name,
                goals: a
                    .goals
                    .into_iter()
                    .map(|g| MatrixGoal {
                        goal_id: g.goal_id,
                        title: g.title,
                        suggested: g.suggested,
                        cells: g
                            .cells
                            .into_iter()
                            .map(|c| MatrixCell {
                                namnd: c.namnd,
                                role: c.role.into(),
                                report_id: c.report_id,
                                bedomning: c.bedomning,
                                comment: c.comment,
                            })
                            .collect(),
                        summary: g.summary.into(),
                    })
                    .collect(),
                summary: a.summary.into(),
            }
        }
    }

    /// The goal matrix: every resultatmål of the plan in force in the
    /// period's year × every responsible nämnd with its
    /// bedömning (and the suggestion from the indicators), with counts per
    /// colour for each goal and goal area.
    #[utoipa::path(tag = "kommun", params(PlanViewQuery),
        responses(
            (status = 406, description = "`Accept` allows neither application/json nor text/csv", body = crate::error::Problem, content_type = "application/problem+json"),
            (status = 200, description = "Goal areas with their goals and cells; CSV with `format=csv` or `Accept: text/csv`", body = Vec<MatrixArea>,
                content((Vec<MatrixArea> = "application/json"), (String = "text/csv", example = json!("\u{feff}Målområde;Resultatmål;Nämnd;Ansvar;Bedömning;Förslag från indikatorer;Kommentar\r\nTrygg omsorg & vård;Ökad nöjdhet med hemtjänsten;VON;huvudansvar;rod;rod;Målet är inte uppfyllt\r\n")))),
            (status = 422, description = "Unknown period", body = crate::error::Problem, content_type = "application/problem+json"),
        ))]
    #[get("/kommun/goal-matrix")]
    pub async fn goal_matrix(
        req: HttpRequest,
        state: web::Data<AppState>,
        principal: Principal,
        query: crate::api::common::ApiQuery<PlanViewQuery>,
    ) -> Result<HttpResponse, ApiError> {
        let (kommun_id, spec, _, snapshot) =
            view_period(&state, &principal, query.period_id).await?;
        let key = request_key(&req);
        snapshot
            .respond(&req, &state, key, || async {
                let rows: Vec<MatrixArea> = views::goal_matrix(
                    &state.db,
                    kommun_id,
                    query.period_id,
                    spec.year,
                    query.report_type.as_str(),
                )
                .await?
                .into_iter()
                .map(MatrixArea::from)
                .collect();
                if csv::wanted(&req, query.format.map(|f| f == Format::Csv))? {
                    let name = |b: Option<Bedomning>| {
                        b.map(|b| {
                            serde_json::to_value(b)
                                .ok()
                                .and_then(|v| v.as_str().map(String::from))
                                .unwrap_or_default()
                        })
                        .unwrap_or_default()
                    };
                    let mut cells = Vec::new();
                    for a in &rows {
                        for g in &a.goals {
                            for c in &g.cells {
                                cells.push(vec![
                                    a.name.clone(),
                                    g.title.clone(),
                                    c.namnd.clone(),
                                    c.role.clone(),
                                    name(c.bedomning),
                                    name(Some(g.suggested)),
                                    c.comment.clone().unwrap_or_default(),
                                ]);
                            }
                        }
                    }
                    return Ok(csv::answer(
                        &format!("malmatris-{}.csv", spec.year),
                        &[
                            "Målområde",
                            "Resultatmål",
                            "Nämnd",
                            "Ansvar",
                            "Bedömning",
                            "Förslag från indikatorer",
                            "Kommentar",
                        ],
                        &cells,
                    ));
                }
                json(&rows)
            })
            .await
    }

    #[derive(Debug, Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct IndicatorOverviewQuery {
        /// Year assessed (default: each indicator's latest year with a riktvärde).
        #[param(minimum = 1900, maximum = 2200)]
        pub year: Option<i32>,
        pub goal_area_id: Option<Uuid>,
        /// Nämnd code: indicators of goals it answers for.
        #[param(example = "VON")]
        pub namnd: Option<String>,
        /// Only this final colour.
        pub bedomning: Option<Bedomning>,
        pub format: Option<Format>,
    }

    #[derive(Debug, Serialize, ToSchema)]
    #[schema(example = json!({"indicator_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071f0", "name": "Brukarbedömning hemtjänst äldreomsorg - helhetssyn, andel (%)",
        "goal_areas": ["Trygg omsorg & vård"], "year": 2024, "utfall_year": 2024, "utfall": 83, "trend": "forsamrad", "riktvarde": 90, "bedomning": "rod", "bedomning_computed": "rod", "kolada_id": "U21468",
        "jamforelse": {"year": 2024, "country": 81.2, "group": 84.5, "group_id": "G124026", "group_name": "Liknande kommuner äldreomsorg, 2024"}}))]
    pub struct IndicatorOverviewRow {
        pub indicator_id: Uuid,
        pub name: String,
        pub goal_areas: Vec<String>,
        pub year: Option<i32>,
        /// Year of the latest available utfall used.
        pub utfall_year: Option<i32>,
        #[serde(with = "crate::api::decimal::option")]
        #[schema(value_type = Option<f64>)]
        pub utfall: Option<rust_decimal::Decimal>,
        pub trend: Trend,
        #[serde(with = "crate::api::decimal::option")]
        #[schema(value_type = Option<f64>)]
        pub riktvarde: Option<rust_decimal::Decimal>,
        pub bedomning: Bedomning,
        pub bedomning_computed: Bedomning,
        pub kolada_id: Option<String>,
        /// For an indicator with a Kolada id, the country's and the
        /// comparison group's values of `utfall_year` (else `year`); null
        /// without Kolada id or year.
        #[schema(required = true)]
        pub jamforelse: Option<crate::api::indicators::JamforelseDto>,
    }

    /// Every indicator with latest utfall, trend, riktvärde and bedömning,
    /// filterable by goal area, nämnd and colour.
    #[utoipa::path(tag = "kommun", params(IndicatorOverviewQuery),
        responses((status = 406, description = "`Accept` allows neither application/json nor text/csv", body = crate::error::Problem, content_type = "application/problem+json"),
            (status = 200, description = "A row per indicator; CSV with `format=csv` or `Accept: text/csv`", body = Vec<IndicatorOverviewRow>,
            content((Vec<IndicatorOverviewRow> = "application/json"), (String = "text/csv", example = json!("\u{feff}Indikator;Målområde;Utfallsår;Utfall;Trend;Riktvärde;Bedömning;Kolada;Riket;Jämförelsegrupp\r\nArbetslöshet 16-64 år (%);Tillväxt, bostäder & fler jobb;2024;9,3;forsamrad;8;rod;;;\r\n"))))))]
    #[get("/kommun/indicators")]
    pub async fn indicator_overview(
        req: HttpRequest,
        state: web::Data<AppState>,
        principal: Principal,
        query: crate::api::common::ApiQuery<IndicatorOverviewQuery>,
    ) -> Result<HttpResponse, ApiError> {
        crate::auth::authorize(
            &principal,
            crate::auth::Action::Read,
            crate::auth::Target::Consolidated {
                kommun: &principal.kommun_code,
            },
        )?;
        if let Some(year) = query.year {
            crate::api::indicators::parse_year(&year.into())
                .map_err(|e| ApiError::validation("year", e))?;
        }
        let Some(kommun_id) = principal.kommun_id else {
            return computed(&req, &Vec::<IndicatorOverviewRow>::new());
        };
        let snapshot = Snapshot::take(&state, kommun_id).await?;
        snapshot
            .respond(&req, &state, request_key(&req), || async {
                let filter = views::IndicatorFilter {
                    year: query.year,
                    goal_area_id: query.goal_area_id,
                    namnd: query.namnd.as_deref(),
                    bedomning: query.bedomning,
                };
                let rows: Vec<IndicatorOverviewRow> =
                    views::indicator_overview(&state.db, kommun_id, filter)
                        .await?
                        .into_iter()
                        .map(|r| IndicatorOverviewRow {
                            indicator_id: r.indicator_id,
                            name: r.name,
                            goal_areas: r.goal_areas,
                            year: r.year,
                            utfall_year: r.utfall_year,
                            utfall: r.utfall,
                            trend: r.trend,
                            riktvarde: r.riktvarde,
                            bedomning: r.bedomning,
                            bedomning_computed: r.bedomning_computed,
                            kolada_id: r.kolada_id,
                            jamforelse: r.jamforelse.map(Into::into),
                        })
                        .collect();
                if csv::wanted(&req, query.format.map(|f| f == Format::Csv))? {
                    let s = |v: serde_json::Result<serde_json::Value>| {
                        v.ok()
                            .and_then(|v| v.as_str().map(String::from))
                            .unwrap_or_default()
                    };
                    let cells: Vec<Vec<String>> = rows
                        .iter()
                        .map(|r| {
                            vec![
                                r.name.clone(),
                                r.goal_areas.join(", "),
                                r.utfall_year.map(|y| y.to_string()).unwrap_or_default(),
                                csv::number(r.utfall),
                                s(serde_json::to_value(r.trend)),
                                csv::number(r.riktvarde),
                                s(serde_json::to_value(r.bedomning)),
                                r.kolada_id.clone().unwrap_or_default(),
                                csv::number(r.jamforelse.as_ref().and_then(|j| j.country)),
                                csv::number(r.jamforelse.as_ref().and_then(|j| j.group)),
                            ]
                        })
                        .collect();
                    return Ok(csv::answer(
                        "indikatorer.csv",
                        &[
                            "Indikator",
                            "Målområde",
                            "Utfallsår",
                            "Utfall",
                            "Trend",
                            "Riktvärde",
                            "Bedömning",
                            "Kolada",
                            "Riket",
                            "Jämförelsegrupp",
                        ],
                        &cells,
                    ));
                }
                json(&rows)
            })
            .await
    }

    #[derive(Debug, Serialize, ToSchema)]
    #[schema(example = json!({"assignment_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607200", "title": "Fortsätta effektivisera", "sarskilt": true, "end_date": null,
        "namnd": "VON", "role": "huvudansvar", "report_id": null, "status": "paborjad", "comment": "Arbetet pågår"}))]
    pub struct AssignmentOverviewRow {
        pub assignment_id: Uuid,
        pub title: String,
        pub sarskilt: bool,
        pub end_date: Option<chrono::NaiveDate>,
        pub namnd: String,
        pub role: String,
        pub report_id: Option<Uuid>,
        /// `ej_startad`, `paborjad`, `klar`, `stoppad`; null when not reported.
        pub status: Option<String>,
        pub comment: Option<String>,
    }

    /// Every uppdrag × responsible nämnd with the status and comment of the
    /// nämnd's report for the period.
    #[utoipa::path(tag = "kommun", params(PlanViewQuery),
        responses(
            (status = 406, description = "`Accept` allows neither application/json nor text/csv", body = crate::error::Problem, content_type = "application/problem+json"),
            (status = 200, description = "A row per uppdrag and nämnd; CSV with `format=csv` or `Accept: text/csv`", body = Vec<AssignmentOverviewRow>,
                content((Vec<AssignmentOverviewRow> = "application/json"), (String = "text/csv", example = json!("\u{feff}Uppdrag;Nämnd;Ansvar;Status;Slutdatum;Kommentar\r\nUtveckla boendekedjan för äldre;VON;medansvar;paborjad;;\"Boendeplanen reviderades 2023; renoveringen är prioriterad\"\r\n")))),
            (status = 422, description = "Unknown period", body = crate::error::Problem, content_type = "application/problem+json"),
        ))]
    #[get("/kommun/assignments")]
    pub async fn assignment_overview(
        req: HttpRequest,
        state: web::Data<AppState>,
        principal: Principal,
        query: crate::api::common::ApiQuery<PlanViewQuery>,
    ) -> Result<HttpResponse, ApiError> {
        let (kommun_id, spec, _, snapshot) =
            view_period(&state, &principal, query.period_id).await?;
        let key = request_key(&req);
        snapshot
            .respond(&req, &state, key, || async {
                let rows: Vec<AssignmentOverviewRow> = views::assignment_overview(
                    &state.db,
                    kommun_id,
                    query.period_id,
                    query.report_type.as_str(),
                )
                .await?
                .into_iter()
                .map(|r| AssignmentOverviewRow {
                    assignment_id: r.assignment_id,
                    title: r.title,
                    sarskilt: r.sarskilt,
                    end_date: r.slutdatum,
                    namnd: r.namnd,
                    role: r.role.into(),
                    report_id: r.report_id,
                    status: r.status,
                    comment: r.comment,
                })
                .collect();
                if csv::wanted(&req, query.format.map(|f| f == Format::Csv))? {
                    let cells: Vec<Vec<String>> = rows
                        .iter()
                        .map(|r| {
                            vec![
                                r.title.clone(),
                                r.namnd.clone(),
                                r.role.clone(),
                                r.status.clone().unwrap_or_default(),
                                r.end_date.map(|d| d.to_string()).unwrap_or_default(),
                                r.comment.clone().unwrap_or_default(),
                            ]
                        })
                        .collect();
                    return Ok(csv::answer(
                        &format!("uppdrag-{}.csv", spec.year),
                        &[
                            "Uppdrag",
                            "Nämnd",
                            "Ansvar",
                            "Status",
                            "Slutdatum",
                            "Kommentar",
                        ],
                        &cells,
                    ));
                }
                json(&rows)
            })
            .await
    }
}

pub use plan_views::{assignment_overview, goal_matrix, indicator_overview};
