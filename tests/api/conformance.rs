//! Every answer the test suite receives is checked against the committed
//! OpenAPI document (`openapi/openapi.json`), as a generated client would
//! rely on it: the operation (method and path template) must be in it, the
//! status declared for that operation, the content type one it declares
//! for that status, a JSON body valid against the declared schema (OpenAPI
//! 3.1 schemas are JSON Schema 2020-12; `$ref`s resolve into the document's
//! components), and the headers it declares present.
//!
//! The helpers install [`observer`] in every application they start, so
//! every test is also a conformance test: a violation is sent back in the
//! `X-Conformance-Violation` header and recorded: the helpers that read a
//! response fail on it at once, and a test whose application saw one fails
//! when the application is dropped. `CONFORMANCE=report` only prints them
//! (to list every violation of a run at once).

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
};

use actix_web::http::header::{self, HeaderMap};
use jsonschema::Validator;
use kommunrapport::startup::{Answer, Observer};
use serde_json::{Value, json};

/// The committed document, read once.
static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
});

/// Compiled validators by the JSON pointer of their schema in the document.
static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<Validator>>>> =
    LazyLock::new(Default::default);

/// Whether a violation fails the test (the default) or is only printed
/// (`CONFORMANCE=report`).
pub fn strict() -> bool {
    !matches!(std::env::var("CONFORMANCE").as_deref(), Ok("report"))
}

/// Violations seen by one application.
pub type Violations = Arc<Mutex<Vec<String>>>;

/// An observer that checks each answer against the document and records
/// what is wrong in `violations`.
pub fn observer(violations: Violations) -> Observer {
    Arc::new(move |answer: &Answer<'_>| {
        let checked = check(&DOCUMENT, answer);
        if let Err(violation) = &checked
            && let Ok(mut seen) = violations.lock()
        {
            seen.push(violation.clone());
        }
        checked
    })
}

/// `~` and `/` escaped for a JSON pointer token.
fn token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// The media type of a `Content-Type` value, without its parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// A route pattern as the document writes it: `{id:[0-9]+}` is `{id}`.
fn template(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut in_name = false;
    let mut skipping = false;
    for c in pattern.chars() {
        match c {
            '{' => {
                in_name = true;
                out.push(c);
            }
            '}' if in_name => {
                in_name = false;
                skipping = false;
                out.push(c);
            }
            ':' if in_name => skipping = true,
            _ if skipping => {}
            _ => out.push(c),
        }
    }
    out
}

/// Checks one answer against `doc`; `Err` says what the document does not
/// describe.
pub fn check(doc: &Value, answer: &Answer<'_>) -> Result<(), String> {
    let method = answer.method.to_ascii_lowercase();
    let status = answer.status;
    let Some(pattern) = answer.pattern else {
        // No route: the fallback's problem, for a path no operation has.
        let what = format!("{} {} (no route)", answer.method, answer.path);
        return expect_problem(doc, answer, &what, &[404]);
    };
    let path = template(pattern);
    let what = format!("{} {path}", answer.method);
    let Some(item) = doc["paths"].get(&path) else {
        if path.starts_with("/api/") || path.starts_with("/health") {
            return Err(format!("{what}: the path is not in the document"));
        }
        // Swagger UI and the document itself are not operations of the API.
        return Ok(());
    };
    let Some(operation) = item.get(&method) else {
        // The guard answers a method the path does not take with 405 and
        // `Allow`; the document cannot list an operation that is not there.
        if !answer.headers.contains_key(header::ALLOW) {
            return Err(format!("{what}: no such operation, and no Allow header"));
        }
        return expect_problem(doc, answer, &what, &[405]);
    };
    let responses = &operation["responses"];
    let status_text = status.to_string();
    let range = format!("{}XX", status / 100);
    let Some((key, response)) = [status_text.as_str(), range.as_str(), "default"]
        .into_iter()
        .find_map(|key| responses.get(key).map(|r| (key, r)))
    else {
        let declared: Vec<&String> = responses
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
            .collect();
        return Err(format!(
            "{what} answered {status}, which it does not declare (declared: {declared:?}){}",
            body_excerpt(answer)
        ));
    };
    let response = resolve(doc, response);
    // The headers an answer declares are sent (utoipa cannot mark a
    // response header required, so a declared one is taken as promised).
    for (name, _) in response["headers"].as_object().into_iter().flatten() {
        if !answer.headers.contains_key(name.as_str()) {
            return Err(format!(
                "{what} → {status}: the declared header {name} is missing"
            ));
        }
    }
    let content_type = media_type(answer.headers);
    let content = response["content"].as_object().filter(|c| !c.is_empty());
    let Some(content) = content else {
        let empty = answer.json_body.is_none_or(<[u8]>::is_empty);
        return match content_type {
            Some(ct) if !empty || !ct.ends_with("json") => Err(format!(
                "{what} → {status}: the document declares no body, the answer has {ct}{}",
                body_excerpt(answer)
            )),
            _ => Ok(()),
        };
    };
    let Some(ct) = content_type else {
        return Err(format!(
            "{what} → {status}: no Content-Type; declared: {:?}",
            content.keys().collect::<Vec<_>>()
        ));
    };
    if !content.contains_key(&ct) {
        return Err(format!(
            "{what} → {status}: Content-Type {ct} is not declared (declared: {:?})",
            content.keys().collect::<Vec<_>>()
        ));
    }
    let Some(body) = answer.json_body else {
        // Not JSON: CSV, PDF, HTML and calendars are checked by their tests.
        return Ok(());
    };
    let pointer = format!(
        "/paths/{}/{method}/responses/{key}/content/{}/schema",
        token(&path),
        token(&ct)
    );
    let Some(schema) = doc.pointer(&pointer) else {
        return Ok(());
    };
    let instance: Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "{what} → {status} {ct}: the body is not JSON ({e}){}",
            body_excerpt(answer)
        )
    })?;
    let validator = validator(doc, &pointer, schema)?;
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .take(5)
        .map(|e| {
            format!(
                "at {:?}: {} (schema {})",
                e.instance_path().to_string(),
                e,
                e.schema_path()
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{what} → {status} {ct}: the body does not match {}: {}",
            schema
                .get("$ref")
                .and_then(Value::as_str)
                .unwrap_or(&pointer),
            errors.join("; ")
        ))
    }
}

