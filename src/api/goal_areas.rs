//! `/api/v1/goal-areas`: the övergripande mål (målområden) of a plan period,
//! e.g. "Trygg omsorg & vård" of "Kommunplan 2023-2026".

use actix_web::{HttpRequest, HttpResponse, delete, get, http::StatusCode, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{
        ApiJson, Input, Page, PageParams, actor, check_if_match, created, double_option,
        encode_cursor, versioned,
    },
    indicators::{de_opt_year, parse_year},
};
use crate::{
    auth::{Action, Principal, Target, authorize},
    entity::goal_area,
    error::{ApiError, FieldError},
    service::{crud, goals},
    state::AppState,
};

/// A goal area of a plan.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071e0", "plan": "Kommunplan 2023-2026",
    "name": "Trygg omsorg & vård", "from_year": 2023, "to_year": 2026, "position": 4,
    "version": 1, "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct GoalAreaDto {
    pub id: Uuid,
    /// The plan (period) the area belongs to.
    pub plan: String,
    pub name: String,
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
    pub position: i32,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<goal_area::Model> for GoalAreaDto {
    fn from(m: goal_area::Model) -> Self {
        GoalAreaDto {
            id: m.id,
            plan: m.plan,
            name: m.name,
            from_year: m.from_year,
            to_year: m.to_year,
            position: m.position,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A new goal area.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"plan": "Kommunplan 2023-2026", "name": "Trygg omsorg & vård", "from_year": 2023, "to_year": 2026, "position": 4}))]
pub struct CreateGoalArea {
    /// 1–200 characters.
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub plan: String,
    /// 1–200 characters, unique within the plan.
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: String,
    #[serde(default, deserialize_with = "de_opt_year")]
    #[schema(value_type = Option<i32>, example = 2023, minimum = 1900, maximum = 2200)]
    pub from_year: Option<i32>,
    #[serde(default, deserialize_with = "de_opt_year")]
    #[schema(value_type = Option<i32>, example = 2026, minimum = 1900, maximum = 2200)]
    pub to_year: Option<i32>,
    /// Placed last in the plan when left out.
    pub position: Option<i32>,
}

/// Changes to a goal area; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to_year": 2027}))]
pub struct UpdateGoalArea {
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub plan: Option<String>,
    #[schema(max_length = 200, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub from_year: Option<Option<serde_json::Value>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub to_year: Option<Option<serde_json::Value>>,
    pub position: Option<i32>,
}

fn opt_year(v: &Option<Option<serde_json::Value>>) -> Result<Option<Option<i32>>, String> {
    match v {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(v)) => parse_year(v).map(|y| Some(Some(y))),
    }
}

impl Input for CreateGoalArea {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        goals::check_text("plan", &self.plan, 200, &mut errors);
        goals::check_text("name", &self.name, 200, &mut errors);
        if let (Some(f), Some(t)) = (self.from_year, self.to_year)
            && f > t
        {
            errors.push(FieldError::new("to_year", "must not be before from_year"));
        }
        errors
    }
}

impl Input for UpdateGoalArea {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(p) = &self.plan {
            goals::check_text("plan", p, 200, &mut errors);
        }
        if let Some(n) = &self.name {
            goals::check_text("name", n, 200, &mut errors);
        }
        if let Err(e) = opt_year(&self.from_year) {
            errors.push(FieldError::new("from_year", e));
        }
        if let Err(e) = opt_year(&self.to_year) {
            errors.push(FieldError::new("to_year", e));
        }
        errors
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GoalAreaQuery {
    /// Only the areas of this plan.
    #[param(example = "Kommunplan 2023-2026")]
    pub plan: Option<String>,
}

fn plan_target(principal: &Principal) -> Target<'_> {
    Target::Plan {
        kommun: &principal.kommun_code,
    }
}

/// List goal areas (in creation order; `position` orders them within a plan).
#[utoipa::path(tag = "goal-areas", params(GoalAreaQuery, PageParams),
    responses((status = 200, description = "One page of goal areas", body = Page<GoalAreaDto>)))]
