//! `POST /api/v1/imports/kolada/sync`, `GET /api/v1/imports/kolada/sync`
//! and `PATCH /api/v1/imports/kolada/sync`: the incremental Kolada sync of
//! the caller's kommun, run now, its state, and its settings (the
//! municipality group it compares itself with). The same sync runs in the background when
//! `KOLADA_SYNC_INTERVAL_SECS` is set (see `startup`).

use actix_web::{HttpResponse, get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::kolada::{KoladaChangeDto, kolada_access};
use crate::api::resource::Ctx;
use crate::api::resource::plan_target;
use crate::service::checks::check_text;
use crate::{
    api::common::{ApiJson, Input, actor},
    auth::Action,
    entity::kolada_sync,
    error::{ApiError, FieldError},
    service::{imports::KoladaChange, kolada_comparisons as comparisons, kolada_sync as sync},
    state::AppState,
};

/// The state of the Kolada sync of your kommun.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "interval_seconds": null, "running": false,
    "last_from_date": "2026-12-03", "last_started_at": "2026-12-03T05:00:00Z",
    "last_finished_at": "2026-12-03T05:00:04Z", "last_success_at": "2026-12-03T05:00:04Z",
    "last_rows_changed": 3, "last_pages": 2, "last_retries": 1, "last_error": null,
    "runs": 12, "failures": 1,
    "comparison_group": {"id": "G124026", "name": "Liknande kommuner äldreomsorg, 2024"}
}))]
pub struct KoladaSyncStateDto {
    /// Seconds between background runs; null when only `POST` runs it.
    pub interval_seconds: Option<u64>,
    /// A run holds the lease now.
    pub running: bool,
    /// The date the last successful run started: the next asks Kolada for
    /// values updated since (`from_date`). Null: the next fetches all.
    pub last_from_date: Option<NaiveDate>,
    pub last_started_at: Option<DateTime<Utc>>,
    pub last_finished_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// Values the last run changed (0 after a failed run).
    pub last_rows_changed: i32,
    /// Pages the last successful run fetched.
    pub last_pages: i32,
    /// Answers 429 or 5xx the last successful run retried.
    pub last_retries: i32,
    /// Why the last run failed; null when it succeeded.
    pub last_error: Option<String>,
    pub runs: i32,
    pub failures: i32,
    /// The municipality group whose values the sync fetches beside the
    /// kommun's and the country's (`0000`, Riket); null when none is set.
    #[schema(required = true)]
    pub comparison_group: Option<ComparisonGroup>,
}

/// A Kolada municipality group the kommun compares itself with (e.g. its
/// "liknande kommuner" group).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "G124026", "name": "Liknande kommuner äldreomsorg, 2024"}))]
pub struct ComparisonGroup {
    /// Kolada's id of the municipality group: `G` and digits.
    #[schema(pattern = "^G[0-9]{1,19}$", max_length = 20, example = "G124026")]
    pub id: String,
    /// Its name, as shown beside the values.
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Liknande kommuner äldreomsorg, 2024"
    )]
    pub name: String,
}

/// The settings of your kommun's Kolada sync; fields left out stay as they
/// are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"comparison_group": {"id": "G124026", "name": "Liknande kommuner äldreomsorg, 2024"}}))]
pub struct UpdateKoladaSync {
    /// The municipality group to compare with; `null` removes it (the
    /// country is always compared).
    #[serde(default, deserialize_with = "crate::api::common::double_option")]
    #[schema(value_type = Option<ComparisonGroup>)]
    pub comparison_group: Option<Option<ComparisonGroup>>,
}

impl Input for UpdateKoladaSync {
    const READ_ONLY: &'static [&'static str] = &[
        "interval_seconds",
        "running",
        "last_from_date",
        "last_started_at",
        "last_finished_at",
        "last_success_at",
        "last_rows_changed",
        "last_pages",
        "last_retries",
        "last_error",
        "runs",
        "failures",
    ];

    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(Some(group)) = &self.comparison_group {
            if let Err(message) = comparisons::check_group_id(&group.id) {
                errors.push(FieldError::new("comparison_group.id", message));
            }
            check_text(
                "comparison_group.name",
                &group.name,
                comparisons::MAX_GROUP_NAME,
                &mut errors,
            );
        }
        errors
    }
}

impl KoladaSyncStateDto {
    fn of(state: &AppState, m: &kolada_sync::Model) -> Self {
        KoladaSyncStateDto {
            interval_seconds: state.settings.kolada_sync_interval.map(|d| d.as_secs()),
            running: m
                .lease_until
                .is_some_and(|t| t > crate::service::clock::now()),
            last_from_date: m.last_from_date,
            last_started_at: m.last_started_at,
            last_finished_at: m.last_finished_at,
            last_success_at: m.last_success_at,
            last_rows_changed: m.last_rows_changed,
            last_pages: m.last_pages,
            last_retries: m.last_retries,
            last_error: m.last_error.clone(),
            runs: m.runs,
            failures: m.failures,
            comparison_group: comparisons::group_of(m).map(|g| ComparisonGroup {
                id: g.municipality,
                name: g.name,
            }),
        }
    }
}

