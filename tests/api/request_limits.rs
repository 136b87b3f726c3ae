//! Requests have limits, and every write path keeps them. A text field of a
//! request body either declares `maxLength` in the OpenAPI document (its
//! column is bounded) or is one of the few unbounded texts listed here; a
//! number declares its range (`minimum`/`maximum`, or their exclusive
//! forms) unless it takes its format's whole range; a list declares its
//! `maxItems` unless only the body's size bounds it. The write walk
//! (`write_walk.rs`) sends, before each of its writes, copies of it that
//! must be refused: each limited text one character too long and each
//! bounded number just outside each of its bounds, for every such field the
//! body holds or leaves out; each bounded list it holds one item too long
//! (and empty, where it needs items); and each text it holds with a NUL (no
//! text column stores U+0000). Each must get a 422 (naming exactly that field
//! when the body held it): a check that lives only on create, or only in
//! the schema, or a reader that skips the common one, fails it; so does a
//! document that promises less than the service refuses.

use reqwest::{Client, Request};
use serde_json::Value;

use crate::helpers::body as body_of;

/// Request-body texts stored unbounded (`text` columns: markdown, comments,
/// reasons and descriptions), as `Schema.property`.
const UNBOUNDED: &[&str] = &[
    "ActionPlanInput.atgard",
    "ActionPlanInput.avvikelse",
    "ActionPlanInput.ekonomisk_effekt",
    "ActionPlanInput.verksamhetseffekt",
    "BedomningOverrideInput.reason",
    "CreateAssignment.description",
    "CreateDimensionMapping.description",
    "CreateGoal.bar_pa",
    "CreateGoal.description",
    "CreateIndicator.source",
    "IndicatorValueInput.note",
    "PutAssessment.comment",
    "PutAssignmentStatus.comment",
    "PutSection.body",
    "Reason.reason",
    "TrendOverrideInput.reason",
    "UpdateAssignment.description",
    "UpdateDimensionMapping.description",
    "UpdateGoal.bar_pa",
    "UpdateGoal.description",
    "UpdateIndicator.source",
];

/// Request-body texts the service matches against a grammar of its own
/// (event types, Kolada ids, account patterns) and refuses when they do not
/// fit, whatever their length.
const MATCHED: &[&str] = &[
    "CreateWebhook.event_types",
    "FlatRowDto.ansvar",
    "FlatRowDto.konto",
    "FlatRowDto.verksamhet",
    "FromKolada.kpis",
    "KoladaEntryDto.kpi",
    "KoladaEntryDto.municipality",
    "KoladaValueDto.gender",
    "RuleMatchDto.ansvar",
    "RuleMatchDto.konto",
    "RuleMatchDto.verksamhet",
    "UpdateWebhook.event_types",
];

/// The schema `$ref` points at, or `schema` itself.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// `schema` and, for `oneOf`/`anyOf`/`allOf`, its alternatives, resolved.
fn alternatives<'a>(doc: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let schema = resolve(doc, schema);
    let mut all = vec![schema];
    for key in ["oneOf", "anyOf", "allOf"] {
        for alternative in schema[key].as_array().into_iter().flatten() {
            all.extend(alternatives(doc, alternative));
        }
    }
    all
}

/// Whether a schema admits strings.
fn is_string(schema: &Value) -> bool {
    schema["type"] == "string"
        || schema["type"]
            .as_array()
            .is_some_and(|types| types.iter().any(|t| t == "string"))
}

/// The string schemas a property may hold: itself or its array's items.
fn texts_of<'a>(doc: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let mut texts = Vec::new();
    for alternative in alternatives(doc, schema) {
        if is_string(alternative) {
            texts.push(alternative);
        }
        if let Some(items) = alternative.get("items") {
            texts.extend(texts_of(doc, items));
        }
    }
    texts
}

/// The schema of an array's items.
fn items<'a>(doc: &'a Value, array: &'a Value) -> Option<&'a Value> {
    alternatives(doc, array)
        .into_iter()
        .find_map(|s| s.get("items"))
}

/// The `maxLength` a string schema declares.
fn max_length(doc: &Value, schema: &Value) -> Option<usize> {
    alternatives(doc, schema)
        .into_iter()
        .find_map(|s| s["maxLength"].as_u64())
        .map(|n| n as usize)
}

