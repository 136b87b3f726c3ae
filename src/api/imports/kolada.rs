//! `POST /imports/kolada` and `GET /exports/kolada`: indicator values in
//! Kolada's JSON format (v3; v2 files import too), uploaded and exported.

use crate::api::common::ApiQuery;
use crate::api::resource::indicator_values_target;
use actix_web::{HttpResponse, get, post};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    ImportProblem, KoladaImportQuery, RawBody, RowError, check_year, decimal_json, is_json_mime,
    mime, refused,
};
use crate::api::resource::Ctx;
use crate::{
    api::common::actor,
    auth::{Action, Principal, authorize},
    domain::{Gender, ValueSource},
    error::ApiError,
    service::{
        import_readers::{ParsedKolada, parse_json, parse_kolada},
        imports::{self, RowIssue},
    },
    state::AppState,
};

/// One value of a Kolada entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"gender": "T", "value": 83.0, "status": "", "count": 1, "isdeleted": false}))]
pub struct KoladaValueDto {
    /// T (totalt), K (kvinnor) or M (män).
    pub gender: String,
    /// The value; null when Kolada has none (then `status` may say why).
    #[schema(value_type = Option<f64>, exclusive_minimum = -1e18, exclusive_maximum = 1e18)]
    pub value: Value,
    /// Kolada's status; "" when there is nothing to say.
    #[schema(max_length = 40)]
    pub status: String,
    /// Number of observations behind the value (we write 1, or 0 without a value).
    pub count: u32,
    /// v3: true when Kolada removed the value (the import removes ours);
    /// absent in v2 files, always false in our export.
    pub isdeleted: bool,
}

/// One Kolada id, kommun and year.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"kpi": "U21468", "municipality": "0483", "period": 2024,
    "values": [{"gender": "T", "value": 83.0, "status": "", "count": 1, "isdeleted": false}]}))]
pub struct KoladaEntryDto {
    /// The Kolada id of the indicator (`kolada_id`).
    pub kpi: String,
    /// Kommunkod.
    pub municipality: String,
    /// The year.
    #[schema(minimum = 1900, maximum = 2200)]
    pub period: i32,
    pub values: Vec<KoladaValueDto>,
}

/// Kolada JSON, as `https://api.kolada.se/v3/data/...` answers (v2 files,
/// without `isdeleted`, read the same). Unknown members (`next_url`,
/// `previous_url`, v2's `next_page`) are ignored on import.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"values": [{"kpi": "U21468", "municipality": "0483", "period": 2024,
    "values": [{"gender": "T", "value": 83.0, "status": "", "count": 1, "isdeleted": false}]}], "count": 1}))]
pub struct KoladaDocument {
    pub values: Vec<KoladaEntryDto>,
    /// Number of entries in `values`.
    pub count: usize,
}

/// A Kolada JSON file to import: Kolada's answer as it comes. `count` is
/// read only to check it; a file without it is read the same.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"values": [{"kpi": "U21468", "municipality": "0483", "period": 2024,
    "values": [{"gender": "T", "value": 83.0, "status": "", "count": 1, "isdeleted": false}]}], "count": 1}))]
pub struct KoladaFile {
    pub values: Vec<KoladaEntryDto>,
    /// Number of entries in `values`.
    pub count: Option<usize>,
}

/// A value that changes (or would change, in a dry run).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kpi": "U21468", "indicator_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0",
    "year": 2024, "gender": "T", "before": 83, "after": 84, "status": null, "removed": false}))]
pub struct KoladaChangeDto {
    pub kpi: String,
    pub indicator_id: Uuid,
    pub year: i32,
    pub gender: Gender,
    #[schema(value_type = Option<f64>)]
    pub before: Value,
    #[schema(value_type = Option<f64>)]
    pub after: Value,
    /// Kolada's status as stored; null when empty.
    pub status: Option<String>,
    /// True when the value is removed because Kolada deleted it
    /// (`isdeleted`); its history keeps it.
    pub removed: bool,
}

/// An entry that was not applied, and why.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"index": 3, "reason": "municipality 1882 is not your kommun (0483)"}))]
pub struct SkippedRow {
    pub index: usize,
    pub reason: String,
}

/// What a Kolada import did (or, in a dry run, would do).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "dry_run": false, "applied": true, "rows": 2,
    "changes": [{"kpi": "U21468", "indicator_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0",
        "year": 2024, "gender": "T", "before": 83, "after": 84, "status": null, "removed": false}],
    "kept_manual": [],
    "unchanged": 0,
    "skipped": [{"index": 1, "reason": "municipality 1882 is not your kommun (0483)"}],
    "errors": []
}))]
pub struct KoladaImportReport {
    pub dry_run: bool,
    /// True when the changes were written.
    pub applied: bool,
    /// Entries in the file.
    pub rows: usize,
    pub changes: Vec<KoladaChangeDto>,
    /// Values a person wrote that Kolada disagrees with, kept as they are
    /// (send `overwrite_manual=true` to replace them); what Kolada said is
    /// recorded with the value.
    pub kept_manual: Vec<KoladaChangeDto>,
    /// Values equal to what is stored (or null with an empty status: no data).
    pub unchanged: usize,
    pub skipped: Vec<SkippedRow>,
    /// Only in a dry run (an import with errors is refused with 422).
    pub errors: Vec<RowError>,
}

/// The caller's kommun when it may do `action` on indicator values (the
/// policy of every Kolada import and export).
pub(crate) fn kolada_access(principal: &Principal, action: Action) -> Result<Uuid, ApiError> {
    let kommun_id = principal.require_kommun()?;
    authorize(principal, action, indicator_values_target(principal))?;
    Ok(kommun_id)
}

