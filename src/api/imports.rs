//! `/api/v1/imports` and `/api/v1/exports`: Kolada v2 indicator values and
//! flat budget rows (CSV or JSON, as planning systems and ledgers export
//! them). An export imported again changes nothing.

use std::{
    borrow::Cow,
    collections::{BTreeSet, HashMap},
    future::Future,
    pin::Pin,
    str::FromStr,
};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse,
    dev::Payload,
    get,
    http::{StatusCode, header},
    post,
    web::{self, Bytes},
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    budget_lines::{check_code, check_name, format_month},
    common::actor,
    csv,
    decimal::from_ore,
    kommun_views::Format,
    values::{MonthRange, ValueInput},
};
use crate::{
    auth::{Action, Principal, Target, authorize},
    domain::{
        BudgetLineKind, Gender, MAX_YEAR, MIN_YEAR, Measure,
        mapping::{DimensionCodes, MappingRule},
    },
    entity::namnd,
    error::{ApiError, FieldError},
    service::{
        dimension_mappings,
        imports::{self, FlatRow, FlatRows, ImportError, KoladaEntry, KoladaValue, RowIssue},
        mapped_imports::{self, sum_same_values},
        reports::namnd_map,
    },
    state::AppState,
};

// ---------------------------------------------------------------------------
// Shared

/// `dry_run` of every import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KoladaImportQuery {
    /// Report what would change without writing anything (default false).
    #[param(example = true)]
    pub dry_run: Option<bool>,
}

/// One invalid row of an imported file.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"index": 2, "line_number": 4, "field": "month", "message": "\"2024-13\" is not a valid month; expected YYYY-MM, e.g. 2024-08"}))]
pub struct RowError {
    /// Position of the row among the file's rows (Kolada: in `values`), from 0.
    pub index: usize,
    /// For CSV: the line of the file, from 1, the header being line 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_number: Option<usize>,
    /// The column (CSV), or the field path within the row (JSON).
    pub field: String,
    pub message: String,
}

/// A refused import: RFC 9457 problem details whose `errors` name the rows.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation", "title": "Invalid request", "status": 422,
    "detail": "2 rows are invalid; nothing was imported",
    "errors": [
        {"index": 0, "line_number": 2, "field": "namnd", "message": "no nämnd \"XYZ\" in your kommun"},
        {"index": 1, "line_number": 3, "field": "amount", "message": "\"tjugo\" is not a number"}
    ]
}))]
pub struct ImportProblem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub errors: Vec<RowError>,
}

pub(super) fn refused(errors: Vec<RowError>) -> HttpResponse {
    let n = errors.len();
    let problem = ImportProblem {
        type_: "/problems/validation".into(),
        title: "Invalid request".into(),
        status: 422,
        detail: if n == 1 {
            "1 row is invalid; nothing was imported".into()
        } else {
            format!("{n} rows are invalid; nothing was imported")
        },
        errors,
    };
    HttpResponse::build(StatusCode::UNPROCESSABLE_ENTITY)
        .content_type("application/problem+json")
        .json(problem)
}

/// The raw request body of an import, read incrementally up to
/// `MAX_IMPORT_BYTES` (413 beyond it) instead of the general body limit.
pub struct RawBody(pub Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let limit = req
                .app_data::<web::Data<AppState>>()
                .map_or(0, |state| state.settings.max_import_bytes);
            super::common::read_body_limited(&req, &mut payload, limit)
                .await
                .map(RawBody)
        })
    }
}

pub(super) fn mime(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_json_mime(mime: &str) -> bool {
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(super::common::not_json)
}

fn decimal_json(value: Option<Decimal>) -> Value {
    match value {
        Some(v) => serde_json::to_value(DecimalJson(v)).unwrap_or(Value::Null),
        None => Value::Null,
    }
}

#[derive(Serialize)]
struct DecimalJson(#[serde(with = "crate::api::decimal")] Decimal);

// ---------------------------------------------------------------------------
// Kolada

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
                Some(raw) => super::decimal::parse_decimal(raw).map(Some),
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
                        v.gender.as_str()
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

fn check_year(year: Option<i32>) -> Result<(), ApiError> {
    match year {
        Some(y) if !(MIN_YEAR..=MAX_YEAR).contains(&y) => Err(ApiError::validation(
            "year",
            format!("must be a year between {MIN_YEAR} and {MAX_YEAR}"),
        )),
        _ => Ok(()),
    }
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
                    gender: v.gender.as_str().into(),
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

// ---------------------------------------------------------------------------
// Flat rows

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlatImportQuery {
    /// Report what would change without writing anything (default false).
    #[param(example = true)]
    pub dry_run: Option<bool>,
    /// The file writes costs as positive numbers (income negative); they
    /// are stored in the result convention (costs negative). Default false.
    #[param(example = false)]
    pub costs_positive: Option<bool>,
    /// A dimension mapping (`/dimension-mappings`): rows then give `ansvar`,
    /// `verksamhet` and/or `konto` instead of `namnd` and `line`, and rows
    /// that reach the same line, month and measure are summed.
    #[param(example = "019ad9a0-6c1e-7f3a-8b2d-4e5f60718293")]
    pub mapping: Option<Uuid>,
}

/// One flat row: a value of a budget line of a nämnd.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"namnd": "VON", "kind": "drift", "line": "aldreomsorg", "name": "Äldreomsorg",
    "measure": "utfall", "month": "2024-03", "amount": -26241000}))]
