//! Obligation rules (`/obligation-rules`, admin and kommunledning) and the
//! obligations they create, derived on read: per report
//! (`/reports/{id}/obligations`) and over the kommun
//! (`/kommun/obligations`, the open ones).

use crate::api::common::ApiQuery;
use crate::api::resource::{consolidated_target, structure_target};
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::common::{Input, Page, PageParams, computed, double_option};
use crate::api::resource::{self as resource, Create, Ctx, Patch};
use crate::service::checks::check_text;
use crate::{
    auth::Action,
    domain::process::DeadlineState,
    entity::obligation_rule,
    error::{ApiError, FieldError},
    service::obligations::{self, Obligation, RuleChanges, RuleSpec},
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
        check_text("name", name, 200, errors);
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

/// List the kommun's obligation rules (every role).
#[utoipa::path(tag = "obligations", params(PageParams),
    responses((status = 200, description = "One page of rules", body = Page<ObligationRuleDto>)))]
#[get("/obligation-rules")]
pub async fn list_obligation_rules(
    cx: Ctx,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let Some((kommun_id, page)) = cx.listing(structure_target, &page)? else {
        return Ok(resource::empty_page::<ObligationRuleDto>());
    };
    let (rows, next) = obligations::list(cx.db(), kommun_id, &page).await?;
    let items = rows.into_iter().map(rule_dto).collect::<Result<_, _>>()?;
    Ok(resource::page(items, next))
}

impl Create<CreateObligationRule> for Rules {
    async fn create(cx: &Ctx, b: CreateObligationRule) -> Result<obligation_rule::Model, ApiError> {
        cx.authorized(Action::Create, structure_target)?;
        let spec = RuleSpec {
            name: b.name.trim().to_string(),
            min_deviation_percent: b.min_deviation_percent,
            min_deviation_kr: b.min_deviation_kr,
            within_days: b.within_days,
        };
        cx.create_row(spec).await
    }
}

crate::api::resource::row_item!(
    Rules,
    obligation_rule,
    ObligationRuleDto,
    structure_target,
    dto = |_, m| rule_dto(m),
    delete
);

impl Patch<UpdateObligationRule> for Rules {
    async fn patch(
        cx: &Ctx,
        current: obligation_rule::Model,
        b: UpdateObligationRule,
    ) -> Result<obligation_rule::Model, ApiError> {
        let changes = RuleChanges {
            name: b.name.map(|n| n.trim().to_string()),
            min_deviation_percent: b.min_deviation_percent,
            min_deviation_kr: b.min_deviation_kr,
            within_days: b.within_days,
        };
        cx.patch_row(current.id, current.version, changes).await
    }
}

crate::api::resource::item_routes! {
    Rules, ObligationRuleDto, "obligations", "/obligation-rules/{id}", "Rule id";
    create: /// Add an obligation rule (admin, kommunledning).
        create_obligation_rule(CreateObligationRule) "/obligation-rules" "Created", 422 "Invalid";
    get: /// Read an obligation rule.
        get_obligation_rule "The rule";
    patch: /// Change an obligation rule (admin, kommunledning). Needs `If-Match`.
        update_obligation_rule(UpdateObligationRule) "Changed", 422 "Invalid, or no threshold left";
    delete: /// Remove an obligation rule (admin, kommunledning); its obligations go
        /// with it. Needs `If-Match`.
        delete_obligation_rule "Deleted";
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
    let ctx = cx.report(*id, Action::Read).await?;
    let rules = obligations::rules_of(cx.db(), ctx.report.kommun_id).await?;
    let today = crate::service::clock::now().date_naive();
    let items: Vec<ObligationDto> = obligations::of_report(cx.db(), &ctx, &rules, today)
        .await?
        .into_iter()
        .map(ObligationDto::from)
        .collect();
    computed(&cx.req, &items)
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
    let kommun_id = cx.authorized(Action::Read, consolidated_target)?;
    let today = crate::service::clock::now().date_naive();
    let items: Vec<ObligationDto> =
        obligations::of_kommun(cx.db(), kommun_id, query.all.unwrap_or(false), today)
            .await?
            .into_iter()
            .map(ObligationDto::from)
            .collect();
    computed(&cx.req, &items)
}

/// Before `reports` and `kommun_views`, whose `{kind}` paths would take these.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_obligation_rules);
    item_services(cfg);
    cfg.service(list_report_obligations)
        .service(kommun_obligations);
}