/// One place of a body a copy may set: where it is (as the API names
/// fields in its problems, `values[0].note`), the JSON pointer to it, its
/// schema, and its current value (`None` where the body leaves it out).
struct Slot<'a> {
    field: String,
    pointer: String,
    schema: &'a Value,
    current: Option<&'a Value>,
}

/// Every place of `body` (shaped by `schema`): each scalar and each list it
/// holds and, in each object, each property it leaves out.
fn slots<'a>(doc: &'a Value, schema: &'a Value, body: &'a Value) -> Vec<Slot<'a>> {
    let mut found = Vec::new();
    collect(doc, schema, body, "", "", &mut found);
    found
}

fn collect<'a>(
    doc: &'a Value,
    schema: &'a Value,
    value: &'a Value,
    field: &str,
    pointer: &str,
    found: &mut Vec<Slot<'a>>,
) {
    match value {
        Value::Object(members) => {
            let properties = alternatives(doc, schema)
                .into_iter()
                .filter_map(|s| s["properties"].as_object())
                .flatten();
            for (name, property_schema) in properties {
                let field = if field.is_empty() {
                    name.clone()
                } else {
                    format!("{field}.{name}")
                };
                let pointer = format!("{pointer}/{name}");
                match members.get(name) {
                    Some(member) => collect(doc, property_schema, member, &field, &pointer, found),
                    None => found.push(Slot {
                        field,
                        pointer,
                        schema: property_schema,
                        current: None,
                    }),
                }
            }
        }
        Value::Array(elements) => {
            found.push(Slot {
                field: field.to_string(),
                pointer: pointer.to_string(),
                schema,
                current: Some(value),
            });
            if let Some(item_schema) = items(doc, schema) {
                for (i, element) in elements.iter().enumerate() {
                    let field = format!("{field}[{i}]");
                    let pointer = format!("{pointer}/{i}");
                    collect(doc, item_schema, element, &field, &pointer, found);
                }
            }
        }
        scalar => found.push(Slot {
            field: field.to_string(),
            pointer: pointer.to_string(),
            schema,
            current: Some(scalar),
        }),
    }
}

/// A text one character over `limit` that is otherwise like `current`:
/// it keeps the text and repeats its last letter or digit (so a pattern
/// such as a nämnd code still fits), counting characters, not bytes.
fn one_too_long(current: Option<&str>, limit: usize) -> String {
    let current = current.unwrap_or_default();
    let filler = current
        .chars()
        .rev()
        .find(|c| c.is_alphanumeric())
        .unwrap_or('Å');
    let mut text: String = current.chars().take(limit).collect();
    while text.chars().count() <= limit {
        text.push(filler);
    }
    text
}

/// The JSON request body schema of `operation` (`METHOD /path/{param}`,
/// as the document names it), if it takes JSON.
pub fn body_schema<'a>(doc: &'a Value, operation: &str) -> Option<&'a Value> {
    let (method, path) = operation.split_once(' ')?;
    let operation = &doc["paths"][path][method.to_lowercase()];
    operation["requestBody"]["content"]["application/json"].get("schema")
}

/// One copy of a body to send: the value at `pointer` (the field `field`)
/// set to `value`.
struct Variant {
    field: String,
    pointer: String,
    value: Value,
    /// Whether the body held the field (rather than leaving it out).
    held: bool,
    /// Whether the answer may name the field's items (`values[1]`) rather
    /// than the field: a list of too many copies of its items may also
    /// repeat one.
    items_named: bool,
    /// What the copy tries, for the failure message.
    what: String,
}

/// For every limited text the body holds or leaves out, a copy with that
/// text one character over its limit.
fn over_long(doc: &Value, slots: &[Slot]) -> Vec<Variant> {
    slots
        .iter()
        .filter(|s| s.current.is_none_or(Value::is_string))
        .filter_map(|s| {
            let limit = max_length(doc, s.schema)?;
            Some(Variant {
                what: format!("{} of {} characters (limit {limit})", s.field, limit + 1),
                value: Value::String(one_too_long(s.current.and_then(Value::as_str), limit)),
                held: s.current.is_some(),
                items_named: false,
                field: s.field.clone(),
                pointer: s.pointer.clone(),
            })
        })
        .collect()
}