pub struct FlatRowDto {
    /// Nämnd code (required unless the import names a `mapping`).
    #[serde(default)]
    #[schema(example = "VON")]
    pub namnd: String,
    /// Default drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<BudgetLineKind>,
    /// Line code (verksamhet or project number), unique per nämnd and kind
    /// (required unless the import names a `mapping`).
    #[serde(default)]
    #[schema(example = "aldreomsorg")]
    pub line: String,
    /// With a `mapping`: the ledger's ansvar code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ansvar: Option<String>,
    /// With a `mapping`: the ledger's verksamhet code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verksamhet: Option<String>,
    /// With a `mapping`: the account (konto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub konto: Option<String>,
    /// Name of the line: used when the line is created (default: the code)
    /// and renames an existing one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub measure: Measure,
    /// `YYYY-MM`: the month of the value (for prognos: the month it was made).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "2024-03")]
    pub month: Option<String>,
    /// A whole-period value (budget or utfall) instead of `month`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<MonthRange>,
    /// For prognos: the month it was made (instead of `month`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at: Option<String>,
    /// Kronor; a number or a numeric string.
    #[serde(with = "crate::api::decimal")]
    #[schema(value_type = f64, example = -26241000)]
    pub amount: Decimal,
}

/// Flat rows as JSON (the CSV form has the same columns).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"rows": [
    {"namnd": "VON", "line": "aldreomsorg", "kind": "drift", "month": "2024-03", "measure": "utfall", "amount": -26241000},
    {"namnd": "VON", "line": "aldreomsorg", "measure": "budget", "period": {"from": "2024-01", "to": "2024-12"}, "amount": -320000000},
    {"namnd": "VON", "line": "aldreomsorg", "measure": "prognos", "made_at": "2024-08", "amount": -318500000}
]}))]
pub struct FlatDocument {
    pub rows: Vec<FlatRowDto>,
}

/// A line the import creates.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"namnd": "VON", "kind": "drift", "code": "aldreomsorg", "name": "Äldreomsorg"}))]
pub struct CreatedLineDto {
    pub namnd: String,
    pub kind: BudgetLineKind,
    pub code: String,
    pub name: String,
}

/// A value that changes (or would change).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"index": 0, "line_number": 2, "namnd": "VON", "kind": "drift", "line": "aldreomsorg",
    "measure": "utfall", "month": "2024-03", "period": null, "before": null, "after": -26241000}))]
pub struct FlatChangeDto {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_number: Option<usize>,
    pub namnd: String,
    pub kind: BudgetLineKind,
    pub line: String,
    pub measure: Measure,
    pub month: Option<String>,
    pub period: Option<MonthRange>,
    #[schema(value_type = Option<f64>)]
    pub before: Value,
    #[schema(value_type = Option<f64>)]
    pub after: Value,
}

/// What a flat import did (or, in a dry run, would do).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "dry_run": true, "applied": false, "format": "csv", "rows": 1,
    "lines_created": [{"namnd": "VON", "kind": "drift", "code": "aldreomsorg", "name": "Äldreomsorg"}],
    "values_changed": 1,
    "changes": [{"index": 0, "line_number": 2, "namnd": "VON", "kind": "drift", "line": "aldreomsorg",
        "measure": "utfall", "month": "2024-03", "period": null, "before": null, "after": -26241000}],
    "unchanged": 0, "errors": []
}))]
pub struct FlatImportReport {
    pub dry_run: bool,
    /// True when something was written.
    pub applied: bool,
    /// `csv` or `json`: how the file was read.
    pub format: String,
    /// Data rows in the file.
    pub rows: usize,
    pub lines_created: Vec<CreatedLineDto>,
    /// Values inserted or changed.
    pub values_changed: usize,
    /// The changed values (the first 1000).
    pub changes: Vec<FlatChangeDto>,
    /// Rows whose value is already stored.
    pub unchanged: usize,
    /// Only in a dry run (an import with errors is refused with 422).
    pub errors: Vec<RowError>,
}

/// A row as read from the file, before checking.
#[derive(Debug, Default)]
struct RawRow {
    namnd: String,
    kind: Option<String>,
    line: String,
    name: Option<String>,
    measure: String,
    month: Option<String>,
    period: Option<MonthRange>,
    made_at: Option<String>,
    amount: AmountCell,
    /// Ledger codes for a dimension mapping.
    codes: DimensionCodes,
}

#[derive(Debug, Default)]
enum AmountCell {
    #[default]
    Missing,
    Value(Decimal),
    Bad(String),
}

/// Decodes a file: UTF-8 (with or without BOM), UTF-16 with its BOM (Excel's
/// "Unicode text"), else Windows-1252. A file with NUL bytes and no UTF-16
/// BOM is not text (a workbook, say) and is refused rather than misread.
pub fn decode_text(bytes: &[u8]) -> Result<String, ApiError> {
    decode_borrowed(bytes).map(Cow::into_owned)
}

/// [`decode_text`] without copying a UTF-8 file.
fn decode_borrowed(bytes: &[u8]) -> Result<Cow<'_, str>, ApiError> {
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        return decode_utf16(rest, u16::from_le_bytes).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        return decode_utf16(rest, u16::from_be_bytes).map(Cow::Owned);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(not_text(
            "the file is an Excel workbook (.xlsx); save it as CSV (semicolon or UTF-8) and send that",
        ));
    }
    if bytes.contains(&0) {
        return Err(not_text(
            "the file holds NUL bytes, so it is not UTF-8 or Windows-1252 text \
             (UTF-16 needs its byte-order mark); save it as CSV and send that",
        ));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    Ok(match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()),
    })
}

fn not_text(message: &str) -> ApiError {
    ApiError::validation("file", message)
}

/// UTF-16 after its BOM, with the byte order `unit` reads.
fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, ApiError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(not_text(
            "the file starts with a UTF-16 byte-order mark but has an odd number of bytes: it is cut short",
        ));
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|e| {
            not_text(&format!(
                "the file is not valid UTF-16: an unpaired surrogate {:#06x}",
                e.unpaired_surrogate()
            ))
        })
}

