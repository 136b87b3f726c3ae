//! `/api/v1/indicators`: the kommun's indicators with riktvärden, values per
//! year and gender, and trend/bedömning overrides; served with the trend and
//! bedömning the domain derives for a year, and as the appendix table
//! (`/indicators/table`) grouped by goal area and goal.

use crate::error::ServiceError;
pub mod dto;
pub mod input;
pub mod years;

pub use dto::*;
pub use input::*;
pub use years::*;

use super::resource::plan_target;
use crate::api::common::ApiQuery;
use crate::api::resource::indicator_values_target;
use std::collections::BTreeSet;

use actix_web::{HttpResponse, delete, get, http::StatusCode, patch, post, put, web};
use chrono::Datelike;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::common::{ApiJson, Page, PageParams, encode_cursor, versioned};
use super::read_cache::{Snapshot, json};
use super::resource::{Create, Ctx, Delete, Item, Patch};
use crate::{
    auth::Action,
    domain::{Gender, Polarity},
    entity::indicator,
    error::ApiError,
    service::{
        goals,
        indicators::{self, IndicatorData},
        kolada_comparisons,
    },
    state::AppState,
};

// ---------------------------------------------------------------------------
// Queries

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// The year to assess (`YYYY`); default per indicator the latest year
    /// with a riktvärde.
    #[param(example = 2024, value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub year: Option<String>,
    /// Only the indicator(s) with this Kolada id.
    #[param(example = "U21468")]
    pub kolada_id: Option<String>,
    /// Only indicators of this goal.
    pub goal_id: Option<Uuid>,
    /// Only indicators of the goals of this goal area.
    pub goal_area_id: Option<Uuid>,
    /// Only indicators of goals this nämnd (code) answers for.
    #[param(example = "VON")]
    pub namnd: Option<String>,
    /// Part of the name (case-insensitive).
    #[param(example = "hemtjänst")]
    pub q: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The year to assess (`YYYY`); default the latest year with a riktvärde.
    #[param(example = 2024, value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub year: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TableQuery {
    /// The report year (`YYYY`); default the latest year with a riktvärde
    /// of any indicator in the table. Only goal areas of plans in force that
    /// year (their from/to years include it) are shown.
    #[param(example = 2024, value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub year: Option<String>,
    /// Only this goal area.
    pub goal_area_id: Option<Uuid>,
    /// Only goals this nämnd (code) answers for.
    #[param(example = "VON")]
    pub namnd: Option<String>,
}

/// Goal ids selected by goal, goal area and nämnd filters; None when no
/// such filter is given.
async fn goal_ids_for(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    goal_id: Option<Uuid>,
    goal_area_id: Option<Uuid>,
    namnd: Option<&str>,
) -> Result<Option<Vec<Uuid>>, ApiError> {
    if goal_id.is_none() && goal_area_id.is_none() && namnd.is_none() {
        return Ok(None);
    }
    let namnd_id = match namnd {
        None => None,
        Some(code) => match goals::namnd_by_code(db, kommun_id, code).await? {
            Some(n) => Some(n.id),
            None => return Ok(Some(Vec::new())),
        },
    };
    let filter = goals::GoalFilter {
        goal_area_id,
        namnd_id,
        ids: goal_id.map(|g| vec![g]),
        ..Default::default()
    };
    Ok(Some(goals::ids(db, kommun_id, &filter).await?))
}

// ---------------------------------------------------------------------------
// Handlers

/// List indicators with their trend and bedömning for `year`.
#[utoipa::path(
    tag = "indicators",
    params(IndicatorQuery, PageParams),
    responses(
        (status = 200, description = "One page of indicators", body = Page<IndicatorDto>),
        crate::api::responses::InvalidYear,
    )
)]
#[get("/indicators")]
pub async fn list_indicators(
    cx: Ctx,
    query: ApiQuery<IndicatorQuery>,
    page: ApiQuery<PageParams>,
) -> Result<HttpResponse, ApiError> {
    cx.check(Action::Read, plan_target)?;
    let (_, state, principal) = cx.into_parts();
    let page = page.parse()?;
    let year = query_year(query.year.as_deref(), "year")?;
    let Some(kommun_id) = principal.kommun_id else {
        return Ok(HttpResponse::Ok().json(Page::<IndicatorDto> {
            items: vec![],
            next_cursor: None,
        }));
    };
    let goal_ids = goal_ids_for(
        &state.db,
        kommun_id,
        query.goal_id,
        query.goal_area_id,
        query.namnd.as_deref(),
    )
    .await?;
    let filter = indicators::IndicatorFilter {
        kolada_id: query.kolada_id.clone(),
        goal_ids,
        q: query.q.clone().filter(|q| !q.trim().is_empty()),
    };
    let (rows, next) = indicators::list(&state.db, kommun_id, &filter, &page).await?;
    let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
    let mut goals_of = indicators::goals_of(&state.db, kommun_id, &ids).await?;
    let data = indicators::load_data(&state.db, kommun_id, rows).await?;
    let items = data
        .iter()
        .map(|d| IndicatorDto::new(d, goals_of.remove(&d.model.id).unwrap_or_default(), year))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: next.map(encode_cursor),
    }))
}

