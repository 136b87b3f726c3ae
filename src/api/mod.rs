//! HTTP layer: thin handlers that parse, authorise, call a service and map
//! to DTOs. Routes and the OpenAPI document come from one registration.

pub mod assessments;
pub mod assignments;
pub mod audit;
pub mod budget_lines;
pub mod calendar_feeds;
pub mod changes;
pub mod common;
pub mod csv;
pub mod deadlines;
pub mod decided;
pub mod decimal;
pub mod dimension_mappings;
mod doc_examples;
pub mod documents;
pub mod extract;
pub mod figures;
pub mod goal_areas;
pub mod goals;
pub mod guard;
pub mod health;
pub mod idempotency;
pub mod imports;
pub mod indicator_history;
pub mod indicators;
pub mod indicators_from_kolada;
pub mod key_figures;
pub mod kommun_views;
pub mod kommuner;
pub mod linked;
mod links;
pub mod namnder;
pub mod obligations;
pub mod periods;
pub mod query_text;
pub mod read_cache;
pub mod report_parts;
pub mod reports;
pub mod resource;
mod response_fields;
pub mod responses;
pub mod revalidate;
mod schema;
pub mod streamed_body;
pub mod values;
pub mod volume_measures;
pub mod webhooks;

use actix_web::App;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, Components, ContentBuilder, RefOr, ResponseBuilder,
        security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        },
    },
};
use utoipa_actix_web::{AppExt, scope, service_config::ServiceConfig};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kommunrapport",
        description = "System of record for Swedish municipal follow-up reporting: nämnder report \
money, volumes, staff figures, goals, indicators and assignments; derived fields (avvikelse, \
bedömning, trend) are computed on read.\n\nAll `/api/v1` endpoints need `Authorization: Bearer <JWT>`. \
Errors are RFC 9457 `application/problem+json`. Lists are cursor-paginated. Updates need `If-Match`.",
        version = "1.0.0"
    ),
    // Relative: the document is served by the service it describes.
    servers((url = "/", description = "This service")),
    // In the order of the work: what a nämnd reports first, then what the
    // reports build on, the kommun's views, integrations and administration.
    // Every tag an operation uses is declared here (a test checks it).
    tags(
        (name = "reports", description = "Reports of a nämnd for a period, and the way through draft, submitted and approved: their text sections, action plans, drift and investering tables, versions and document; `GET /reports/{id}?include=…` reads one whole"),
        (name = "budget-lines", description = "Drift and investering lines of a nämnd (utfall, budget, prognos per month and for the year), from which the report tables and the kommun views are computed"),
        (name = "volume-measures", description = "Volymmått of a nämnd, their monthly and whole-period values, and period figures"),
        (name = "key-figures", description = "Staff key figures (nyckeltal) of a nämnd per year, for T, K and M"),
        (name = "assessments", description = "A nämnd's bedömning of its goals per report, beside the suggestion from the indicators"),
        (name = "assignments", description = "Uppdrag with their responsible nämnder, and their status per report"),
        (name = "goals", description = "Resultatmål with huvudansvar and medansvariga, and the nämnder's own goals"),
        (name = "goal-areas", description = "Övergripande mål (målområden) of a plan period"),
        (name = "indicators", description = "Indicators with riktvärden, values per year and gender, and the derived trend and bedömning"),
        (name = "obligations", description = "Obligation rules (helårsprognos below −X % or −N kr of budget → åtgärdsplan within D days of approval) and the obligations they create, derived on read"),
        (name = "periods", description = "Reporting periods"),
        (name = "namnder", description = "Nämnder, styrelser and bolag"),
        (name = "deadlines", description = "The process calendar: deadlines for underlag, nämndbeslut, inlämning, KS and KF per period and report type"),
        (name = "kommun", description = "Consolidated views over every nämnd (kommunledning, admin, revisor)"),
        (name = "imports", description = "Integration files: Kolada v2 JSON, flat budget rows (CSV, JSON) and SIE 4 period balances in, Kolada and flat rows out"),
        (name = "dimension-mappings", description = "Rules from ledger codes (ansvar, verksamhet, konto; SIE dimensions) to nämnd and drift-line codes, for the flat and SIE imports"),
        (name = "calendar", description = "Calendar feeds: the process calendar (deadlines, obligations) as iCalendar for Outlook and other calendar clients, behind a per-user secret URL"),
        (name = "changes", description = "The change feed: every change in commit order, for clients that keep a copy in sync"),
        (name = "webhooks", description = "Webhook subscriptions (admin, integration): signed deliveries of the kommun's changes (Standard Webhooks), their log and replay"),
        (name = "audit", description = "The audit log (admin, revisor)"),
        (name = "kommuner", description = "The tenant (SCB kommunkod)"),
        (name = "health", description = "Liveness and readiness"),
    ),
    // Format and IncludePart are only in query parameters, which utoipa
    // does not collect.
    components(schemas(crate::error::Problem, crate::error::FieldErrorSchema, kommun_views::Format, reports::IncludePart))
)]
struct ApiDoc;

