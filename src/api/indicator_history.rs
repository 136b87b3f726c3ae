//! `GET /api/v1/indicators/{id}/values/history`: every version of an
//! indicator's values, where each came from and when it was replaced (a
//! revision from Kolada, a value Kolada deleted, a person's correction).

use crate::api::common::ApiQuery;
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::indicators::{IndicatorValueDto, query_year};
use crate::api::resource::{Ctx, plan_target};
use crate::{
    auth::Action,
    domain::Gender,
    error::ApiError,
    service::indicators::{self, ValueVersion},
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValueHistoryQuery {
    /// Only this year (`YYYY`).
    #[param(example = 2024, value_type = Option<i32>, minimum = 1900, maximum = 2200)]
    pub year: Option<String>,
    /// Only this gender.
    #[param(example = "T", value_type = Option<Gender>)]
    pub gender: Option<String>,
}

/// One version of a value of a year and gender.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"year": 2024, "gender": "T", "value": 83, "status": null, "note": null,
    "source": "kolada", "fetched_at": "2026-11-02T05:00:00Z", "kolada_value": 83, "kolada_status": null,
    "valid_from": "2026-11-02T05:00:00Z", "valid_to": "2026-12-03T05:00:00Z", "ended_by": "update"}))]
pub struct ValueVersionDto {
    // The value as it was in this version, its fields beside the others.
    #[serde(flatten)]
    pub value: IndicatorValueDto,
    /// Since when the value held.
    pub valid_from: chrono::DateTime<chrono::Utc>,
    /// Until when; null for the current value.
    pub valid_to: Option<chrono::DateTime<chrono::Utc>>,
    /// How it ended: `update` (revised) or `delete` (removed, e.g. Kolada
    /// deleted it); null for the current value.
    pub ended_by: Option<String>,
}

impl From<ValueVersion> for ValueVersionDto {
    fn from(v: ValueVersion) -> Self {
        ValueVersionDto {
            value: IndicatorValueDto::of(&v.value),
            valid_from: v.valid_from,
            valid_to: v.valid_to,
            ended_by: v.ended_by,
        }
    }
}

/// The versions of an indicator's values, oldest first within a year and
/// gender.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"year": 2024, "gender": "T", "value": 83, "status": null, "note": null,
    "source": "kolada", "fetched_at": "2026-11-02T05:00:00Z", "kolada_value": 83, "kolada_status": null,
    "valid_from": "2026-11-02T05:00:00Z", "valid_to": null, "ended_by": null}], "next_cursor": null}))]
pub struct ValueHistoryPage {
    pub items: Vec<ValueVersionDto>,
    /// Always null: the whole history is one page.
    pub next_cursor: Option<String>,
}

/// Every version of the indicator's values: the earlier ones (revised by
/// Kolada or by a person, or removed because Kolada deleted them) and the
/// current ones (`valid_to` null), by year, gender and time.
#[utoipa::path(
    tag = "indicators",
    params(("id" = Uuid, Path, description = "Indicator id"), ValueHistoryQuery),
    responses(
        (status = 200, description = "The versions", body = ValueHistoryPage),
        (status = 404, description = "No such indicator in your kommun", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid year or gender", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/indicators/{id}/values/history")]
pub async fn get_indicator_values_history(
    cx: Ctx,
    id: web::Path<Uuid>,
    query: ApiQuery<ValueHistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let kommun_id = cx.authorized(Action::Read, plan_target)?;
    let (_, state, _principal) = cx.into_parts();
    let year = query_year(query.year.as_deref(), "year")?;
    let gender = query
        .gender
        .as_deref()
        .map(|g| {
            g.trim()
                .parse::<Gender>()
                .map_err(|e| ApiError::validation("gender", e))
        })
        .transpose()?;
    let versions = indicators::value_history(&state.db, kommun_id, *id, year, gender).await?;
    Ok(HttpResponse::Ok().json(ValueHistoryPage {
        items: versions.into_iter().map(ValueVersionDto::from).collect(),
        next_cursor: None,
    }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_indicator_values_history);
}