/// One row of the appendix table.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071c0", "name": "Arbetslöshet 16-64 år (%)", "unit": "procent",
    "polarity": "lagre_ar_battre",
    "utfall": [{"year": 2022, "value": 9.0}, {"year": 2023, "value": 9.1}, {"year": 2024, "value": 9.3}],
    "trend": {"computed": "forsamrad", "final": "forsamrad", "override_reason": null},
    "riktvarde": {"year": 2024, "value": 8.0, "text": null},
    "bedomning": {"computed": "rod", "final": "rod", "override_reason": null},
    "source": "Källa: AF månadsstatistik", "kolada_id": null, "jamforelse": null
}))]
pub struct AppendixRow {
    pub id: Uuid,
    pub name: String,
    pub unit: String,
    pub polarity: Polarity,
    /// Utfall (T) of the table's `years`, null where missing.
    pub utfall: Vec<YearValueDto>,
    pub trend: TrendDto,
    pub riktvarde: Option<RiktvardeDto>,
    pub bedomning: BedomningDto,
    /// Källa as printed.
    pub source: Option<String>,
    pub kolada_id: Option<String>,
    /// For an indicator with a Kolada id, the country's and the comparison
    /// group's values of the table's `years` (one per year, values null
    /// where Kolada has none); null without Kolada id.
    #[schema(required = true)]
    pub jamforelse: Option<Vec<JamforelseDto>>,
}

/// A goal of the appendix with its indicators.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071d0", "title": "Ökad sysselsättning och egen försörjning",
    "huvudansvar": "VIAN", "indicators": []}))]
pub struct AppendixGoal {
    pub id: Uuid,
    pub title: String,
    /// Code of the huvudansvar nämnd (null for a goal of all nämnder).
    pub huvudansvar: Option<String>,
    pub indicators: Vec<AppendixRow>,
}

/// A goal area of the appendix.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071e0", "name": "Tillväxt, bostäder & fler jobb",
    "plan": "Kommunplan 2023-2026", "goals": []}))]
pub struct AppendixArea {
    pub id: Uuid,
    pub name: String,
    pub plan: String,
    pub goals: Vec<AppendixGoal>,
}

/// The indicator appendix of a report year: utfall of the year and the two
/// before, trend, riktvärde, bedömning and källa, by goal area and goal.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"year": 2024, "years": [2022, 2023, 2024], "goal_areas": [
    {"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071e0", "name": "Tillväxt, bostäder & fler jobb", "plan": "Kommunplan 2023-2026",
     "goals": [{"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071d0", "title": "Ökad sysselsättning och egen försörjning", "huvudansvar": "VIAN",
        "indicators": [{"id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071c0", "name": "Arbetslöshet 16-64 år (%)", "unit": "procent", "polarity": "lagre_ar_battre",
            "utfall": [{"year": 2022, "value": 9.0}, {"year": 2023, "value": 9.1}, {"year": 2024, "value": 9.3}],
            "trend": {"computed": "forsamrad", "final": "forsamrad", "override_reason": null},
            "riktvarde": {"year": 2024, "value": 8.0, "text": null},
            "bedomning": {"computed": "rod", "final": "rod", "override_reason": null},
            "source": "Källa: AF månadsstatistik", "kolada_id": null, "jamforelse": null}]}]}]}))]
pub struct AppendixDto {
    pub year: i32,
    /// The utfall columns: the year and the two before.
    pub years: Vec<i32>,
    pub goal_areas: Vec<AppendixArea>,
}

