//! Dimension mappings: versioned CRUD with validated rules, and flat imports
//! whose rows carry ledger codes (ansvar, verksamhet, konto) mapped to
//! Katrineholm's VON lines and summed.

use kommunrapport::auth::Role;
use reqwest::RequestBuilder;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

/// Ansvar 11x is VON; verksamhet 510 äldreomsorg, 52x funktionsstöd, the
/// rest förvaltningsgemensamt.
pub fn von_rules() -> Value {
    json!([
        {"match": {"ansvar": "11*", "verksamhet": "510"}, "target": {"namnd": "VON", "line": "aldreomsorg"}},
        {"match": {"ansvar": "11*", "verksamhet": "52*"}, "target": {"namnd": "VON", "line": "funktionsstod"}},
        {"match": {"ansvar": "11*"}, "target": {"namnd": "VON", "line": "forvaltningsgemensamt"}}
    ])
}

fn create(app: &TestApp, token: &str, mapping: &Value) -> RequestBuilder {
    app.post("/api/v1/dimension-mappings", token, mapping)
}

/// Creates the VON mapping as kommunledning; returns its id.
pub async fn create_von_mapping(app: &TestApp) -> String {
    let token = app.token(Role::Kommunledning);
    let mapping = json!({"name": "Raindance", "rules": von_rules()});
    let created = create(app, &token, &mapping).returns(201).await;
    id_of(&created)
}

/// The values of VON's lines in `year`, as (line, measure, month, amount),
/// in that order.
pub async fn von_values(app: &TestApp, year: i32) -> Vec<(String, String, String, Value)> {
    let token = app.token(Role::Admin);
    let doc = app
        .get(
            &format!("/api/v1/exports/flat?namnd=VON&year={year}"),
            &token,
        )
        .returns(200)
        .await;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut values: Vec<_> = array(&doc["rows"])
        .iter()
        .map(|r| {
            (
                text(&r["line"]),
                text(&r["measure"]),
                text(&r["month"]),
                r["amount"].clone(),
            )
        })
        .collect();
    values.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
    values
}

fn value(line: &str, measure: &str, month: &str, amount: Value) -> (String, String, String, Value) {
    (line.into(), measure.into(), month.into(), amount)
}

async fn mappings_are_versioned_validated_and_audited(backend: Backend) {
    let app = demo_app(backend).await;
    let token = app.token(Role::Kommunledning);
    let mapping = json!({"name": "Raindance", "description": "Ekonomisystemet",
        "sie_dimensions": {"ansvar": 1, "verksamhet": 20}, "rules": von_rules()});
    let response = create(&app, &token, &mapping).send().await.unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let (status, created) = body(response).await;
    assert_eq!(status, 201, "{created}");
    let id = id_of(&created);
    assert!(location.ends_with(&id));
    assert_eq!(created["rules"], von_rules());
    assert_eq!(
        created["sie_dimensions"],
        json!({"ansvar": 1, "verksamhet": 20})
    );
    let path = format!("/api/v1/dimension-mappings/{id}");

    // Integrations and revisorer read; redaktörer do not; only planners write.
    for role in [Role::Integration, Role::Revisor] {
        let (status, got) = app.get(&path, &app.token(role)).reply().await;
        assert_eq!((status, got["name"].clone()), (200, json!("Raindance")));
    }
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    app.get(&path, &redaktor).problem(403).await;
    let integration = app.token(Role::Integration);
    let other = json!({"name": "X", "rules": von_rules()});
    create(&app, &integration, &other).problem(403).await;
    let (_, list) = app.get("/api/v1/dimension-mappings", &token).reply().await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // Invalid rules name their fields.
    let bad = json!({"name": "Bad", "rules": [
        {"match": {"ansvar": "1*1"}, "target": {"namnd": "VON", "line": "aldreomsorg"}},
        {"match": {}, "target": {"namnd": "VON", "line": "aldreomsorg"}},
        {"match": {"konto": "3000-3999"}, "target": {"namnd": "XYZ", "line": "aldreomsorg"}},
        {"match": {"konto": "4000-4999"}, "target": {"namnd": "VON", "line": "finns_inte"}}
    ]});
    let p = create(&app, &token, &bad).problem(422).await;
    assert_eq!(
        error_fields(&p),
        ["rules[0].match.ansvar", "rules[1].match"],
        "{p}"
    );
    let bad = json!({"name": "Bad", "rules": [bad["rules"][2], bad["rules"][3]]});
    let p = create(&app, &token, &bad).problem(422).await;
    assert_eq!(
        error_fields(&p),
        ["rules[0].target.namnd", "rules[1].target.line"],
        "{p}"
    );
    let duplicate = json!({"name": "Raindance", "rules": von_rules()});
    let p = create(&app, &token, &duplicate).problem(409).await;
    assert_eq!(error_fields(&p), ["name"]);

    // Updates need the current ETag.
    let change = json!({"rules": [von_rules()[2]], "description": null});
    app.patch(&path, &token, &change).problem(428).await;
    app.patch(&path, &token, &change)
        .header("if-match", "\"7\"")
        .problem(412)
        .await;
    let changed = app
        .patch(&path, &token, &change)
        .header("if-match", "\"1\"")
        .returns(200)
        .await;
    assert_eq!(
        (
            changed["version"].clone(),
            changed["rules"].clone(),
            changed["description"].clone()
        ),
        (json!(2), json!([von_rules()[2]]), Value::Null)
    );

    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?resource_type=dimension_mapping&resource_id={id}"),
            &app.token(Role::Admin),
        )
        .reply()
        .await;
    let actions: Vec<&str> = array(&audit["items"])
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"create") && actions.contains(&"update"),
        "{audit}"
    );

    app.delete(&path, &token).problem(428).await;
    assert_eq!(
        app.delete(&path, &token)
            .header("if-match", "\"2\"")
            .status()
            .await,
        204
    );
    app.get(&path, &token).problem(404).await;
    // Another kommun never sees it.
    let other = app.token_in("1882", Role::Admin, &[]);
    let (_, list) = app.get("/api/v1/dimension-mappings", &other).reply().await;
    assert_eq!(list["items"], json!([]));
}
both_databases!(mappings_are_versioned_validated_and_audited);

