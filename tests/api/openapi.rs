use serde_json::Value;

use crate::helpers::*;

const REGENERATE: &str = "cargo run -q -- openapi > openapi/openapi.json";

#[test]
fn committed_document_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap_or_default();
    let generated = kommunrapport::api::openapi_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date with the code; regenerate it with `{REGENERATE}`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_document_is_the_committed_one() {
    let app = spawn_app(Backend::Sqlite).await;
    let served: Value = app.client.get(app.url("/openapi.json")).returns(200).await;
    let generated: Value = serde_json::from_str(&kommunrapport::api::openapi_json()).unwrap();
    assert_eq!(served, generated);
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    let docs = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
    // Swagger UI reads the document served above.
    let init = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert!(
        init.text()
            .await
            .unwrap()
            .contains("\"url\": \"/openapi.json\"")
    );
}

/// Every operation documents its errors and has an example on every schema.
#[test]
fn every_operation_is_documented() {
    let doc: Value = serde_json::from_str(&kommunrapport::api::openapi_json()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let where_ = format!("{method} {path}");
            assert!(
                op["summary"].is_string() || op["description"].is_string(),
                "{where_} lacks a description"
            );
            if path.starts_with("/api/") {
                assert!(op["security"].is_array(), "{where_} lacks security");
                // The calendar feed takes its own secret, not a bearer token:
                // it cannot be refused for a token or a role.
                let bearer = op["security"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
                let statuses: &[&str] = if bearer {
                    &["401", "403", "404"]
                } else {
                    &["404"]
                };
                for status in statuses {
                    assert!(
                        op["responses"][*status].is_object(),
                        "{where_} lacks {status}"
                    );
                }
            }
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        let has_example = schema.get("example").is_some() || schema.get("examples").is_some();
        assert!(has_example, "schema {name} has no example");
    }
    // Every parameter has an example; an optional one where Swagger UI's
    // "Try it out" does not fill it in (see `optional_parameters_are_not_prefilled`).
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                let schema = resolved(&doc, &parameter["schema"]);
                let has_example = parameter.get("example").is_some()
                    || parameter["schema"].get("examples").is_some()
                    || schema.get("examples").is_some();
                assert!(
                    has_example,
                    "{method} {path}: parameter {} has no example",
                    parameter["name"]
                );
            }
        }
    }
    // Every reference resolves (a schema used only by a query parameter is
    // not collected by utoipa unless it is named in the components).
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap_or_default();
        assert!(schemas.contains_key(name), "dangling $ref to {name}");
    }
}

/// The schema Swagger UI reads a parameter's initial value from: a
/// reference resolved, or the first `oneOf`/`anyOf` (Swagger UI 5 merges it
/// in).
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let reference = schema["$ref"]
        .as_str()
        .or_else(|| schema["oneOf"][0]["$ref"].as_str())
        .or_else(|| schema["anyOf"][0]["$ref"].as_str());
    match reference {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

/// Every operation's parameters, as (where, parameter).
fn parameters(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                out.push((format!("{method} {path} {}", parameter["name"]), parameter));
            }
        }
    }
    out
}

/// Swagger UI 5 fills a parameter's input for "Try it out" from its
/// `examples`, its content's `example`, its `example`, its schema's
/// `example` or `default`. An optional parameter filled with an invented
/// id or filter makes Execute answer an empty list or 404: none of them
/// but a real `default` is there.
#[test]
fn optional_parameters_are_not_prefilled() {
    let doc: Value = serde_json::from_str(&kommunrapport::api::openapi_json()).unwrap();
    let mut optional = 0;
    for (where_, parameter) in parameters(&doc) {
        if parameter["required"] == true {
            assert!(
                parameter.get("example").is_some(),
                "{where_}: required without example"
            );
            continue;
        }
        optional += 1;
        for key in ["example", "examples", "content"] {
            assert!(
                parameter.get(key).is_none(),
                "{where_}: Swagger UI would prefill its {key}"
            );
        }
        let schema = resolved(&doc, &parameter["schema"]);
        for schema in [&parameter["schema"], schema] {
            assert!(
                schema.get("example").is_none(),
                "{where_}: Swagger UI would prefill its schema's example"
            );
        }
    }
    assert!(optional > 100, "{optional} optional parameters");
}

/// Swagger UI lists the tags in the order declared, then those used but
/// not declared last: every tag used is declared, and the main resources
/// come first.
#[test]
fn every_tag_used_is_declared_in_order() {
    let doc: Value = serde_json::from_str(&kommunrapport::api::openapi_json()).unwrap();
    let declared: Vec<&str> = texts(&doc["tags"], "name");
    let mut used = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let tags = op["tags"].as_array();
            assert!(
                tags.is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
            for tag in tags.into_iter().flatten() {
                let tag = tag.as_str().unwrap();
                assert!(
                    declared.contains(&tag),
                    "{method} {path} uses tag {tag}, not declared in ApiDoc's tags(...)"
                );
                used.insert(tag);
            }
        }
    }
    for tag in &declared {
        assert!(
            used.contains(tag),
            "tag {tag} is declared but no operation uses it"
        );
    }
    assert_eq!(declared[..2], ["reports", "budget-lines"]);
    assert_eq!(declared.last(), Some(&"health"));
}

/// The example Swagger UI shows for a problem answer: its own, the first
/// of its `examples` (by reference), or its schema's.
fn problem_example_of<'a>(doc: &'a Value, media: &'a Value) -> &'a Value {
    if let Some(example) = media.get("example") {
        return example;
    }
    if let Some((_, first)) = media["examples"].as_object().and_then(|e| e.iter().next()) {
        return match first["$ref"].as_str() {
            Some(r) => {
                &doc["components"]["examples"][r.trim_start_matches("#/components/examples/")]["value"]
            }
            None => &first["value"],
        };
    }
    &resolved(doc, &media["schema"])["example"]
}

/// Each problem answer shows an example of its own status, with the type
/// and title the service sends for it.
#[test]
fn every_error_shows_a_problem_of_its_status() {
    let doc: Value = serde_json::from_str(&kommunrapport::api::openapi_json()).unwrap();
    let mut titles: std::collections::HashMap<String, (Value, Value)> = Default::default();
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                let Some(media) = response["content"].get("application/problem+json") else {
                    continue;
                };
                let where_ = format!("{method} {path} {status}");
                let example = problem_example_of(&doc, media);
                assert_eq!(
                    example["status"].as_u64().map(|s| s.to_string()).as_deref(),
                    Some(status.as_str()),
                    "{where_}: the example is not a {status}"
                );
                assert!(
                    example["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("/problems/"))
                );
                assert!(example["detail"].is_string() && example["errors"].is_array());
                // One type and title per status everywhere.
                let pair = (example["type"].clone(), example["title"].clone());
                let first = titles.entry(status.clone()).or_insert_with(|| pair.clone());
                assert_eq!(*first, pair, "{where_}");
                seen += 1;
            }
        }
    }
    assert!(seen > 1000, "{seen} problem answers");
    for status in [
        "400", "401", "403", "404", "409", "412", "413", "415", "422", "428", "429", "503",
    ] {
        assert!(
            titles.contains_key(status),
            "no operation declares {status}"
        );
    }
    assert_eq!(titles["404"].1, "Not found");
    assert_eq!(titles["412"].0, "/problems/stale-version");
}
