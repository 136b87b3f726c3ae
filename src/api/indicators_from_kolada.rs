//! `POST /api/v1/indicators/from-kolada`: indicators created from Kolada
//! KPI ids or a KPI group ("Kommunens kvalitet i korthet", Agenda 2030),
//! ready to link to goals. Their polarity is left for a person to set.

use actix_web::{HttpResponse, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    common::{ApiJson, Input, actor},
    indicators::{IndicatorDto, check_kolada},
};
use crate::api::resource::Ctx;
use crate::api::resource::plan_target;
use crate::{
    auth::Action,
    error::{ApiError, FieldError},
    service::{
        indicators::IndicatorData,
        kolada_indicators::{self, GroupChoice},
    },
};

/// Most Kolada ids one request creates indicators for.
const MAX_KPIS: usize = 200;

/// Kolada KPI ids, or the title of a KPI group: one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kpi_group": "Kommunens kvalitet i korthet"}))]
pub struct FromKolada {
    /// Kolada KPI ids (A–Z, 0–9), e.g. `["N00945", "U21468"]`.
    #[schema(min_items = 1, max_items = 200, example = json!(["N00945", "U21468"]))]
    pub kpis: Option<Vec<String>>,
    /// The title of a Kolada KPI group (exactly, or a part only one group's
    /// title contains).
    #[schema(max_length = 200, example = "Kommunens kvalitet i korthet")]
    pub kpi_group: Option<String>,
}

impl Input for FromKolada {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        match (&self.kpis, &self.kpi_group) {
            (Some(_), Some(_)) | (None, None) => errors.push(FieldError::new(
                "kpis",
                "give either kpis (Kolada ids) or kpi_group (a group's title), not both",
            )),
            (Some(kpis), None) => {
                if kpis.is_empty() || kpis.len() > MAX_KPIS {
                    errors.push(FieldError::new(
                        "kpis",
                        format!("between 1 and {MAX_KPIS} Kolada ids"),
                    ));
                }
                for (i, k) in kpis.iter().enumerate() {
                    let mut e = Vec::new();
                    check_kolada(k, &mut e);
                    errors.extend(
                        e.into_iter()
                            .map(|e| FieldError::new(format!("kpis[{i}]"), e.message)),
                    );
                }
            }
            (None, Some(title)) => {
                let t = title.trim();
                if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
                    errors.push(FieldError::new(
                        "kpi_group",
                        "must be a group's title of 1 to 200 characters",
                    ));
                }
            }
        }
        errors
    }
}

/// The KPI group the indicators came from.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "G2KPI110", "title": "Kommunens kvalitet i korthet"}))]
pub struct KpiGroupDto {
    pub id: String,
    pub title: String,
}

/// What was created.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "group": {"id": "G2KPI110", "title": "Kommunens kvalitet i korthet"},
    "created": [], "existing": ["019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071c0"], "unknown": [],
    "polarity_unset": [],
    "note": "Set the polarity of each new indicator (PATCH /indicators/{id}); no trend or bedömning is computed before."
}))]
pub struct FromKoladaReport {
    pub group: Option<KpiGroupDto>,
    /// The new indicators (`polarity` null).
    pub created: Vec<IndicatorDto>,
    /// Indicators your kommun already had for some of the ids.
    pub existing: Vec<Uuid>,
    /// Ids Kolada does not know.
    pub unknown: Vec<String>,
    /// The new indicators whose polarity a person must set.
    pub polarity_unset: Vec<Uuid>,
    pub note: String,
}

/// Create indicators from Kolada KPI ids or a KPI group (admin,
/// kommunledning): title, description, unit (from the title), whether
/// divided by gender, Kolada id and "Källa: Kolada", from Kolada v3's KPI
/// metadata (`KOLADA_BASE_URL`). Ids your kommun already has an indicator
/// for are left as they are. The polarity is unset (null) until a person
/// sets it with `PATCH /indicators/{id}`: until then no trend or bedömning
/// is computed. Link them to goals as any indicator.
#[utoipa::path(tag = "indicators",
    request_body = FromKolada,
    responses(
        (status = 201, description = "Indicators created (or already there)", body = FromKoladaReport),
        (status = 422, description = "Invalid ids, or no (or more than one) group with that title", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The Kolada server failed; nothing was created", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 504, description = "The Kolada server did not answer in time; nothing was created", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/indicators/from-kolada")]
pub async fn create_indicators_from_kolada(
    cx: Ctx,
    body: ApiJson<FromKolada>,
) -> Result<HttpResponse, ApiError> {
    let kommun_id = cx.authorized(Action::Create, plan_target)?;
    let (req, state, principal) = cx.into_parts();
    let base = &state.settings.kolada_base_url;
    let (group, ids) = match (body.0.kpis, body.0.kpi_group) {
        (Some(kpis), _) => (None, kpis),
        (None, Some(title)) => match kolada_indicators::find_group(base, title.trim()).await? {
            GroupChoice::Found(g) => (
                Some(KpiGroupDto {
                    id: g.id,
                    title: g.title,
                }),
                g.members,
            ),
            GroupChoice::None => {
                return Err(ApiError::validation(
                    "kpi_group",
                    format!("Kolada has no KPI group whose title contains {title:?}"),
                ));
            }
            GroupChoice::Ambiguous(titles) => {
                return Err(ApiError::validation(
                    "kpi_group",
                    format!(
                        "several KPI groups match; give one title exactly: {}",
                        titles.join("; ")
                    ),
                ));
            }
        },
        (None, None) => return Err(ApiError::validation("kpis", "give kpis or kpi_group")),
    };
    let ids: Vec<String> = ids
        .into_iter()
        .filter(|k| {
            let mut e = Vec::new();
            check_kolada(k, &mut e);
            e.is_empty()
        })
        .collect();
    let done = kolada_indicators::create_from_kolada(
        &state.db,
        &actor(&req, &principal, kommun_id),
        base,
        &ids,
    )
    .await?;
    let mut created = Vec::new();
    for model in done.created {
        let data = IndicatorData {
            model,
            values: Vec::new(),
            riktvarden: Vec::new(),
            overrides: Vec::new(),
        };
        created.push(IndicatorDto::new(&data, Vec::new(), None)?);
    }
    let polarity_unset: Vec<Uuid> = created.iter().map(|c| c.id).collect();
    Ok(HttpResponse::Created().json(FromKoladaReport {
        group,
        note: if polarity_unset.is_empty() {
            "No new indicators.".into()
        } else {
            "Set the polarity of each new indicator (PATCH /indicators/{id}); no trend or bedömning is computed before.".into()
        },
        polarity_unset,
        created,
        existing: done.existing.into_iter().map(|m| m.id).collect(),
        unknown: done.unknown,
    }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_indicators_from_kolada);
}