/// Windows-1252: Latin-1 except 0x80–0x9F.
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// CSV records with the line each starts on (1-based). Quoted fields may
/// hold separators, quotes (doubled) and line breaks.
pub fn csv_records(text: &str, separator: char) -> Vec<(usize, Vec<String>)> {
    CsvRecords::new(text, separator).collect()
}

/// [`csv_records`] one record at a time, so a large file is never held as
/// a whole in records.
pub struct CsvRecords<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    separator: char,
    line: usize,
}

impl<'a> CsvRecords<'a> {
    pub fn new(text: &'a str, separator: char) -> Self {
        CsvRecords {
            chars: text.chars().peekable(),
            separator,
            line: 1,
        }
    }
}

impl Iterator for CsvRecords<'_> {
    type Item = (usize, Vec<String>);

    fn next(&mut self) -> Option<Self::Item> {
        let mut record = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut start = self.line;
        let mut any = false;
        while let Some(c) = self.chars.next() {
            if quoted {
                match c {
                    '"' if self.chars.peek() == Some(&'"') => {
                        self.chars.next();
                        field.push('"');
                    }
                    '"' => quoted = false,
                    '\n' => {
                        self.line += 1;
                        field.push(c);
                    }
                    _ => field.push(c),
                }
                continue;
            }
            match c {
                '"' if field.is_empty() => {
                    quoted = true;
                    any = true;
                }
                c if c == self.separator => {
                    record.push(std::mem::take(&mut field));
                    any = true;
                }
                '\r' if self.chars.peek() == Some(&'\n') => {}
                '\n' | '\r' => {
                    self.line += 1;
                    if any || !field.is_empty() {
                        record.push(field);
                        return Some((start, record));
                    }
                    start = self.line;
                }
                _ => {
                    field.push(c);
                    any = true;
                }
            }
        }
        if any || !field.is_empty() {
            record.push(field);
            return Some((start, record));
        }
        None
    }
}

/// An amount as Swedish files write it: decimal comma, spaces between
/// thousands, `−` for minus.
pub fn parse_amount(text: &str) -> Result<Decimal, String> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == '\u{2212}' { '-' } else { c })
        .collect();
    if cleaned.is_empty() {
        return Err("is empty; give an amount (0 for zero)".into());
    }
    let normal = match (cleaned.rfind(','), cleaned.rfind('.')) {
        (Some(c), Some(d)) if c > d => cleaned.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => cleaned.replace(',', ""),
        (Some(_), None) => cleaned.replace(',', "."),
        _ => cleaned,
    };
    Decimal::from_str(&normal).map_err(|_| format!("{:?} is not a number", text.trim()))
}

const COLUMNS: [(&str, &[&str]); 10] = [
    ("ansvar", &["ansvar"]),
    ("konto", &["konto", "account"]),
    ("namnd", &["namnd", "nämnd"]),
    ("kind", &["kind", "typ"]),
    ("line", &["line", "rad", "verksamhet"]),
    ("name", &["name", "namn"]),
    ("month", &["month", "manad", "månad", "period"]),
    ("made_at", &["made_at"]),
    ("measure", &["measure", "matt", "mått"]),
    ("amount", &["amount", "belopp"]),
];

