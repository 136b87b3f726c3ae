//! `/api/v1/goal-areas`: the övergripande mål (målområden) of a plan period,
//! e.g. "Trygg omsorg & vård" of "Kommunplan 2023-2026".

use super::resource::plan_target;
use crate::api::common::ApiQuery;
use actix_web::{HttpResponse, delete, get, patch, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{Input, Page, PageParams, double_option},
    indicators::{de_opt_year, parse_year},
    resource::{self, Create, Ctx, Patch, empty_page},
};
use crate::service::checks::check_text;
use crate::{
    auth::Action,
    entity::goal_area,
    error::{ApiError, FieldError},
    service::goals,
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
        check_text("plan", &self.plan, 200, &mut errors);
        check_text("name", &self.name, 200, &mut errors);
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
            check_text("plan", p, 200, &mut errors);
        }
        if let Some(n) = &self.name {
            check_text("name", n, 200, &mut errors);
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

/// List goal areas (in creation order; `position` orders them within a plan).
#[utoipa::path(tag = "goal-areas", params(GoalAreaQuery, PageParams),
    responses((status = 200, description = "One page of goal areas", body = Page<GoalAreaDto>)))]
#[get("/goal-areas")]
pub async fn list_goal_areas(
    cx: Ctx,
    query: ApiQuery<GoalAreaQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let Some((kommun_id, page)) = cx.listing(plan_target, &page)? else {
        return Ok(empty_page::<GoalAreaDto>());
    };
    let (rows, next) = goals::list_areas(cx.db(), kommun_id, query.plan.as_deref(), &page).await?;
    Ok(resource::page(
        rows.into_iter().map(GoalAreaDto::from).collect(),
        next,
    ))
}

impl Create<CreateGoalArea> for GoalAreas {
    async fn create(cx: &Ctx, b: CreateGoalArea) -> Result<goal_area::Model, ApiError> {
        cx.authorized(Action::Create, plan_target)?;
        let spec = goals::GoalAreaSpec {
            plan: b.plan.trim().to_string(),
            name: b.name.trim().to_string(),
            from_year: b.from_year,
            to_year: b.to_year,
            position: b.position,
        };
        cx.create_row(spec).await
    }
}

crate::api::resource::row_item!(GoalAreas, goal_area, GoalAreaDto, plan_target, delete);

impl Patch<UpdateGoalArea> for GoalAreas {
    async fn patch(
        cx: &Ctx,
        current: goal_area::Model,
        b: UpdateGoalArea,
    ) -> Result<goal_area::Model, ApiError> {
        let changes = goals::GoalAreaChanges {
            plan: b.plan.map(|p| p.trim().to_string()),
            name: b.name.map(|n| n.trim().to_string()),
            from_year: opt_year(&b.from_year).map_err(|e| ApiError::validation("from_year", e))?,
            to_year: opt_year(&b.to_year).map_err(|e| ApiError::validation("to_year", e))?,
            position: b.position,
        };
        cx.patch_row(current.id, current.version, changes).await
    }
}

crate::api::resource::item_routes! {
    GoalAreas, GoalAreaDto, "goal-areas", "/goal-areas/{id}", "Goal area id";
    create: /// Create a goal area (admin, kommunledning).
        create_goal_area(CreateGoalArea) "/goal-areas" "Created", 409 "The plan already has a goal area with this name; names `name`", 422 "Invalid";
    get: /// Read a goal area.
        get_goal_area "The goal area";
    patch: /// Change a goal area (admin, kommunledning). Needs `If-Match`.
        update_goal_area(UpdateGoalArea) "Changed", 422 "Invalid", 409 "The plan already has a goal area with this name; names `name`";
    delete: /// Delete a goal area without goals or assignments (admin, kommunledning).
        /// Needs `If-Match`.
        delete_goal_area "Deleted", 409 "Goals or assignments still refer to it";
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_goal_areas);
    item_services(cfg);
}
