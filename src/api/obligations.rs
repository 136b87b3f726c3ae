//! Obligation rules (`/obligation-rules`, admin and kommunledning) and the
//! obligations they create, derived on read: per report
//! (`/reports/{id}/obligations`) and over the kommun
//! (`/kommun/obligations`, the open ones).

use crate::api::common::ApiQuery;
use actix_web::{HttpResponse, delete, get, http::StatusCode, patch, post, web};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::common::{
    ApiJson, Input, Page, PageParams, actor, check_if_match, computed, created, double_option,
    encode_cursor, versioned,
};
use crate::api::resource::Ctx;
use crate::{
    auth::{Action, Principal, Target, authorize},
    domain::process::DeadlineState,
    entity::obligation_rule,
    error::{ApiError, FieldError},
    service::{
        crud,
        obligations::{self, Obligation, RuleChanges, RuleSpec},
        reports,
    },
};

/// An obligation rule.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071b0", "name": "Negativ avvikelse kräver åtgärder",
    "min_deviation_percent": 2, "min_deviation_kr": 5000000, "within_days": 30,
    "version": 1, "created_at": "2026-12-03T09:00:00Z", "updated_at": "2026-12-03T09:00:00Z"
}))]
pub struct ObligationRuleDto {
    pub id: Uuid,
    pub name: String,
    /// X: applies when the helårsprognos is at least X % of the budget
    /// worse than the budget.
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub min_deviation_percent: Option<Decimal>,
    /// N: applies when it is at least N kronor worse (either threshold suffices).
    pub min_deviation_kr: Option<i64>,
    /// D: the åtgärdsplan is due this many days after the report's approval.
    pub within_days: i32,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn rule_dto(m: obligation_rule::Model) -> Result<ObligationRuleDto, ApiError> {
    let rule = obligations::domain_rule(&m)?;
    Ok(ObligationRuleDto {
        id: m.id,
        name: m.name,
        min_deviation_percent: rule.min_percent,
        min_deviation_kr: m.min_deviation_kr,
        within_days: m.within_days,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// A new obligation rule: at least one threshold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Negativ avvikelse kräver åtgärder", "min_deviation_percent": 2, "within_days": 30}))]
pub struct CreateObligationRule {
    /// 1–200 characters.
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: String,
    /// 0–100.
    #[serde(default, with = "super::decimal::option")]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100)]
    pub min_deviation_percent: Option<Decimal>,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub min_deviation_kr: Option<i64>,
    /// 0–366.
    #[schema(minimum = 0, maximum = 366)]
    pub within_days: u32,
}

/// Changes to a rule; fields left out stay, `null` clears a threshold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"within_days": 45}))]
pub struct UpdateObligationRule {
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_decimal")]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100)]
    pub min_deviation_percent: Option<Option<Decimal>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub min_deviation_kr: Option<Option<i64>>,
    #[schema(minimum = 0, maximum = 366)]
    pub within_days: Option<u32>,
}

/// A decimal that can be cleared: absent → None, null → Some(None).
fn double_decimal<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<Decimal>>, D::Error> {
    super::decimal::option::deserialize(d).map(Some)
}

fn check_rule(
    name: Option<&str>,
    percent: Option<Decimal>,
    kr: Option<i64>,
    days: Option<u32>,
    errors: &mut Vec<FieldError>,
) {
    if let Some(name) = name {
        crate::service::goals::check_text("name", name, 200, errors);
    }
    if percent.is_some_and(|p| p < Decimal::ZERO || p > Decimal::ONE_HUNDRED) {
        errors.push(FieldError::new(
            "min_deviation_percent",
            "must be between 0 and 100",
        ));
    }
    if kr.is_some_and(|k| k < 0) {
        errors.push(FieldError::new(
            "min_deviation_kr",
            "must be 0 or more (the deviation below the budget, in kronor)",
        ));
    }
    if days.is_some_and(|d| d > 366) {
        errors.push(FieldError::new("within_days", "must be 0–366"));
    }
}

impl Input for CreateObligationRule {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_rule(
            Some(&self.name),
            self.min_deviation_percent,
            self.min_deviation_kr,
            Some(self.within_days),
            &mut errors,
        );
        if self.min_deviation_percent.is_none() && self.min_deviation_kr.is_none() {
            errors.push(FieldError::new(
                "min_deviation_percent",
                "give min_deviation_percent, min_deviation_kr or both",
            ));
        }
        errors
    }
}

impl Input for UpdateObligationRule {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_rule(
            self.name.as_deref(),
            self.min_deviation_percent.flatten(),
            self.min_deviation_kr.flatten(),
            self.within_days,
            &mut errors,
        );
        errors
    }
}

fn target(principal: &Principal) -> Target<'_> {
    Target::Structure {
        kommun: &principal.kommun_code,
    }
}

/// List the kommun's obligation rules (every role).
#[utoipa::path(tag = "obligations", params(PageParams),
    responses((status = 200, description = "One page of rules", body = Page<ObligationRuleDto>)))]