/// Every resource under `/api/v1`.
pub fn configure_v1(cfg: &mut ServiceConfig) {
    kommuner::configure(cfg);
    namnder::configure(cfg);
    periods::configure(cfg);
    // Before reports: its GET /reports/{id}/{kind} would take these paths.
    reports::decisions::configure(cfg);
    obligations::configure(cfg);
    documents::configure(cfg);
    assessments::configure(cfg);
    assignments::configure(cfg);
    reports::configure(cfg);
    budget_lines::configure(cfg);
    volume_measures::configure(cfg);
    key_figures::configure(cfg);
    goal_areas::configure(cfg);
    goals::configure(cfg);
    indicators_from_kolada::configure(cfg);
    indicators::configure(cfg);
    indicator_history::configure(cfg);
    kommun_views::configure(cfg);
    audit::configure(cfg);
    changes::configure(cfg);
    imports::configure(cfg);
    dimension_mappings::configure(cfg);
    webhooks::configure(cfg);
    deadlines::configure(cfg);
    calendar_feeds::configure(cfg);
}

/// Registers every route on `app`. The OpenAPI document utoipa collects on
/// the way is dropped: each worker registers the routes, and the document
/// (tens of megabytes as utoipa's structures) is made once, as bytes, by
/// [`openapi_bytes`].
pub fn register<T: AppFactory>(app: utoipa_actix_web::UtoipaApp<T>) -> App<T> {
    routes(app).split_for_parts().0
}

/// What an actix `App` is built on, as `register` and `routes` take it.
pub trait AppFactory:
    actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Error = actix_web::Error,
        InitError = (),
    >
{
}

impl<T> AppFactory for T where
    T: actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Error = actix_web::Error,
            InitError = (),
        >
{
}

fn routes<T: AppFactory>(app: utoipa_actix_web::UtoipaApp<T>) -> utoipa_actix_web::UtoipaApp<T> {
    app.openapi(ApiDoc::openapi())
        .configure(health::configure)
        .service(scope::scope("/api/v1").configure(configure_v1))
}

/// An id in the examples (a UUIDv7).
const EXAMPLE_ID: &str = "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182";

/// Gives every parameter that has no example one that fits its schema (an
/// id, the enum's example or first value, or a value named for the
/// parameter), and every list page one made of its row's example. The API
/// conventions promise an example everywhere, and this keeps new
/// parameters and lists from arriving without one. An optional parameter's
/// example is then moved where Swagger UI does not prefill it, and every
/// problem answer gets the example of its status ([`doc_examples`]).
fn with_examples(doc: openapi::OpenApi) -> openapi::OpenApi {
    let Ok(mut value) = serde_json::to_value(&doc) else {
        return doc;
    };
    response_fields::require_response_fields(&mut value);
    response_fields::complete_examples(&mut value);
    let enums = enum_examples(&value);
    add_page_examples(&mut value);
    constrain_text(&mut value);
    declare_revalidation(&mut value);
    links::link_creates_to_reads(&mut value);
    for parameter in doc_examples::parameters_mut(&mut value) {
        if parameter.get("example").is_some() {
            continue;
        }
        if let Some(example) = parameter_example(parameter, &enums) {
            parameter["example"] = example;
        }
    }
    doc_examples::optional_parameters_unfilled(&mut value);
    doc_examples::problem_examples(&mut value);
    match serde_json::from_value(value) {
        Ok(finished) => finished,
        Err(e) => {
            // A test (`the_document_survives_its_finishing_passes`) keeps this
            // from happening; should it, serve the document unfinished.
            tracing::error!(error = %e, "the OpenAPI document could not be read back");
            doc
        }
    }
}