/// The indicator appendix (as printed in an årsredovisning) in one request.
#[utoipa::path(
    tag = "indicators",
    params(TableQuery),
    responses(
        (status = 200, description = "The appendix", body = AppendixDto),
        crate::api::responses::InvalidYear,
    )
)]
#[get("/indicators/table")]
pub async fn indicator_table(
    cx: Ctx,
    query: ApiQuery<TableQuery>,
) -> Result<HttpResponse, ApiError> {
    cx.check(Action::Read, plan_target)?;
    let (req, state, principal) = cx.into_parts();
    let year = query_year(query.year.as_deref(), "year")?;
    let kommun_id = principal.require_kommun()?;
    let snapshot = Snapshot::take(&state, kommun_id).await?;
    // Without a year the answer may fall back on the current one.
    let key = format!(
        "indicators/table?year={year:?}&goal_area={:?}&namnd={:?}&now={}",
        query.goal_area_id,
        query.namnd,
        if year.is_none() {
            crate::service::clock::now().year()
        } else {
            0
        }
    );
    snapshot
        .respond(&req, &state, key, || async {
            json(
                &appendix_table(
                    &state.db,
                    kommun_id,
                    year,
                    query.goal_area_id,
                    query.namnd.as_deref(),
                )
                .await?,
            )
        })
        .await
}

/// The indicator appendix of `year` (default: the latest year with a
/// riktvärde), optionally of one goal area and of the goals one nämnd
/// (code) answers for. Also part of a report's document.
pub async fn appendix_table(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    year: Option<i32>,
    goal_area_id: Option<Uuid>,
    namnd: Option<&str>,
) -> Result<AppendixDto, ApiError> {
    let goal_ids = match namnd {
        None => None,
        Some(code) => {
            let ids = goal_ids_for(db, kommun_id, None, goal_area_id, Some(code))
                .await?
                .unwrap_or_default();
            Some(ids.into_iter().collect::<BTreeSet<_>>())
        }
    };
    let appendix = indicators::appendix(
        db,
        kommun_id,
        goal_area_id,
        goal_ids.as_ref(),
        indicators::TargetYears::All,
    )
    .await?;
    let year = year
        .or_else(|| {
            appendix
                .indicators
                .values()
                .filter_map(|d| d.riktvarden.iter().map(|r| r.year).max())
                .max()
        })
        .unwrap_or_else(|| crate::service::clock::now().year());
    let years: Vec<i32> = (year.saturating_sub(2)..=year).collect();
    let namnder = goals::namnder_by_id(
        db,
        kommun_id,
        appendix.goals.iter().filter_map(|g| g.huvudansvar_id),
    )
    .await?;
    let ids: Vec<Uuid> = appendix.indicators.keys().copied().collect();
    let state = crate::service::kolada_sync::state(db, kommun_id).await?;
    let compared = kolada_comparisons::load(db, &state, &ids).await?;
    let mut areas = Vec::new();
    for area in appendix
        .areas
        .iter()
        .filter(|a| crate::domain::plan_in_force(a.from_year, a.to_year, year))
    {
        let mut goals_out = Vec::new();
        for g in appendix
            .goals
            .iter()
            .filter(|g| g.goal_area_id == Some(area.id))
        {
            let mut rows = Vec::new();
            for id in appendix.links.get(&g.id).into_iter().flatten() {
                let Some(d) = appendix.indicators.get(id) else {
                    continue;
                };
                let derived = indicators::derive(d, Some(year))?;
                rows.push(AppendixRow {
                    id: d.model.id,
                    name: d.model.name.clone(),
                    unit: d.model.unit.clone(),
                    polarity: d.model.polarity,
                    utfall: years
                        .iter()
                        .map(|y| YearValueDto {
                            year: *y,
                            value: d
                                .values
                                .iter()
                                .find(|v| v.year == *y && v.gender == Gender::T)
                                .and_then(|v| v.value),
                        })
                        .collect(),
                    trend: TrendDto::of(&derived),
                    riktvarde: derived
                        .riktvarde
                        .as_ref()
                        .map(|t| RiktvardeDto::new(year, t)),
                    bedomning: BedomningDto::of(&derived),
                    source: d.model.source.clone(),
                    kolada_id: d.model.kolada_id.clone(),
                    jamforelse: d.model.kolada_id.as_ref().map(|_| {
                        years
                            .iter()
                            .map(|y| compared.of(d.model.id, *y, Gender::T).into())
                            .collect()
                    }),
                });
            }
            goals_out.push(AppendixGoal {
                id: g.id,
                title: g.title.clone(),
                huvudansvar: g
                    .huvudansvar_id
                    .and_then(|h| namnder.get(&h))
                    .map(|n| n.code.clone()),
                indicators: rows,
            });
        }
        areas.push(AppendixArea {
            id: area.id,
            name: area.name.clone(),
            plan: area.plan.clone(),
            goals: goals_out,
        });
    }
    Ok(AppendixDto {
        year,
        years,
        goal_areas: areas,
    })
}

/// Indicators, for their create, `PATCH` and `DELETE` (their `GET` takes a
/// year).
pub struct Indicators;

