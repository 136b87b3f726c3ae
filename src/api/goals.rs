//! `/api/v1/goals`: the kommun plan's resultatmål (one `huvudansvar` nämnd,
//! any number of `medansvariga`, Agenda 2030 goals, linked indicators) and
//! the nämnder's own goals (kind `namnd`) with "bäring på" a kommun goal and
//! a target that is a number or a text.

use super::resource::plan_target;
use crate::api::common::ApiQuery;
use crate::error::ServiceError;
use std::collections::HashMap;

use actix_web::{HttpResponse, delete, get, patch, post};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    common::{Input, Page, PageParams, double_option},
    indicators::{RiktvardeDto, de_year},
    linked::{LinkedItem, NewSpec, Shown, SpecChange, dtos},
    resource::{self, Ctx, empty_page, patch_field},
};
use crate::service::checks::{FIGURE_TOO_LARGE, check_text, is_figure};
use crate::{
    auth::{Action, authorize},
    domain::Bedomning,
    entity::namnd,
    error::{ApiError, FieldError},
    service::{
        assessments,
        goals::{self, GoalFull, GoalKind, GoalSpec},
        indicators::Target as GoalTarget,
        reports,
    },
};

/// A nämnd referred to by a goal or assignment.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "code": "VON", "name": "Vård- och omsorgsnämnden"}))]
pub struct NamndRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

impl NamndRef {
    pub fn of(id: Uuid, namnder: &HashMap<Uuid, namnd::Model>) -> Result<Self, ApiError> {
        namnder
            .get(&id)
            .map(|n| NamndRef {
                id,
                code: n.code.clone(),
                name: n.name.clone(),
            })
            .ok_or_else(|| {
                ApiError::Service(ServiceError::Unexpected(format!(
                    "nämnd {id} of a goal is missing"
                )))
            })
    }
}

/// An Agenda 2030 goal.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"number": 3, "name": "God hälsa och välbefinnande"}))]
pub struct Agenda2030Dto {
    pub number: u8,
    /// Swedish name.
    pub name: String,
}