/// Every read but the probes answers with an ETag and `304` to an
/// `If-None-Match` naming it ([`revalidate`] for those that do not set
/// their own): each `GET` declares the header and the status.
fn declare_revalidation(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        if path.starts_with("/health") {
            continue;
        }
        let Some(get) = item.get_mut("get").and_then(|g| g.as_object_mut()) else {
            continue;
        };
        let parameters = get
            .entry("parameters")
            .or_insert_with(|| serde_json::json!([]));
        if let Some(list) = parameters.as_array_mut() {
            let declared = list
                .iter()
                .any(|p| p.get("name").and_then(|n| n.as_str()) == Some("If-None-Match"));
            if !declared {
                list.push(serde_json::json!({
                    "name": "If-None-Match",
                    "in": "header",
                    "required": false,
                    "description": "The ETag of the answer the client holds; 304 when it is still current.",
                    "schema": {"type": "string"},
                    "example": "\"8d1f0c4a2b6e9f3071c5d2e4a6b8c0d1\""
                }));
            }
        }
        if let Some(responses) = get.get_mut("responses").and_then(|r| r.as_object_mut()) {
            responses.entry("304").or_insert_with(|| {
                serde_json::json!({"description": "Not modified since the ETag in If-None-Match"})
            });
        }
    }
}

/// Text the service refuses in every string (422 naming the field): NUL.
const NO_NUL: &str = "^[^\\x00]*$";

/// The ETags an `If-Match` may name: `*` or one version, strong or weak.
const IF_MATCH: &str = "^(\\*|(W/)?\"[0-9]{1,9}\")$";

