//! `/reports/{id}/action-plans`: the report's åtgärdsplan, row by row.
use crate::api::common::ApiQuery;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::common::{ApiJson, Input, Page, check_if_match};
use crate::api::decided::BasisQuery;
use crate::api::decided::part_page;
use crate::api::resource::Ctx;
use crate::{
    auth::Action,
    entity::action_plan,
    error::{ApiError, FieldError},
    service::reports::{self},
};

/// One row of the åtgärdsplan.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071b0", "avvikelse": "Underskott hemtjänst −4 mnkr",
    "atgard": "Se över planeringen av hemtjänstinsatser", "ekonomisk_effekt": "2 mnkr 2024", "verksamhetseffekt": "Effektivare planering",
    "position": 1, "version": 1}))]
pub struct ActionPlanDto {
    pub id: Uuid,
    pub avvikelse: String,
    pub atgard: String,
    pub ekonomisk_effekt: String,
    pub verksamhetseffekt: String,
    pub position: i32,
    pub version: i32,
}

impl From<action_plan::Model> for ActionPlanDto {
    fn from(p: action_plan::Model) -> Self {
        ActionPlanDto {
            id: p.id,
            avvikelse: p.avvikelse,
            atgard: p.atgard,
            ekonomisk_effekt: p.ekonomisk_effekt,
            verksamhetseffekt: p.verksamhetseffekt,
            position: p.position,
            version: p.version,
        }
    }
}

/// A row of the åtgärdsplan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"avvikelse": "Underskott hemtjänst", "atgard": "Översyn av planeringen", "ekonomisk_effekt": "2 mnkr", "verksamhetseffekt": "Effektivare planering"}))]
pub struct ActionPlanInput {
    /// Not blank.
    #[schema(pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub avvikelse: String,
    /// Not blank.
    #[schema(pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub atgard: String,
    #[serde(default)]
    pub ekonomisk_effekt: String,
    #[serde(default)]
    pub verksamhetseffekt: String,
    pub position: Option<i32>,
}

impl Input for ActionPlanInput {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (field, value) in [("avvikelse", &self.avvikelse), ("atgard", &self.atgard)] {
            if value.trim().is_empty() {
                errors.push(FieldError::new(field, "is required"));
            }
        }
        errors
    }
}

impl ActionPlanInput {
    fn fields(self) -> reports::ActionPlanFields {
        reports::ActionPlanFields {
            avvikelse: self.avvikelse,
            atgard: self.atgard,
            ekonomisk_effekt: self.ekonomisk_effekt,
            verksamhetseffekt: self.verksamhetseffekt,
            position: self.position,
        }
    }
}

/// The report's åtgärdsplan.
#[utoipa::path(tag = "reports", params(("id" = Uuid, Path, description = "Report id"), BasisQuery),
    responses((status = 200, description = "Rows in order, all on one page", body = Page<ActionPlanDto>)))]
#[get("/reports/{id}/action-plans")]
pub async fn list_action_plans(
    cx: Ctx,
    id: web::Path<Uuid>,
    basis: ApiQuery<BasisQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, state, principal) = cx.into_parts();
    let rows = async |db: &sea_orm::DatabaseConnection, report_id| {
        let rows = reports::action_plans(db, report_id).await?;
        Ok(rows.into_iter().map(ActionPlanDto::from).collect())
    };
    part_page(&state, &principal, *id, basis.basis, "action_plans", rows).await
}

/// Add a row to the åtgärdsplan (while utkast).
#[utoipa::path(tag = "reports", request_body = ActionPlanInput, params(("id" = Uuid, Path, description = "Report id")),
    responses(
        (status = 201, description = "Created", body = ActionPlanDto, headers(("ETag" = String), ("Location" = String))),
        crate::api::responses::NotADraft,
        crate::api::responses::Invalid,
    ))]
#[post("/reports/{id}/action-plans")]
pub async fn create_action_plan(
    cx: Ctx,
    id: web::Path<Uuid>,
    body: ApiJson<ActionPlanInput>,
) -> Result<HttpResponse, ApiError> {
    let ctx = cx.report(*id, Action::Update).await?;
    let model = reports::create_action_plan(cx.db(), &cx.actor()?, &ctx, body.0.fields()).await?;
    let dto = ActionPlanDto::from(model);
    Ok(cx.created(dto.version, dto.id, &dto))
}

/// Change a row of the åtgärdsplan. Needs `If-Match`.
#[utoipa::path(tag = "reports", request_body = ActionPlanInput,
    params(("id" = Uuid, Path, description = "Report id"), ("plan_id" = Uuid, Path, description = "Row id"), ("If-Match" = String, Header, description = "ETag of the row", example = "\"1\"")),
    responses(
        (status = 200, description = "Changed", body = ActionPlanDto),
        crate::api::responses::NotADraft,
        crate::api::responses::Stale,
        crate::api::responses::Invalid,
        crate::api::responses::IfMatchMissing,
    ))]
#[patch("/reports/{id}/action-plans/{plan_id}")]
pub async fn update_action_plan(
    cx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
    body: ApiJson<ActionPlanInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, plan_id) = path.into_inner();
    let ctx = cx.report(id, Action::Update).await?;
    let current = reports::action_plan_of(cx.db(), &ctx, plan_id).await?;
    check_if_match(&cx.req, current.version)?;
    let model =
        reports::update_action_plan(cx.db(), &cx.actor()?, &current, body.0.fields()).await?;
    let dto = ActionPlanDto::from(model);
    Ok(cx.ok(dto.version, &dto))
}

/// Remove a row of the åtgärdsplan. Needs `If-Match`.
#[utoipa::path(tag = "reports",
    params(("id" = Uuid, Path, description = "Report id"), ("plan_id" = Uuid, Path, description = "Row id"), ("If-Match" = String, Header, description = "ETag of the row", example = "\"1\"")),
    responses(
        (status = 204, description = "Removed"),
        crate::api::responses::NotADraft,
        crate::api::responses::Stale,
        crate::api::responses::IfMatchMissing,
    ))]
#[delete("/reports/{id}/action-plans/{plan_id}")]
pub async fn delete_action_plan(
    cx: Ctx,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, plan_id) = path.into_inner();
    let ctx = cx.report(id, Action::Delete).await?;
    let current = reports::action_plan_of(cx.db(), &ctx, plan_id).await?;
    check_if_match(&cx.req, current.version)?;
    cx.delete_row::<action_plan::Entity>(current.id, current.version)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
