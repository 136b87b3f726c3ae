//! `POST /imports/kolada` and `GET /exports/kolada`: indicator values in
//! the Kolada v2 JSON format, uploaded and exported.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    ImportProblem, KoladaImportQuery, RawBody, RowError, check_year, decimal_json, is_json_mime,
    mime, parse_json, refused,
};
use crate::{
    api::common::actor,
    auth::{Action, Principal, Target, authorize},
    domain::{Gender, MAX_YEAR, MIN_YEAR},
    error::ApiError,
    service::{
        imports::{self, KoladaEntry, KoladaValue},
        indicators::gender_str,
    },
    state::AppState,
};

/// One value of a Kolada entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"gender": "T", "value": 83.0, "status": "", "count": 1}))]
pub struct KoladaValueDto {
    /// T (totalt), K (kvinnor) or M (män).
    pub gender: String,
    /// The value; null when Kolada has none (then `status` may say why).
    #[schema(value_type = Option<f64>)]
    pub value: Value,
    /// Kolada's status; "" when there is nothing to say.
    pub status: String,
    /// Number of observations behind the value (we write 1, or 0 without a value).
    pub count: u32,
}

/// One Kolada id, kommun and year.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"kpi": "U21468", "municipality": "0483", "period": 2024,
    "values": [{"gender": "T", "value": 83.0, "status": "", "count": 1}]}))]
pub struct KoladaEntryDto {
    /// The Kolada id of the indicator (`kolada_id`).
    pub kpi: String,
    /// Kommunkod.
    pub municipality: String,
    /// The year.
    pub period: i32,
    pub values: Vec<KoladaValueDto>,
}

/// Kolada v2 JSON, as `https://api.kolada.se/v2/data/...` answers. Unknown
/// members (`next_page`, `previous_page`, `isdeleted`) are ignored on import.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"values": [{"kpi": "U21468", "municipality": "0483", "period": 2024,
    "values": [{"gender": "T", "value": 83.0, "status": "", "count": 1}]}], "count": 1}))]
pub struct KoladaDocument {
    pub values: Vec<KoladaEntryDto>,
    /// Number of entries in `values`.
    pub count: usize,
}

/// A value that changes (or would change, in a dry run).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kpi": "U21468", "indicator_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0",
    "year": 2024, "gender": "T", "before": 83, "after": 84, "status": null}))]
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
        "year": 2024, "gender": "T", "before": 83, "after": 84, "status": null}],
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
    /// Values equal to what is stored (or null with an empty status: no data).
    pub unchanged: usize,
    pub skipped: Vec<SkippedRow>,
    /// Only in a dry run (an import with errors is refused with 422).
    pub errors: Vec<RowError>,
}

/// The parts of a Kolada document: entries for the caller's kommun,
/// skipped entries, row errors and the number of entries.
pub(crate) struct ParsedKolada {
    pub(crate) entries: Vec<KoladaEntry>,
    pub(crate) skipped: Vec<SkippedRow>,
    pub(crate) errors: Vec<RowError>,
    pub(crate) rows: usize,
}

fn kolada_error(index: usize, field: String, message: impl Into<String>) -> RowError {
    RowError {
        index,
        line_number: None,
        field,
        message: message.into(),
    }
}

pub(crate) fn parse_kolada(doc: &Value, kommun_code: &str) -> Result<ParsedKolada, ApiError> {
    let Some(list) = doc.get("values").and_then(Value::as_array) else {
        return Err(ApiError::validation(
            "values",
            "must be the array of Kolada entries ({\"values\": [...], \"count\": n})",
        ));
    };
    let mut parsed = ParsedKolada {
        entries: Vec::new(),
        skipped: Vec::new(),
        errors: Vec::new(),
        rows: list.len(),
    };
    let mut seen: HashMap<(String, i32, Gender), usize> = HashMap::new();
    for (i, item) in list.iter().enumerate() {
        let at = |f: &str| format!("values[{i}].{f}");
        let before = parsed.errors.len();
        let text = |key: &str, errors: &mut Vec<RowError>| match item.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => {
                errors.push(kolada_error(i, at(key), "must be a non-empty string"));
                None
            }
        };
        let kpi = text("kpi", &mut parsed.errors);
        let municipality = text("municipality", &mut parsed.errors);
        let year = match item.get("period") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        let year = match year {
            Some(y) if (i64::from(MIN_YEAR)..=i64::from(MAX_YEAR)).contains(&y) => Some(y as i32),
            _ => {
                parsed.errors.push(kolada_error(
                    i,
                    at("period"),
                    format!("must be a year between {MIN_YEAR} and {MAX_YEAR}, e.g. 2024"),
                ));
                None
            }
        };
        let Some(values) = item.get("values").and_then(Value::as_array) else {
            parsed
                .errors
                .push(kolada_error(i, at("values"), "must be an array of values"));
            continue;
        };
        let mut out = Vec::with_capacity(values.len());
        for (j, v) in values.iter().enumerate() {
            let at = |f: &str| format!("values[{i}].values[{j}].{f}");
            let gender = match v.get("gender").and_then(Value::as_str) {
                Some("T") => Some(Gender::T),
                Some("K") => Some(Gender::K),
                Some("M") => Some(Gender::M),
                other => {
                    parsed.errors.push(kolada_error(
                        i,
                        at("gender"),
                        format!(
                            "{} is not a Kolada gender: T, K or M",
                            other.map_or_else(|| "missing".into(), |g| format!("{g:?}"))
                        ),
                    ));
                    None
                }
            };
            let value = match v.get("value") {
                None | Some(Value::Null) => Ok(None),
                Some(raw) => crate::api::decimal::parse_decimal(raw).map(Some),
            };
            let value = match value {
                Ok(v) => v,
                Err(message) => {
                    parsed.errors.push(kolada_error(i, at("value"), message));
                    None
                }
            };
            let status = match v.get("status") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(Value::String(s)) => Some(s.trim().to_string()),
                Some(_) => {
                    parsed
                        .errors
                        .push(kolada_error(i, at("status"), "must be a string"));
                    None
                }
            };
            if let Some(gender) = gender {
                out.push((
                    j,
                    KoladaValue {
                        gender,
                        value,
                        status,
                    },
                ));
            }
        }
        if parsed.errors.len() > before {
            continue;
        }
        let (Some(kpi), Some(municipality), Some(year)) = (kpi, municipality, year) else {
            continue;
        };
        if municipality != kommun_code {
            parsed.skipped.push(SkippedRow {
                index: i,
                reason: format!("municipality {municipality} is not your kommun ({kommun_code})"),
            });
            continue;
        }
        for (j, v) in &out {
            if let Some(first) = seen.insert((kpi.clone(), year, v.gender), i) {
                parsed.errors.push(kolada_error(
                    i,
                    format!("values[{i}].values[{j}].gender"),
                    format!(
                        "{kpi} {year} {} is already given in values[{first}]",
                        gender_str(v.gender)
                    ),
                ));
            }
        }
        parsed.entries.push(KoladaEntry {
            index: i,
            kpi,
            year,
            values: out.into_iter().map(|(_, v)| v).collect(),
        });
    }
    Ok(parsed)
}