/// The numbers just outside the range a number schema declares: above its
/// `maximum` (or at its `exclusiveMaximum`) and below its `minimum` (or at
/// its `exclusiveMinimum`), with the bound they pass.
fn outside(doc: &Value, schema: &Value) -> Vec<(Value, String)> {
    let step = |bound: &Value, by: i64| match bound.as_i64() {
        Some(n) => Value::from(n + by),
        None => Value::from(bound.as_f64().unwrap_or_default() + by as f64),
    };
    let mut out = Vec::new();
    for s in alternatives(doc, schema) {
        for (key, by) in [
            ("maximum", 1),
            ("exclusiveMaximum", 0),
            ("minimum", -1),
            ("exclusiveMinimum", 0),
        ] {
            if let Some(bound) = s.get(key).filter(|b| b.is_number()) {
                out.push((step(bound, by), format!("{key} {bound}")));
            }
        }
    }
    out
}

/// For every bounded number the body holds or leaves out, a copy with it
/// just outside each of its bounds.
fn out_of_range(doc: &Value, slots: &[Slot]) -> Vec<Variant> {
    let mut variants = Vec::new();
    for s in slots
        .iter()
        .filter(|s| s.current.is_none_or(Value::is_number))
    {
        for (value, bound) in outside(doc, s.schema) {
            variants.push(Variant {
                what: format!("{} = {value} ({bound})", s.field),
                value,
                held: s.current.is_some(),
                items_named: false,
                field: s.field.clone(),
                pointer: s.pointer.clone(),
            });
        }
    }
    variants
}

/// For every bounded list the body holds, a copy with one item more than
/// its `maxItems` (its items repeated) and, where it needs items
/// (`minItems`), a copy without any.
fn wrong_length(doc: &Value, slots: &[Slot]) -> Vec<Variant> {
    let mut variants = Vec::new();
    for s in slots {
        let Some(Value::Array(held)) = s.current else {
            continue;
        };
        let bound = |key: &str| {
            alternatives(doc, s.schema)
                .into_iter()
                .find_map(|a| a[key].as_u64())
        };
        let mut lengths = Vec::new();
        if let Some(max) = bound("maxItems").filter(|_| !held.is_empty()) {
            let items = held.iter().cycle().take(max as usize + 1).cloned();
            lengths.push((
                Value::Array(items.collect()),
                format!("{} items (limit {max})", max + 1),
            ));
        }
        if bound("minItems").is_some_and(|min| min > 0) {
            lengths.push((Value::Array(Vec::new()), "no items".to_string()));
        }
        for (value, what) in lengths {
            variants.push(Variant {
                what: format!("{} of {what}", s.field),
                value,
                held: true,
                items_named: true,
                field: s.field.clone(),
                pointer: s.pointer.clone(),
            });
        }
    }
    variants
}