/// The rows of a CSV file with their line numbers, read one at a time.
fn read_csv(
    text: &str,
    mapped: bool,
) -> Result<impl Iterator<Item = (usize, RawRow)> + '_, ApiError> {
    let first = text.lines().next().unwrap_or_default();
    let separator = if first.contains(';') {
        ';'
    } else if first.contains('\t') {
        '\t'
    } else {
        ','
    };
    let mut records = CsvRecords::new(text, separator);
    let Some((_, header)) = records.next() else {
        return Err(ApiError::validation(
            "header",
            "the file is empty; expected the header namnd;line;month;measure;amount",
        ));
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut unknown = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().to_lowercase();
        match COLUMNS
            .iter()
            .find(|(_, aliases)| aliases.contains(&name.as_str()))
        {
            Some((column, _)) => {
                index.insert(column, i);
            }
            None if name.is_empty() => {}
            None => unknown.push(name),
        }
    }
    let required: &[&str] = if mapped {
        &["month", "measure", "amount"]
    } else {
        &["namnd", "line", "month", "measure", "amount"]
    };
    let mut errors: Vec<FieldError> = required
        .iter()
        .filter(|c| !index.contains_key(*c))
        .map(|c| FieldError::new("header", format!("the column {c} is missing")))
        .collect();
    errors.extend(
        unknown
            .into_iter()
            .map(|c| FieldError::new("header", format!("unknown column {c:?}"))),
    );
    if mapped
        && !["ansvar", "line", "konto"]
            .iter()
            .any(|c| index.contains_key(c))
    {
        errors.push(FieldError::new(
            "header",
            "with a mapping, give the column ansvar, verksamhet or konto",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(records
        .filter(|(_, cells)| !cells.iter().all(|c| c.trim().is_empty()))
        .map(move |(line, cells)| (line, raw_row(&index, &cells))))
}

/// One CSV record as a row, by the header's column positions.
fn raw_row(index: &HashMap<&str, usize>, cells: &[String]) -> RawRow {
    let cell = |column: &str| {
        index
            .get(column)
            .and_then(|&i| cells.get(i))
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
    };
    let (month, period) = match cell("month") {
        Some(m) => match m.split_once('/') {
            Some((from, to)) => (
                None,
                Some(MonthRange {
                    from: from.trim().into(),
                    to: to.trim().into(),
                }),
            ),
            None => (Some(m), None),
        },
        None => (None, None),
    };
    let amount = match cell("amount") {
        None => AmountCell::Missing,
        Some(text) => match parse_amount(&text) {
            Ok(v) => AmountCell::Value(v),
            Err(e) => AmountCell::Bad(e),
        },
    };
    RawRow {
        namnd: cell("namnd").unwrap_or_default(),
        kind: cell("kind"),
        line: cell("line").unwrap_or_default(),
        name: cell("name"),
        measure: cell("measure").unwrap_or_default(),
        month,
        period,
        made_at: cell("made_at"),
        amount,
        codes: DimensionCodes {
            ansvar: cell("ansvar"),
            verksamhet: None,
            konto: cell("konto"),
        },
    }
}

/// The rows of a JSON document `{"rows": [...]}`, handed to `each` one at a
/// time as they are parsed (with the error of a row that does not parse), so
/// a large document is never held whole as a tree.
#[cfg(test)]
fn read_json(bytes: &[u8], each: impl FnMut(RawRow, Option<RowIssue>)) -> Result<(), ApiError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    read_json_rows(&mut serde_json::Deserializer::from_slice(bytes), each)
}

/// [`read_json`] from any JSON source (a slice, or a body as it arrives).
fn read_json_rows<'de, R: serde_json::de::Read<'de>>(
    reader: &mut serde_json::Deserializer<R>,
    mut each: impl FnMut(RawRow, Option<RowIssue>),
) -> Result<(), ApiError> {
    let mut index = 0;
    let mut on_row = |item: Value| {
        let (raw, issue) = json_row(index, item);
        index += 1;
        each(raw, issue);
    };
    let found = serde::de::DeserializeSeed::deserialize(
        RowsDocument {
            on_row: &mut on_row,
        },
        &mut *reader,
    )
    .and_then(|found| reader.end().map(|()| found));
    let must_be_rows =
        || ApiError::validation("rows", "must be the array of rows ({\"rows\": [...]})");
    match found {
        Ok(true) => Ok(()),
        Ok(false) => Err(must_be_rows()),
        Err(e) if e.is_data() => Err(must_be_rows()),
        Err(e) => Err(super::common::not_json(e)),
    }
}

/// One JSON row as a [`RawRow`], or the error that it does not parse.
fn json_row(i: usize, mut item: Value) -> (RawRow, Option<RowIssue>) {
    // The amount is checked apart so that a text amount names its field.
    let amount = match item.as_object_mut().map(|o| o.remove("amount")) {
        Some(None) | Some(Some(Value::Null)) => AmountCell::Missing,
        Some(Some(v)) => match super::decimal::parse_decimal(&v) {
            Ok(d) => AmountCell::Value(d),
            Err(e) => AmountCell::Bad(e),
        },
        None => {
            return (
                RawRow::default(),
                Some(RowIssue::new(i, "", "must be an object")),
            );
        }
    };
    if let Some(o) = item.as_object_mut() {
        o.insert("amount".into(), Value::from(0));
    }
    match serde_path_to_error::deserialize::<_, FlatRowDto>(item) {
        Ok(r) => (
            RawRow {
                namnd: r.namnd,
                kind: r.kind.map(|k| k.as_str().to_string()),
                line: r.line,
                name: r.name,
                measure: r.measure.as_str().into(),
                month: r.month,
                period: r.period,
                made_at: r.made_at,
                amount,
                codes: DimensionCodes {
                    ansvar: r.ansvar,
                    verksamhet: r.verksamhet,
                    konto: r.konto,
                },
            },
            None,
        ),
        Err(e) => {
            let message = e.inner().to_string();
            let message = match message.rfind(" at line ") {
                Some(k) => message[..k].to_string(),
                None => message,
            };
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            (RawRow::default(), Some(RowIssue::new(i, field, message)))
        }
    }
}

/// `{"rows": [...], ...}`: visits each row as it is parsed; other keys are
/// skipped. Yields whether `rows` was there.
struct RowsDocument<'f, F> {
    on_row: &'f mut F,
}

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for RowsDocument<'_, F> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for RowsDocument<'_, F> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object with the array \"rows\"")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "rows" && !found {
                map.next_value_seed(RowList {
                    on_row: &mut *self.on_row,
                })?;
                found = true;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// The array of rows, one [`Value`] at a time.
struct RowList<'f, F> {
    on_row: &'f mut F,
}

impl<'de, F: FnMut(Value)> serde::de::DeserializeSeed<'de> for RowList<'_, F> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Value)> serde::de::Visitor<'de> for RowList<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the array of rows")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            (self.on_row)(item);
        }
        Ok(())
    }
}

/// With a dimension mapping: the row's ledger codes (the `line` column,
/// alias `verksamhet`, counts as verksamhet) give its nämnd and line. An
/// unmapped row is an issue, and then `false`.
fn map_row(
    index: usize,
    row: &mut RawRow,
    rules: &[MappingRule],
    issues: &mut Vec<RowIssue>,
) -> bool {
    if row.codes.verksamhet.is_none() && !row.line.is_empty() {
        row.codes.verksamhet = Some(std::mem::take(&mut row.line));
    }
    match mapped_imports::map_codes(
        rules,
        &row.codes,
        !row.namnd.is_empty(),
        row.kind.as_deref(),
    ) {
        Ok(target) => {
            row.namnd = target.namnd.clone();
            row.line = target.line.clone();
            true
        }
        Err((field, message)) => {
            issues.push(RowIssue::new(index, field, message));
            false
        }
    }
}