/// A `$ref` to a component (a response, a header), followed.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or(value),
        None => value,
    }
}

/// The answer is a problem+json of one of `statuses`, valid as a Problem.
fn expect_problem(
    doc: &Value,
    answer: &Answer<'_>,
    what: &str,
    statuses: &[u16],
) -> Result<(), String> {
    if !statuses.contains(&answer.status) {
        return Err(format!(
            "{what} answered {}, which no operation describes{}",
            answer.status,
            body_excerpt(answer)
        ));
    }
    if media_type(answer.headers).as_deref() != Some("application/problem+json") {
        return Err(format!(
            "{what} → {}: not application/problem+json",
            answer.status
        ));
    }
    let instance: Value = answer
        .json_body
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(Value::Null);
    let pointer = "/components/schemas/Problem";
    let schema = json!({"$ref": format!("#{pointer}")});
    let validator = validator(doc, pointer, &schema)?;
    match validator.iter_errors(&instance).next() {
        None => Ok(()),
        Some(e) => Err(format!(
            "{what} → {}: not a Problem: {e} at {:?}",
            answer.status,
            e.instance_path().to_string()
        )),
    }
}

/// The validator of `schema` (found at `pointer` in `doc`), compiled once.
fn validator(doc: &Value, pointer: &str, schema: &Value) -> Result<Arc<Validator>, String> {
    let mut cache = VALIDATORS.lock().map_err(|e| e.to_string())?;
    if let Some(v) = cache.get(pointer) {
        return Ok(v.clone());
    }
    // The schema as the root of a document that also holds the components,
    // so `#/components/schemas/…` resolves as it does in the OpenAPI one.
    let mut root = match schema {
        Value::Object(o) => o.clone(),
        other => return Err(format!("{pointer}: not a schema object: {other}")),
    };
    root.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    root.insert("components".into(), doc["components"].clone());
    let compiled = jsonschema::options()
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .map_err(|e| format!("{pointer}: the schema does not compile: {e}"))?;
    let compiled = Arc::new(compiled);
    cache.insert(pointer.to_string(), compiled.clone());
    Ok(compiled)
}

/// The start of a JSON body, to show with a violation.
fn body_excerpt(answer: &Answer<'_>) -> String {
    match answer.json_body {
        Some(body) if !body.is_empty() => {
            let text = String::from_utf8_lossy(body);
            let cut: String = text.chars().take(300).collect();
            format!("; body: {cut}")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn answer<'a>(
        method: &'a str,
        pattern: Option<&'a str>,
        status: u16,
        headers: &'a HeaderMap,
        body: &'a [u8],
    ) -> Answer<'a> {
        Answer {
            method,
            pattern,
            path: pattern.unwrap_or("/nowhere"),
            status,
            headers,
            json_body: Some(body),
        }
    }

    const PROBLEM: &[u8] =
        br#"{"type":"/problems/not-found","title":"Not found","status":404,"detail":"no","errors":[]}"#;

    /// The check itself: what the document describes passes, and each kind
    /// of departure from it is named.
    #[test]
    fn the_check_refuses_what_the_document_does_not_describe() {
        let doc = &*DOCUMENT;
        let problem = headers(&[("content-type", "application/problem+json")]);
        let json = headers(&[("content-type", "application/json")]);
        let get = |status, h, body| {
            check(
                doc,
                &answer("GET", Some("/api/v1/namnder/{id}"), status, h, body),
            )
        };

        assert_eq!(get(404, &problem, PROBLEM), Ok(()));
        // An undeclared status.
        let e = get(418, &problem, PROBLEM).unwrap_err();
        assert!(e.contains("GET /api/v1/namnder/{id} answered 418"), "{e}");
        // A content type the status does not declare.
        let e = get(404, &json, PROBLEM).unwrap_err();
        assert!(
            e.contains("Content-Type application/json is not declared"),
            "{e}"
        );
        // A body that does not match: `errors` missing, `status` a string.
        let e = get(
            404,
            &problem,
            br#"{"type":"t","title":"t","status":"404","detail":"d"}"#,
        )
        .unwrap_err();
        assert!(e.contains("#/components/schemas/Problem"), "{e}");
        assert!(e.contains("\"errors\" is a required property"), "{e}");
        assert!(e.contains("at \"/status\""), "{e}");
        // A path the document does not have, and a method its path lacks.
        let e = check(
            doc,
            &answer("GET", Some("/api/v1/nothing"), 200, &json, b"{}"),
        )
        .unwrap_err();
        assert!(e.contains("not in the document"), "{e}");
        let e = check(
            doc,
            &answer("PUT", Some("/api/v1/namnder/{id}"), 405, &problem, PROBLEM),
        )
        .unwrap_err();
        assert!(e.contains("no Allow header"), "{e}");
        // No route at all: only the fallback's 404 problem.
        assert_eq!(
            check(doc, &answer("GET", None, 404, &problem, PROBLEM)),
            Ok(())
        );
        assert!(check(doc, &answer("GET", None, 200, &json, b"{}")).is_err());
    }
}
