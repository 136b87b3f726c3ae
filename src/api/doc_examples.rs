//! Examples as Swagger UI shows and uses them (issue 17).
//!
//! - **Optional parameters are not prefilled.** Swagger UI 5 fills a
//!   parameter's input for "Try it out" from, in this order, the selected
//!   member of its `examples`, its content's `example`, its `example`, its
//!   schema's `example` (after resolving `$ref` and merging the first
//!   `oneOf`/`anyOf`) and its schema's `default`; JSON Schema's `examples`
//!   array is never used, and no option or `x-` extension turns the
//!   prefilling off. An invented id or filter in an optional parameter makes
//!   Execute answer an empty list or 404, so an optional parameter keeps its
//!   example (the conventions promise one everywhere) in the form Swagger UI
//!   does not prefill: in its schema's `examples` (or, for a schema that is a
//!   reference, in the referenced schema's `examples`), and in its
//!   description, where a reader sees it (Swagger UI shows a parameter's
//!   `example`, not its schema's `examples`). A required parameter keeps
//!   its `example`: it cannot be left out, so Execute needs a value anyway,
//!   and the prefilled one shows its form.
//! - **Every error status shows its own problem.** Each
//!   `application/problem+json` answer refers to the example of its status
//!   in `components/examples` (`Problem404`), made by the service's own
//!   [`ApiError`] for that status, so its `type`, `title` and `status` are
//!   those the service sends (the `Problem` schema's example is a 422).

use crate::error::ServiceError;
use serde_json::{Value, json};

use crate::error::{ApiError, FieldError};

/// Every parameter of every operation of the document.
pub(super) fn parameters_mut(
    doc: &mut serde_json::Value,
) -> impl Iterator<Item = &mut serde_json::Value> {
    doc.get_mut("paths")
        .and_then(|p| p.as_object_mut())
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("parameters"))
        .filter_map(|list| list.as_array_mut())
        .flatten()
}

/// Moves the example of every optional parameter where Swagger UI does not
/// prefill it (see the module).
pub(super) fn optional_parameters_unfilled(doc: &mut Value) {
    let mut referenced = Vec::new();
    for parameter in parameters_mut(doc) {
        if parameter.get("required").and_then(|r| r.as_bool()) == Some(true) {
            continue;
        }
        let Some(object) = parameter.as_object_mut() else {
            continue;
        };
        let Some(example) = object.remove("example") else {
            continue;
        };
        if let Some(shown) = shown(&example) {
            let line = format!("Example: `{shown}`.");
            match object.get_mut("description") {
                Some(Value::String(text)) if !text.contains(&line) => {
                    text.push_str("\n\n");
                    text.push_str(&line);
                }
                Some(_) => {}
                None => {
                    object.insert("description".into(), line.into());
                }
            }
        }
        let Some(schema) = object.get_mut("schema").and_then(|s| s.as_object_mut()) else {
            continue;
        };
        match prefilling_reference(schema) {
            Some(reference) => referenced.push(reference),
            None => {
                schema.entry("examples").or_insert_with(|| json!([example]));
            }
        }
    }
    // A referenced schema's `example` would be prefilled in its place.
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    else {
        return;
    };
    for reference in referenced {
        let name = reference.trim_start_matches("#/components/schemas/");
        if let Some(schema) = schemas.get_mut(name).and_then(|s| s.as_object_mut())
            && let Some(example) = schema.remove("example")
        {
            schema.entry("examples").or_insert_with(|| json!([example]));
        }
    }
}

/// The reference whose schema Swagger UI reads a parameter's initial value
/// from: the schema's own `$ref`, or that of its first `oneOf`/`anyOf`.
fn prefilling_reference(schema: &serde_json::Map<String, Value>) -> Option<String> {
    let reference = |s: &Value| s.as_str().map(String::from);
    schema.get("$ref").and_then(reference).or_else(|| {
        ["oneOf", "anyOf"]
            .iter()
            .find_map(|key| schema.get(*key)?.get(0)?.get("$ref").and_then(reference))
    })
}

/// An example as a query string or header spells it (`a,b` for a list);
/// none for the empty string.
fn shown(example: &Value) -> Option<String> {
    let text = match example {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), String::from))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