/// Checks a raw row into a flat row, collecting every problem.
fn check_row(
    index: usize,
    raw: RawRow,
    namnder: &HashMap<String, namnd::Model>,
    costs_positive: bool,
    issues: &mut Vec<RowIssue>,
) -> Option<FlatRow> {
    let before = issues.len();
    let mut errors = Vec::new();
    if raw.namnd.is_empty() {
        errors.push(FieldError::new("namnd", "is required"));
    } else if !namnder.contains_key(&raw.namnd) {
        errors.push(FieldError::new(
            "namnd",
            format!("no nämnd {:?} in your kommun", raw.namnd),
        ));
    }
    let kind = match raw.kind.as_deref() {
        None | Some("drift") => Some(BudgetLineKind::Drift),
        Some("investering") => Some(BudgetLineKind::Investering),
        Some(other) => {
            errors.push(FieldError::new(
                "kind",
                format!("{other:?} is not drift or investering"),
            ));
            None
        }
    };
    check_code(&raw.line, "line", &mut errors);
    if let Some(name) = &raw.name {
        check_name(name, "name", &mut errors);
    }
    let measure = raw.measure.parse::<Measure>().ok();
    if measure.is_none() {
        errors.push(FieldError::new(
            "measure",
            format!("{:?} is not utfall, budget or prognos", raw.measure),
        ));
    }
    let amount = match raw.amount {
        AmountCell::Value(v) => Some(v),
        AmountCell::Missing => {
            errors.push(FieldError::new("amount", "is required"));
            None
        }
        AmountCell::Bad(message) => {
            errors.push(FieldError::new("amount", message));
            None
        }
    };
    let mut write = None;
    if let (Some(measure), Some(amount)) = (measure, amount) {
        let input = ValueInput {
            measure,
            month: raw.month,
            period: raw.period,
            made_at: raw.made_at,
            amount: Some(amount),
        };
        match input.to_write("row", costs_positive) {
            Ok(w) => write = Some(w),
            Err(e) => errors.extend(e.into_iter().map(|f| {
                FieldError::new(
                    f.field.strip_prefix("row.").unwrap_or(&f.field).to_string(),
                    f.message,
                )
            })),
        }
    }
    issues.extend(
        errors
            .into_iter()
            .map(|e| RowIssue::new(index, e.field, e.message)),
    );
    if issues.len() > before {
        return None;
    }
    Some(FlatRow {
        index,
        namnd: raw.namnd,
        kind: kind?,
        line: raw.line,
        name: raw.name.map(|n| n.trim().to_string()),
        write: write?,
    })
}

/// Checks the rows of a file as they are read, keeping only the checked
/// rows (compactly), the row errors and the nämnder named.
struct RowChecker<'a> {
    namnder: &'a HashMap<String, namnd::Model>,
    /// The rules of the dimension mapping, when the import has one.
    rules: Option<&'a [MappingRule]>,
    costs_positive: bool,
    issues: Vec<RowIssue>,
    /// Codes of the kommun's nämnder that rows name, valid or not.
    codes: BTreeSet<String>,
    rows: FlatRows,
    /// With a mapping: the checked rows, summed once all are read (many
    /// ledger rows reach one value).
    mapped: Vec<FlatRow>,
    /// Rows read.
    total: usize,
}

impl<'a> RowChecker<'a> {
    fn new(
        namnder: &'a HashMap<String, namnd::Model>,
        rules: Option<&'a [MappingRule]>,
        costs_positive: bool,
    ) -> Self {
        RowChecker {
            namnder,
            rules,
            costs_positive,
            issues: Vec::new(),
            codes: BTreeSet::new(),
            rows: FlatRows::default(),
            mapped: Vec::new(),
            total: 0,
        }
    }

    /// The next row of the file; `failed` when it could not be read.
    fn check(&mut self, mut raw: RawRow, failed: bool) {
        let index = self.total;
        self.total += 1;
        if failed {
            return;
        }
        if let Some(rules) = self.rules
            && !map_row(index, &mut raw, rules, &mut self.issues)
        {
            return;
        }
        if self.namnder.contains_key(&raw.namnd) && !self.codes.contains(&raw.namnd) {
            self.codes.insert(raw.namnd.clone());
        }
        let Some(row) = check_row(
            index,
            raw,
            self.namnder,
            self.costs_positive,
            &mut self.issues,
        ) else {
            return;
        };
        if self.rules.is_some() {
            self.mapped.push(row);
        } else {
            self.rows.push(row);
        }
    }

    /// The checked rows (mapped ones summed), the row errors, the nämnder
    /// named and the number of rows read.
    fn finish(mut self) -> (FlatRows, Vec<RowIssue>, BTreeSet<String>, usize) {
        if self.rules.is_some() {
            self.rows = sum_same_values(self.mapped, &mut self.issues)
                .into_iter()
                .collect();
        }
        (self.rows, self.issues, self.codes, self.total)
    }
}

fn month_or_period(from: i32, to: i32) -> (Option<String>, Option<MonthRange>) {
    if from == to {
        (Some(format_month(from)), None)
    } else {
        (
            None,
            Some(MonthRange {
                from: format_month(from),
                to: format_month(to),
            }),
        )
    }
}

fn ore_json(ore: Option<i64>) -> Value {
    decimal_json(ore.map(from_ore))
}

