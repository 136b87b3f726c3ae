use crate::{both_databases, helpers::*};

async fn live_and_ready(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/health/live", "/health/ready"] {
        let (status, body) = app.client.get(app.url(path)).reply().await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("ok")),
            "{path}"
        );
    }
}
both_databases!(live_and_ready);

async fn request_id_is_echoed_or_generated(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("X-Request-Id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    let response = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    let generated = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");
    // An id with characters that could forge log lines is replaced.
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("X-Request-Id", "evil id\"")
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "evil id\"");
}
both_databases!(request_id_is_echoed_or_generated);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database_without_restart() {
    let proxy = ToggleProxy::start("127.0.0.1:5432".into()).await;
    let app = spawn_with(Backend::Postgres, |s| {
        s.database_url =
            s.database_url
                .replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port), 1)
    })
    .await;
    let ready = || async { app.client.get(app.url("/health/ready")).status().await };
    assert_eq!(ready().await, 200);

    proxy.cut();
    assert_eq!(ready().await, 503);
    // An API call while the database is away is a 503 problem, not a hang or a 500.
    let token = app.token(kommunrapport::auth::Role::Admin);
    app.get("/api/v1/namnder", &token).problem(503).await;

    proxy.restore();
    let mut status = 0;
    for _ in 0..20 {
        status = ready().await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(status, 200, "ready again once the database is back");
}

async fn unknown_routes_are_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    app.client
        .get(app.url("/api/v1/nothing-here"))
        .problem(404)
        .await;
}
both_databases!(unknown_routes_are_problems);
