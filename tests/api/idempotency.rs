use kommunrapport::auth::Role;
use serde_json::json;

use crate::{both_databases, helpers::*};

async fn a_retried_create_is_answered_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let send = |key: &str, code: &str| {
        app.post(
            "/api/v1/namnder",
            &admin,
            &json!({"code": code, "name": "Socialnämnden", "kind": "namnd"}),
        )
        .header("Idempotency-Key", key)
        .send()
    };
    let first = send("retry-1", "SOCN").await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_body: serde_json::Value = first.json().await.unwrap();
    // The retry gets the same response, and no second nämnd (which would be a 422 duplicate).
    let retry = send("retry-1", "SOCN").await.unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert!(retry.headers().get("location").is_some());
    let retry_body: serde_json::Value = retry.json().await.unwrap();
    assert_eq!(retry_body, first_body);
    let (_, list) = app.get("/api/v1/namnder?code=SOCN", &admin).reply().await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // The same key for another request is refused; another caller's key space is separate.
    let p = problem(send("retry-1", "VON").await.unwrap(), 422).await;
    assert_eq!(error_fields(&p), ["Idempotency-Key"]);
    let kommunledning = app.token_in("0483", Role::Kommunledning, &[]);
    assert_eq!(
        app.post(
            "/api/v1/namnder",
            &kommunledning,
            &json!({"code": "VON", "name": "Vård- och omsorgsnämnden", "kind": "namnd"}),
        )
        .header("Idempotency-Key", "retry-1-other")
        .status()
        .await,
        201
    );
    // A failed request is not stored: after fixing it, the same key works.
    let bad = || {
        app.post(
            "/api/v1/namnder",
            &admin,
            &json!({"code": "bad code", "name": "X", "kind": "namnd"}),
        )
        .header("Idempotency-Key", "retry-2")
        .send()
    };
    assert_eq!(bad().await.unwrap().status(), 422);
    let bad_again = bad().await.unwrap();
    assert!(bad_again.headers().get("idempotent-replayed").is_none());
    problem(send(&"k".repeat(300), "KULN").await.unwrap(), 400).await;
}
both_databases!(a_retried_create_is_answered_once);