/// Import budget values as flat rows, as planning systems (Hypergene-style)
/// and ledgers export them (admin, kommunledning, integration, and a
/// redaktör for their own nämnder).
///
/// Send `application/json` (`{"rows": [...]}`, see the schema) or
/// `text/csv` with a header row and the columns:
///
/// | column | required | content |
/// |---|---|---|
/// | `namnd` | yes | nämnd code, e.g. `VON` |
/// | `line` | yes | line code, e.g. `aldreomsorg` (created if missing) |
/// | `month` | yes | `YYYY-MM`; for prognos the month it was made; a whole-period value as `2024-01/2024-12` |
/// | `measure` | yes | `utfall`, `budget` or `prognos` |
/// | `amount` | yes | kronor, decimal comma or point: `-26241000,50` |
/// | `kind` | no | `drift` (default) or `investering` |
/// | `name` | no | name of the line (default for a new line: its code) |
///
/// Swedish habits are accepted: `;` (or `,` or tab) between columns, decimal
/// comma, quoted fields, UTF-8 with or without BOM, UTF-16 with its BOM
/// (Excel's "Unicode text", tab-separated), and Windows-1252 (a file that is
/// not valid UTF-8 is read as Windows-1252; one with NUL bytes, such as an
/// .xlsx workbook, is refused with a `file` error). Column names may also be
/// `nämnd`, `rad`, `månad`, `mått`, `belopp`, `typ`, `namn`.
///
/// Rows are grouped per nämnd and kind and written as whole tables, all in one
/// transaction: any invalid row refuses the whole file with 422 naming every
/// row (`index`, CSV `line_number` counting the header as line 1, `field`).
/// `dry_run=true` reports the lines that would be created and the values that
/// would change, and any errors, without writing. Importing the same file
/// again changes nothing; `GET /exports/flat` writes the same format.
///
/// Files up to `MAX_IMPORT_BYTES` (default 512 MiB) are accepted; larger
/// ones get 413. A JSON file is checked row by row while it arrives, so it
/// is never held whole; a CSV file is read whole first (its encoding is
/// known only then) and its rows checked one at a time.
#[utoipa::path(tag = "imports", params(FlatImportQuery),
    request_body(description = "Flat rows as JSON or CSV (columns in the description)",
        content(
            (FlatDocument = "application/json"),
            (String = "text/csv", example = json!("namnd;line;month;measure;amount\r\nVON;aldreomsorg;2024-03;utfall;-26241000,50\r\nVON;aldreomsorg;2024-01/2024-12;budget;-320000000\r\n")),
        )),
    responses(
        (status = 200, description = "What changed (or would change)", body = FlatImportReport),
        (status = 413, description = "The file is larger than the configured body limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither application/json nor text/csv", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rows (or a CSV header without the required columns); nothing was imported", body = ImportProblem, content_type = "application/problem+json"),
    ))]
#[post("/imports/flat")]
pub async fn import_flat(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<FlatImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let kommun_id = principal.require_kommun()?;
    let mime = mime(&req);
    let is_csv = matches!(
        mime.as_str(),
        "text/csv" | "application/csv" | "text/plain" | "application/vnd.ms-excel"
    );
    if !is_json_mime(&mime) && !is_csv {
        return Err(ApiError::UnsupportedMediaType(
            "send the rows as application/json or text/csv".into(),
        ));
    }
    let mapping = match query.mapping {
        Some(id) => Some(dimension_mappings::load_for_import(&state.db, kommun_id, id).await?),
        None => None,
    };
    let namnder = namnder_by_code(&state, kommun_id).await?;
    let rules = mapping.map(|m| m.rules);
    let costs_positive = query.costs_positive.unwrap_or(false);
    let limit = state.settings.max_import_bytes;
    // CSV line numbers by row index.
    let mut lines: Vec<usize> = Vec::new();
    let (namnder, format, checked) = if is_csv {
        let body = super::streamed_body::read_whole(&req, payload, limit).await?;
        let mut checker = RowChecker::new(&namnder, rules.as_deref(), costs_positive);
        let text = decode_borrowed(&body)?;
        for (line, raw) in read_csv(&text, rules.is_some())? {
            lines.push(line);
            checker.check(raw, false);
        }
        let checked = checker.finish();
        (namnder, "csv", checked)
    } else {
        // JSON is checked row by row as it arrives, never held whole.
        let (namnder, checked) =
            super::streamed_body::parse_streamed(&req, payload, limit, move |body| {
                let mut checker = RowChecker::new(&namnder, rules.as_deref(), costs_positive);
                let body = std::io::BufReader::with_capacity(64 * 1024, body);
                let read = read_json_rows(
                    &mut serde_json::Deserializer::from_reader(body),
                    |raw, issue| {
                        let failed = issue.is_some();
                        checker.issues.extend(issue);
                        checker.check(raw, failed);
                    },
                );
                let checked = read.map(|()| checker.finish());
                (namnder, checked)
            })
            .await?;
        (namnder, "json", checked?)
    };
    let (rows, issues, codes, total) = checked;
    authorize_namnder(&principal, codes.iter().map(String::as_str))?;
    let outcome = write_rows(FlatImport {
        state: &state,
        actor: actor(&req, &principal, kommun_id),
        namnder: &namnder,
        rows,
        issues,
        lines: &lines,
        format,
        total,
        dry_run: query.dry_run.unwrap_or(false),
    })
    .await?;
    Ok(match outcome {
        Ok(report) => HttpResponse::Ok().json(report),
        Err(errors) => refused(errors),
    })
}

/// The kommun's nämnder by code.
pub(super) async fn namnder_by_code(
    state: &AppState,
    kommun_id: Uuid,
) -> Result<HashMap<String, namnd::Model>, ApiError> {
    Ok(namnd_map(&state.db, kommun_id)
        .await?
        .into_values()
        .map(|n| (n.code.clone(), n))
        .collect())
}

/// Every nämnd an import writes must be writable by the caller.
pub(super) fn authorize_namnder<'a>(
    principal: &Principal,
    codes: impl IntoIterator<Item = &'a str>,
) -> Result<(), ApiError> {
    let codes: std::collections::BTreeSet<&str> = codes.into_iter().collect();
    for code in codes {
        authorize(
            principal,
            Action::Update,
            Target::NamndFigures {
                kommun: &principal.kommun_code,
                namnd: code,
            },
        )?;
    }
    Ok(())
}