/// A goal.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071d0", "kind": "kommun",
    "goal_area_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071e0",
    "title": "Ökad nöjdhet med hemtjänsten", "description": null,
    "huvudansvar": {"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182", "code": "VON", "name": "Vård- och omsorgsnämnden"},
    "medansvariga": [{"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607185", "code": "STN", "name": "Service- och tekniknämnden"}],
    "alla_namnder": false,
    "agenda2030": [{"number": 3, "name": "God hälsa och välbefinnande"}],
    "indicator_ids": ["019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071c0"],
    "bar_pa_goal_id": null, "bar_pa": null, "target": null, "position": 3,
    "version": 1, "created_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"
}))]
pub struct GoalDto {
    pub id: Uuid,
    pub kind: GoalKind,
    pub goal_area_id: Option<Uuid>,
    pub title: String,
    /// Markdown.
    pub description: Option<String>,
    /// The one nämnd with huvudansvar (for a nämnd's own goal: its owner);
    /// null for a goal of all nämnder.
    pub huvudansvar: Option<NamndRef>,
    pub medansvariga: Vec<NamndRef>,
    /// The goal applies to every nämnd ("alla nämnder").
    pub alla_namnder: bool,
    pub agenda2030: Vec<Agenda2030Dto>,
    #[schema(max_items = 200)]
    pub indicator_ids: Vec<Uuid>,
    /// The kommun goal a nämnd's own goal has bäring på.
    pub bar_pa_goal_id: Option<Uuid>,
    /// "Bäring på" as printed.
    pub bar_pa: Option<String>,
    /// The goal's target: a number or a text such as "öka".
    pub target: Option<RiktvardeDto>,
    pub position: i32,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl GoalDto {
    pub fn new(g: &GoalFull, namnder: &HashMap<Uuid, namnd::Model>) -> Result<Self, ApiError> {
        let m = &g.model;
        Ok(GoalDto {
            id: m.id,
            kind: m.kind,
            goal_area_id: m.goal_area_id,
            title: m.title.clone(),
            description: m.description.clone(),
            huvudansvar: m
                .huvudansvar_id
                .map(|h| NamndRef::of(h, namnder))
                .transpose()?,
            medansvariga: g
                .medansvariga
                .iter()
                .map(|n| NamndRef::of(*n, namnder))
                .collect::<Result<_, _>>()?,
            alla_namnder: m.alla_namnder,
            agenda2030: g
                .agenda2030()
                .into_iter()
                .filter_map(|n| {
                    goals::agenda2030_name(n).map(|name| Agenda2030Dto {
                        number: n,
                        name: name.to_string(),
                    })
                })
                .collect(),
            indicator_ids: g.indicator_ids.clone(),
            bar_pa_goal_id: m.bar_pa_goal_id,
            bar_pa: m.bar_pa.clone(),
            target: match (m.target_year, g.target()?) {
                (Some(y), Some(t)) => Some(RiktvardeDto::new(y, &t)),
                _ => None,
            },
            position: m.position,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A target of a goal: a number (`value`) or a text (`text`), for a year.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"year": 2024, "text": "Öka jmf utfall 2023"}))]
pub struct GoalTargetInput {
    #[serde(deserialize_with = "de_year")]
    #[schema(value_type = i32, example = 2024, minimum = 1900, maximum = 2200)]
    pub year: i32,
    #[serde(default, with = "super::decimal::option")]
    #[schema(value_type = Option<f64>, exclusive_minimum = -1e18, exclusive_maximum = 1e18)]
    pub value: Option<Decimal>,
    #[schema(max_length = 200)]
    pub text: Option<String>,
}

impl GoalTargetInput {
    fn target(&self) -> Result<GoalTarget, FieldError> {
        match (&self.value, &self.text) {
            (Some(v), None) if !is_figure(*v) => {
                Err(FieldError::new("target.value", FIGURE_TOO_LARGE))
            }
            (Some(v), None) => Ok(GoalTarget::Value(*v)),
            (None, Some(t)) if !t.trim().is_empty() && t.chars().count() <= 200 => {
                Ok(GoalTarget::Text(t.trim().to_string()))
            }
            (None, Some(_)) => Err(FieldError::new("target.text", "must be 1–200 characters")),
            _ => Err(FieldError::new(
                "target",
                "give either value (a number) or text (1–200 characters, e.g. \"öka\")",
            )),
        }
    }
}

fn kommun_kind() -> GoalKind {
    GoalKind::Kommun
}

/// A new goal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "kommun", "goal_area_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071e0",
    "title": "Ökad nöjdhet med hemtjänsten",
    "huvudansvar": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182",
    "medansvariga": ["019a8e3c-5b7d-7e1a-9c2f-3d4e5f607185"],
    "agenda2030": [3], "indicator_ids": ["019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071c0"]
}))]
pub struct CreateGoal {
    /// `kommun` (default) or `namnd`.
    #[serde(default = "kommun_kind")]
    pub kind: GoalKind,
    /// Required for a kommun goal.
    pub goal_area_id: Option<Uuid>,
    /// 1–2000 characters.
    #[schema(max_length = 2000, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub title: String,
    pub description: Option<String>,
    /// Id of exactly one nämnd (for a nämnd's own goal: its owner). Leave
    /// out with `alla_namnder`.
    pub huvudansvar: Option<Uuid>,
    /// Ids of the co-responsible nämnder, not the huvudansvar one.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub medansvariga: Vec<Uuid>,
    #[serde(default)]
    pub alla_namnder: bool,
    #[serde(default)]
    #[schema(schema_with = super::schema::agenda2030_numbers)]
    pub agenda2030: Vec<u8>,
    #[serde(default)]
    #[schema(max_items = 200)]
    pub indicator_ids: Vec<Uuid>,
    /// For a nämnd's own goal: the kommun goal it has bäring på.
    pub bar_pa_goal_id: Option<Uuid>,
    /// "Bäring på" as printed.
    pub bar_pa: Option<String>,
    pub target: Option<GoalTargetInput>,
    pub position: Option<i32>,
}

const READ_ONLY: &[&str] = &["id", "version", "created_at", "updated_at"];

