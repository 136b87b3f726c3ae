use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

async fn periods_derive_dates_and_labels(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let cases = [
        (
            json!({"kind": "manad", "year": 2023, "number": 3}),
            "2023-03-01",
            "2023-03-31",
            "Mars 2023",
        ),
        (
            json!({"kind": "tertial", "year": 2024, "number": 2}),
            "2024-05-01",
            "2024-08-31",
            "Tertial 2 2024",
        ),
        (
            json!({"kind": "delar", "year": 2024}),
            "2024-01-01",
            "2024-08-31",
            "Delår 2024",
        ),
        (
            json!({"kind": "halvar", "year": 2024, "number": 1}),
            "2024-01-01",
            "2024-06-30",
            "Halvår 1 2024",
        ),
        (
            json!({"kind": "helar", "year": 2024}),
            "2024-01-01",
            "2024-12-31",
            "Helår 2024",
        ),
        (
            json!({"kind": "manad", "year": 2024, "number": 2}),
            "2024-02-01",
            "2024-02-29",
            "Februari 2024",
        ),
    ];
    for (input, start, end, label) in cases {
        let period = app
            .post("/api/v1/periods", &admin, &input)
            .returns(201)
            .await;
        assert_eq!(
            (
                period["start_date"].as_str(),
                period["end_date"].as_str(),
                period["label"].as_str()
            ),
            (Some(start), Some(end), Some(label))
        );
    }
    let list: Value = app
        .get("/api/v1/periods?year=2024&kind=delar", &admin)
        .returns(200)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["number"], Value::Null);
    let all: Value = app
        .get("/api/v1/periods?year=2024", &admin)
        .returns(200)
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
}
both_databases!(periods_derive_dates_and_labels);

async fn invalid_periods_name_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let cases = [
        (json!({"kind": "manad", "year": 2024}), "number"),
        (
            json!({"kind": "manad", "year": 2024, "number": 13}),
            "number",
        ),
        (
            json!({"kind": "helar", "year": 2024, "number": 1}),
            "number",
        ),
        (json!({"kind": "helar", "year": 99999}), "year"),
        (json!({"kind": "kvartal", "year": 2024}), "kind"),
        (json!({"kind": "helar", "year": "2024x"}), "year"),
        (
            json!({"kind": "helar", "year": 2024, "label": "Helår"}),
            "label",
        ),
    ];
    for (input, field) in cases {
        let p = app
            .post("/api/v1/periods", &admin, &input)
            .problem(422)
            .await;
        assert_eq!(error_fields(&p), [field], "{input}");
    }
    app.post(
        "/api/v1/periods",
        &admin,
        &json!({"kind": "helar", "year": 2024}),
    )
    .send()
    .await
    .unwrap();
    app.post(
        "/api/v1/periods",
        &admin,
        &json!({"kind": "helar", "year": 2024}),
    )
    .problem(409)
    .await;
}
both_databases!(invalid_periods_name_the_field);

async fn periods_are_deleted_with_if_match(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let (_, period) = app
        .post(
            "/api/v1/periods",
            &admin,
            &json!({"kind": "helar", "year": 2025}),
        )
        .reply()
        .await;
    let path = format!("/api/v1/periods/{}", id_of(&period));
    let lasare = app.token(kommunrapport::auth::Role::Lasare);
    app.delete(&path, &lasare).if_match(1).problem(403).await;
    assert_eq!(app.delete(&path, &admin).if_match(1).status().await, 204);
    app.get(&path, &admin).problem(404).await;
}
both_databases!(periods_are_deleted_with_if_match);
