//! `POST /api/v1/imports/kolada/fetch`: the Kolada import fetched from the
//! configured Kolada-compatible server (`KOLADA_BASE_URL`) instead of
//! uploaded. The pages are collected first and then imported exactly as an
//! uploaded file, so a fetch that fails anywhere writes nothing.

use crate::api::common::ApiQuery;
use crate::error::ServiceError;
use actix_web::{HttpResponse, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::kolada::{KoladaImportReport, apply_kolada, kolada_access};
use crate::api::resource::Ctx;
use crate::{
    api::{common::actor, indicators::check_kolada},
    auth::Action,
    domain::{MAX_YEAR, MIN_YEAR, ValueSource},
    error::{ApiError, FieldError},
    service::{import_readers::parse_kolada, imports, kolada_fetch},
    state::AppState,
};

/// Most years one fetch asks for.
const MAX_YEARS: usize = 50;

/// The lists of `POST /imports/kolada/fetch`'s query, `years` and
/// `kolada_id`, as the document declares them (arrays of constrained items,
/// `style: form, explode: false`). They are read from the query string by
/// hand ([`listed`]): comma-separated, repeated, or both.
pub struct KoladaFetchLists;

impl IntoParams for KoladaFetchLists {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::{
            ArrayBuilder, ObjectBuilder, Required,
            path::{ParameterBuilder, ParameterIn, ParameterStyle},
            schema::{KnownFormat, SchemaFormat, Type},
        };
        let list =
            |name: &str, description: &str, items: ObjectBuilder, max: Option<usize>, example| {
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description(Some(description))
                    .style(Some(ParameterStyle::Form))
                    .explode(Some(false))
                    .schema(Some(ArrayBuilder::new().items(items).max_items(max)))
                    .example(Some(example))
                    .build()
            };
        vec![
            list(
                "years",
                "The years to fetch, comma-separated (`years=2023,2024`; repeating \
the parameter works too). Default: every year the server has.",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                    .minimum(Some(MIN_YEAR))
                    .maximum(Some(MAX_YEAR)),
                Some(MAX_YEARS),
                serde_json::json!([2023, 2024]),
            ),
            list(
                "kolada_id",
                "The Kolada ids to fetch, comma-separated (`kolada_id=U21468,N31816`; \
repeating the parameter works too). Default: every Kolada id of your kommun's indicators.",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[A-Z0-9]{2,20}$")),
                None,
                serde_json::json!(["U21468", "N31816"]),
            ),
        ]
    }
}

/// The query of `POST /imports/kolada/fetch` besides `years` and `kolada_id`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KoladaFetchQuery {
    /// Report what would change without writing anything (default false).
    #[param(example = true)]
    pub dry_run: Option<bool>,
    /// Only values Kolada updated since this date (`YYYY-MM-DD`).
    #[param(value_type = Option<String>, format = Date, example = "2025-03-01")]
    pub from_date: Option<String>,
    /// Overwrite (or remove) values a person wrote (default false: they are
    /// kept and listed in `kept_manual`).
    #[param(example = false)]
    pub overwrite_manual: Option<bool>,
}

/// The values of the list parameter `name` in `query`: comma-separated,
/// repeated, or both; none when it is absent.
fn listed(query: &str, name: &str) -> Option<String> {
    let values = crate::api::common::query_values(query, name);
    (!values.is_empty()).then(|| values.join(","))
}

/// What a fetched Kolada import did (or, in a dry run, would do): the
/// report of `POST /imports/kolada`, and what was fetched.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "kpis": ["U21468", "U28519"], "pages": 2, "retries": 0,
    "dry_run": true, "applied": false, "rows": 2,
    "changes": [{"kpi": "U21468", "indicator_id": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f6071a0",
        "year": 2024, "gender": "T", "before": 83, "after": 84, "status": null, "removed": false}],
    "kept_manual": [],
    "unchanged": 1, "skipped": [], "errors": []
}))]
pub struct KoladaFetchReport {
    /// The Kolada ids asked for.
    pub kpis: Vec<String>,
    /// Pages fetched (following `next_url`).
    pub pages: usize,
    /// Answers 429 or 5xx that were retried.
    pub retries: usize,
    #[serde(flatten)]
    pub import: KoladaImportReport,
}

/// A comma-separated list of the query parameter `field`, each item checked.
fn list<T>(
    text: &str,
    field: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, ApiError> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match parse(item) {
            Ok(v) => items.push(v),
            Err(message) => errors.push(FieldError::new(field, message)),
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(ServiceError::Validation(errors).into())
    }
}

fn parse_year(text: &str) -> Result<i32, String> {
    text.parse::<i32>()
        .ok()
        .filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y))
        .ok_or_else(|| {
            format!("{text:?} is not a year between {MIN_YEAR} and {MAX_YEAR}, e.g. 2024")
        })
}

fn parse_kpi(text: &str) -> Result<String, String> {
    let mut errors = Vec::new();
    check_kolada(text, &mut errors);
    match errors.pop() {
        None => Ok(text.to_string()),
        Some(e) => Err(format!("{text:?} {}", e.message)),
    }
}

/// `from_date` as a date (`YYYY-MM-DD`).
pub(crate) fn from_date(text: Option<&str>) -> Result<Option<chrono::NaiveDate>, ApiError> {
    text.map(|t| {
        chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
            ApiError::validation(
                "from_date",
                format!("{t:?} is not a date; expected YYYY-MM-DD, e.g. 2025-03-01"),
            )
        })
    })
    .transpose()
}