/// Says in the schema what the service checks of every text: no string
/// holds NUL (every string schema without a pattern, format or enum gets
/// [`NO_NUL`]), and `If-Match` is `*` or one ETag.
fn constrain_text(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(object) => {
            let is_string = match object.get("type") {
                Some(serde_json::Value::String(t)) => t == "string",
                Some(serde_json::Value::Array(types)) => types.iter().any(|t| t == "string"),
                _ => false,
            };
            let constrained = ["pattern", "format", "enum", "const", "contentMediaType"]
                .iter()
                .any(|key| object.contains_key(*key));
            if object.get("in").is_some() && object.get("name").is_some_and(|n| n == "If-Match") {
                if let Some(schema) = object.get_mut("schema").and_then(|s| s.as_object_mut()) {
                    // A header is text or absent, never null.
                    schema.insert("type".into(), "string".into());
                    schema.insert("pattern".into(), IF_MATCH.into());
                }
            } else if is_string && !constrained {
                object.insert("pattern".into(), NO_NUL.into());
            }
            for (key, child) in object.iter_mut() {
                // Examples are values, not schemas.
                if key != "example" && key != "examples" {
                    constrain_text(child);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(constrain_text),
        _ => {}
    }
}

/// `Page_*` schemas: `{"items": [<the row's example>], "next_cursor": null}`.
fn add_page_examples(doc: &mut serde_json::Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if !name.starts_with("Page_") || schema.get("example").is_some() {
            continue;
        }
        if let Some(row) = schema.pointer("/properties/items/items/example").cloned() {
            schema["example"] = serde_json::json!({"items": [row], "next_cursor": null});
        }
    }
}

/// The example (or else the first value) of each enum schema among the
/// components, by reference.
fn enum_examples(doc: &serde_json::Value) -> std::collections::HashMap<String, serde_json::Value> {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(|s| s.as_object())
    else {
        return Default::default();
    };
    schemas
        .iter()
        .filter_map(|(name, schema)| {
            let first = schema
                .get("example")
                .or_else(|| schema.pointer("/examples/0"))
                .or_else(|| schema.pointer("/enum/0"))
                .or_else(|| schema.pointer("/oneOf/0/enum/0"))?;
            Some((format!("#/components/schemas/{name}"), first.clone()))
        })
        .collect()
}

fn parameter_example(
    parameter: &serde_json::Value,
    enums: &std::collections::HashMap<String, serde_json::Value>,
) -> Option<serde_json::Value> {
    use serde_json::json;
    let schema = parameter.get("schema")?;
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    if let Some(reference) = schema.get("$ref").and_then(|r| r.as_str()) {
        return enums.get(reference).cloned();
    }
    if let Some(first) = schema.pointer("/enum/0") {
        return Some(first.clone());
    }
    let name = parameter.get("name")?.as_str()?;
    let format = schema.get("format").and_then(|f| f.as_str());
    Some(match (name, format) {
        (_, Some("uuid")) => json!(EXAMPLE_ID),
        ("If-Match", _) => json!("\"3\""),
        ("from", Some("date-time")) => json!("2024-01-01T00:00:00Z"),
        ("to", Some("date-time")) => json!("2025-01-01T00:00:00Z"),
        ("year", _) => json!(2024),
        ("number", _) => json!(1),
        ("principal", _) => json!("local-user"),
        ("key", _) => json!("verksamhetsrapport"),
        _ if schema.get("type").and_then(|t| t.as_str()) == Some("boolean") => json!(true),
        _ => return None,
    })
}

/// The OpenAPI document, without starting anything.
pub fn openapi_document() -> openapi::OpenApi {
    let (_, mut doc) = routes(App::new().into_utoipa_app()).split_for_parts();
    SecurityAndProblems.modify(&mut doc);
    with_examples(doc)
}

/// The document as `GET /openapi.json` serves it: made and serialised once
/// for the process and shared by every worker (it is large, and the same
/// for all). Making it also teaches the guard which operations need
/// `If-Match`; the server calls this before it serves.
pub fn openapi_bytes() -> actix_web::web::Bytes {
    static BYTES: std::sync::OnceLock<actix_web::web::Bytes> = std::sync::OnceLock::new();
    BYTES
        .get_or_init(|| match serde_json::to_vec(&openapi_document()) {
            Ok(bytes) => {
                match serde_json::from_slice::<serde_json::Value>(&bytes) {
                    Ok(value) => guard::learn_preconditions(&value),
                    Err(e) => tracing::error!(error = %e, "the OpenAPI document is not JSON"),
                }
                bytes.into()
            }
            Err(e) => {
                tracing::error!(error = %e, "the OpenAPI document could not be serialised");
                actix_web::web::Bytes::from_static(b"{}")
            }
        })
        .clone()
}

/// `GET /openapi.json`.
async fn openapi_json_handler() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi_bytes())
}

/// Serves the document at `/openapi.json` and Swagger UI, which reads it, at
/// `/docs/`.
pub fn docs(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.route(
        "/openapi.json",
        actix_web::web::get().to(openapi_json_handler),
    )
    .service(
        utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
            .config(utoipa_swagger_ui::Config::from("/openapi.json")),
    )
    .service(actix_web::web::redirect("/docs", "/docs/"));
}

/// The document as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut text = openapi_document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// Adds the bearer scheme, requires it on `/api/v1`, and documents the
/// problem responses every authenticated operation can give.
struct SecurityAndProblems;

const COMMON_PROBLEMS: [(&str, &str); 8] = [
    ("400", "Malformed request (bad JSON, query or header)"),
    (
        "422",
        "Invalid input: a body field or query parameter (e.g. limit, cursor), named in errors",
    ),
    ("401", "Missing, expired or invalid bearer token"),
    ("403", "Your role may not do this"),
    ("404", "Not found, or not visible to you"),
    ("413", "The body is larger than the configured limit"),
    ("415", "Body is not application/json"),
    ("503", "The database is unavailable"),
];