/// What a sync run did, and the state after it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "state": {"interval_seconds": null, "running": false, "last_from_date": "2026-12-03",
        "last_started_at": "2026-12-03T05:00:00Z", "last_finished_at": "2026-12-03T05:00:04Z",
        "last_success_at": "2026-12-03T05:00:04Z", "last_rows_changed": 1, "last_pages": 1,
        "last_retries": 0, "last_error": null, "runs": 1, "failures": 0,
        "comparison_group": {"id": "G124026", "name": "Liknande kommuner äldreomsorg, 2024"}},
    "changes": [{"kpi": "U21468", "indicator_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0",
        "year": 2024, "gender": "T", "before": 83, "after": 84, "status": null, "removed": false}],
    "kept_manual": [], "unchanged": 4, "comparisons_changed": 6
}))]
pub struct KoladaSyncRunDto {
    pub state: KoladaSyncStateDto,
    pub changes: Vec<KoladaChangeDto>,
    /// Values a person wrote that Kolada disagrees with, kept.
    pub kept_manual: Vec<KoladaChangeDto>,
    pub unchanged: usize,
    /// Comparison values (the country's, the group's) added, revised or
    /// removed.
    pub comparisons_changed: usize,
}

fn change_dto(c: KoladaChange) -> KoladaChangeDto {
    super::kolada::change_dto(c)
}

/// The state of your kommun's Kolada sync: last run, the `from_date` the
/// next run asks for, rows changed, errors.
#[utoipa::path(tag = "imports",
    responses(
        (status = 200, description = "The sync state", body = KoladaSyncStateDto),
    ))]
#[get("/imports/kolada/sync")]
pub async fn get_kolada_sync(cx: Ctx) -> Result<HttpResponse, ApiError> {
    let (_, state, principal) = cx.into_parts();
    let kommun_id = kolada_access(&principal, Action::Read)?;
    let model = sync::state(&state.db, kommun_id).await?;
    Ok(HttpResponse::Ok().json(KoladaSyncStateDto::of(&state, &model)))
}

/// Run your kommun's Kolada sync now (admin, kommunledning, integration):
/// every indicator with a `kolada_id`, values Kolada updated since the last
/// successful run (`from_date`; everything the first time), fetched as
/// `POST /imports/kolada/fetch` does and imported with source `kolada`;
/// values a person wrote are kept. The same requests ask for the country's
/// (`0000`) and the comparison group's values (`PATCH`), stored as the
/// indicators' comparisons (`jamforelse`). One run at a time per kommun, across
/// instances: 409 while another runs. When Kolada fails, the state records
/// the error, nothing is imported and the answer is 502 (504 on timeout).
#[utoipa::path(tag = "imports",
    responses(
        (status = 200, description = "What the run changed and the state after it", body = KoladaSyncRunDto),
        (status = 409, description = "Another run of your kommun's sync holds the lease", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The Kolada server failed or sent something that is not Kolada data; recorded in the state, nothing imported", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 504, description = "The Kolada server did not answer in time; recorded in the state, nothing imported", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/imports/kolada/sync")]
pub async fn post_kolada_sync(cx: Ctx) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let kommun_id = kolada_access(&principal, Action::Update)?;
    let actor = actor(&req, &principal, kommun_id);
    let run = sync::run(
        &state.db,
        &sync::SyncRequest {
            base_url: &state.settings.kolada_base_url,
            kommun_id,
            kommun_code: &principal.kommun_code,
            actor: &actor,
        },
    )
    .await?;
    let outcome = run.outcome.unwrap_or_default();
    Ok(HttpResponse::Ok().json(KoladaSyncRunDto {
        state: KoladaSyncStateDto::of(&state, &run.state),
        changes: outcome.changes.into_iter().map(change_dto).collect(),
        kept_manual: outcome.kept_manual.into_iter().map(change_dto).collect(),
        unchanged: outcome.unchanged,
        comparisons_changed: run.comparisons_changed,
    }))
}

/// Set the municipality group your kommun compares itself with (admin,
/// kommunledning): a Kolada group id (`G…`, e.g. a "liknande kommuner"
/// group) and its name; `null` removes it. The sync then fetches the
/// group's and the country's (`0000`) values of every indicator with a
/// Kolada id beside the kommun's, and the indicator table and the indicator
/// overview show them (`jamforelse`). Another group than before makes the
/// next run fetch everything (`last_from_date` is cleared).
#[utoipa::path(tag = "imports", request_body = UpdateKoladaSync,
    responses(
        (status = 200, description = "The sync state with the new settings", body = KoladaSyncStateDto),
        (status = 422, description = "Not a Kolada municipality group id, or no name", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/imports/kolada/sync")]
pub async fn patch_kolada_sync(
    cx: Ctx,
    body: ApiJson<UpdateKoladaSync>,
) -> Result<HttpResponse, ApiError> {
    let kommun_id = cx.authorized(Action::Update, plan_target)?;
    let (req, state, principal) = cx.into_parts();
    let model = match body.0.comparison_group {
        None => sync::state(&state.db, kommun_id).await?,
        Some(group) => {
            let group = group.map(|g| comparisons::Peer {
                municipality: g.id,
                name: g.name.trim().to_string(),
            });
            sync::set_comparison_group(&state.db, &actor(&req, &principal, kommun_id), group)
                .await?
        }
    };
    Ok(HttpResponse::Ok().json(KoladaSyncStateDto::of(&state, &model)))
}
