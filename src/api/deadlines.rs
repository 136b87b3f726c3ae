//! `/api/v1/deadlines`: the process calendar. Per period and report type
//! the kommun's dates for underlag, nämndbeslut, inlämning, KS and KF, for
//! every nämnd or one; `GET /kommun/submissions` shows each nämnd against
//! them.

use actix_web::{HttpRequest, HttpResponse, delete, get, http::StatusCode, patch, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::common::{
    ApiJson, Input, Page, PageParams, actor, check_if_match, created, encode_cursor, versioned,
};
use crate::{
    auth::{Action, Principal, Target, authorize},
    domain::{process::DeadlineKind, structure::ReportType},
    entity::deadline,
    error::ApiError,
    service::{
        crud,
        deadlines::{self, DeadlineSpec},
    },
    state::AppState,
};

/// A deadline of the follow-up process.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607190", "period_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607183",
    "type": "arsredovisning", "kind": "underlag", "due_date": "2025-02-07", "namnd_id": null,
    "version": 1, "created_at": "2026-12-03T09:00:00Z", "updated_at": "2026-12-03T09:00:00Z"
}))]
pub struct DeadlineDto {
    pub id: Uuid,
    pub period_id: Uuid,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub report_type: ReportType,
    pub kind: DeadlineKind,
    pub due_date: NaiveDate,
    /// For this nämnd only (its date replaces the kommun's of the same
    /// kind); null: every nämnd.
    pub namnd_id: Option<Uuid>,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<deadline::Model> for DeadlineDto {
    fn from(m: deadline::Model) -> Self {
        DeadlineDto {
            id: m.id,
            period_id: m.period_id,
            report_type: m.report_type,
            kind: m.kind,
            due_date: m.due_date,
            namnd_id: m.namnd_id,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A new deadline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"period_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607183",
    "type": "arsredovisning", "kind": "underlag", "due_date": "2025-02-07"}))]
pub struct CreateDeadline {
    pub period_id: Uuid,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub report_type: ReportType,
    pub kind: DeadlineKind,
    pub due_date: NaiveDate,
    /// Only for underlag, nämndbeslut and inlämning.
    #[serde(default)]
    pub namnd_id: Option<Uuid>,
}

impl Input for CreateDeadline {}

/// A deadline moved.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"due_date": "2025-02-14"}))]
pub struct UpdateDeadline {
    pub due_date: Option<NaiveDate>,
}

impl Input for UpdateDeadline {}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    pub period_id: Option<Uuid>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub report_type: Option<ReportType>,
    /// Items per page, 1–500 (default 50).
    #[param(value_type = Option<u64>, example = 50, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page; empty or absent: the first page.
    /// Only the cursors this service returned are valid (they are signed).
    #[param(example = "", pattern = r"^([A-Za-z0-9_-]{42}[AEIMQUYcgkosw048])?$")]
    pub cursor: Option<String>,
}

fn target(principal: &Principal) -> Target<'_> {
    Target::Structure {
        kommun: &principal.kommun_code,
    }
}

/// List the kommun's deadlines (every role), in creation order.
#[utoipa::path(tag = "deadlines", params(DeadlineQuery),
    responses((status = 200, description = "One page of deadlines", body = Page<DeadlineDto>)))]
#[get("/deadlines")]
pub async fn list_deadlines(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<DeadlineQuery>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Read, target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    }
    .parse()?;
    let (rows, next) = deadlines::list(
        &state.db,
        kommun_id,
        query.period_id,
        query.report_type,
        &page,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page {
        items: rows.into_iter().map(DeadlineDto::from).collect(),
        next_cursor: next.map(encode_cursor),
    }))
}

/// Add a deadline (admin, kommunledning).
#[utoipa::path(tag = "deadlines", request_body = CreateDeadline,
    responses(
        (status = 201, description = "Created", body = DeadlineDto, headers(("ETag" = String), ("Location" = String))),
        (status = 422, description = "Unknown period or nämnd, a type not made for the period, or a nämnd on a KS/KF date", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/deadlines")]
pub async fn create_deadline(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    body: ApiJson<CreateDeadline>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Create, target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let b = body.0;
    let spec = DeadlineSpec {
        period_id: b.period_id,
        report_type: b.report_type,
        kind: b.kind,
        due_date: b.due_date,
        namnd_id: b.namnd_id,
    };
    let dto = DeadlineDto::from(
        deadlines::create(&state.db, &actor(&req, &principal, kommun_id), spec).await?,
    );
    Ok(created(&req, dto.version, dto.id, &dto))
}

/// Read a deadline.
#[utoipa::path(tag = "deadlines", params(("id" = Uuid, Path, description = "Deadline id")),
    responses(
        (status = 200, description = "The deadline", body = DeadlineDto, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    ))]
#[get("/deadlines/{id}")]
pub async fn get_deadline(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Read, target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let dto = DeadlineDto::from(crud::get::<deadline::Entity>(&state.db, kommun_id, *id).await?);
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Move a deadline (admin, kommunledning). Needs `If-Match`.
#[utoipa::path(tag = "deadlines", request_body = UpdateDeadline,
    params(("id" = Uuid, Path, description = "Deadline id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", example = "\"1\"")),
    responses(
        (status = 200, description = "Changed", body = DeadlineDto, headers(("ETag" = String))),
        (status = 412, description = "Changed by someone else since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/deadlines/{id}")]
pub async fn update_deadline(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ApiJson<UpdateDeadline>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Update, target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let current = crud::get::<deadline::Entity>(&state.db, kommun_id, *id).await?;
    check_if_match(&req, current.version)?;
    let model = deadlines::update(
        &state.db,
        &actor(&req, &principal, kommun_id),
        *id,
        current.version,
        body.0.due_date,
    )
    .await?;
    let dto = DeadlineDto::from(model);
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Remove a deadline (admin, kommunledning). Needs `If-Match`.
#[utoipa::path(tag = "deadlines",
    params(("id" = Uuid, Path, description = "Deadline id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", example = "\"1\"")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 412, description = "Changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[delete("/deadlines/{id}")]
pub async fn delete_deadline(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Delete, target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let current = crud::get::<deadline::Entity>(&state.db, kommun_id, *id).await?;
    check_if_match(&req, current.version)?;
    deadlines::delete(
        &state.db,
        &actor(&req, &principal, kommun_id),
        *id,
        current.version,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_deadlines)
        .service(create_deadline)
        .service(get_deadline)
        .service(update_deadline)
        .service(delete_deadline);
}
