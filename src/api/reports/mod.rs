//! `/api/v1/reports`: a nämnd's report for a period, its workflow, narrative
//! sections, åtgärdsplan and its drift/investering tables with derived
//! figures. `GET /reports/{id}?include=…` returns it whole in one request.

pub mod action_plans;
pub mod decisions;
pub mod sections;
pub mod tables;

use crate::api::common::ApiQuery;
pub use action_plans::ActionPlanDto;
use actix_web::{HttpResponse, delete, get, http::StatusCode, post, web};
use chrono::NaiveDate;
pub use decisions::document;
pub use sections::SectionDto;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::resource::authorized_report;
use super::{
    common::{
        ApiJson, Input, Page, PageParams, actor, check_if_match, check_optional_if_match, created,
        encode_cursor, versioned,
    },
    figures::{TableDto, Unit},
    read_cache::{Snapshot, json},
    resource::Ctx,
};
use crate::{
    auth::{Action, Role, authorize},
    domain::{
        BudgetLineKind,
        structure::{ReportStatus, ReportType},
    },
    entity::{namnd, period, report},
    error::{ApiError, FieldError},
    service::{
        crud,
        reports::{self, ReportContext, Transition, Visibility},
        versions,
    },
    state::AppState,
};

/// A report (without its content; see `include`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "namnd": "VON",
    "period_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607183", "period": "Helår 2024", "start_date": "2024-01-01", "end_date": "2024-12-31",
    "type": "arsredovisning", "status": "godkand", "beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22",
    "status_reason": null, "submitted_at": "2025-02-10T08:00:00Z", "approved_at": "2025-02-27T15:00:00Z",
    "version": 3, "created_at": "2025-01-15T09:00:00Z", "updated_at": "2025-02-27T15:00:00Z"
}))]
pub struct ReportDto {
    pub id: Uuid,
    pub namnd_id: Uuid,
    pub namnd: String,
    pub period_id: Uuid,
    /// Label of the period, e.g. "Delår 2024".
    pub period: String,
    /// The first day of the report's period.
    pub start_date: NaiveDate,
    /// The last day of the report's period.
    pub end_date: NaiveDate,
    #[serde(rename = "type")]
    pub report_type: ReportType,
    pub status: ReportStatus,
    /// The nämnd's decision date, set on approval.
    pub beslut_datum: Option<NaiveDate>,
    /// The decision's paragraph, e.g. "§ 22".
    pub beslut_paragraf: Option<String>,
    /// Why it was returned or reopened.
    pub status_reason: Option<String>,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub approved_at: Option<chrono::DateTime<chrono::Utc>>,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl ReportDto {
    fn new(
        r: &report::Model,
        namnd: &namnd::Model,
        period: &period::Model,
    ) -> Result<Self, ApiError> {
        let spec = crate::service::periods::spec_of(period)?;
        Ok(ReportDto {
            id: r.id,
            namnd_id: r.namnd_id,
            namnd: namnd.code.clone(),
            period_id: r.period_id,
            period: spec.label(),
            start_date: spec.start_date(),
            end_date: spec.end_date(),
            report_type: r.report_type,
            status: r.status,
            beslut_datum: r.beslut_datum,
            beslut_paragraf: r.beslut_paragraf.clone(),
            status_reason: r.status_reason.clone(),
            submitted_at: r.submitted_at,
            approved_at: r.approved_at,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    pub fn of(ctx: &ReportContext) -> Result<Self, ApiError> {
        Self::new(&ctx.report, &ctx.namnd, &ctx.period)
    }
}

/// A report with the parts asked for in `include`. Every part is always
/// present: a part asked for holds its content (an empty list when there is
/// none, never null); a part not asked for is null.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"report": {"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "namnd": "VON",
        "period_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607183", "period": "Helår 2024", "start_date": "2024-01-01", "end_date": "2024-12-31",
        "type": "arsredovisning", "status": "godkand", "beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22",
        "status_reason": null, "submitted_at": "2025-02-10T08:00:00Z", "approved_at": "2025-02-27T15:00:00Z",
        "version": 3, "created_at": "2025-01-15T09:00:00Z", "updated_at": "2025-02-27T15:00:00Z"},
    "basis": "live", "decided_version": null, "changed_since_decision": null,
    "sections": [], "drift": null, "investering": null, "action_plans": [], "assessments": null,
    "assignment_statuses": null, "volume_measures": [], "key_figures": null, "indicators": null}))]
