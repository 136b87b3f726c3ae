//! `/api/v1/periods`: the reporting periods of the caller's kommun. Start,
//! end and label are derived from kind, year and number.

use crate::api::common::ApiQuery;
use crate::api::resource::structure_target;
use crate::error::ServiceError;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{Input, Page, PageParams, check_optional_if_match},
    resource::{self, Create, Ctx, Item, empty_page},
};
use crate::{
    auth::Action,
    domain::structure::{PeriodKind, PeriodSpec},
    entity::period,
    error::{ApiError, FieldError},
    service::periods,
};

/// A reporting period.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607183", "kommun": "0483", "kind": "delar", "year": 2024,
    "number": null, "start_date": "2024-01-01", "end_date": "2024-08-31", "label": "Delår 2024",
    "version": 1, "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct PeriodDto {
    pub id: Uuid,
    pub kommun: String,
    pub kind: PeriodKind,
    pub year: i32,
    /// Month 1–12, tertial 1–3 or halvår 1–2; null for delår and helår.
    pub number: Option<u32>,
    /// Derived from kind, year and number.
    pub start_date: NaiveDate,
    /// Derived from kind, year and number.
    pub end_date: NaiveDate,
    /// Derived, e.g. "Delår 2024", "Mars 2023".
    pub label: String,
    /// When the period was closed (bokslut): no value in its months can be
    /// written until it is reopened. Null while open.
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who closed it.
    pub closed_by: Option<String>,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl PeriodDto {
    fn from_model(model: period::Model, kommun: &str) -> Result<Self, ApiError> {
        let spec = periods::spec_of(&model)?;
        Ok(PeriodDto {
            id: model.id,
            kommun: kommun.to_string(),
            kind: spec.kind,
            year: spec.year,
            number: (spec.number > 0).then_some(spec.number),
            start_date: spec.start_date(),
            end_date: spec.end_date(),
            label: spec.label(),
            closed_at: model.closed_at,
            closed_by: model.closed_by,
            version: model.version,
            created_at: model.created_at,
            updated_at: model.updated_at,
        })
    }
}

/// A new period.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "manad", "year": 2023, "number": 3}))]
pub struct CreatePeriod {
    pub kind: PeriodKind,
    #[schema(minimum = 1900, maximum = 2200)]
    pub year: i32,
    /// Required for manad (1–12), tertial (1–3) and halvar (1–2); left out otherwise.
    #[schema(minimum = 1, maximum = 12)]
    pub number: Option<u32>,
}

impl CreatePeriod {
    fn spec(&self) -> Result<PeriodSpec, FieldError> {
        PeriodSpec::new(self.kind, self.year, self.number)
            .map_err(|(field, message)| FieldError::new(field, message))
    }
}

impl Input for CreatePeriod {
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "kommun",
        "start_date",
        "end_date",
        "label",
        "version",
        "created_at",
        "updated_at",
    ];
    fn validate(&self) -> Vec<FieldError> {
        self.spec().err().into_iter().collect()
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    pub kind: Option<PeriodKind>,
    #[param(example = 2024)]
    pub year: Option<i32>,
}

/// List the periods of your kommun.
#[utoipa::path(
    tag = "periods",
    params(PeriodQuery, PageParams),
    responses((status = 200, description = "One page of periods", body = Page<PeriodDto>))
)]
#[get("/periods")]
pub async fn list_periods(
    cx: Ctx,
    query: ApiQuery<PeriodQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let Some((kommun_id, page)) = cx.listing(structure_target, &page)? else {
        return Ok(empty_page::<PeriodDto>());
    };
    let filter = periods::PeriodFilter {
        kind: query.kind,
        year: query.year,
    };
    let (rows, next) = periods::list(cx.db(), kommun_id, &filter, &page).await?;
    let kommun = &cx.principal.kommun_code;
    let items = rows.into_iter().map(|m| PeriodDto::from_model(m, kommun));
    Ok(resource::page(items.collect::<Result<Vec<_>, _>>()?, next))
}

impl Create<CreatePeriod> for Periods {
    async fn create(cx: &Ctx, body: CreatePeriod) -> Result<period::Model, ApiError> {
        cx.authorized(Action::Create, structure_target)?;
        let spec = body.spec().map_err(|e| ServiceError::Validation(vec![e]))?;
        cx.create_row(spec).await
    }
}

crate::api::resource::row_item!(
    Periods,
    period,
    PeriodDto,
    structure_target,
    dto = |cx, m| PeriodDto::from_model(m, &cx.principal.kommun_code),
    delete
);

crate::api::resource::item_routes! {
    Periods, PeriodDto, "periods", "/periods/{id}", "Period id";
    create: /// Create a period (admin, kommunledning).
        create_period(CreatePeriod) "/periods" "Created", 409 "The period already exists; names `kind`", 422 "Invalid";
    get: /// Read one period.
        get_period "The period";
    delete: /// Delete a period that nothing refers to (admin, kommunledning). Needs `If-Match`.
        delete_period "Deleted", 409 "Reports still refer to it";
}

async fn close_or_reopen(cx: Ctx, id: Uuid, close: bool) -> Result<HttpResponse, ApiError> {
    let current = Periods::load(&cx, id, Action::Update).await?;
    check_optional_if_match(&cx.req, current.version)?;
    let model = periods::set_closed(cx.db(), &cx.actor()?, &current, close).await?;
    let dto = PeriodDto::from_model(model, &cx.principal.kommun_code)?;
    Ok(cx.ok(dto.version, &dto))
}

/// Close a period (bokslut; admin, kommunledning): from now on every write
/// of a value in its months, through any endpoint or import, is refused
/// whole with 409. Decided report versions are unaffected.
#[utoipa::path(
    tag = "periods",
    params(
        ("id" = Uuid, Path, description = "Period id"),
        ("If-Match" = Option<String>, Header, description = "Optional: ETag of the period"),
    ),
    responses(
        (status = 200, description = "Closed", body = PeriodDto, headers(("ETag" = String))),
        (status = 409, description = "Already closed", body = crate::error::Problem, content_type = "application/problem+json"),
        crate::api::responses::Stale,
    )
)]
#[post("/periods/{id}/close")]
pub async fn close_period(cx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    close_or_reopen(cx, *id, true).await
}

/// Reopen a closed period (admin, kommunledning): its months are writable again.
#[utoipa::path(
    tag = "periods",
    params(
        ("id" = Uuid, Path, description = "Period id"),
        ("If-Match" = Option<String>, Header, description = "Optional: ETag of the period"),
    ),
    responses(
        (status = 200, description = "Reopened", body = PeriodDto, headers(("ETag" = String))),
        (status = 409, description = "Not closed", body = crate::error::Problem, content_type = "application/problem+json"),
        crate::api::responses::Stale,
    )
)]
#[post("/periods/{id}/reopen")]
pub async fn reopen_period(cx: Ctx, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    close_or_reopen(cx, *id, false).await
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_periods)
        .service(close_period)
        .service(reopen_period);
    item_services(cfg);
}