/// The problem the service answers with `status`, as an example.
fn problem_example(status: u16) -> Option<Value> {
    let error = match status {
        400 => ApiError::BadQuery(crate::error::FieldError::new(
            "year",
            "invalid digit found in string",
        )),
        401 => ApiError::Unauthorized(crate::auth::token::REFUSED.into()),
        403 => ApiError::Service(ServiceError::Forbidden(
            "role revisor may not update this resource".into(),
        )),
        404 => ApiError::not_found("the resource 019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182"),
        405 => ApiError::MethodNotAllowed {
            allow: "GET, POST".into(),
        },
        406 => ApiError::NotAcceptable(
            "this operation answers application/json or text/csv; Accept: application/xml".into(),
        ),
        409 => ApiError::Service(ServiceError::Taken(FieldError::new(
            "code",
            "another nämnd of this kommun already has this code",
        ))),
        412 => ApiError::Service(ServiceError::PreconditionFailed(
            "the resource has changed (now version 4); read it again and retry".into(),
        )),
        413 => ApiError::PayloadTooLarge("the request body is larger than 262144 bytes".into()),
        415 => ApiError::UnsupportedMediaType("send the body as application/json".into()),
        422 => ApiError::validation("code", "must be 1–20 characters: A–Z, 0–9, / and -"),
        428 => ApiError::PreconditionRequired(
            "send If-Match with the ETag you read, so no one else's change is overwritten".into(),
        ),
        429 => ApiError::TooManyRequests {
            retry_after_secs: 12,
        },
        500 => ApiError::Service(ServiceError::Unexpected("example".into())),
        502 => ApiError::Service(ServiceError::BadGateway(
            "the Kolada server answered 500 Internal Server Error; nothing was imported".into(),
        )),
        503 => ApiError::Service(ServiceError::Unavailable("example".into())),
        504 => ApiError::Service(ServiceError::GatewayTimeout(
            "the Kolada server did not answer within 30 s; nothing was imported".into(),
        )),
        _ => return None,
    };
    serde_json::to_value(error.problem()).ok()
}

/// Gives every problem answer of every operation the example of its status,
/// the service's own problem for it, by reference to one example per status
/// in `components/examples` (`Problem404`). An answer with a schema of its
/// own (an import's row errors) shows that schema's example.
pub(super) fn problem_examples(doc: &mut Value) {
    let mut used = std::collections::BTreeMap::new();
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        let responses = paths
            .values_mut()
            .filter_map(|item| item.as_object_mut())
            .flat_map(|item| item.values_mut())
            .filter_map(|operation| operation.get_mut("responses"))
            .filter_map(|r| r.as_object_mut())
            .flat_map(|r| r.iter_mut());
        for (status, response) in responses {
            let Some(media) = response
                .pointer_mut("/content/application~1problem+json")
                .and_then(|m| m.as_object_mut())
            else {
                continue;
            };
            let of_problem = media
                .get("schema")
                .and_then(|s| s.get("$ref"))
                .is_some_and(|r| r == "#/components/schemas/Problem");
            let has_own = media.contains_key("example") || media.contains_key("examples");
            let Some(example) = status.parse().ok().and_then(problem_example) else {
                continue;
            };
            if !of_problem || has_own {
                continue;
            }
            let name = format!("Problem{status}");
            let key = example["type"]
                .as_str()
                .and_then(|t| t.strip_prefix("/problems/"))
                .unwrap_or("problem")
                .to_string();
            media.insert(
                "examples".into(),
                json!({ key: {"$ref": format!("#/components/examples/{name}")} }),
            );
            used.insert(name, example);
        }
    }
    let Some(components) = doc.get_mut("components").and_then(|c| c.as_object_mut()) else {
        return;
    };
    let examples = components.entry("examples").or_insert_with(|| json!({}));
    if let Some(examples) = examples.as_object_mut() {
        for (name, problem) in used {
            let summary = format!(
                "{} {}",
                problem["status"],
                problem["title"].as_str().unwrap_or_default()
            );
            examples.insert(name, json!({"summary": summary, "value": problem}));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_has_a_problem_of_its_own() {
        for status in [
            400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 428, 429, 500, 502, 503, 504,
        ] {
            let example = problem_example(status).expect("an example");
            assert_eq!(example["status"], status, "{example}");
            assert!(
                example["type"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("/problems/"))
            );
            assert!(example["title"].is_string() && example["detail"].is_string());
            assert!(example["errors"].is_array());
        }
        assert_eq!(problem_example(422).unwrap()["errors"][0]["field"], "code");
    }

    #[test]
    fn an_optional_parameter_keeps_its_example_where_it_is_not_prefilled() {
        let mut doc = json!({
            "paths": {"/x": {"get": {"parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}, "example": "a"},
                {"name": "code", "in": "query", "required": false, "schema": {"type": "string"}, "example": "VON"},
                {"name": "unit", "in": "query", "description": "Unit.", "schema": {"$ref": "#/components/schemas/Unit"}, "example": "tkr"},
                {"name": "include", "in": "query", "schema": {"type": "array"}, "example": ["a", "b"]},
            ]}}},
            "components": {"schemas": {"Unit": {"type": "string", "enum": ["kr", "tkr"], "example": "tkr"}}}
        });
        optional_parameters_unfilled(&mut doc);
        let parameters = &doc["paths"]["/x"]["get"]["parameters"];
        assert_eq!(parameters[0]["example"], "a");
        assert!(parameters[1].get("example").is_none());
        assert_eq!(parameters[1]["schema"]["examples"], json!(["VON"]));
        assert_eq!(parameters[1]["description"], "Example: `VON`.");
        assert_eq!(parameters[2]["description"], "Unit.\n\nExample: `tkr`.");
        assert!(parameters[2]["schema"].get("examples").is_none());
        let unit = &doc["components"]["schemas"]["Unit"];
        assert!(unit.get("example").is_none());
        assert_eq!(unit["examples"], json!(["tkr"]));
        assert_eq!(parameters[3]["description"], "Example: `a,b`.");
    }
}
