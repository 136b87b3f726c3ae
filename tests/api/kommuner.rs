use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

async fn an_admin_bootstraps_and_renames_its_kommun(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token(Role::Admin);
    // Before the kommun exists, lists are empty and writes say what to do.
    let list: Value = app
        .get("/api/v1/kommuner", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
    let p = problem(
        app.post(
            "/api/v1/namnder",
            &admin,
            &json!({"code": "VON", "name": "V", "kind": "namnd"}),
        )
        .send()
        .await
        .unwrap(),
        404,
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("POST /api/v1/kommuner")
    );

    problem(
        app.post(
            "/api/v1/kommuner",
            &admin,
            &json!({"code": "1882", "name": "Askersund"}),
        )
        .send()
        .await
        .unwrap(),
        403,
    )
    .await;
    let kommunledning = app.token(Role::Kommunledning);
    problem(
        app.post(
            "/api/v1/kommuner",
            &kommunledning,
            &json!({"code": "0483", "name": "K"}),
        )
        .send()
        .await
        .unwrap(),
        403,
    )
    .await;

    let (status, kommun) = body(
        app.post(
            "/api/v1/kommuner",
            &admin,
            &json!({"code": "0483", "name": "Katrineholm"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 201);
    problem(
        app.post(
            "/api/v1/kommuner",
            &admin,
            &json!({"code": "0483", "name": "Again"}),
        )
        .send()
        .await
        .unwrap(),
        422,
    )
    .await;

    let path = format!("/api/v1/kommuner/{}", id_of(&kommun));
    let p = problem(
        app.patch(&path, &admin, &json!({"code": "0484", "name": "K"}))
            .header("If-Match", "\"1\"")
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(error_fields(&p), ["code"]);
    problem(
        app.patch(&path, &kommunledning, &json!({"name": "K"}))
            .header("If-Match", "\"1\"")
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let (status, renamed) = body(
        app.patch(&path, &admin, &json!({"name": "Katrineholms kommun"}))
            .header("If-Match", "\"1\"")
            .send()
            .await
            .unwrap(),
    )
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
    let (status, read) = body(app.get(&path, &lasare).send().await.unwrap()).await;
    assert_eq!((status, read["code"].as_str()), (200, Some("0483")));
    let listed: Value = app
        .get("/api/v1/kommuner?code=0483", &lasare)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}
both_databases!(an_admin_bootstraps_and_renames_its_kommun);

async fn kommun_input_is_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token(Role::Admin);
    let p = problem(
        app.post(
            "/api/v1/kommuner",
            &admin,
            &json!({"code": "0483", "name": " "}),
        )
        .send()
        .await
        .unwrap(),
        422,
    )
    .await;
    assert_eq!(error_fields(&p), ["name"]);
    let p = problem(
        app.post(
            "/api/v1/kommuner",
            &admin,
            &json!({"code": "483", "name": "X"}),
        )
        .send()
        .await
        .unwrap(),
        422,
    )
    .await;
    assert_eq!(error_fields(&p), ["code"]);
    // A valid code other than the token's kommun is refused.
    problem(
        app.post(
            "/api/v1/kommuner",
            &admin,
            &json!({"code": "1882", "name": "X"}),
        )
        .send()
        .await
        .unwrap(),
        403,
    )
    .await;
    let list: Value = app
        .get("/api/v1/kommuner", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
}
both_databases!(kommun_input_is_validated);