/// `text` trimmed; None when nothing is left.
pub(super) fn clean(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

impl NewSpec<GoalFull> for CreateGoal {
    fn spec(&self) -> Result<GoalSpec, Vec<FieldError>> {
        let target = self
            .target
            .as_ref()
            .map(GoalTargetInput::target)
            .transpose()
            .map_err(|e| vec![e])?;
        Ok(GoalSpec {
            kind: self.kind,
            goal_area_id: self.goal_area_id,
            title: self.title.trim().to_string(),
            description: clean(self.description.clone()),
            huvudansvar: self.huvudansvar,
            medansvariga: self.medansvariga.clone(),
            alla_namnder: self.alla_namnder,
            agenda2030: self.agenda2030.clone(),
            indicator_ids: self.indicator_ids.clone(),
            bar_pa_goal_id: self.bar_pa_goal_id,
            bar_pa: clean(self.bar_pa.clone()),
            target_year: self.target.as_ref().map(|t| t.year),
            target,
            position: self.position,
        })
    }
}

impl Input for CreateGoal {
    const READ_ONLY: &'static [&'static str] = READ_ONLY;
    fn validate(&self) -> Vec<FieldError> {
        match self.spec() {
            Ok(spec) => goals::check_spec(&spec),
            Err(errors) => errors,
        }
    }
}

/// Changes to a goal; fields left out stay as they are, lists given replace
/// the stored ones, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"medansvariga": [], "agenda2030": [3, 10]}))]
pub struct UpdateGoal {
    pub kind: Option<GoalKind>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub goal_area_id: Option<Option<Uuid>>,
    #[schema(max_length = 2000, pattern = r"^[^\x00]*[^\s\x00][^\x00]*$")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub huvudansvar: Option<Option<Uuid>>,
    #[schema(max_items = 100)]
    pub medansvariga: Option<Vec<Uuid>>,
    pub alla_namnder: Option<bool>,
    #[schema(schema_with = super::schema::agenda2030_numbers_or_null)]
    pub agenda2030: Option<Vec<u8>>,
    #[schema(max_items = 200)]
    pub indicator_ids: Option<Vec<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub bar_pa_goal_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub bar_pa: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<GoalTargetInput>)]
    pub target: Option<Option<GoalTargetInput>>,
    pub position: Option<i32>,
}

impl SpecChange<GoalFull> for UpdateGoal {
    fn merge(self, mut spec: GoalSpec) -> Result<GoalSpec, Vec<FieldError>> {
        patch_field(&mut spec.kind, self.kind);
        patch_field(&mut spec.goal_area_id, self.goal_area_id);
        patch_field(&mut spec.title, self.title.map(|t| t.trim().to_string()));
        patch_field(&mut spec.description, self.description.map(clean));
        patch_field(&mut spec.huvudansvar, self.huvudansvar);
        patch_field(&mut spec.medansvariga, self.medansvariga);
        patch_field(&mut spec.alla_namnder, self.alla_namnder);
        patch_field(&mut spec.agenda2030, self.agenda2030);
        patch_field(&mut spec.indicator_ids, self.indicator_ids);
        patch_field(&mut spec.bar_pa_goal_id, self.bar_pa_goal_id);
        patch_field(&mut spec.bar_pa, self.bar_pa.map(clean));
        if let Some(t) = self.target {
            match t {
                None => {
                    spec.target = None;
                    spec.target_year = None;
                }
                Some(t) => {
                    spec.target = Some(t.target().map_err(|e| vec![e])?);
                    spec.target_year = Some(t.year);
                }
            }
        }
        patch_field(&mut spec.position, self.position.map(Some));
        let errors = goals::check_spec(&spec);
        if errors.is_empty() {
            Ok(spec)
        } else {
            Err(errors)
        }
    }
}

