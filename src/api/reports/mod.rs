//! `/api/v1/reports`: a nämnd's report for a period, its workflow, narrative
//! sections, åtgärdsplan and its drift/investering tables with derived
//! figures. `GET /reports/{id}?include=…` returns it whole in one request.

pub mod action_plans;
pub mod decisions;
pub mod dto;
pub mod sections;
pub mod tables;

use crate::api::common::ApiQuery;
use crate::service::checks::check_date;
pub use action_plans::ActionPlanDto;
use actix_web::{HttpResponse, delete, get, http::StatusCode, post, web};
use chrono::NaiveDate;
pub use decisions::document;
pub use dto::{IncludePart, ReportDetail, ReportDto};
pub use sections::SectionDto;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::resource::authorized_report;
use super::{
    common::{
        ApiJson, Input, Page, PageParams, actor, check_if_match, check_optional_if_match, created,
        encode_cursor, versioned,
    },
    figures::Unit,
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
    let namnder = crate::service::namnder::by_id(&state.db, kommun_id).await?;
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
    let namnd =
        crud::get_named::<namnd::Entity>(&state.db, kommun_id, body.namnd_id, "namnd_id").await?;
    let target = crate::auth::Target::Report {
        kommun: &principal.kommun_code,
        namnd: &namnd.code,
        state: crate::auth::ReportState::Utkast,
    };
    authorize(&principal, Action::Create, target)?;
    let period =
        crud::get_named::<period::Entity>(&state.db, kommun_id, body.period_id, "period_id")
            .await?;
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
    /// 1–50 characters, e.g. § 22.
    #[schema(max_length = 50)]
    pub beslut_paragraf: String,
    /// The decision's registration number, when the nämnd gives one.
    #[serde(default)]
    #[schema(max_length = 50)]
    pub diarienummer: Option<String>,
}

impl Input for ApproveReport {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_date("beslut_datum", Some(self.beslut_datum), &mut errors);
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
