//! `/api/v1/imports` and `/api/v1/exports`: Kolada indicator values and
//! flat budget rows (CSV or JSON, as planning systems and ledgers export
//! them), and SIE period balances. An export imported again changes nothing.
//!
//! One file per source: [`kolada`] (upload and export), [`kolada_fetch`]
//! (fetched from a Kolada server), [`kolada_sync`] (the incremental sync),
//! [`flat`] (rows as CSV or JSON) and
//! [`sie`]; this module holds what their handlers share.

use crate::error::ServiceError;
pub mod flat;
pub mod kolada;
pub mod kolada_fetch;
pub mod kolada_sync;
pub mod sie;

use std::{collections::HashMap, future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse,
    dev::Payload,
    http::{StatusCode, header},
    web::{self, Bytes},
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::api::resource::namnd_figures;
use crate::{
    auth::{Action, Principal, authorize},
    domain::{MAX_YEAR, MIN_YEAR},
    entity::namnd,
    error::{ApiError, without_nul},
    service::{
        import_readers::{ReadError, RowIssue},
        namnder,
    },
    state::AppState,
};

/// `dry_run` of every import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KoladaImportQuery {
    /// Report what would change without writing anything (default false).
    #[param(example = true)]
    pub dry_run: Option<bool>,
    /// Overwrite (or remove) values a person wrote (default false: they are
    /// kept and listed in `kept_manual`).
    #[param(example = false)]
    pub overwrite_manual: Option<bool>,
}

/// One invalid row of an imported file.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"index": 2, "line_number": 4, "field": "month", "message": "\"2024-13\" is not a valid month; expected YYYY-MM, e.g. 2024-08"}))]
pub struct RowError {
    /// Position of the row among the file's rows (Kolada: in `values`), from
    /// 0. Absent when the error is about the file rather than one of its
    /// rows (a missing CSV column, a file that is not SIE, a query parameter).
    #[schema(required = false)]
    pub index: usize,
    /// For CSV: the line of the file, from 1, the header being line 1; null
    /// for a row of a JSON body. Absent when the error is about the file.
    pub line_number: Option<usize>,
    /// The column (CSV), or the field path within the row (JSON).
    pub field: String,
    pub message: String,
}

impl RowError {
    /// The answer's form of a row's problem. Its field path and message
    /// may quote the file (a member name, a value) and so hold NUL, which
    /// no answer carries: U+FFFD stands in.
    pub(super) fn new(issue: RowIssue, line_number: Option<usize>) -> Self {
        RowError {
            index: issue.index,
            line_number,
            field: without_nul(issue.field),
            message: without_nul(issue.message),
        }
    }
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

/// A file that cannot be read: 422 naming the field (`file`, `header`,
/// `rows`, `values`), or 400 when it is not JSON at all.
impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Invalid(errors) => ApiError::Service(ServiceError::Validation(errors)),
            ReadError::NotJson(e) => super::common::not_json(e),
        }
    }
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

fn decimal_json(value: Option<Decimal>) -> Value {
    match value {
        Some(v) => serde_json::to_value(DecimalJson(v)).unwrap_or(Value::Null),
        None => Value::Null,
    }
}

#[derive(Serialize)]
struct DecimalJson(#[serde(with = "crate::api::decimal")] Decimal);

fn check_year(year: Option<i32>) -> Result<(), ApiError> {
    match year {
        Some(y) if !(MIN_YEAR..=MAX_YEAR).contains(&y) => Err(ApiError::validation(
            "year",
            format!("must be a year between {MIN_YEAR} and {MAX_YEAR}"),
        )),
        _ => Ok(()),
    }
}

/// The kommun's nämnder by code.
pub(super) async fn namnder_by_code(
    state: &AppState,
    kommun_id: Uuid,
) -> Result<HashMap<String, namnd::Model>, ApiError> {
    Ok(namnder::by_id(&state.db, kommun_id)
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
        authorize(principal, Action::Update, namnd_figures(principal, code))?;
    }
    Ok(())
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(kolada::import_kolada)
        .service(kolada::export_kolada)
        .service(flat::import_flat)
        .service(flat::export_flat)
        .service(kolada_fetch::fetch_kolada)
        .service(kolada_sync::get_kolada_sync)
        .service(kolada_sync::post_kolada_sync)
        .service(kolada_sync::patch_kolada_sync)
        .service(sie::import_sie);
}