fn years(query: &str) -> Result<Vec<i32>, ApiError> {
    let mut years = match listed(query, "years") {
        None => Vec::new(),
        Some(text) => list(&text, "years", parse_year)?,
    };
    // Counted as sent, as the document's maxItems counts them.
    if years.len() > MAX_YEARS {
        return Err(ApiError::validation(
            "years",
            format!("at most {MAX_YEARS} years in one fetch"),
        ));
    }
    years.sort_unstable();
    years.dedup();
    Ok(years)
}

/// The Kolada ids asked for, or those of the kommun's indicators.
async fn kpis(
    state: &AppState,
    kommun_id: uuid::Uuid,
    query: &str,
) -> Result<Vec<String>, ApiError> {
    let mut kpis = match listed(query, "kolada_id") {
        Some(text) => list(&text, "kolada_id", parse_kpi)?,
        None => imports::indicators_by_kpi(&state.db, kommun_id, None)
            .await?
            .into_iter()
            .filter_map(|m| m.kolada_id)
            .filter(|k| parse_kpi(k).is_ok())
            .collect(),
    };
    kpis.sort();
    kpis.dedup();
    if kpis.is_empty() {
        return Err(ApiError::validation(
            "kolada_id",
            "none of your kommun's indicators has a kolada_id; give Kolada ids to fetch",
        ));
    }
    Ok(kpis)
}

/// Fetch indicator values from the configured Kolada server
/// (`KOLADA_BASE_URL`, by default `https://api.kolada.se/v3`) and import
/// them (admin, kommunledning, integration). Requests
/// `{base}/data/kpi/{ids}/municipality/{your kommunkod}/year/{years}`
/// (at most 25 ids per path segment; longer lists in several requests,
/// `per_page=5000`, `from_date` when given) and follows `next_url` (on the
/// same server only, at most 200 pages; 429 and 5xx are retried with
/// backoff), then imports every value as `POST /imports/kolada` does an
/// uploaded file, in one transaction, with source `kolada` and the time of
/// the fetch. `isdeleted` values remove the stored ones (their history keeps
/// them); values a person wrote are kept unless `overwrite_manual=true`.
/// `dry_run=true` reports what would change without writing. When the
/// server cannot be reached, answers with an error or sends anything that is
/// not Kolada data (including invalid entries), nothing is imported and the
/// answer is 502 (504 when it does not answer in time) with what went wrong
/// in `detail`.
#[utoipa::path(tag = "imports", params(KoladaFetchQuery, KoladaFetchLists),
    responses(
        (status = 200, description = "What changed (or would change)", body = KoladaFetchReport),
        (status = 422, description = "Invalid years, from_date or Kolada ids, or none to fetch", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 502, description = "The Kolada server failed or sent something that is not valid Kolada data; nothing was imported", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 504, description = "The Kolada server did not answer in time; nothing was imported", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/imports/kolada/fetch")]
pub async fn fetch_kolada(
    cx: Ctx,
    query: ApiQuery<KoladaFetchQuery>,
) -> Result<HttpResponse, ApiError> {
    let (req, state, principal) = cx.into_parts();
    let kommun_id = kolada_access(&principal, Action::Update)?;
    let years = years(req.query_string())?;
    let from_date = from_date(query.from_date.as_deref())?;
    let kpis = kpis(&state, kommun_id, req.query_string()).await?;
    let fetched_at = crate::service::clock::now();
    let fetched = kolada_fetch::fetch(&kolada_fetch::FetchRequest {
        base_url: &state.settings.kolada_base_url,
        kpis: &kpis,
        municipalities: std::slice::from_ref(&principal.kommun_code),
        years: &years,
        from_date,
    })
    .await?;
    let document = serde_json::json!({ "values": fetched.entries });
    let parsed = parse_kolada(&document, &principal.kommun_code)?;
    let dry_run = query.dry_run.unwrap_or(false);
    if !dry_run && let Some(first) = parsed.errors.first() {
        return Err(ServiceError::BadGateway(format!(
            "the Kolada server sent {} invalid entries (first: {}: {}); nothing was imported",
            parsed.errors.len(),
            first.field,
            first.message
        ))
        .into());
    }
    let options = imports::KoladaImportOptions {
        source: ValueSource::Kolada,
        fetched_at: Some(fetched_at),
        overwrite_manual: query.overwrite_manual.unwrap_or(false),
    };
    let import = apply_kolada(
        &state,
        &actor(&req, &principal, kommun_id),
        parsed,
        &options,
        dry_run,
    )
    .await?;
    Ok(HttpResponse::Ok().json(KoladaFetchReport {
        kpis,
        pages: fetched.pages,
        retries: fetched.retries,
        import,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_checked_item_by_item() {
        assert_eq!(
            list("2022, 2024,,2023", "years", parse_year).unwrap(),
            [2022, 2024, 2023]
        );
        let err = list("2022,20x4,1066", "years", parse_year).unwrap_err();
        assert!(
            matches!(err, ApiError::Service(ServiceError::Validation(ref e)) if e.len() == 2 && e[0].field == "years")
        );
        assert_eq!(list("U21468", "kolada_id", parse_kpi).unwrap(), ["U21468"]);
        assert!(list("U21468,../x", "kolada_id", parse_kpi).is_err());
    }

    #[test]
    fn lists_come_comma_separated_or_repeated() {
        assert_eq!(
            years("years=2024&years=2022,2023&dry_run=true").unwrap(),
            [2022, 2023, 2024]
        );
        assert_eq!(years("dry_run=true").unwrap(), Vec::<i32>::new());
        assert_eq!(
            listed("kolada_id=U21468&kolada_id=N31816", "kolada_id").as_deref(),
            Some("U21468,N31816")
        );
    }
}
