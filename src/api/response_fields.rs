//! Every field of an answer is always present: a DTO that only answers
//! serialises each of its fields (an absent value is `null`, never a missing
//! member), so its schema lists every property as `required`. utoipa marks
//! `Option<T>` fields optional, which is right for request bodies (a client
//! may leave them out) but makes generated clients type every answered
//! figure as `?: number | null`. This pass adds `required` to the schemas
//! reached only from responses; a schema a request also uses keeps utoipa's
//! answer. `skip_serializing_if` is therefore not used on answer DTOs.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// Marks every property of the response-only schemas (and of the objects
/// nested in them) as required.
pub fn require_response_fields(doc: &mut Value) {
    let references = schema_references(doc);
    let from_responses = reachable(&roots(doc, Side::Response), &references);
    let from_requests = reachable(&roots(doc, Side::Request), &references);
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if from_responses.contains(name) && !from_requests.contains(name) {
            require_all(schema);
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Request,
    Response,
}

/// The schema names referred to directly by the operations' responses, or
/// by their request bodies and parameters.
fn roots(doc: &Value, side: Side) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return names;
    };
    let operations = paths
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| item.values());
    for operation in operations {
        let parts: Vec<&Value> = match side {
            Side::Response => operation.get("responses").into_iter().collect(),
            Side::Request => ["requestBody", "parameters"]
                .iter()
                .filter_map(|key| operation.get(*key))
                .collect(),
        };
        for part in parts {
            collect_references(part, &mut names);
        }
    }
    names
}

/// For each component schema, the component schemas it refers to.
fn schema_references(doc: &Value) -> HashMap<String, BTreeSet<String>> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, schema)| {
                    let mut names = BTreeSet::new();
                    collect_references(schema, &mut names);
                    (name.clone(), names)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn collect_references(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(SCHEMA_PREFIX))
            {
                names.insert(name.to_string());
            }
            // Examples are data, not schema.
            for (key, inner) in map {
                if key != "example" && key != "examples" {
                    collect_references(inner, names);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, names)),
        _ => {}
    }
}

fn reachable(
    roots: &BTreeSet<String>,
    references: &HashMap<String, BTreeSet<String>>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(next) = references.get(&name) {
            todo.extend(next.iter().filter(|n| !seen.contains(*n)).cloned());
        }
    }
    seen
}

/// Requires every property of an object schema and of the inline object
/// schemas inside it (list items, variants, nested objects).
fn require_all(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        // A field whose description says when it is left out ("Absent
        // when …", e.g. a row error's `index` for an error of the whole
        // file) is the one exception.
        let mut names: Vec<String> = properties
            .iter()
            .filter(|(_, p)| {
                !p.get("description")
                    .and_then(Value::as_str)
                    .is_some_and(|d| d.contains("Absent when"))
            })
            .map(|(name, _)| name.clone())
            .collect();
        names.sort();
        let names: Vec<Value> = names.into_iter().map(Value::String).collect();
        if !names.is_empty() {
            map.insert("required".to_string(), Value::Array(names));
        }
    }
    for (key, inner) in map.iter_mut() {
        match key.as_str() {
            "properties" => inner
                .as_object_mut()
                .into_iter()
                .flat_map(|p| p.values_mut())
                .for_each(require_all),
            "items" | "additionalProperties" => require_all(inner),
            "oneOf" | "anyOf" | "allOf" => inner
                .as_array_mut()
                .into_iter()
                .flatten()
                .for_each(require_all),
            _ => {}
        }
    }
}

/// Shows every field in the examples: a nullable property an example leaves
/// out is added as `null`, which is what the service answers for it, and a
/// required one that cannot be null takes its own schema's example (so a
/// report's example can show `{"id": …, "namnd": "VON"}` and still be a
/// whole report). What has neither stays missing, and Redocly's lint names
/// the example.
pub fn complete_examples(doc: &mut Value) {
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    complete_in(doc, &schemas);
}

fn complete_in(node: &mut Value, schemas: &serde_json::Map<String, Value>) {
    match node {
        Value::Object(map) => {
            let schema = if map.contains_key("schema") {
                map.get("schema").cloned()
            } else if ["type", "properties", "$ref", "items", "oneOf"]
                .iter()
                .any(|k| map.contains_key(*k))
            {
                Some(Value::Object(map.clone()))
            } else {
                None
            };
            if let (Some(schema), Some(example)) = (schema, map.get_mut("example")) {
                fill(example, &schema, schemas, 0);
            }
            for (key, inner) in map.iter_mut() {
                if key != "example" && key != "examples" {
                    complete_in(inner, schemas);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| complete_in(v, schemas)),
        _ => {}
    }
}

/// The schema behind a reference, and the non-null variant of a nullable
/// `oneOf`.
fn resolve<'a>(schema: &'a Value, schemas: &'a serde_json::Map<String, Value>) -> &'a Value {
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(SCHEMA_PREFIX))
    {
        return schemas.get(name).map_or(schema, |s| resolve(s, schemas));
    }
    if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
        let not_null: Vec<&Value> = variants.iter().filter(|v| !is_null_type(v)).collect();
        if let [only] = not_null.as_slice() {
            return resolve(only, schemas);
        }
    }
    schema
}