/// The caller's kommun when it may do `action` on indicator values (the
/// policy of every Kolada import and export).
pub(crate) fn kolada_access(principal: &Principal, action: Action) -> Result<Uuid, ApiError> {
    let kommun_id = principal.require_kommun()?;
    authorize(
        principal,
        action,
        Target::IndicatorValues {
            kommun: &principal.kommun_code,
        },
    )?;
    Ok(kommun_id)
}

/// Import indicator values in the Kolada v2 JSON format (admin,
/// kommunledning, integration). Entries land on the indicators of your
/// kommun whose `kolada_id` is the entry's `kpi`, per year (`period`) and
/// gender (T, K, M). Entries of another `municipality`, or with a Kolada id
/// none of your indicators has, are reported as skipped. A value that is null
/// with an empty status leaves the stored one alone; notes are kept. The
/// import is one transaction: any invalid entry refuses the whole file with
/// 422 and the entries' `index`. `dry_run=true` reports the changes (and any
/// errors) without writing. Importing the same file again changes nothing.
#[utoipa::path(tag = "imports", params(KoladaImportQuery),
    request_body(content = KoladaDocument, content_type = "application/json", description = "A Kolada v2 JSON document"),
    responses(
        (status = 200, description = "What changed (or would change)", body = KoladaImportReport),
        (status = 413, description = "The file is larger than the configured body limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid entries; nothing was imported", body = ImportProblem, content_type = "application/problem+json"),
    ))]
#[post("/imports/kolada")]
pub async fn import_kolada(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<KoladaImportQuery>,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
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
        return Ok(refused(parsed.errors));
    }
    let report = apply_kolada(&state, &actor(&req, &principal, kommun_id), parsed, dry_run).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Writes (or, in a dry run, only compares) the entries of a parsed Kolada
/// document and reports the outcome: the one path of every Kolada import,
/// file or fetched.
pub(crate) async fn apply_kolada(
    state: &AppState,
    actor: &crate::service::audit::Actor,
    parsed: ParsedKolada,
    dry_run: bool,
) -> Result<KoladaImportReport, ApiError> {
    let apply = !dry_run;
    let outcome = imports::import_kolada(&state.db, actor, &parsed.entries, apply).await?;
    let mut skipped = parsed.skipped;
    skipped.extend(
        outcome
            .skipped
            .into_iter()
            .map(|(index, reason)| SkippedRow { index, reason }),
    );
    skipped.sort_by_key(|s| s.index);
    Ok(KoladaImportReport {
        dry_run,
        applied: apply && !outcome.changes.is_empty(),
        rows: parsed.rows,
        changes: outcome
            .changes
            .into_iter()
            .map(|c| KoladaChangeDto {
                kpi: c.kpi,
                indicator_id: c.indicator_id,
                year: c.year,
                gender: c.gender,
                before: decimal_json(c.before),
                after: decimal_json(c.after),
                status: c.status,
            })
            .collect(),
        unchanged: outcome.unchanged,
        skipped,
        errors: parsed.errors,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KoladaExportQuery {
    /// Only this year (default: every year).
    #[param(example = 2024)]
    pub year: Option<i32>,
}

/// Export the values of your kommun's indicators that have a Kolada id, in
/// the Kolada v2 JSON format that `POST /imports/kolada` reads.
#[utoipa::path(tag = "imports", params(KoladaExportQuery),
    responses(
        (status = 200, description = "Kolada v2 JSON", body = KoladaDocument),
        (status = 422, description = "Invalid year", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/exports/kolada")]
pub async fn export_kolada(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<KoladaExportQuery>,
) -> Result<HttpResponse, ApiError> {
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
                    gender: gender_str(v.gender).into(),
                    count: u32::from(v.value.is_some()),
                    value: decimal_json(v.value),
                    status: v.status.unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(KoladaDocument {
        count: values.len(),
        values,
    }))
}