/// Checked rows on their way in, with what the report needs about the file.
pub(super) struct FlatImport<'a> {
    pub state: &'a AppState,
    pub actor: crate::service::audit::Actor,
    pub namnder: &'a HashMap<String, namnd::Model>,
    pub rows: FlatRows,
    /// Problems found so far (the import is then refused or, dry, reported).
    pub issues: Vec<RowIssue>,
    /// The file line of each row, by index (empty when the file has none).
    pub lines: &'a [usize],
    pub format: &'static str,
    /// Rows in the file.
    pub total: usize,
    pub dry_run: bool,
}

/// Writes (or, dry, tries) the rows: the report, or the row errors that
/// refuse the file.
pub(super) async fn write_rows(
    import: FlatImport<'_>,
) -> Result<Result<FlatImportReport, Vec<RowError>>, ApiError> {
    let FlatImport {
        state,
        actor,
        namnder,
        rows,
        issues,
        lines,
        format,
        total,
        dry_run,
    } = import;
    let line_of = |index: usize| lines.get(index).copied();
    let to_errors = |issues: Vec<RowIssue>| -> Vec<RowError> {
        let mut errors: Vec<RowError> = issues
            .into_iter()
            .map(|i| RowError {
                index: i.index,
                line_number: line_of(i.index),
                field: i.field,
                message: i.message,
            })
            .collect();
        errors.sort_by_key(|e| e.index);
        errors
    };
    let mut report = FlatImportReport {
        dry_run,
        applied: false,
        format: format.to_string(),
        rows: total,
        lines_created: Vec::new(),
        values_changed: 0,
        changes: Vec::new(),
        unchanged: 0,
        errors: Vec::new(),
    };
    if !issues.is_empty() {
        if dry_run {
            report.errors = to_errors(issues);
            return Ok(Ok(report));
        }
        return Ok(Err(to_errors(issues)));
    }
    let outcome = match imports::import_flat(&state.db, &actor, namnder, &rows, !dry_run).await {
        Ok(o) => o,
        Err(ImportError::Rows(issues)) if dry_run => {
            report.errors = to_errors(issues);
            return Ok(Ok(report));
        }
        Err(ImportError::Rows(issues)) => return Ok(Err(to_errors(issues))),
        Err(ImportError::Other(e)) => return Err(e.into()),
    };
    report.applied = !dry_run && (outcome.values_changed > 0 || !outcome.lines_created.is_empty());
    report.values_changed = outcome.values_changed;
    report.unchanged = outcome.unchanged;
    report.lines_created = outcome
        .lines_created
        .into_iter()
        .map(|l| CreatedLineDto {
            namnd: l.namnd,
            kind: l.kind,
            code: l.code,
            name: l.name,
        })
        .collect();
    report.changes = outcome
        .changes
        .into_iter()
        .map(|c| {
            let (month, period) = month_or_period(c.from, c.to);
            FlatChangeDto {
                index: c.index,
                line_number: line_of(c.index),
                namnd: c.namnd,
                kind: c.kind,
                line: c.line,
                measure: c.measure,
                month,
                period,
                before: ore_json(c.before_ore),
                after: ore_json(c.after_ore),
            }
        })
        .collect();
    Ok(Ok(report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlatExportQuery {
    /// Only values of this year (default: every year).
    #[param(example = 2024)]
    pub year: Option<i32>,
    /// `json` (default) or `csv`.
    pub format: Option<Format>,
    /// Only this nämnd (code).
    #[param(example = "VON")]
    pub namnd: Option<String>,
    /// Only drift or investering lines (default both).
    pub kind: Option<BudgetLineKind>,
}

const CSV_COLUMNS: [&str; 7] = [
    "namnd", "kind", "line", "name", "month", "measure", "amount",
];

/// Export budget values as flat rows in the format `POST /imports/flat`
/// reads: JSON, or with `format=csv` a CSV for Excel (UTF-8 with BOM, `;`,
/// decimal comma) with the columns `namnd;kind;line;name;month;measure;amount`
/// (a whole-period value's month is `2024-01/2024-12`). Amounts in kronor,
/// costs negative. Only the nämnder whose figures you may read.
#[utoipa::path(tag = "imports", params(FlatExportQuery),
    responses(
        (status = 200, description = "Flat rows; CSV with `format=csv`", body = FlatDocument,
            content((FlatDocument = "application/json"), (String = "text/csv", example = json!("\u{feff}namnd;kind;line;name;month;measure;amount\r\nVON;drift;aldreomsorg;Äldreomsorg;2024-01/2024-12;budget;-320000000\r\n")))),
        (status = 422, description = "Invalid year or unknown nämnd", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/exports/flat")]
pub async fn export_flat(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<FlatExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let kommun_id = principal.require_kommun()?;
    check_year(query.year)?;
    let mut namnder: Vec<namnd::Model> = namnd_map(&state.db, kommun_id)
        .await?
        .into_values()
        .collect();
    let readable = |code: &str| {
        authorize(
            &principal,
            Action::Read,
            Target::NamndFigures {
                kommun: &principal.kommun_code,
                namnd: code,
            },
        )
    };
    match &query.namnd {
        Some(code) => {
            namnder.retain(|n| &n.code == code);
            if namnder.is_empty() {
                return Err(ApiError::validation(
                    "namnd",
                    format!("no nämnd {code:?} in your kommun"),
                ));
            }
            readable(code)?;
        }
        None => namnder.retain(|n| readable(&n.code).is_ok()),
    }
    let rows = imports::export_flat(&state.db, &namnder, query.kind, query.year).await?;
    let year = query
        .year
        .map_or_else(|| "alla".to_string(), |y| y.to_string());
    if query.format == Some(Format::Csv) {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let month = if r.from == r.to {
                    format_month(r.from)
                } else {
                    format!("{}/{}", format_month(r.from), format_month(r.to))
                };
                vec![
                    r.namnd.clone(),
                    r.kind.as_str().into(),
                    r.line.clone(),
                    r.name.clone(),
                    month,
                    r.measure.as_str().into(),
                    csv::number(Some(from_ore(r.amount_ore))),
                ]
            })
            .collect();
        return Ok(csv::response(
            &format!("budgetrader-{year}.csv"),
            &CSV_COLUMNS,
            &cells,
        ));
    }
    let doc = FlatDocument {
        rows: rows
            .into_iter()
            .map(|r| {
                let (month, period) = month_or_period(r.from, r.to);
                FlatRowDto {
                    namnd: r.namnd,
                    kind: Some(r.kind),
                    line: r.line,
                    ansvar: None,
                    verksamhet: None,
                    konto: None,
                    name: Some(r.name),
                    measure: r.measure,
                    month,
                    period,
                    made_at: None,
                    amount: from_ore(r.amount_ore),
                }
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().json(doc))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(import_kolada)
        .service(export_kolada)
        .service(import_flat)
        .service(export_flat);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_amounts() {
        let d = |s: &str| parse_amount(s).map(|d| d.to_string());
        assert_eq!(d("-26241000,50").as_deref(), Ok("-26241000.50"));
        assert_eq!(d("-26 241 000").as_deref(), Ok("-26241000"));
        assert_eq!(d("1.234,5").as_deref(), Ok("1234.5"));
        assert_eq!(d("1,234.5").as_deref(), Ok("1234.5"));
        assert_eq!(d("−12").as_deref(), Ok("-12"));
        assert!(parse_amount("tjugo").is_err());
        assert!(parse_amount("").is_err());
    }

    #[test]
    fn windows_1252_and_bom() {
        assert_eq!(
            decode_text(b"\xef\xbb\xbf\xc3\x84ldre").ok().as_deref(),
            Some("Äldre")
        );
        assert_eq!(
            decode_text(b"\xc4ldreomsorg \x80").ok().as_deref(),
            Some("Äldreomsorg €")
        );
    }

    /// The rows `read_json` hands on, as (namnd, issue field) pairs.
    fn json_rows(text: &str) -> Result<Vec<(String, Option<String>)>, ApiError> {
        let mut seen = Vec::new();
        read_json(text.as_bytes(), |raw, issue| {
            seen.push((raw.namnd, issue.map(|i| i.field)))
        })?;
        Ok(seen)
    }

    #[test]
    fn json_rows_are_read_one_at_a_time() {
        let rows = json_rows(
            "\u{feff}{\"source\": {\"x\": [1, 2]}, \"rows\": [\
             {\"namnd\": \"VON\", \"line\": \"a\", \"measure\": \"utfall\", \"month\": \"2024-01\", \"amount\": \"-1,5\"},\
             {\"namnd\": \"VON\", \"line\": \"a\", \"measure\": \"utfall\", \"month\": \"2024-02\", \"amount\": 1, \"extra\": 1},\
             7], \"note\": null}",
        );
        let rows = rows.ok().unwrap_or_default();
        assert_eq!(
            rows,
            [
                ("VON".to_string(), None),
                (String::new(), Some("extra".to_string())),
                (String::new(), Some(String::new())),
            ]
        );
        let status = |text: &str| match json_rows(text) {
            Ok(_) => "ok".to_string(),
            Err(ApiError::Validation(errors)) => format!("422 {}", errors[0].field),
            Err(ApiError::BadRequest(_)) => "400".to_string(),
            Err(other) => format!("{other:?}"),
        };
        assert_eq!(status("{\"rows\": []}"), "ok");
        assert_eq!(status("{\"rows\": 5}"), "422 rows");
        assert_eq!(status("{\"other\": []}"), "422 rows");
        assert_eq!(status("[{\"namnd\": \"VON\"}]"), "422 rows");
        assert_eq!(
            status("{\"rows\": [{\"namnd\": \"VON\"}"),
            "400",
            "cut short"
        );
        assert_eq!(status("{\"rows\": []} trailing"), "400");
        assert_eq!(status(""), "400");
    }

    #[test]
    fn utf16_with_its_bom_and_no_binary() {
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("Äldre\tö".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_text(&le).ok().as_deref(), Some("Äldre\tö"));
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain("Äldre".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode_text(&be).ok().as_deref(), Some("Äldre"));
        let field = |bytes: &[u8]| match decode_text(bytes) {
            Err(ApiError::Validation(errors)) => errors[0].field.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(field(&le[..le.len() - 1]), "file", "cut short");
        assert_eq!(field(b"\xff\xfe\x00\xd8a\x00"), "file", "lone surrogate");
        assert_eq!(field(b"PK\x03\x04\x14\x00"), "file", "a workbook");
        assert_eq!(field(b"n\x00a\x00"), "file", "UTF-16 without BOM");
    }

    #[test]
    fn csv_quotes_and_line_numbers() {
        let records = csv_records(
            "a;b\r\n\"x;1\";\"he said \"\"hi\"\"\"\r\n\r\n\"multi\nline\";2\n",
            ';',
        );
        assert_eq!(
            records,
            vec![
                (1, vec!["a".to_string(), "b".to_string()]),
                (2, vec!["x;1".to_string(), "he said \"hi\"".to_string()]),
                (4, vec!["multi\nline".to_string(), "2".to_string()]),
            ]
        );
    }
}