pub struct ReportDetail {
    pub report: ReportDto,
    /// `beslutad`: an approved report as its nämnd decided it (its latest
    /// decided version); `live`: today's figures (drafts, and `basis=live`).
    pub basis: super::decided::Basis,
    /// The latest decided version of an approved report; null otherwise.
    pub decided_version: Option<super::decided::VersionDto>,
    /// With `basis=beslutad`: whether today's figures differ from the
    /// decided ones (see `GET /reports/{id}/diff`).
    pub changed_since_decision: Option<bool>,
    /// `include=sections`: as `GET /reports/{id}/sections` lists them.
    pub sections: Option<Vec<SectionDto>>,
    /// `include=drift`: as `GET /reports/{id}/drift`.
    pub drift: Option<TableDto>,
    /// `include=investering`: as `GET /reports/{id}/investering`.
    pub investering: Option<TableDto>,
    /// `include=action_plans`: as `GET /reports/{id}/action-plans` lists them.
    pub action_plans: Option<Vec<ActionPlanDto>>,
    /// `include=assessments`: as `GET /reports/{id}/assessments`.
    pub assessments: Option<super::assessments::AssessmentList>,
    /// `include=assignment_statuses`: as `GET /reports/{id}/assignment-statuses`.
    pub assignment_statuses: Option<super::assignments::AssignmentStatusList>,
    /// `include=volume_measures`: the nämnd's volume measures for the
    /// report period (see `VolumeRow`).
    #[schema(value_type = Option<Vec<crate::api::volume_measures::VolumeRow>>)]
    pub volume_measures: Option<serde_json::Value>,
    /// `include=key_figures`: the nämnd's staff key figures, the report
    /// year and the year before (see `KeyFigureRow`).
    #[schema(value_type = Option<Vec<crate::api::key_figures::KeyFigureRow>>)]
    pub key_figures: Option<serde_json::Value>,
    /// `include=indicators`: the indicator values of the nämnd's goals for
    /// the report year, as `GET /indicators/table?year=…&namnd=…` shows them.
    pub indicators: Option<super::indicators::AppendixDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Nämnd code.
    #[param(example = "VON")]
    pub namnd: Option<String>,
    pub period_id: Option<Uuid>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub report_type: Option<ReportType>,
    pub status: Option<ReportStatus>,
}

/// List the reports you may see (läsare: approved only; redaktör and
/// nämndsekreterare: their own nämnder's, and others' approved ones).
#[utoipa::path(tag = "reports", params(ReportQuery, PageParams),
    responses((status = 200, description = "One page of reports", body = Page<ReportDto>)))]
#[get("/reports")]
pub async fn list_reports(
    cx: Ctx,
    query: ApiQuery<ReportQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (_, state, principal) = cx.into_parts();
    let page = page.parse()?;
    let empty = || {
        HttpResponse::Ok().json(Page::<ReportDto> {
            items: vec![],
            next_cursor: None,
        })
    };
    let Some(kommun_id) = principal.kommun_id else {
        return Ok(empty());
    };
    let namnder = reports::namnd_map(&state.db, kommun_id).await?;
    let visibility = match principal.role {
        Role::Lasare => Visibility::ApprovedOnly,
        role if role.is_namnd_scoped() => Visibility::OwnOrApproved(
            namnder
                .values()
                .filter(|n| principal.has_namnd(&n.code))
                .map(|n| n.id)
                .collect(),
        ),
        _ => Visibility::All,
    };
    let namnd_id = match &query.namnd {
        Some(code) => match namnder.values().find(|n| &n.code == code) {
            Some(n) => Some(n.id),
            None => return Ok(empty()),
        },
        None => None,
    };
    let filter = reports::ReportFilter {
        namnd_id,
        period_id: query.period_id,
        report_type: query.report_type,
        status: query.status,
    };
    let (rows, next) = reports::list(&state.db, kommun_id, &filter, &visibility, &page).await?;
    let period_ids: Vec<Uuid> = rows.iter().map(|r| r.period_id).collect();
    let periods = crate::service::periods::by_ids(&state.db, kommun_id, &period_ids).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let (Some(n), Some(p)) = (namnder.get(&r.namnd_id), periods.get(&r.period_id)) else {
            continue;
        };
        items.push(ReportDto::new(r, n, p)?);
    }
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: next.map(encode_cursor),
    }))
}