#[get("/obligation-rules")]
pub async fn list_obligation_rules(
    cx: Ctx,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (_, state, principal) = cx.into_parts();
    authorize(&principal, Action::Read, target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let (rows, next) = obligations::list(&state.db, kommun_id, &page.parse()?).await?;
    Ok(HttpResponse::Ok().json(Page {
        items: rows
            .into_iter()
            .map(rule_dto)
            .collect::<Result<Vec<_>, _>>()?,
        next_cursor: next.map(encode_cursor),
    }))
}

/// Add an obligation rule (admin, kommunledning).
#[utoipa::path(tag = "obligations", request_body = CreateObligationRule,
    responses(
        (status = 201, description = "Created", body = ObligationRuleDto, headers(("ETag" = String), ("Location" = String))),
        (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/obligation-rules")]
pub async fn create_obligation_rule(
    cx: Ctx,
    body: ApiJson<CreateObligationRule>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    authorize(&principal, Action::Create, target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let b = body.0;
    let spec = RuleSpec {
        name: b.name.trim().to_string(),
        min_deviation_percent: b.min_deviation_percent,
        min_deviation_kr: b.min_deviation_kr,
        within_days: b.within_days,
    };
    let dto =
        rule_dto(obligations::create(&state.db, &actor(&req, &principal, kommun_id), spec).await?)?;
    Ok(created(&req, dto.version, dto.id, &dto))
}

/// Read an obligation rule.
#[utoipa::path(tag = "obligations", params(("id" = Uuid, Path, description = "Rule id")),
    responses(
        (status = 200, description = "The rule", body = ObligationRuleDto, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    ))]
#[get("/obligation-rules/{id}")]
pub async fn get_obligation_rule(cx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    authorize(&principal, Action::Read, target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let dto = rule_dto(crud::get::<obligation_rule::Entity>(&state.db, kommun_id, *id).await?)?;
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Change an obligation rule (admin, kommunledning). Needs `If-Match`.
#[utoipa::path(tag = "obligations", request_body = UpdateObligationRule,
    params(("id" = Uuid, Path, description = "Rule id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", example = "\"1\"")),
    responses(
        (status = 200, description = "Changed", body = ObligationRuleDto, headers(("ETag" = String))),
        (status = 412, description = "Changed by someone else since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, or no threshold left", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/obligation-rules/{id}")]
pub async fn update_obligation_rule(
    cx: Ctx,
    id: web::Path<Uuid>,
    body: ApiJson<UpdateObligationRule>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    authorize(&principal, Action::Update, target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let current = crud::get::<obligation_rule::Entity>(&state.db, kommun_id, *id).await?;
    check_if_match(&req, current.version)?;
    let b = body.0;
    let changes = RuleChanges {
        name: b.name.map(|n| n.trim().to_string()),
        min_deviation_percent: b.min_deviation_percent,
        min_deviation_kr: b.min_deviation_kr,
        within_days: b.within_days,
    };
    let model = obligations::update(
        &state.db,
        &actor(&req, &principal, kommun_id),
        *id,
        current.version,
        changes,
    )
    .await?;
    let dto = rule_dto(model)?;
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Remove an obligation rule (admin, kommunledning); its obligations go
/// with it. Needs `If-Match`.
#[utoipa::path(tag = "obligations",
    params(("id" = Uuid, Path, description = "Rule id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", example = "\"1\"")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 412, description = "Changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[delete("/obligation-rules/{id}")]
pub async fn delete_obligation_rule(
    cx: Ctx,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    authorize(&principal, Action::Delete, target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let current = crud::get::<obligation_rule::Entity>(&state.db, kommun_id, *id).await?;
    check_if_match(&req, current.version)?;
    obligations::delete(
        &state.db,
        &actor(&req, &principal, kommun_id),
        *id,
        current.version,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An obligation: an åtgärdsplan due for an approved report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "rule_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071b0", "rule": "Negativ avvikelse kräver åtgärder",
    "report_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0", "namnd_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182",
    "namnd": "VON", "approved_at": "2024-09-26T13:05:00Z", "prognos_avvikelse": -9400000,
    "prognos_avvikelse_procent": -3.0, "due_date": "2024-10-26", "met_on": null, "action_plan_id": null,
    "state": "missing", "days_late": 12
}))]
pub struct ObligationDto {
    pub rule_id: Uuid,
    /// The rule's name.
    pub rule: String,
    pub report_id: Uuid,
    pub namnd_id: Uuid,
    pub namnd: String,
    /// When the report was approved (its `approved_at`).
    pub approved_at: chrono::DateTime<chrono::Utc>,
    /// helårsprognos − helårsbudget of the drift total, kronor (today's figures).
    #[serde(with = "super::decimal")]
    #[schema(value_type = f64)]
    pub prognos_avvikelse: Decimal,
    /// The same as percent of the budget's size (one decimal).
    #[serde(with = "super::decimal::option")]
    #[schema(value_type = Option<f64>)]
    pub prognos_avvikelse_procent: Option<Decimal>,
    pub due_date: NaiveDate,
    /// When an åtgärdsplan met it.
    pub met_on: Option<NaiveDate>,
    pub action_plan_id: Option<Uuid>,
    pub state: DeadlineState,
    pub days_late: Option<i64>,
}

impl From<Obligation> for ObligationDto {
    fn from(o: Obligation) -> Self {
        ObligationDto {
            rule_id: o.rule_id,
            rule: o.rule_name,
            report_id: o.report_id,
            namnd_id: o.namnd_id,
            namnd: o.namnd,
            approved_at: o.approved_at,
            prognos_avvikelse: o.prognos_avvikelse,
            prognos_avvikelse_procent: o.prognos_avvikelse_procent,
            due_date: o.due_date,
            met_on: o.met_on,
            action_plan_id: o.action_plan_id,
            state: o.state,
            days_late: o.days_late,
        }
    }
}

/// The obligations of a report under the kommun's rules (none before it
/// is approved), met or not.
#[utoipa::path(tag = "obligations", params(("id" = Uuid, Path, description = "Report id")),
    responses(
        (status = 200, description = "The report's obligations", body = Vec<ObligationDto>, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
    ))]
#[get("/reports/{id}/obligations")]
pub async fn list_report_obligations(
    cx: Ctx,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let kommun_id = principal.require_kommun()?;
    let ctx = reports::load(&state.db, kommun_id, *id).await?;
    authorize(&principal, Action::Read, ctx.target(&principal))?;
    let rules = obligations::rules_of(&state.db, kommun_id).await?;
    let today = chrono::Utc::now().date_naive();
    let items: Vec<ObligationDto> = obligations::of_report(&state.db, &ctx, &rules, today)
        .await?
        .into_iter()
        .map(ObligationDto::from)
        .collect();
    computed(&req, &items)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObligationQuery {
    /// Also the met ones (default: only those not met: missing or pending).
    pub all: Option<bool>,
}

/// The kommun's open obligations, by due date (kommunledning, admin, revisor).
#[utoipa::path(tag = "kommun", params(ObligationQuery),
    responses(
        (status = 200, description = "Obligations", body = Vec<ObligationDto>, headers(("ETag" = String))),
        (status = 304, description = "Not modified"),
    ))]
#[get("/kommun/obligations")]
pub async fn kommun_obligations(
    cx: Ctx,
    query: ApiQuery<ObligationQuery>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    authorize(
        &principal,
        Action::Read,
        crate::api::resource::consolidated_target(&principal),
    )?;
    let kommun_id = principal.require_kommun()?;
    let today = chrono::Utc::now().date_naive();
    let items: Vec<ObligationDto> =
        obligations::of_kommun(&state.db, kommun_id, query.all.unwrap_or(false), today)
            .await?
            .into_iter()
            .map(ObligationDto::from)
            .collect();
    computed(&req, &items)
}

/// Before `reports` and `kommun_views`, whose `{kind}` paths would take these.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_obligation_rules)
        .service(create_obligation_rule)
        .service(get_obligation_rule)
        .service(update_obligation_rule)
        .service(delete_obligation_rule)
        .service(list_report_obligations)
        .service(kommun_obligations);
}