impl Item for Indicators {
    type Current = indicator::Model;
    type Dto = IndicatorDto;
    async fn load(cx: &Ctx, id: Uuid, action: Action) -> Result<indicator::Model, ApiError> {
        cx.row::<indicator::Entity>(id, action, plan_target).await
    }
    fn id(current: &indicator::Model) -> Uuid {
        current.id
    }
    fn version(current: &indicator::Model) -> i32 {
        current.version
    }
    async fn dto(cx: &Ctx, current: indicator::Model) -> Result<IndicatorDto, ApiError> {
        let data = indicators::load_one(cx.db(), current.kommun_id, current.id).await?;
        dto_of(&cx.state, current.kommun_id, &data, None).await
    }
}

impl Create<CreateIndicator> for Indicators {
    async fn create(cx: &Ctx, b: CreateIndicator) -> Result<indicator::Model, ApiError> {
        cx.authorized(Action::Create, plan_target)?;
        let spec = indicators::IndicatorSpec {
            name: b.name.trim().to_string(),
            unit: b.unit.trim().to_string(),
            polarity: b.polarity,
            trend_threshold: b.trend_threshold,
            source: b
                .source
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            kolada_id: b.kolada_id,
            divided_by_gender: b.divided_by_gender,
            position: b.position,
            description: None,
            polarity_confirmed: true,
        };
        Ok(indicators::create(cx.db(), &cx.actor()?, spec).await?)
    }
}

impl Patch<UpdateIndicator> for Indicators {
    async fn patch(
        cx: &Ctx,
        current: indicator::Model,
        b: UpdateIndicator,
    ) -> Result<indicator::Model, ApiError> {
        let changes = indicators::IndicatorChanges {
            name: b.name.map(|n| n.trim().to_string()),
            unit: b.unit.map(|u| u.trim().to_string()),
            polarity: b.polarity,
            trend_threshold: b.trend_threshold,
            source: b.source,
            kolada_id: b.kolada_id,
            divided_by_gender: b.divided_by_gender,
            position: b.position,
        };
        cx.patch_row(current.id, current.version, changes).await
    }
}

impl Delete for Indicators {
    async fn delete(cx: &Ctx, current: indicator::Model) -> Result<(), ApiError> {
        cx.delete_row::<indicator::Entity>(current.id, current.version)
            .await
    }
}

crate::api::resource::item_routes! {
    Indicators, IndicatorDto, "indicators", "/indicators/{id}", "Indicator id";
    create: /// Create an indicator (admin, kommunledning).
        create_indicator(CreateIndicator) "/indicators" "Created", 422 "Invalid";
    patch: /// Change an indicator (admin, kommunledning). Needs `If-Match`.
        update_indicator(UpdateIndicator) "Changed", 422 "Invalid";
    delete: /// Delete an indicator with its values, riktvärden and goal links (admin,
        /// kommunledning). Needs `If-Match`.
        delete_indicator "Deleted";
}

async fn dto_of(
    state: &AppState,
    kommun_id: Uuid,
    data: &IndicatorData,
    year: Option<i32>,
) -> Result<IndicatorDto, ApiError> {
    let goal_ids = indicators::goals_of(&state.db, kommun_id, &[data.model.id])
        .await?
        .remove(&data.model.id)
        .unwrap_or_default();
    IndicatorDto::new(data, goal_ids, year)
}

/// Read an indicator with its trend and bedömning for `year`.
#[utoipa::path(
    tag = "indicators",
    params(("id" = Uuid, Path, description = "Indicator id"), YearQuery),
    responses(
        (status = 200, description = "The indicator", body = IndicatorDto, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        crate::api::responses::InvalidYear,
    )
)]
#[get("/indicators/{id}")]
pub async fn get_indicator(
    cx: Ctx,
    id: web::Path<Uuid>,
    query: ApiQuery<YearQuery>,
) -> Result<HttpResponse, ApiError> {
    cx.check(Action::Read, plan_target)?;
    let (req, state, principal) = cx.into_parts();
    let year = query_year(query.year.as_deref(), "year")?;
    let kommun_id = principal.require_kommun()?;
    let data = indicators::load_one(&state.db, kommun_id, *id).await?;
    let dto = dto_of(&state, kommun_id, &data, year).await?;
    Ok(versioned(&req, StatusCode::OK, dto.version, &dto))
}