fn post_mapped_csv(app: &TestApp, query: &str, file: &str) -> RequestBuilder {
    app.upload(
        &format!("/api/v1/imports/flat{query}"),
        &app.token(Role::Integration),
        "text/csv",
        file.to_string(),
    )
}

async fn flat_rows_with_ledger_codes_are_mapped_and_summed(backend: Backend) {
    let app = demo_app(backend).await;
    let mapping = create_von_mapping(&app).await;
    let file = "ansvar;verksamhet;konto;month;measure;amount\r\n\
        110;510;4010;2025-03;utfall;-100,50\r\n\
        111;510;4020;2025-03;utfall;-200\r\n\
        110;520;4010;2025-03;utfall;-300\r\n\
        999;510;4010;2025-03;utfall;-1\r\n";

    let (status, dry) = post_mapped_csv(&app, &format!("?mapping_id={mapping}&dry_run=true"), file)
        .reply()
        .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["errors"].as_array().unwrap().len(), 1, "{dry}");
    assert_eq!(
        (
            dry["errors"][0]["line_number"].clone(),
            dry["errors"][0]["field"].clone()
        ),
        (json!(5), json!("ansvar"))
    );
    assert!(
        dry["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ansvar 999, verksamhet 510, konto 4010")
    );
    let p = post_mapped_csv(&app, &format!("?mapping_id={mapping}"), file)
        .problem(422)
        .await;
    assert_eq!(p["errors"][0]["line_number"], 5);
    assert!(von_values(&app, 2025).await.is_empty(), "nothing applied");

    let file = file.rsplit_once("999;").unwrap().0;
    let (status, report) = post_mapped_csv(&app, &format!("?mapping_id={mapping}"), file)
        .reply()
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["values_changed"].clone(), report["rows"].clone()),
        (json!(2), json!(3))
    );
    assert_eq!(
        von_values(&app, 2025).await,
        [
            value("aldreomsorg", "utfall", "2025-03", json!(-300.5)),
            value("funktionsstod", "utfall", "2025-03", json!(-300)),
        ]
    );
    let (_, again) = post_mapped_csv(&app, &format!("?mapping_id={mapping}"), file)
        .reply()
        .await;
    assert_eq!(
        (again["values_changed"].clone(), again["unchanged"].clone()),
        (json!(0), json!(2)),
        "{again}"
    );

    // JSON rows with codes; a row that names its nämnd too is refused.
    let doc = json!({"rows": [
        {"ansvar": "110", "verksamhet": "599", "measure": "budget", "month": "2025-03", "amount": -5},
        {"namnd": "VON", "ansvar": "110", "measure": "budget", "month": "2025-03", "amount": -5}
    ]});
    let integration = app.token(Role::Integration);
    let url = format!("/api/v1/imports/flat?mapping_id={mapping}");
    let p = app.post(&url, &integration, &doc).problem(422).await;
    assert_eq!(
        (p["errors"][0]["index"].clone(), error_fields(&p)),
        (json!(1), vec!["namnd".to_string()])
    );
    let doc = json!({"rows": [doc["rows"][0]]});
    let report = app.post(&url, &integration, &doc).returns(200).await;
    assert_eq!(report["changes"][0]["line"], "forvaltningsgemensamt");

    // A mapping of no one's: 422 on the parameter.
    post_mapped_csv(
        &app,
        "?mapping_id=019ad9a0-6c1e-7f3a-8b2d-4e5f60718293",
        file,
    )
    .invalid(&["mapping_id"])
    .await;
}
both_databases!(flat_rows_with_ledger_codes_are_mapped_and_summed);