/// Import indicator values in Kolada's JSON format, v3 or v2 (admin,
/// kommunledning, integration). Entries land on the indicators of your
/// kommun whose `kolada_id` is the entry's `kpi`, per year (`period`) and
/// gender (T, K, M). Entries of another `municipality`, or with a Kolada id
/// none of your indicators has, are reported as skipped. A value that is null
/// with an empty status leaves the stored one alone; notes are kept. A value
/// marked `isdeleted` (v3) removes the stored one (`GET
/// /indicators/{id}/values/history` keeps it). Values a person wrote are
/// kept unless `overwrite_manual=true` (listed in `kept_manual`). The
/// import is one transaction: any invalid entry refuses the whole file with
/// 422 and the entries' `index`. `dry_run=true` reports the changes (and any
/// errors) without writing. Importing the same file again changes nothing.
#[utoipa::path(tag = "imports", params(KoladaImportQuery),
    request_body(content = KoladaFile, content_type = "application/json", description = "A Kolada JSON document (v3 or v2)"),
    responses(
        (status = 200, description = "What changed (or would change)", body = KoladaImportReport),
        crate::api::responses::FileTooLarge,
        (status = 422, description = "Invalid entries; nothing was imported", body = ImportProblem, content_type = "application/problem+json"),
    ))]
#[post("/imports/kolada")]
pub async fn import_kolada(
    cx: Ctx,
    query: ApiQuery<KoladaImportQuery>,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let kommun_id = kolada_access(&principal, Action::Update)?;
    if !is_json_mime(&mime(&req)) {
        return Err(ApiError::UnsupportedMediaType(
            "send the Kolada file as application/json".into(),
        ));
    }
    let doc = parse_json(&body.0)?;
    let parsed = parse_kolada(&doc, &principal.kommun_code)?;
    let dry_run = query.dry_run.unwrap_or(false);
    if !dry_run && !parsed.errors.is_empty() {
        return Ok(refused(parsed.errors.into_iter().map(row_error).collect()));
    }
    let options = imports::KoladaImportOptions {
        source: ValueSource::Import,
        fetched_at: None,
        overwrite_manual: query.overwrite_manual.unwrap_or(false),
    };
    let report = apply_kolada(
        &state,
        &actor(&req, &principal, kommun_id),
        parsed,
        &options,
        dry_run,
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Writes (or, in a dry run, only compares) the entries of a parsed Kolada
/// document and reports the outcome: the one path of every Kolada import,
/// file or fetched.
pub(crate) async fn apply_kolada(
    state: &AppState,
    actor: &crate::service::audit::Actor,
    parsed: ParsedKolada,
    options: &imports::KoladaImportOptions,
    dry_run: bool,
) -> Result<KoladaImportReport, ApiError> {
    let apply = !dry_run;
    let outcome = imports::import_kolada(&state.db, actor, &parsed.entries, options, apply).await?;
    let mut skipped: Vec<SkippedRow> = parsed
        .skipped
        .into_iter()
        .chain(outcome.skipped)
        .map(|(index, reason)| SkippedRow { index, reason })
        .collect();
    skipped.sort_by_key(|s| s.index);
    Ok(KoladaImportReport {
        dry_run,
        applied: apply && !outcome.changes.is_empty(),
        rows: parsed.rows,
        changes: outcome.changes.into_iter().map(change_dto).collect(),
        kept_manual: outcome.kept_manual.into_iter().map(change_dto).collect(),
        unchanged: outcome.unchanged,
        skipped,
        errors: parsed.errors.into_iter().map(row_error).collect(),
    })
}

pub(crate) fn change_dto(c: imports::KoladaChange) -> KoladaChangeDto {
    KoladaChangeDto {
        kpi: c.kpi,
        indicator_id: c.indicator_id,
        year: c.year,
        gender: c.gender,
        before: decimal_json(c.before),
        after: decimal_json(c.after),
        status: c.status,
        removed: c.removed,
    }
}

/// A row problem of a Kolada document (which has no line numbers).
fn row_error(issue: RowIssue) -> RowError {
    RowError::new(issue, None)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KoladaExportQuery {
    /// Only this year (default: every year).
    #[param(example = 2024, minimum = 1900, maximum = 2200)]
    pub year: Option<i32>,
}

/// Export the values of your kommun's indicators that have a Kolada id, in
/// Kolada's v3 JSON format that `POST /imports/kolada` reads.
#[utoipa::path(tag = "imports", params(KoladaExportQuery),
    responses(
        (status = 200, description = "Kolada v3 JSON", body = KoladaDocument),
        crate::api::responses::InvalidYear,
    ))]
#[get("/exports/kolada")]
pub async fn export_kolada(
    cx: Ctx,
    query: ApiQuery<KoladaExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, state, principal) = cx.into_parts();
    let kommun_id = kolada_access(&principal, Action::Read)?;
    check_year(query.year)?;
    let entries = imports::export_kolada(&state.db, kommun_id, query.year).await?;
    let values: Vec<KoladaEntryDto> = entries
        .into_iter()
        .map(|e| KoladaEntryDto {
            kpi: e.kpi,
            municipality: principal.kommun_code.clone(),
            period: e.year,
            values: e
                .values
                .into_iter()
                .map(|v| KoladaValueDto {
                    gender: v.gender.to_string(),
                    count: u32::from(v.value.is_some()),
                    value: decimal_json(v.value),
                    status: v.status.unwrap_or_default(),
                    isdeleted: false,
                })
                .collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(KoladaDocument {
        count: values.len(),
        values,
    }))
}