/// For every text the body holds, a copy with a NUL (U+0000) in it, which
/// no text column stores.
fn with_nul(body: &Value) -> Vec<Variant> {
    fn strings(value: &Value, field: &str, pointer: &str, out: &mut Vec<Variant>) {
        match value {
            Value::Object(members) => {
                for (name, member) in members {
                    let child = if field.is_empty() {
                        name.clone()
                    } else {
                        format!("{field}.{name}")
                    };
                    strings(member, &child, &format!("{pointer}/{name}"), out);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    strings(
                        item,
                        &format!("{field}[{i}]"),
                        &format!("{pointer}/{i}"),
                        out,
                    );
                }
            }
            Value::String(text) => out.push(Variant {
                field: field.to_string(),
                pointer: pointer.to_string(),
                value: Value::String(format!("{text}\u{0}")),
                held: true,
                items_named: false,
                what: format!("{field} holding NUL"),
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    strings(body, "", "", &mut out);
    out
}

/// Sends `request` once for every variant of its JSON body (shaped by
/// `schema`) with a value it must refuse: each limited text one character
/// too long, each bounded number just outside each bound, each text it
/// holds with a NUL. Each must be refused (a write that succeeds fails the
/// test at once); the answers that are not a 422 naming exactly that field
/// are returned. The original request is not sent.
pub async fn refuses_bad_values(
    client: &Client,
    request: &Request,
    doc: &Value,
    schema: &Value,
) -> Vec<String> {
    let Some(body) = request
        .body()
        .and_then(|b| b.as_bytes())
        .and_then(|bytes| serde_json::from_slice::<Value>(bytes).ok())
    else {
        return Vec::new();
    };
    let operation = format!("{} {}", request.method(), request.url().path());
    let mut wrong = Vec::new();
    let slots = slots(doc, schema, &body);
    let variants = over_long(doc, &slots)
        .into_iter()
        .chain(out_of_range(doc, &slots))
        .chain(wrong_length(doc, &slots))
        .chain(with_nul(&body));
    for v in variants {
        let mut variant = body.clone();
        match variant.pointer_mut(&v.pointer) {
            Some(slot) => *slot = v.value,
            None => {
                let (parent, name) = v.pointer.rsplit_once('/').unwrap();
                variant.pointer_mut(parent).unwrap()[name] = v.value;
            }
        }
        let mut probe = request.try_clone().unwrap();
        *probe.body_mut() = Some(serde_json::to_vec(&variant).unwrap().into());
        let (status, answer) = body_of(client.execute(probe).await.unwrap()).await;
        let what = format!("{operation} with {}", v.what);
        assert!(status >= 400, "{what} was accepted: {status} {answer}");
        // A field the body leaves out may exclude another one it holds (a
        // riktvärde is a value or a text): then any 422 is right.
        let named =
            names_only(&answer, &v.field) || (v.items_named && names_within(&answer, &v.field));
        if status != 422 || (v.held && !named) {
            wrong.push(format!("{what}: {status} {answer}"));
        }
    }
    wrong
}

/// Whether the problem's errors name `field` and nothing else: as the path
/// (`values[0].values[0].status`), or as an import names a row's field (its
/// `index` in the body's list and the field within the row: `rows[0].line`
/// is `{"index": 0, "field": "line"}`).
fn names_only(problem: &Value, field: &str) -> bool {
    let errors = errors_of(problem);
    let names = |e: &Value| {
        let Some(name) = e["field"].as_str() else {
            return false;
        };
        name == field
            || e["index"].as_u64().is_some_and(|i| {
                field
                    .split_once('.')
                    .is_some_and(|(row, rest)| rest == name && row.ends_with(&format!("[{i}]")))
            })
    };
    errors.len() == 1 && names(&errors[0])
}

/// Whether the problem names only `field` and its items (`values[3]…`).
fn names_within(problem: &Value, field: &str) -> bool {
    let errors = errors_of(problem);
    let inside = |e: &Value| {
        e["field"]
            .as_str()
            .is_some_and(|name| name == field || name.starts_with(&format!("{field}[")))
    };
    !errors.is_empty() && errors.iter().all(inside)
}

/// The field errors of a problem.
fn errors_of(problem: &Value) -> &[Value] {
    problem["errors"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Whether a pattern bounds a text's length: it has no unbounded
/// repetition (`*`, `+`), as `^[0-9]{4}$` or `^(19|20)[0-9]{2}-[01][0-9]$`.
fn bounded(pattern: &str) -> bool {
    !pattern.contains(['*', '+'])
}

/// Every property of every request body schema, as (`Schema.property`, its
/// schema), from the operations' JSON bodies down through references,
/// `oneOf`/`anyOf`/`allOf` and array items.
fn request_properties(doc: &Value) -> Vec<(String, &Value)> {
    // (the schema's name for the fields it finds, the schema)
    let mut schemas: Vec<(String, &Value)> = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let body = &operation["requestBody"]["content"]["application/json"];
            schemas.extend(body.get("schema").map(|s| ("(inline)".to_string(), s)));
        }
    }
    let mut properties = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    while let Some((mut name, schema)) = schemas.pop() {
        if let Some(reference) = schema["$ref"].as_str() {
            if !seen.insert(reference) {
                continue;
            }
            name = reference
                .trim_start_matches("#/components/schemas/")
                .to_string();
        }
        let schema = resolve(doc, schema);
        let parts = ["oneOf", "anyOf", "allOf"].into_iter();
        let parts = parts.flat_map(|key| schema[key].as_array().into_iter().flatten());
        for part in parts.chain(schema.get("items")) {
            schemas.push((name.clone(), part));
        }
        for (property, property_schema) in schema["properties"].as_object().into_iter().flatten() {
            properties.push((format!("{name}.{property}"), property_schema));
            schemas.push((name.clone(), property_schema));
        }
    }
    properties
}

fn openapi_document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every text property of every request body declares its `maxLength`,
/// unless it is a listed unbounded text, an enumeration, a format (date,
/// uuid) or a pattern that bounds it: a client learns each limit from the
/// document.
#[test]
fn every_request_text_declares_its_limit() {
    let doc = openapi_document();
    let unlimited: std::collections::BTreeSet<String> = request_properties(&doc)
        .into_iter()
        .filter(|(qualified, schema)| {
            let free = texts_of(&doc, schema).into_iter().any(|s| {
                s.get("maxLength").is_none()
                    && s.get("enum").is_none()
                    && s.get("format").is_none()
                    && !s["pattern"].as_str().is_some_and(bounded)
            });
            free && !UNBOUNDED.contains(&qualified.as_str())
                && !MATCHED.contains(&qualified.as_str())
        })
        .map(|(qualified, _)| qualified)
        .collect();
    assert!(
        unlimited.is_empty(),
        "request texts without maxLength (declare it, or list the field as unbounded): {unlimited:#?}"
    );
}

/// Request-body integers that take their format's whole range: a position
/// (any 32-bit integer orders rows), a kronor threshold and Kolada's counts
/// (any whole number from 0).
fn whole_range(qualified: &str) -> bool {
    qualified.ends_with(".position")
        || qualified.ends_with(".min_deviation_kr")
        || ["KoladaFile.count", "KoladaValueDto.count"].contains(&qualified)
}

/// Every number of every request body declares its range (`minimum` and
/// `maximum`, or their exclusive forms), unless it is an integer that takes
/// its format's whole range: a client learns from the document what the
/// service refuses, and the write walk sends just outside each bound.
#[test]
fn every_request_number_declares_its_range() {
    let doc = openapi_document();
    let is_number = |s: &Value| {
        let types = match &s["type"] {
            Value::Array(types) => types.clone(),
            one => vec![one.clone()],
        };
        types.iter().any(|t| t == "number" || t == "integer")
    };
    let bounded = |s: &Value, keys: [&str; 2]| keys.iter().any(|k| s[k].is_number());
    let open: std::collections::BTreeSet<String> = request_properties(&doc)
        .into_iter()
        .filter(|(qualified, schema)| {
            let numbers = alternatives(&doc, schema)
                .into_iter()
                .flat_map(|s| std::iter::once(s).chain(items(&doc, s).map(|i| resolve(&doc, i))));
            let open = numbers.filter(|s| is_number(s)).any(|s| {
                !bounded(s, ["minimum", "exclusiveMinimum"])
                    || !bounded(s, ["maximum", "exclusiveMaximum"])
            });
            open && !whole_range(qualified)
        })
        .map(|(qualified, _)| qualified)
        .collect();
    assert!(
        open.is_empty(),
        "request numbers without a declared range (declare minimum and maximum): {open:#?}"
    );
}

/// Request-body lists bounded only by the body or file size: a whole
/// table, the values of a line, and import files (read as they arrive).
const LONG_LISTS: &[&str] = &[
    "FlatDocument.rows",
    "KoladaEntryDto.values",
    "KoladaFile.values",
    "PutTable.lines",
    "PutValues.values",
    "TableLineInput.values",
];

/// Every list of every request body declares its `maxItems` unless it is
/// one of the [`LONG_LISTS`]: the write walk sends one item more.
#[test]
fn every_request_list_declares_its_length() {
    let doc = openapi_document();
    let is_array = |s: &Value| match &s["type"] {
        Value::Array(types) => types.iter().any(|t| t == "array"),
        one => one == "array",
    };
    let properties = request_properties(&doc);
    for long in LONG_LISTS {
        assert!(
            properties.iter().any(|(qualified, _)| qualified == long),
            "{long} is listed as long but is no request property"
        );
    }
    let open: std::collections::BTreeSet<String> = properties
        .into_iter()
        .filter(|(qualified, schema)| {
            let lists = alternatives(&doc, schema)
                .into_iter()
                .filter(|s| is_array(s));
            let open = lists.into_iter().any(|s| s.get("maxItems").is_none());
            open && !LONG_LISTS.contains(&qualified.as_str())
        })
        .map(|(qualified, _)| qualified)
        .collect();
    assert!(
        open.is_empty(),
        "request lists without maxItems (declare it, or list the field as long): {open:#?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_one_too_long_counts_characters_and_keeps_its_shape() {
        assert_eq!(one_too_long(Some("VON"), 5), "VONNNN");
        assert_eq!(one_too_long(None, 2), "ÅÅÅ");
        assert_eq!(one_too_long(Some("a b "), 3), "a bb");
        assert_eq!(one_too_long(Some("åäö"), 3).chars().count(), 4);
    }
}