impl Input for UpdateGoal {
    const READ_ONLY: &'static [&'static str] = READ_ONLY;
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(t) = &self.title {
            check_text("title", t, 2000, &mut errors);
        }
        if let Some(Some(t)) = &self.target
            && let Err(e) = t.target()
        {
            errors.push(e);
        }
        errors
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GoalQuery {
    pub goal_area_id: Option<Uuid>,
    /// Goals this nämnd (code) answers for: huvudansvar, medansvar, or all nämnder.
    #[param(example = "VON")]
    pub namnd: Option<String>,
    /// Part of the title or description (case-insensitive).
    #[param(example = "hemtjänst")]
    pub q: Option<String>,
    pub kind: Option<GoalKind>,
    /// Nämnd goals with bäring på this kommun goal.
    pub bar_pa_goal_id: Option<Uuid>,
    /// Goals linked to this indicator.
    pub indicator_id: Option<Uuid>,
    /// With `bedomning`: the report whose assessments to filter by.
    pub report_id: Option<Uuid>,
    /// Goals assessed with this bedömning in `report_id`.
    pub bedomning: Option<Bedomning>,
}

/// List goals.
#[utoipa::path(tag = "goals", params(GoalQuery, PageParams),
    responses(
        (status = 200, description = "One page of goals", body = Page<GoalDto>),
        (status = 422, description = "bedomning without report_id", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/goals")]
pub async fn list_goals(
    cx: Ctx,
    query: ApiQuery<GoalQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let Some((kommun_id, page)) = cx.listing(plan_target, &page)? else {
        return Ok(empty_page::<GoalDto>());
    };
    let (state, principal) = (&cx.state, &cx.principal);
    let namnd_id = match &query.namnd {
        None => None,
        Some(code) => match goals::namnd_by_code(&state.db, kommun_id, code).await? {
            Some(n) => Some(n.id),
            None => return Ok(empty_page::<GoalDto>()),
        },
    };
    let ids = match (query.bedomning, query.report_id) {
        (Some(_), None) => {
            return Err(ApiError::validation(
                "report_id",
                "filtering by bedomning needs the report whose assessments to use",
            ));
        }
        (Some(b), Some(report_id)) => {
            let ctx = reports::load(&state.db, kommun_id, report_id).await?;
            authorize(principal, Action::Read, ctx.target(principal))?;
            Some(assessments::goals_with(&state.db, kommun_id, report_id, b).await?)
        }
        (None, _) => None,
    };
    let filter = goals::GoalFilter {
        kind: query.kind,
        goal_area_id: query.goal_area_id,
        namnd_id,
        q: query.q.clone().filter(|q| !q.trim().is_empty()),
        bar_pa_goal_id: query.bar_pa_goal_id,
        indicator_id: query.indicator_id,
        ids,
    };
    let (rows, next) = goals::list(&state.db, kommun_id, &filter, &page).await?;
    Ok(resource::page(
        dtos(&state.db, kommun_id, &rows).await?,
        next,
    ))
}

impl Shown for GoalFull {
    type Dto = GoalDto;
    fn namnder(&self) -> impl Iterator<Item = Uuid> {
        let huvudansvar = self.model.huvudansvar_id;
        huvudansvar
            .into_iter()
            .chain(self.medansvariga.iter().copied())
    }
    fn dto(&self, namnder: &HashMap<Uuid, namnd::Model>) -> Result<GoalDto, ApiError> {
        GoalDto::new(self, namnder)
    }
    fn version(&self) -> i32 {
        self.model.version
    }
    fn current_spec(&self) -> Result<GoalSpec, ServiceError> {
        self.spec()
    }
}

crate::api::resource::item_routes! {
    LinkedItem<GoalFull>, GoalDto, "goals", "/goals/{id}", "Goal id";
    create: /// Create a goal (admin, kommunledning).
        create_goal(CreateGoal) "/goals" "Created", 422 "Invalid, e.g. two huvudansvar or unknown nämnd";
    get: /// Read a goal.
        get_goal "The goal";
    patch: /// Change a goal (admin, kommunledning). Needs `If-Match`.
        update_goal(UpdateGoal) "Changed", 422 "Invalid";
    delete: /// Delete a goal that no assessment or other goal refers to (admin,
        /// kommunledning). Needs `If-Match`.
        delete_goal "Deleted", 409 "Assessments, assignments or nämnd goals refer to it";
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_goals);
    item_services(cfg);
}