#[get("/goal-areas")]
pub async fn list_goal_areas(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<GoalAreaQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Read, plan_target(&principal))?;
    let page = page.parse()?;
    let Some(kommun_id) = principal.kommun_id else {
        return Ok(HttpResponse::Ok().json(Page::<GoalAreaDto> {
            items: vec![],
            next_cursor: None,
        }));
    };
    let (rows, next) =
        goals::list_areas(&state.db, kommun_id, query.plan.as_deref(), &page).await?;
    Ok(HttpResponse::Ok().json(Page {
        items: rows.into_iter().map(GoalAreaDto::from).collect::<Vec<_>>(),
        next_cursor: next.map(encode_cursor),
    }))
}

/// Create a goal area (admin, kommunledning).
#[utoipa::path(tag = "goal-areas", request_body = CreateGoalArea,
    responses(
        (status = 201, description = "Created", body = GoalAreaDto, headers(("ETag" = String), ("Location" = String))),
        (status = 422, description = "Invalid or duplicate name", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/goal-areas")]
pub async fn create_goal_area(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    body: ApiJson<CreateGoalArea>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Create, plan_target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let b = body.0;
    let spec = goals::GoalAreaSpec {
        plan: b.plan.trim().to_string(),
        name: b.name.trim().to_string(),
        from_year: b.from_year,
        to_year: b.to_year,
        position: b.position,
    };
    let model = goals::create_area(&state.db, &actor(&req, &principal, kommun_id), spec).await?;
    let dto = GoalAreaDto::from(model);
    Ok(created(&req, dto.version, dto.id, &dto))
}

/// Read a goal area.
#[utoipa::path(tag = "goal-areas", params(("id" = Uuid, Path, description = "Goal area id")),
    responses(
        (status = 200, description = "The goal area", body = GoalAreaDto, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    ))]
#[get("/goal-areas/{id}")]
pub async fn get_goal_area(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Read, plan_target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let dto = GoalAreaDto::from(crud::get::<goal_area::Entity>(&state.db, kommun_id, *id).await?);
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Change a goal area (admin, kommunledning). Needs `If-Match`.
#[utoipa::path(tag = "goal-areas", request_body = UpdateGoalArea,
    params(("id" = Uuid, Path, description = "Goal area id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", example = "\"1\"")),
    responses(
        (status = 200, description = "Changed", body = GoalAreaDto, headers(("ETag" = String))),
        (status = 412, description = "Changed by someone else since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/goal-areas/{id}")]
pub async fn update_goal_area(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ApiJson<UpdateGoalArea>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Update, plan_target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let current = crud::get::<goal_area::Entity>(&state.db, kommun_id, *id).await?;
    check_if_match(&req, current.version)?;
    let b = body.0;
    let changes = goals::GoalAreaChanges {
        plan: b.plan.map(|p| p.trim().to_string()),
        name: b.name.map(|n| n.trim().to_string()),
        from_year: opt_year(&b.from_year).map_err(|e| ApiError::validation("from_year", e))?,
        to_year: opt_year(&b.to_year).map_err(|e| ApiError::validation("to_year", e))?,
        position: b.position,
    };
    let model = goals::update_area(
        &state.db,
        &actor(&req, &principal, kommun_id),
        *id,
        current.version,
        changes,
    )
    .await?;
    let dto = GoalAreaDto::from(model);
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Delete a goal area without goals or assignments (admin, kommunledning).
/// Needs `If-Match`.
#[utoipa::path(tag = "goal-areas",
    params(("id" = Uuid, Path, description = "Goal area id"),
        ("If-Match" = String, Header, description = "ETag of the version you read", example = "\"1\"")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Goals or assignments still refer to it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[delete("/goal-areas/{id}")]
pub async fn delete_goal_area(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    authorize(&principal, Action::Delete, plan_target(&principal))?;
    let kommun_id = principal.require_kommun()?;
    let current = crud::get::<goal_area::Entity>(&state.db, kommun_id, *id).await?;
    check_if_match(&req, current.version)?;
    goals::delete_area(
        &state.db,
        &actor(&req, &principal, kommun_id),
        *id,
        current.version,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_goal_areas)
        .service(create_goal_area)
        .service(get_goal_area)
        .service(update_goal_area)
        .service(delete_goal_area);
}
