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
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                assert!(
                    parameter.get("example").is_some(),
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