/// Replace the riktvärden of an indicator (admin, kommunledning).
/// `If-Match` (the indicator's ETag) guards the change when given.
#[utoipa::path(
    tag = "indicators",
    request_body = PutRiktvarden,
    params(
        ("id" = Uuid, Path, description = "Indicator id"),
        ("If-Match" = Option<String>, Header, description = "Optional: ETag of the indicator"),
    ),
    responses(
        (status = 200, description = "The indicator with its new riktvärden", body = IndicatorDto, headers(("ETag" = String))),
        crate::api::responses::Stale,
        (status = 422, description = "Invalid (e.g. a year that is not YYYY)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/indicators/{id}/riktvarden")]
pub async fn put_riktvarden(
    cx: Ctx,
    id: web::Path<Uuid>,
    body: ApiJson<PutRiktvarden>,
) -> Result<HttpResponse, ApiError> {
    put_part(cx, plan_target, None, async |db, actor, expected| {
        let entries = body.0.entries().map_err(ServiceError::Validation)?;
        Ok(indicators::put_riktvarden(db, actor, *id, expected, entries).await?)
    })
    .await
}

/// Write values per year and gender, all or nothing (admin, kommunledning,
/// integration). Values not mentioned stay; one without value, status and
/// note is deleted. `If-Match` guards the change when given.
#[utoipa::path(
    tag = "indicators",
    operation_id = "put_indicator_values",
    request_body = PutIndicatorValues,
    params(
        ("id" = Uuid, Path, description = "Indicator id"),
        ("If-Match" = Option<String>, Header, description = "Optional: ETag of the indicator"),
    ),
    responses(
        (status = 200, description = "The indicator with its values", body = IndicatorDto, headers(("ETag" = String))),
        crate::api::responses::Stale,
        (status = 422, description = "Invalid (e.g. a gender other than T, K, M)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/indicators/{id}/values")]
pub async fn put_values(
    cx: Ctx,
    id: web::Path<Uuid>,
    body: ApiJson<PutIndicatorValues>,
) -> Result<HttpResponse, ApiError> {
    put_part(
        cx,
        indicator_values_target,
        None,
        async |db, actor, expected| {
            let writes = body.0.writes().map_err(ServiceError::Validation)?;
            Ok(indicators::put_values(db, actor, *id, expected, writes).await?)
        },
    )
    .await
}

/// Set or clear the trend and bedömning overrides of a year, each with its
/// reason (admin, kommunledning). `If-Match` guards the change when given.
#[utoipa::path(
    tag = "indicators",
    request_body = PutOverrides,
    params(
        ("id" = Uuid, Path, description = "Indicator id"),
        ("year" = i32, Path, description = "The year", example = 2024, minimum = 1900, maximum = 2200),
        ("If-Match" = Option<String>, Header, description = "Optional: ETag of the indicator"),
    ),
    responses(
        (status = 200, description = "The indicator for that year", body = IndicatorDto, headers(("ETag" = String))),
        crate::api::responses::Stale,
        (status = 422, description = "Invalid (e.g. an override without a reason)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/indicators/{id}/overrides/{year}")]
pub async fn put_overrides(
    cx: Ctx,
    path: web::Path<(Uuid, String)>,
    body: ApiJson<PutOverrides>,
) -> Result<HttpResponse, ApiError> {
    cx.check(Action::Update, plan_target)?;
    let (id, year) = path.into_inner();
    let year = query_year(Some(&year), "year")?
        .ok_or_else(|| ApiError::validation("year", "give the year"))?;
    put_part(cx, plan_target, Some(year), async |db, actor, expected| {
        let (trend, bedomning) = body.0.overrides().map_err(ServiceError::Validation)?;
        Ok(indicators::put_overrides(db, actor, id, expected, year, trend, bedomning).await?)
    })
    .await
}

/// A write of a part of an indicator (riktvärden, values, overrides):
/// authorised for `target`, guarded by `If-Match` when given, answered
/// with the indicator (assessed for `year` when given) and its ETag.
async fn put_part(
    cx: Ctx,
    target: crate::api::resource::TargetOf,
    year: Option<i32>,
    write: impl AsyncFnOnce(
        &sea_orm::DatabaseConnection,
        &crate::service::audit::Actor,
        Option<i32>,
    ) -> Result<IndicatorData, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let kommun_id = cx.authorized(Action::Update, target)?;
    let expected = super::common::optional_if_match_version(&cx.req)?;
    let data = write(cx.db(), &cx.actor()?, expected).await?;
    let dto = dto_of(&cx.state, kommun_id, &data, year).await?;
    Ok(cx.ok(dto.version, &dto))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(indicator_table).service(list_indicators);
    item_services(cfg);
    cfg.service(get_indicator)
        .service(put_riktvarden)
        .service(put_values)
        .service(put_overrides);
}