/// A new report (in `utkast`, with the standard sections of its type).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "period_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607183", "type": "arsredovisning"}))]
pub struct CreateReport {
    pub namnd_id: Uuid,
    pub period_id: Uuid,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub report_type: ReportType,
}

impl Input for CreateReport {
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "status",
        "beslut_datum",
        "beslut_paragraf",
        "version",
        "created_at",
        "updated_at",
    ];
}

/// Create a report: one per nämnd, period and type.
#[utoipa::path(tag = "reports", request_body = CreateReport,
    responses(
        (status = 201, description = "Created with its standard sections", body = ReportDto, headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "The nämnd already has this report", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown nämnd or period, or a period of the wrong kind", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/reports")]
pub async fn create_report(cx: Ctx, body: ApiJson<CreateReport>) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let kommun_id = principal.require_kommun()?;
    let body = body.0;
    let namnd = crud::get::<namnd::Entity>(&state.db, kommun_id, body.namnd_id)
        .await
        .map_err(|_| ApiError::validation("namnd_id", "no nämnd with this id in your kommun"))?;
    let target = crate::auth::Target::Report {
        kommun: &principal.kommun_code,
        namnd: &namnd.code,
        state: crate::auth::ReportState::Utkast,
    };
    authorize(&principal, Action::Create, target)?;
    let period = crud::get::<period::Entity>(&state.db, kommun_id, body.period_id)
        .await
        .map_err(|_| ApiError::validation("period_id", "no period with this id in your kommun"))?;
    let model = reports::create(
        &state.db,
        &actor(&req, &principal, kommun_id),
        &namnd,
        &period,
        body.report_type,
    )
    .await?;
    let dto = ReportDto::new(&model, &namnd, &period)?;
    Ok(created(&req, dto.version, dto.id, &dto))
}

/// The query of `GET /reports/{id}` as the document declares it.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
// Only read by utoipa: `include` is read from the query string by hand (it
// may come as `include=a,b` or repeated), the rest through `DetailQuery`.
#[allow(dead_code)]
pub struct DetailParams {
    /// The parts to include, comma-separated (`include=drift,sections`;
    /// repeating the parameter works too). Each is the name of the part's
    /// own path in snake_case. Every part asked for is present in the
    /// answer (an empty list when there is none); the others are null.
    #[param(value_type = Option<Vec<IncludePart>>, style = Form, explode = false, example = json!(["drift", "sections"]))]
    include: Option<String>,
    /// `kr` (default) or `tkr`.
    unit: Option<Unit>,
    /// `beslutad` (default): an approved report as decided; `live`: today's figures.
    basis: Option<super::decided::Basis>,
}

/// The query of `GET /reports/{id}` besides `include`.
#[derive(Debug, Deserialize)]
pub struct DetailQuery {
    pub unit: Option<Unit>,
    pub basis: Option<super::decided::Basis>,
}

/// A part of a report that `include` adds to `GET /reports/{id}`, named
/// after the path it has as a resource of its own, in snake_case
/// (`/reports/{id}/action-plans` → `action_plans`, `/volume-measures` →
/// `volume_measures`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(example = "drift")]
pub enum IncludePart {
    /// The narrative sections (`/reports/{id}/sections`).
    Sections,
    /// The driftredovisning (`/reports/{id}/drift`).
    Drift,
    /// The investeringsredovisning (`/reports/{id}/investering`).
    Investering,
    /// The åtgärdsplan (`/reports/{id}/action-plans`).
    ActionPlans,
    /// The bedömning of the nämnd's goals (`/reports/{id}/assessments`).
    Assessments,
    /// The status of the nämnd's uppdrag (`/reports/{id}/assignment-statuses`).
    AssignmentStatuses,
    /// The volume measures for the period (`/volume-measures`).
    VolumeMeasures,
    /// The staff key figures (`/key-figures`).
    KeyFigures,
    /// The indicator values behind the nämnd's goals (`/indicators`).
    Indicators,
}