impl Modify for SecurityAndProblems {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Components::new);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "HS256 JWT with claims sub, kommun, role, namnder, exp. Get one locally with `kommunrapport token --role admin --kommun 0483`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "calendar_feed",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "The secret of a calendar feed, in the URL that POST /api/v1/calendar-feeds answers once. Opens that feed only.",
            ))),
        );
        // No licence has been chosen yet; an empty one would say otherwise.
        doc.info.license = None;
        for (path, item) in doc.paths.paths.iter_mut() {
            if !path.starts_with("/api/") {
                // Health probes need no token: say so, not "unspecified".
                for operation in [&mut item.get].into_iter().flatten() {
                    operation.security = Some(Vec::new());
                }
                continue;
            }
            let retryable = [&mut item.post, &mut item.put];
            for operation in retryable.into_iter().flatten() {
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                let present = parameters
                    .iter()
                    .any(|p| matches!(p, RefOr::T(p) if p.name == idempotency::HEADER));
                if !present {
                    parameters.push(RefOr::T(
                        openapi::path::ParameterBuilder::new()
                            .name(idempotency::HEADER)
                            .parameter_in(openapi::path::ParameterIn::Header)
                            .required(openapi::Required::False)
                            .description(Some(
                                "Makes a retry safe: the first successful response to this key is replayed (with Idempotent-Replayed: true); the same key with another request is refused with 422. The key is reserved before the request runs: a duplicate sent while the first still runs waits up to 10 s for its answer, then gets 409.",
                            ))
                            .schema(Some(openapi::ObjectBuilder::new().schema_type(openapi::schema::Type::String).min_length(Some(1)).max_length(Some(255)).pattern(Some("^[!-~]+$"))))
                            .example(Some(serde_json::json!("3f0c6a52-5d1e-4c1e-9a55-8c4a4b0b2f10")))
                            .build(),
                    ));
                }
                for (status, description) in [
                    (
                        "409",
                        "Conflict (also: a request with this Idempotency-Key is still running)",
                    ),
                    (
                        "422",
                        "Invalid input (also: this Idempotency-Key was used for another request)",
                    ),
                ] {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::T(problem_response(description)));
                }
                // An operation's own 409 (a code already taken, a report
                // not a draft) keeps its description, and says that a
                // running duplicate of the request is answered 409 too.
                if let Some(RefOr::T(conflict)) = operation.responses.responses.get_mut("409")
                    && !conflict.description.contains(idempotency::HEADER)
                {
                    conflict
                        .description
                        .push_str(" (also: a request with this Idempotency-Key is still running)");
                }
            }
            // Operations that take no bearer token (the calendar feed)
            // declare their own security and problems.
            let public_get = matches!(
                guard::operation_of(&actix_web::http::Method::GET, path),
                Ok(Some(guard::Needs::Anyone))
            );
            let operations = [
                item.get.as_mut().filter(|_| !public_get),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                operation.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
                let if_match = operation.parameters.iter().flatten().find_map(|p| match p {
                    RefOr::T(p) if p.name == "If-Match" => Some(p.required.clone()),
                    _ => None,
                });
                let preconditions = [
                    (
                        if_match.is_some(),
                        "412",
                        "If-Match names a version that is no longer the current one",
                    ),
                    (
                        if_match == Some(openapi::Required::True),
                        "428",
                        "If-Match is missing",
                    ),
                ];
                for (_, status, description) in preconditions.into_iter().filter(|p| p.0) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::T(problem_response(description)));
                }
                for (status, description) in COMMON_PROBLEMS {
                    let has_body = operation.request_body.is_some();
                    if ["413", "415"].contains(&status) && !has_body {
                        continue;
                    }
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::T(problem_response(description)));
                }
                // Refusals a client should retry say when (`Retry-After`).
                operation
                    .responses
                    .responses
                    .entry("429".to_string())
                    .or_insert_with(|| {
                        RefOr::T(retry_after(problem_response(
                            "Too many requests from this caller (RATE_LIMIT_PER_MINUTE)",
                        )))
                    });
                if let Some(RefOr::T(unavailable)) = operation.responses.responses.get_mut("503") {
                    *unavailable = retry_after(unavailable.clone());
                }
            }
        }
    }
}

/// `response` with its `Retry-After` header: the seconds to wait.
fn retry_after(mut response: openapi::Response) -> openapi::Response {
    response.headers.insert(
        "Retry-After".to_string(),
        openapi::HeaderBuilder::new()
            .schema(Some(
                openapi::ObjectBuilder::new()
                    .schema_type(openapi::schema::Type::Integer)
                    .minimum(Some(0)),
            ))
            .description(Some("Seconds to wait before retrying; always sent"))
            .build()
            .into(),
    );
    response
}

fn problem_response(description: &str) -> openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(openapi::Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}
