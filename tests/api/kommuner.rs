use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

async fn an_admin_bootstraps_and_renames_its_kommun(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token(Role::Admin);
    // Before the kommun exists, lists are empty and writes say what to do.
    let list: Value = app.get("/api/v1/kommuner", &admin).returns(200).await;
    assert_eq!(list["items"], json!([]));
    let p = app
        .post(
            "/api/v1/namnder",
            &admin,
            &json!({"code": "VON", "name": "V", "kind": "namnd"}),
        )
        .problem(404)
        .await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("POST /api/v1/kommuner")
    );

    app.post(
        "/api/v1/kommuner",
        &admin,
        &json!({"code": "1882", "name": "Askersund"}),
    )
    .problem(403)
    .await;
    let kommunledning = app.token(Role::Kommunledning);
    app.post(
        "/api/v1/kommuner",
        &kommunledning,
        &json!({"code": "0483", "name": "K"}),
    )
    .problem(403)
    .await;

    let kommun = app
        .post(
            "/api/v1/kommuner",
            &admin,
            &json!({"code": "0483", "name": "Katrineholm"}),
        )
        .returns(201)
        .await;
    app.post(
        "/api/v1/kommuner",
        &admin,
        &json!({"code": "0483", "name": "Again"}),
    )
    .problem(409)
    .await;

    let path = format!("/api/v1/kommuner/{}", id_of(&kommun));
    app.patch(&path, &admin, &json!({"code": "0484", "name": "K"}))
        .if_match(1)
        .invalid(&["code"])
        .await;
    app.patch(&path, &kommunledning, &json!({"name": "K"}))
        .if_match(1)
        .problem(403)
        .await;
    let (status, renamed) = app
        .patch(&path, &admin, &json!({"name": "Katrineholms kommun"}))
        .if_match(1)
        .reply()
        .await;
    assert_eq!(
        (
            status,
            renamed["name"].as_str(),
            renamed["version"].as_i64()
        ),
        (200, Some("Katrineholms kommun"), Some(2))
    );

    let lasare = app.token(Role::Lasare);
    let (status, read) = app.get(&path, &lasare).reply().await;
    assert_eq!((status, read["code"].as_str()), (200, Some("0483")));
    let listed: Value = app
        .get("/api/v1/kommuner?code=0483", &lasare)
        .returns(200)
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}
both_databases!(an_admin_bootstraps_and_renames_its_kommun);

async fn kommun_input_is_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token(Role::Admin);
    app.post(
        "/api/v1/kommuner",
        &admin,
        &json!({"code": "0483", "name": " "}),
    )
    .invalid(&["name"])
    .await;
    app.post(
        "/api/v1/kommuner",
        &admin,
        &json!({"code": "483", "name": "X"}),
    )
    .invalid(&["code"])
    .await;
    // A valid code other than the token's kommun is refused.
    app.post(
        "/api/v1/kommuner",
        &admin,
        &json!({"code": "1882", "name": "X"}),
    )
    .problem(403)
    .await;
    let list: Value = app.get("/api/v1/kommuner", &admin).returns(200).await;
    assert_eq!(list["items"], json!([]));
}
both_databases!(kommun_input_is_validated);