impl IncludePart {
    pub const ALL: [IncludePart; 9] = [
        IncludePart::Sections,
        IncludePart::Drift,
        IncludePart::Investering,
        IncludePart::ActionPlans,
        IncludePart::Assessments,
        IncludePart::AssignmentStatuses,
        IncludePart::VolumeMeasures,
        IncludePart::KeyFigures,
        IncludePart::Indicators,
    ];

    /// The value in `include`, the member in the response and the part of
    /// a decided version.
    pub fn as_str(self) -> &'static str {
        match self {
            IncludePart::Sections => "sections",
            IncludePart::Drift => "drift",
            IncludePart::Investering => "investering",
            IncludePart::ActionPlans => "action_plans",
            IncludePart::Assessments => "assessments",
            IncludePart::AssignmentStatuses => "assignment_statuses",
            IncludePart::VolumeMeasures => "volume_measures",
            IncludePart::KeyFigures => "key_figures",
            IncludePart::Indicators => "indicators",
        }
    }

    /// The parts a query string asks for in `include` (comma-separated,
    /// repeated, or both), each once and in a stable order however often
    /// and in whatever order they are asked for.
    pub fn from_query(query: &str) -> Result<Vec<IncludePart>, ApiError> {
        let values = super::common::query_values(query, "include");
        let mut parts = Vec::new();
        let names = values
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim);
        for name in names {
            if name.is_empty() {
                continue;
            }
            let Some(part) = Self::ALL.into_iter().find(|p| p.as_str() == name) else {
                let known: Vec<&str> = Self::ALL.iter().map(|p| p.as_str()).collect();
                return Err(ApiError::validation(
                    "include",
                    format!("unknown part {name:?}; use {}", known.join(", ")),
                ));
            };
            parts.push(part);
        }
        parts.sort_unstable();
        parts.dedup();
        Ok(parts)
    }
}