/// For a `oneOf` of several object shapes, the first variant that has
/// every member of the example; other schemas as they are.
fn variant_of<'a>(
    example: &Value,
    schema: &'a Value,
    schemas: &'a serde_json::Map<String, Value>,
) -> &'a Value {
    let (Some(variants), Some(members)) = (
        schema.get("oneOf").and_then(Value::as_array),
        example.as_object(),
    ) else {
        return schema;
    };
    variants
        .iter()
        .map(|v| resolve(v, schemas))
        .find(|v| {
            v.get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| members.keys().all(|k| p.contains_key(k)))
        })
        .unwrap_or(schema)
}

/// The example a schema carries itself (or its enum's first value), for a
/// required field a nested example leaves out.
fn own_example(schema: &Value, schemas: &serde_json::Map<String, Value>) -> Option<Value> {
    let schema = resolve(schema, schemas);
    schema
        .get("example")
        .or_else(|| schema.pointer("/enum/0"))
        .cloned()
}

fn is_null_type(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

fn nullable(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => schema
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|variants| variants.iter().any(is_null_type)),
    }
}

fn fill(example: &mut Value, schema: &Value, schemas: &serde_json::Map<String, Value>, depth: u8) {
    if depth > 16 {
        return;
    }
    let schema = variant_of(example, resolve(schema, schemas), schemas);
    match example {
        Value::Object(object) => {
            let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            let required = schema.get("required").and_then(Value::as_array);
            let own = schema.get("example").and_then(Value::as_object);
            for name in required.into_iter().flatten().filter_map(Value::as_str) {
                let Some(property) = properties.get(name) else {
                    continue;
                };
                if object.contains_key(name) {
                    continue;
                }
                if let Some(value) = own.and_then(|own| own.get(name)) {
                    object.insert(name.to_string(), value.clone());
                } else if nullable(property) {
                    object.insert(name.to_string(), Value::Null);
                } else if let Some(example) = own_example(property, schemas) {
                    object.insert(name.to_string(), example);
                }
            }
            for (name, value) in object.iter_mut() {
                if let Some(property) = properties.get(name) {
                    fill(value, property, schemas, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    fill(item, item_schema, schemas, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "paths": {"/x": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Input"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}}}}
            }}},
            "components": {"schemas": {
                "Input": {"type": "object", "properties": {"a": {"type": ["string", "null"]}, "shared": {"$ref": "#/components/schemas/Shared"}}},
                "Answer": {"type": "object", "required": ["id"], "properties": {
                    "id": {"type": "string"},
                    "note": {"type": ["string", "null"]},
                    "rows": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": ["number", "null"]}}}},
                    "part": {"$ref": "#/components/schemas/Part"},
                    "shared": {"$ref": "#/components/schemas/Shared"}
                }},
                "Part": {"type": "object", "properties": {"y": {"type": ["number", "null"]}}},
                "Shared": {"type": "object", "properties": {"z": {"type": ["number", "null"]}}}
            }}
        })
    }

    #[test]
    fn answers_require_every_field_and_inputs_keep_theirs() {
        let mut d = doc();
        require_response_fields(&mut d);
        let schema = |name: &str| d.pointer(&format!("/components/schemas/{name}")).cloned();
        assert_eq!(
            schema("Answer").and_then(|s| s.get("required").cloned()),
            Some(json!(["id", "note", "part", "rows", "shared"]))
        );
        assert_eq!(
            d.pointer("/components/schemas/Answer/properties/rows/items/required"),
            Some(&json!(["x"]))
        );
        assert_eq!(
            schema("Part").and_then(|s| s.get("required").cloned()),
            Some(json!(["y"]))
        );
        // Used by a request as well: left as utoipa made it.
        assert_eq!(
            schema("Shared").and_then(|s| s.get("required").cloned()),
            None
        );
        assert_eq!(
            schema("Input").and_then(|s| s.get("required").cloned()),
            None
        );
    }

    #[test]
    fn examples_show_absent_nullable_fields_as_null() {
        let mut d = json!({"components": {"schemas": {
            "Row": {"type": "object", "required": ["a", "b", "c"], "properties": {
                "a": {"type": "string"}, "b": {"type": ["number", "null"]},
                "c": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Inner"}]}}},
            "Inner": {"type": "object", "required": ["x", "y", "z"], "properties": {"x": {"type": ["number", "null"]},
                "y": {"$ref": "#/components/schemas/Kind"}, "z": {"type": "string"}}, "example": {"z": "from Inner"}},
            "Kind": {"type": "string", "enum": ["a", "b"], "example": "b"},
            "List": {"type": "array", "items": {"$ref": "#/components/schemas/Row"},
                "example": [{"a": "s", "c": {}}]}
        }}});
        complete_examples(&mut d);
        assert_eq!(
            d.pointer("/components/schemas/List/example"),
            Some(&json!([{"a": "s", "b": null, "c": {"x": null, "y": "b", "z": "from Inner"}}]))
        );
    }

    /// The passes work on the document as data and read it back; anything
    /// utoipa cannot read back would silently drop them all.
    #[test]
    fn the_document_survives_its_finishing_passes() {
        let doc = serde_json::to_value(crate::api::openapi_document()).unwrap_or_default();
        let detail = |p: &str| {
            doc.pointer(&format!("/components/schemas/ReportDetail{p}"))
                .cloned()
        };
        assert_eq!(detail("/example/assessments"), Some(Value::Null));
        assert_eq!(detail("/example/report/status"), Some(json!("godkand")));
        assert!(
            detail("/required")
                .and_then(|r| r.as_array().cloned())
                .is_some_and(|r| r.contains(&json!("changed_since_decision")))
        );
    }
}
