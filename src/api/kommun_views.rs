//! `/api/v1/kommun/…`: consolidated, read-only views over every nämnd for
//! the kommunledningsförvaltning (kommunledning, admin, revisor), as JSON or
//! as CSV for Excel (`?format=csv`).

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::computed,
    csv,
    figures::{FiguresDto, TableDto, Unit, table_dto},
};
use crate::{
    auth::{Action, Principal, Target, authorize},
    domain::{
        BudgetLineKind, ReportPeriod,
        structure::{PeriodKind, PeriodSpec, ReportType},
    },
    entity::period,
    error::ApiError,
    service::{consolidation, crud, periods},
    startup::AppState,
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
    /// `json` (default) or `csv`.
    pub format: Option<Format>,
}

/// One nämnd's row of the kommun table.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "namnd": "VON", "name": "Vård- och omsorgsnämnden",
    "figures": {"utfall": -907875, "budget": -907426, "avvikelse": -449}}))]
pub struct NamndRow {
    pub namnd_id: Uuid,
    pub namnd: String,
    pub name: String,
    pub figures: FiguresDto,
}

/// The kommun's driftredovisning or investeringsredovisning: a row per
/// nämnd and the kommun total.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "drift", "unit": "tkr", "period": "Helår 2024", "namnder": [], "total": {"avvikelse": -449}}))]
pub struct KommunTableDto {
    pub kind: BudgetLineKind,
    pub unit: Unit,
    pub period: String,
    pub namnder: Vec<NamndRow>,
    /// Computed from every nämnd's lines before any rounding.
    pub total: FiguresDto,
}

async fn view_period(
    state: &AppState,
    principal: &Principal,
    period_id: Uuid,
) -> Result<(Uuid, PeriodSpec, ReportPeriod), ApiError> {
    authorize(
        principal,
        Action::Read,
        Target::Consolidated {
            kommun: &principal.kommun_code,
        },
    )?;
    let kommun_id = principal.require_kommun()?;
    let period = crud::get::<period::Entity>(&state.db, kommun_id, period_id)
        .await
        .map_err(|_| ApiError::validation("period_id", "no period with this id in your kommun"))?;
    let spec = periods::spec_of(&period)?;
    let (first, last) = spec.months();
    let report_period = ReportPeriod::new(spec.year, first, last)
        .map_err(|e| ApiError::Unexpected(e.to_string()))?;
    Ok((kommun_id, spec, report_period))
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
        (status = 200, description = "Per nämnd (or, with `namnd`, that nämnd's lines); CSV with `format=csv`", body = KommunTableDto,
            content((KommunTableDto = "application/json"), (String = "text/csv"))),
        (status = 422, description = "Unknown period or nämnd", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/kommun/{kind}")]
pub async fn kommun_table(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    kind: web::Path<BudgetLineKind>,
    query: web::Query<KommunTableQuery>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind.into_inner();
    let (kommun_id, spec, period) = view_period(&state, &principal, query.period_id).await?;
    let unit = query.unit.unwrap_or_default();
    let month_and_ack = spec.kind != PeriodKind::Helar;
    let data = consolidation::kommun_table(&state.db, kommun_id, kind, period).await?;
    let csv_name = format!("{}-{}-{}.csv", kind_name(kind), spec.year, spec.kind);
    if let Some(code) = &query.namnd {
        let Some((_, table)) = data.namnder.iter().find(|(n, _)| &n.code == code) else {
            return Err(ApiError::validation(
                "namnd",
                format!("no nämnd {code:?} in your kommun"),
            ));
        };
        let dto: TableDto = table_dto(table, kind, spec.label(), unit, month_and_ack)?;
        if query.format == Some(Format::Csv) {
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
            return Ok(csv::response(&csv_name, &headers, &rows));
        }
        return computed(&req, &dto);
    }
    let dto = KommunTableDto {
        kind,
        unit,
        period: spec.label(),
        namnder: data
            .namnder
            .iter()
            .map(|(n, t)| NamndRow {
                namnd_id: n.id,
                namnd: n.code.clone(),
                name: n.name.clone(),
                figures: FiguresDto::new(&t.total, unit, month_and_ack),
            })
            .collect(),
        total: FiguresDto::new(&data.total, unit, month_and_ack),
    };
    if query.format == Some(Format::Csv) {
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
        return Ok(csv::response(&csv_name, &headers, &rows));
    }
    computed(&req, &dto)
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
    "submitted_at": "2025-02-10T08:00:00Z", "approved_at": "2025-02-27T15:00:00Z", "beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22"}))]
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
}

/// Submission status for a period and report type: which nämnder have no
/// report, or one in utkast, for_beslut or godkand, with dates.
#[utoipa::path(tag = "kommun", params(SubmissionQuery),
    responses(
        (status = 200, description = "A row per nämnd; CSV with `format=csv`", body = Vec<SubmissionRow>,
            content((Vec<SubmissionRow> = "application/json"), (String = "text/csv"))),
        (status = 422, description = "Unknown period", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/kommun/submissions")]
pub async fn submissions(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<SubmissionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (kommun_id, spec, _) = view_period(&state, &principal, query.period_id).await?;
    let rows: Vec<SubmissionRow> = consolidation::submissions(
        &state.db,
        kommun_id,
        query.period_id,
        query.report_type.as_str(),
    )
    .await?
    .into_iter()
    .map(|(n, r)| SubmissionRow {
        namnd_id: n.id,
        namnd: n.code,
        name: n.name,
        status: r
            .as_ref()
            .map(|r| r.status.clone())
            .unwrap_or_else(|| "saknas".into()),
        report_id: r.as_ref().map(|r| r.id),
        created_at: r.as_ref().map(|r| r.created_at),
        submitted_at: r.as_ref().and_then(|r| r.submitted_at),
        approved_at: r.as_ref().and_then(|r| r.approved_at),
        beslut_datum: r.as_ref().and_then(|r| r.beslut_datum),
        beslut_paragraf: r.and_then(|r| r.beslut_paragraf),
    })
    .collect();
    if query.format == Some(Format::Csv) {
        let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
            d.map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.namnd.clone(),
                    r.name.clone(),
                    r.status.clone(),
                    date(r.created_at),
                    date(r.submitted_at),
                    date(r.approved_at),
                    r.beslut_datum.map(|d| d.to_string()).unwrap_or_default(),
                    r.beslut_paragraf.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let name = format!(
            "inlamning-{}-{}-{}.csv",
            query.report_type, spec.year, spec.kind
        );
        return Ok(csv::response(
            &name,
            &[
                "Nämnd",
                "Namn",
                "Status",
                "Skapad",
                "Inlämnad",
                "Godkänd",
                "Beslutsdatum",
                "Paragraf",
            ],
            &cells,
        ));
    }
    computed(&req, &rows)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(submissions).service(kommun_table);
}