/// Read a report; with `include`, its content and derived figures in one response.
#[utoipa::path(tag = "reports", params(("id" = Uuid, Path, description = "Report id"), DetailParams),
    responses(
        (status = 200, description = "The report; ETag changes when any included figure does", body = ReportDetail, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
        (status = 422, description = "Unknown include", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/reports/{id}")]
pub async fn get_report(
    cx: Ctx,
    id: web::Path<Uuid>,
    query: ApiQuery<DetailQuery>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let includes = IncludePart::from_query(req.query_string())?;
    // The kommun's change number before anything the answer is made of.
    let snapshot = Snapshot::take(&state, principal.require_kommun()?).await?;
    let ctx = authorized_report(&state, &principal, *id, Action::Read).await?;
    let unit = query.unit.unwrap_or_default();
    let key = format!(
        "report/{}?include={}&unit={unit:?}&basis={:?}",
        ctx.report.id,
        includes
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(","),
        query.basis.unwrap_or_default()
    );
    snapshot
        .respond(&req, &state, key, || {
            detail(&state, &ctx, &includes, unit, query.basis)
        })
        .await
}

/// The whole report with the parts asked for: as decided when it is
/// approved and `basis` allows, otherwise live.
async fn detail(
    state: &AppState,
    ctx: &ReportContext,
    includes: &[IncludePart],
    unit: Unit,
    basis: Option<super::decided::Basis>,
) -> Result<super::read_cache::Answer, ApiError> {
    let decided = super::decided::decided(state, ctx, basis).await?;
    let header = decisions::header(state, ctx, decided.as_ref()).await?;
    if let Some(d) = &decided {
        return json(&decisions::DecidedRead {
            decided: d,
            header: &header,
            includes,
            unit,
        });
    }
    let mut detail = ReportDetail {
        report: ReportDto::of(ctx)?,
        basis: header.basis,
        decided_version: header.decided_version,
        changed_since_decision: header.changed_since_decision,
        sections: None,
        drift: None,
        investering: None,
        action_plans: None,
        assessments: None,
        assignment_statuses: None,
        volume_measures: None,
        key_figures: None,
        indicators: None,
    };
    let db = &state.db;
    for part in includes {
        match part {
            IncludePart::Sections => {
                detail.sections = Some(
                    reports::sections(db, ctx.report.id)
                        .await?
                        .into_iter()
                        .map(SectionDto::from)
                        .collect(),
                );
            }
            IncludePart::Drift => {
                detail.drift = Some(tables::table(db, ctx, BudgetLineKind::Drift, unit).await?);
            }
            IncludePart::Investering => {
                detail.investering =
                    Some(tables::table(db, ctx, BudgetLineKind::Investering, unit).await?);
            }
            IncludePart::ActionPlans => {
                detail.action_plans = Some(
                    reports::action_plans(db, ctx.report.id)
                        .await?
                        .into_iter()
                        .map(ActionPlanDto::from)
                        .collect(),
                );
            }
            IncludePart::Assessments => {
                detail.assessments = Some(super::assessments::assessment_list(db, ctx).await?);
            }
            IncludePart::AssignmentStatuses => {
                detail.assignment_statuses = Some(super::assignments::status_list(db, ctx).await?);
            }
            IncludePart::VolumeMeasures => {
                detail.volume_measures = Some(super::report_parts::volume_measures(db, ctx).await?);
            }
            IncludePart::KeyFigures => {
                detail.key_figures = Some(super::report_parts::key_figures(db, ctx).await?);
            }
            IncludePart::Indicators => {
                detail.indicators = Some(super::report_parts::indicators(db, ctx).await?);
            }
        }
    }
    json(&detail)
}

/// Delete a draft report (with its sections and åtgärdsplan). Needs `If-Match`.
#[utoipa::path(tag = "reports",
    params(("id" = Uuid, Path, description = "Report id"), ("If-Match" = String, Header, description = "ETag of the report", example = "\"1\"")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Not a draft", body = crate::error::Problem, content_type = "application/problem+json"),
        crate::api::responses::Stale,
        crate::api::responses::IfMatchMissing,
    ))]
#[delete("/reports/{id}")]
pub async fn delete_report(cx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let ctx = cx.report(*id, Action::Delete).await?;
    check_if_match(&cx.req, ctx.report.version)?;
    let report = &ctx.report;
    cx.delete_row::<report::Entity>(report.id, report.version)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn step(
    cx: Ctx,
    id: Uuid,
    action: Action,
    transition: Transition,
) -> Result<HttpResponse, ApiError> {
    let ctx = cx.report(id, action).await?;
    check_optional_if_match(&cx.req, ctx.report.version)?;
    let actor = actor(&cx.req, &cx.principal, ctx.report.kommun_id);
    let model = reports::transition(cx.db(), &actor, &ctx, transition).await?;
    let dto = ReportDto::new(&model, &ctx.namnd, &ctx.period)?;
    Ok(cx.ok(dto.version, &dto))
}

/// Submit a draft for decision: utkast → for_beslut (the nämnd's redaktör,
/// admin, kommunledning).
#[utoipa::path(tag = "reports",
    params(("id" = Uuid, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "Optional: ETag of the report")),
    responses(
        (status = 200, description = "Submitted", body = ReportDto),
        (status = 409, description = "Not a draft", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/reports/{id}/submit")]
pub async fn submit_report(cx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    step(cx, *id, Action::Submit, Transition::Submit).await
}

/// The nämnd's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22"}))]
pub struct ApproveReport {
    pub beslut_datum: NaiveDate,
    pub beslut_paragraf: String,
    /// The decision's registration number, when the nämnd gives one.
    #[serde(default)]
    pub diarienummer: Option<String>,
}

impl Input for ApproveReport {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let p = self.beslut_paragraf.trim();
        if p.is_empty() || p.chars().count() > 50 {
            errors.push(FieldError::new(
                "beslut_paragraf",
                "must be 1–50 characters, e.g. § 22",
            ));
        }
        if let Some(d) = &self.diarienummer
            && (d.trim().is_empty() || d.trim().chars().count() > 50)
        {
            errors.push(FieldError::new(
                "diarienummer",
                "must be 1–50 characters, e.g. VON 2025/12, or left out",
            ));
        }
        errors
    }
}

/// Record the nämnd's approval: for_beslut → godkand (the nämnd's
/// nämndsekreterare, admin). The report is then locked.
#[utoipa::path(tag = "reports", request_body = ApproveReport,
    params(("id" = Uuid, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "Optional: ETag of the report")),
    responses(
        (status = 200, description = "Approved", body = ReportDto),
        (status = 409, description = "Not for_beslut", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid decision", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/reports/{id}/approve")]
pub async fn approve_report(
    cx: Ctx,
    id: web::Path<Uuid>,
    body: ApiJson<ApproveReport>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let body = body.0;
    let ctx = authorized_report(&state, &principal, *id, Action::Approve).await?;
    check_optional_if_match(&req, ctx.report.version)?;
    let decision = versions::Decision {
        beslut_datum: body.beslut_datum,
        beslut_paragraf: body.beslut_paragraf.trim().to_string(),
        diarienummer: body.diarienummer.map(|d| d.trim().to_string()),
    };
    let actor = actor(&req, &principal, ctx.report.kommun_id);
    let (model, _) = reports::approve(&state.db, &actor, &ctx, decision, async |txn, after| {
        let decided = ReportContext {
            report: after.clone(),
            status: ReportStatus::Godkand,
            ..ctx.clone()
        };
        decisions::document(txn, &decided)
            .await
            .map_err(crate::error::into_service)
    })
    .await?;
    let dto = ReportDto::new(&model, &ctx.namnd, &ctx.period)?;
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Why a report goes back to utkast.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Avvikelsen för hemtjänsten behöver kommenteras"}))]
pub struct Reason {
    pub reason: String,
}

impl Input for Reason {
    fn validate(&self) -> Vec<FieldError> {
        if self.reason.trim().is_empty() {
            vec![FieldError::new("reason", "is required")]
        } else {
            vec![]
        }
    }
}

/// Return a report awaiting decision to utkast, with a reason (kommunledning,
/// admin, the nämnd's nämndsekreterare).
#[utoipa::path(tag = "reports", request_body = Reason,
    params(("id" = Uuid, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "Optional: ETag of the report")),
    responses(
        (status = 200, description = "Returned to utkast", body = ReportDto),
        (status = 409, description = "Not for_beslut", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Reason missing", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/reports/{id}/return")]
pub async fn return_report(
    cx: Ctx,
    id: web::Path<Uuid>,
    body: ApiJson<Reason>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.0.reason.trim().to_string();
    step(cx, *id, Action::Return, Transition::Return { reason }).await
}

/// Reopen an approved report (admin only; recorded in the audit log).
#[utoipa::path(tag = "reports", request_body = Reason,
    params(("id" = Uuid, Path, description = "Report id"), ("If-Match" = Option<String>, Header, description = "Optional: ETag of the report")),
    responses(
        (status = 200, description = "Reopened as utkast", body = ReportDto),
        (status = 409, description = "Not approved", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Reason missing", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/reports/{id}/reopen")]
pub async fn reopen_report(
    cx: Ctx,
    id: web::Path<Uuid>,
    body: ApiJson<Reason>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.0.reason.trim().to_string();
    step(cx, *id, Action::Reopen, Transition::Reopen { reason }).await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_reports)
        .service(create_report)
        .service(get_report)
        .service(delete_report)
        .service(submit_report)
        .service(approve_report)
        .service(return_report)
        .service(reopen_report)
        .service(sections::list_sections)
        .service(sections::put_section)
        .service(action_plans::list_action_plans)
        .service(action_plans::create_action_plan)
        .service(action_plans::update_action_plan)
        .service(action_plans::delete_action_plan)
        .service(tables::get_table)
        .service(tables::put_table);
}
