//! `/api/v1/deadlines`: the process calendar. Per period and report type
//! the kommun's dates for underlag, nämndbeslut, inlämning, KS and KF, for
//! every nämnd or one; `GET /kommun/submissions` shows each nämnd against
//! them.

use crate::api::common::ApiQuery;
use crate::api::resource::structure_target;
use crate::error::FieldError;
use crate::service::checks::check_date;
use actix_web::{HttpResponse, delete, get, patch, post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{Input, Page, PageParams},
    resource::{self, Create, Ctx, Patch},
};
use crate::{
    auth::Action,
    domain::{process::DeadlineKind, structure::ReportType},
    entity::deadline,
    error::ApiError,
    service::deadlines::{self, DeadlineSpec},
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

impl Input for CreateDeadline {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_date("due_date", Some(self.due_date), &mut errors);
        errors
    }
}

/// A deadline moved.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"due_date": "2025-02-14"}))]
pub struct UpdateDeadline {
    pub due_date: Option<NaiveDate>,
}

impl Input for UpdateDeadline {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_date("due_date", self.due_date, &mut errors);
        errors
    }
}

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

/// List the kommun's deadlines (every role), in creation order.
#[utoipa::path(tag = "deadlines", params(DeadlineQuery),
    responses((status = 200, description = "One page of deadlines", body = Page<DeadlineDto>)))]
#[get("/deadlines")]
pub async fn list_deadlines(
    cx: Ctx,
    query: ApiQuery<DeadlineQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let Some((kommun_id, page)) = cx.listing(structure_target, &page)? else {
        return Ok(resource::empty_page::<DeadlineDto>());
    };
    let (period_id, report_type) = (query.period_id, query.report_type);
    let (rows, next) = deadlines::list(cx.db(), kommun_id, period_id, report_type, &page).await?;
    Ok(resource::page(
        rows.into_iter().map(DeadlineDto::from).collect(),
        next,
    ))
}

impl Create<CreateDeadline> for Deadlines {
    async fn create(cx: &Ctx, b: CreateDeadline) -> Result<deadline::Model, ApiError> {
        cx.authorized(Action::Create, structure_target)?;
        let spec = DeadlineSpec {
            period_id: b.period_id,
            report_type: b.report_type,
            kind: b.kind,
            due_date: b.due_date,
            namnd_id: b.namnd_id,
        };
        cx.create_row(spec).await
    }
}

crate::api::resource::row_item!(Deadlines, deadline, DeadlineDto, structure_target, delete);

impl Patch<UpdateDeadline> for Deadlines {
    async fn patch(
        cx: &Ctx,
        current: deadline::Model,
        b: UpdateDeadline,
    ) -> Result<deadline::Model, ApiError> {
        let changes = deadlines::DeadlineChanges {
            due_date: b.due_date,
        };
        cx.patch_row(current.id, current.version, changes).await
    }
}

crate::api::resource::item_routes! {
    Deadlines, DeadlineDto, "deadlines", "/deadlines/{id}", "Deadline id";
    create: /// Add a deadline (admin, kommunledning).
        create_deadline(CreateDeadline) "/deadlines" "Created", 422 "Unknown period or nämnd, a type not made for the period, or a nämnd on a KS/KF date";
    get: /// Read a deadline.
        get_deadline "The deadline";
    patch: /// Move a deadline (admin, kommunledning). Needs `If-Match`.
        update_deadline(UpdateDeadline) "Changed";
    delete: /// Remove a deadline (admin, kommunledning). Needs `If-Match`.
        delete_deadline "Deleted";
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_deadlines);
    item_services(cfg);
}
