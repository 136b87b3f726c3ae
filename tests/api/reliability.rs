//! Reliability: concurrent duplicates, authorisation before input, and
//! the small contract fixes of issue 18, on both databases.

use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

/// Sends the same request with the same `Idempotency-Key` from 20 tasks at
/// once and returns every status and body.
async fn twenty_at_once(app: &TestApp, token: &str, path: &str, body: Value) -> Vec<(u16, Value)> {
    let key = format!("burst-{}", uuid::Uuid::now_v7());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = app
            .post(path, token, &body)
            .header("Idempotency-Key", key.as_str());
        tasks.spawn(async move {
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, body)
        });
    }
    tasks.join_all().await
}

/// Every answer is the first's (replayed) or a 409 while it ran.
fn one_answer(path: &str, answers: &[(u16, Value)]) -> Value {
    let still_running = |(s, b): &&(u16, Value)| {
        *s == 409
            && b["detail"]
                .as_str()
                .is_some_and(|d| d.contains("Idempotency-Key"))
    };
    let successes: Vec<&(u16, Value)> = answers.iter().filter(|a| !still_running(a)).collect();
    assert!(!successes.is_empty(), "{path}: {answers:?}");
    let (status, first) = successes[0];
    assert!((200..300).contains(status), "{path}: {answers:?}");
    for (s, b) in &successes {
        assert_eq!(
            (s, b),
            (status, first),
            "{path}: not one answer: {answers:?}"
        );
    }
    first.clone()
}

async fn count(app: &TestApp, token: &str, path: &str) -> usize {
    let page = app.get(path, token).returns(200).await;
    page["items"].as_array().map(Vec::len).unwrap_or(0)
}

async fn concurrent_first_attempts_run_once(backend: Backend) {
    let app = demo_app(backend).await;
    let admin = app.token(Role::Admin);
    let report = app
        .id_of("/api/v1/reports?namnd=VON&status=utkast", &admin)
        .await;
    let plans = format!("/api/v1/reports/{report}/action-plans");
    let before = count(&app, &admin, &format!("{plans}?limit=500")).await;
    let answers = twenty_at_once(
        &app,
        &admin,
        &plans,
        json!({"avvikelse": "Underskott hemtjänst", "atgard": "Översyn av planeringen"}),
    )
    .await;
    one_answer(&plans, &answers);
    assert_eq!(
        count(&app, &admin, &format!("{plans}?limit=500")).await,
        before + 1
    );

    let area = app.id_of("/api/v1/goal-areas", &admin).await;
    let namnd = app.id_of("/api/v1/namnder?code=VON", &admin).await;
    let before = count(&app, &admin, "/api/v1/assignments?limit=500").await;
    let answers = twenty_at_once(
        &app,
        &admin,
        "/api/v1/assignments",
        json!({"goal_area_id": area, "title": "Utveckla boendekedjan", "huvudansvar": namnd,
               "plan": "Kommunplan 2023-2026"}),
    )
    .await;
    one_answer("/api/v1/assignments", &answers);
    assert_eq!(
        count(&app, &admin, "/api/v1/assignments?limit=500").await,
        before + 1
    );

    let answers = twenty_at_once(
        &app,
        &admin,
        "/api/v1/namnder",
        json!({"code": "FZ1", "name": "Fuzznämnden", "kind": "namnd"}),
    )
    .await;
    assert_eq!(one_answer("/api/v1/namnder", &answers)["code"], "FZ1");

    let rows = json!({"rows": [
        {"namnd": "VON", "line": "burst", "name": "Burst", "measure": "utfall", "month": "2024-03", "amount": 7}
    ]});
    let answers = twenty_at_once(&app, &admin, "/api/v1/imports/flat", rows).await;
    let report = one_answer("/api/v1/imports/flat", &answers);
    assert_eq!(report["values_changed"], 1, "{report}");
}
both_databases!(concurrent_first_attempts_run_once);

/// A reservation whose request never answered (the process died) does not
/// hold its key for ever: once expired, the key runs the request again.
async fn a_crashed_first_attempt_expires(backend: Backend) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let claims = app.tokens.validate(&admin).await.expect("claims");
    let stale = kommunrapport::entity::idempotency_key::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        scope: Set(format!("{}:{}", claims.kommun, claims.sub)),
        key: Set("crashed".into()),
        request_hash: Set("0".repeat(64)),
        status: Set(0),
        content_type: Set(None),
        location: Set(None),
        etag: Set(None),
        body: Set(String::new()),
        created_at: Set(chrono::Utc::now() - chrono::TimeDelta::hours(1)),
    };
    stale
        .insert(&app.db().await)
        .await
        .expect("stale reservation");
    let send = |key: &'static str| {
        app.post(
            "/api/v1/namnder",
            &admin,
            &json!({"code": "SOCN", "name": "Socialnämnden", "kind": "namnd"}),
        )
        .header("Idempotency-Key", key)
        .send()
    };
    // Another request's key that is stale: refused as another request...
    problem(send("crashed").await.unwrap(), 422).await;
    // ...but a stale reservation of the same request is taken over.
    let db = app.db().await;
    {
        use kommunrapport::entity::idempotency_key::{Column, Entity};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        // The same request's fingerprint, as if its first attempt had died.
        let response = send("fresh").await.unwrap();
        assert_eq!(response.status(), 201);
        let row = Entity::find()
            .filter(Column::Key.eq("fresh"))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        Entity::update_many()
            .col_expr(Column::Key, Expr::value("crashed2"))
            .col_expr(Column::Status, Expr::value(0))
            .col_expr(
                Column::CreatedAt,
                Expr::value(chrono::Utc::now() - chrono::TimeDelta::hours(1)),
            )
            .filter(Column::Id.eq(row.id))
            .exec(&db)
            .await
            .unwrap();
    }
    // The nämnd exists now, so running the request again is a 409 naming
    // code (not the bare 409 of a key still held): the key was taken over
    // and the request really ran (no wait).
    let p = problem(send("crashed2").await.unwrap(), 409).await;
    assert_eq!(error_fields(&p), ["code"], "{p}");
}
both_databases!(a_crashed_first_attempt_expires);

/// A caller whose role may not do an operation gets 403 whatever its input:
/// nothing about the input's rules is revealed.
async fn authorised_before_the_input_is_read(backend: Backend) {
    let app = demo_app(backend).await;
    let revisor = app.token(Role::Revisor);
    for body in [
        r#"{"code":"bad code","name":"","kind":"x"}"#,
        r#"{"code": [}"#,
        r#"{"code":"FZ1","name":"ab\u0000cd","kind":"namnd"}"#,
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/namnder"))
            .bearer_auth(&revisor)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        problem(response, 403).await;
    }
    // Not even the content type is looked at.
    let response = app
        .upload("/api/v1/namnder", &revisor, "text/plain", "x")
        .send()
        .await
        .unwrap();
    problem(response, 403).await;

    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    app.get("/api/v1/kommun/goal-matrix", &redaktor)
        .problem(403)
        .await;
    let admin = app.token(Role::Admin);
    let status = app.get("/api/v1/kommun/goal-matrix", &admin).status().await;
    assert!(matches!(status, 400 | 422), "{status}");

    let lasare = app.token(Role::Lasare);
    app.post("/api/v1/imports/flat", &lasare, &json!({"rows": []}))
        .problem(403)
        .await;
    // Without a token: 401 before anything else.
    let response = app
        .client
        .post(app.url("/api/v1/namnder"))
        .body("{")
        .send()
        .await
        .unwrap();
    problem(response, 401).await;
}
both_databases!(authorised_before_the_input_is_read);

/// A method the path does not take: 405 naming the ones it does.
async fn an_unknown_method_is_405_with_allow(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let response = app
        .client
        .delete(app.url("/api/v1/kommun/goal-matrix"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    problem(response, 405).await;
    let response = app
        .client
        .put(app.url(&format!("/api/v1/namnder/{}", uuid::Uuid::now_v7())))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, PATCH, DELETE");
    problem(response, 405).await;
    // An unknown path stays 404.
    app.get("/api/v1/nothing-here", &admin).problem(404).await;
}
both_databases!(an_unknown_method_is_405_with_allow);

/// Cursors are signed, `limit` is checked as text, `If-Match: *` means any
/// version on every PUT, and a number too large says so.
async fn small_contract_fixes(backend: Backend) {
    let app = demo_app(backend).await;
    let admin = app.token(Role::Admin);
    // A cursor the service did not issue: 422 naming cursor; its own works.
    let forged = "AZqTn2hGd0uN1l0wM2cGJw";
    app.get(&format!("/api/v1/namnder?cursor={forged}"), &admin)
        .invalid(&["cursor"])
        .await;
    let first = app
        .get("/api/v1/namnder?limit=1", &admin)
        .returns(200)
        .await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = app
        .get(&format!("/api/v1/namnder?limit=1&cursor={cursor}"), &admin)
        .returns(200)
        .await;
    assert_ne!(second["items"][0]["id"], first["items"][0]["id"]);
    for limit in ["-1", "abc", "0", "501", "1.5"] {
        for path in ["/api/v1/namnder", "/api/v1/changes"] {
            let p = app
                .get(&format!("{path}?limit={limit}"), &admin)
                .problem(422)
                .await;
            assert_eq!(error_fields(&p), ["limit"], "{path} limit={limit}");
        }
    }

    // If-Match: * on the PUTs that check the version in their transaction.
    let indicator = app.id_of("/api/v1/indicators", &admin).await;
    for (path, body) in [
        (
            format!("/api/v1/indicators/{indicator}/riktvarden"),
            json!({"riktvarden": []}),
        ),
        (
            format!("/api/v1/indicators/{indicator}/values"),
            json!({"values": []}),
        ),
    ] {
        let status = app
            .put(&path, &admin, &body)
            .header("If-Match", "*")
            .status()
            .await;
        assert!((200..300).contains(&status), "{path}: {status}");
    }

    // 1.2e62 is a number, too large.
    let line = app.id_of("/api/v1/budget-lines?namnd=VON", &admin).await;
    let current = app
        .get(&format!("/api/v1/budget-lines/{line}"), &admin)
        .returns(200)
        .await;
    let p = app
        .put(
            &format!("/api/v1/budget-lines/{line}/values"),
            &admin,
            &serde_json::from_str::<Value>(
                r#"{"values": [{"measure": "utfall", "month": "2024-03", "amount": 1.2e62}]}"#,
            )
            .unwrap(),
        )
        .if_match(&current["version"])
        .problem(422)
        .await;
    let message = p["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("too large"), "{p}");
}
both_databases!(small_contract_fixes);

/// Two entries for the same measure and month(s) in one PUT: 422 naming the
/// second, on budget-line values, volume values and indicator values.
async fn one_value_per_month_and_measure(backend: Backend) {
    let app = demo_app(backend).await;
    let admin = app.token(Role::Admin);
    let line = app.id_of("/api/v1/budget-lines?namnd=VON", &admin).await;
    let p = app
        .put(
            &format!("/api/v1/budget-lines/{line}/values"),
            &admin,
            &json!({"values": [
                {"measure": "utfall", "month": "2024-03", "amount": 1},
                {"measure": "budget", "month": "2024-03", "amount": 1},
                {"measure": "utfall", "month": "2024-03", "amount": 2}
            ]}),
        )
        .header("If-Match", "*")
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["values[2]"], "{p}");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("values[0]")
    );

    let measure = app.id_of("/api/v1/volume-measures?namnd=VON", &admin).await;
    let p = app
        .put(
            &format!("/api/v1/volume-measures/{measure}/values"),
            &admin,
            &json!({"values": [
                {"month": "2024-03", "kind": "utfall", "value": 1},
                {"month": "2024-03", "kind": "utfall", "value": 2}
            ]}),
        )
        .header("If-Match", "*")
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["values[1]"], "{p}");

    let indicator = app.id_of("/api/v1/indicators", &admin).await;
    let p = app
        .put(
            &format!("/api/v1/indicators/{indicator}/values"),
            &admin,
            &json!({"values": [
                {"year": 2024, "value": 1},
                {"year": 2024, "gender": "T", "value": 2}
            ]}),
        )
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["values[1]"], "{p}");
}
both_databases!(one_value_per_month_and_measure);

/// Two instances of the service on one database (as behind a load
/// balancer): an Idempotency-Key, If-Match, the change feed's order and a
/// period lock hold across them; nothing is kept per process but the rate
/// limit's counters (documented as per instance).
async fn two_instances_share_one_database(backend: Backend) {
    let app = demo_app(backend).await;
    let other = kommunrapport::startup::Application::build(app.settings.clone())
        .await
        .expect("second instance builds");
    let b = format!("http://127.0.0.1:{}", other.port());
    let server = tokio::spawn(other.run_until_stopped());
    let a = app.address.clone();
    let admin = app.token(Role::Admin);
    let client = app.client.clone();
    let on = |base: &str, method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&admin)
    };

    // One key, ten first attempts on each instance: one action plan.
    let report = app
        .id_of("/api/v1/reports?namnd=VON&status=utkast", &admin)
        .await;
    let plans = format!("/api/v1/reports/{report}/action-plans");
    let before = count(&app, &admin, &format!("{plans}?limit=500")).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let request = on(
            if i % 2 == 0 { &a } else { &b },
            reqwest::Method::POST,
            &plans,
        )
        .header("Idempotency-Key", "two-instances")
        .json(&json!({"avvikelse": "Underskott", "atgard": "Översyn"}));
        tasks.spawn(async move {
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        });
    }
    one_answer(&plans, &tasks.join_all().await);
    assert_eq!(
        count(&app, &admin, &format!("{plans}?limit=500")).await,
        before + 1
    );

    // If-Match: a version read on A and changed on B is stale on A.
    let namnd = app.id_of("/api/v1/namnder?code=VON", &admin).await;
    let path = format!("/api/v1/namnder/{namnd}");
    let (_, read) = on(&a, reqwest::Method::GET, &path).reply().await;
    let version = read["version"].clone();
    let (status, _) = on(&b, reqwest::Method::PATCH, &path)
        .json(&json!({"name": "Vård- och omsorgsnämnden (B)"}))
        .if_match(&version)
        .reply()
        .await;
    assert_eq!(status, 200);
    on(&a, reqwest::Method::PATCH, &path)
        .json(&json!({"name": "Vård- och omsorgsnämnden (A)"}))
        .if_match(&version)
        .problem(412)
        .await;

    // Changes through both instances at once all go through: on SQLite
    // each write waits its turn for the file instead of failing when its
    // first read would have to become a write (a 503 before).
    let (_, namnder) = on(&a, reqwest::Method::GET, "/api/v1/namnder?limit=100")
        .reply()
        .await;
    let mut tasks = tokio::task::JoinSet::new();
    for (i, n) in array(&namnder["items"]).iter().enumerate() {
        let request = on(
            if i % 2 == 0 { &a } else { &b },
            reqwest::Method::PATCH,
            &format!("/api/v1/namnder/{}", n["id"].as_str().unwrap()),
        )
        .json(&json!({"name": format!("{} ({i})", n["name"].as_str().unwrap())}))
        .if_match(&n["version"]);
        tasks.spawn(async move { request.send().await.expect("request").status().as_u16() });
    }
    let statuses = tasks.join_all().await;
    assert!(statuses.len() > 4, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    // A whole report A keeps is not served once B changed a figure of it.
    let whole = format!("/api/v1/reports/{report}?include=drift&unit=kr");
    let (_, before) = on(&a, reqwest::Method::GET, &whole).reply().await;
    let (_, kept) = on(&a, reqwest::Method::GET, &whole).reply().await;
    assert_eq!(before, kept);
    let row = &before["drift"]["rows"][0];
    let month = &before["report"]["end_date"].as_str().unwrap()[..7];
    let (status, _) = on(
        &b,
        reqwest::Method::PUT,
        &format!(
            "/api/v1/budget-lines/{}/values",
            row["id"].as_str().unwrap()
        ),
    )
    .json(&json!({"values": [{"measure": "utfall", "month": month, "amount": -123_456_789}]}))
    .reply()
    .await;
    assert_eq!(status, 200);
    let (_, on_a) = on(&a, reqwest::Method::GET, &whole).reply().await;
    let (_, on_b) = on(&b, reqwest::Method::GET, &whole).reply().await;
    assert_eq!(on_a, on_b);
    assert_ne!(
        on_a["drift"]["total"]["utfall"], before["drift"]["total"]["utfall"],
        "A answered from before B's write"
    );

    // The change feed reads the same, in the same order, from either.
    let (_, feed_a) = on(&a, reqwest::Method::GET, "/api/v1/changes?limit=500")
        .reply()
        .await;
    let (_, feed_b) = on(&b, reqwest::Method::GET, "/api/v1/changes?limit=500")
        .reply()
        .await;
    assert_eq!(feed_a["items"], feed_b["items"]);
    let seqs: Vec<i64> = array(&feed_a["items"])
        .iter()
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // A period closed on B refuses a value written through A.
    let period = app
        .id_of("/api/v1/periods?kind=helar&year=2024", &admin)
        .await;
    let (status, _) = on(
        &b,
        reqwest::Method::POST,
        &format!("/api/v1/periods/{period}/close"),
    )
    .json(&json!({}))
    .reply()
    .await;
    assert_eq!(status, 200);
    let line = app.id_of("/api/v1/budget-lines?namnd=VON", &admin).await;
    on(
        &a,
        reqwest::Method::PUT,
        &format!("/api/v1/budget-lines/{line}/values"),
    )
    .json(&json!({"values": [{"measure": "utfall", "month": "2024-05", "amount": -1}]}))
    .problem(409)
    .await;
    server.abort();
}
both_databases!(two_instances_share_one_database);

/// A flat CSV of `lines` new drift lines of VON with twelve months each.
fn fault_csv(lines: usize) -> Vec<u8> {
    let mut text = String::from("namnd;line;name;month;measure;amount\r\n");
    for line in 0..lines {
        for month in 1..=12 {
            text.push_str(&format!(
                "VON;fault{line:05};Fault {line};2025-{month:02};utfall;-{}\r\n",
                line + month
            ));
        }
    }
    text.into_bytes()
}

async fn ready_again(app: &TestApp) {
    for _ in 0..40 {
        if app.client.get(app.url("/health/ready")).status().await == 200 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("not ready again after the database came back");
}

/// PostgreSQL lost (a TCP proxy cut) in the middle of a large import and of
/// a write burst: every answer is a success or 503, never 500; the import
/// leaves nothing behind; every acknowledged write reads back; the service
/// recovers without a restart. (PostgreSQL only: SQLite has no connection
/// to lose.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_503_and_leaves_nothing_partial() {
    use std::time::Duration;

    let proxy = ToggleProxy::start("127.0.0.1:5432".into()).await;
    let app = demo_app_with(Backend::Postgres, |s| {
        s.database_url =
            s.database_url
                .replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port), 1);
        s.max_import_bytes = 32 * 1024 * 1024;
    })
    .await;
    let admin = app.token(Role::Admin);

    // The import: cut while it runs.
    let upload = app.upload("/api/v1/imports/flat", &admin, "text/csv", fault_csv(8000));
    let started = std::time::Instant::now();
    let import = tokio::spawn(async move { upload.send().await.map(|r| r.status().as_u16()) });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    proxy.cut();
    let status = import.await.unwrap().unwrap();
    assert_eq!(status, 503, "import answered after {:?}", started.elapsed());
    proxy.restore();
    ready_again(&app).await;
    let lines = app
        .get("/api/v1/budget-lines?namnd=VON&code=fault00000", &admin)
        .returns(200)
        .await;
    assert_eq!(lines["items"], json!([]), "nothing of the import is kept");

    // The burst: 8 writers, each on its own month of one line.
    let line = app.id_of("/api/v1/budget-lines?namnd=VON", &admin).await;
    let values = format!("/api/v1/budget-lines/{line}/values");
    let mut writers = tokio::task::JoinSet::new();
    for writer in 1..=8u32 {
        let app_client = app.client.clone();
        let url = app.url(&values);
        let token = admin.clone();
        writers.spawn(async move {
            let month = format!("2025-{writer:02}");
            let mut statuses = Vec::new();
            let mut acknowledged = None;
            let mut attempted_since = Vec::new();
            let until = std::time::Instant::now() + Duration::from_millis(2500);
            let mut amount = 0i64;
            while std::time::Instant::now() < until {
                amount -= 1;
                let response = app_client
                    .put(&url)
                    .bearer_auth(&token)
                    .json(&json!({"values": [{"measure": "utfall", "month": month, "amount": amount}]}))
                    .send()
                    .await;
                let status = response.map(|r| r.status().as_u16()).unwrap_or(0);
                statuses.push(status);
                attempted_since.push(amount);
                if status == 200 {
                    acknowledged = Some(amount);
                    attempted_since.clear();
                }
                if status != 200 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            (month, statuses, acknowledged, attempted_since)
        });
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(700)).await;
    proxy.restore();
    let results = writers.join_all().await;
    ready_again(&app).await;
    let stored = app.get(&values, &admin).returns(200).await;
    for (month, statuses, acknowledged, attempted_since) in results {
        assert!(
            statuses.iter().all(|s| matches!(s, 200 | 503)),
            "{month}: {statuses:?}"
        );
        assert!(statuses.contains(&503), "{month}: the cut was not seen");
        let acknowledged = acknowledged.expect("some write acknowledged");
        let value = stored["values"]
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .find(|v| v["month"] == month.as_str() && v["measure"] == "utfall")
            })
            .map(|v| v["amount"].as_i64().unwrap_or_default());
        // The last acknowledged write, or a later one whose answer was lost.
        let value = value.unwrap_or_else(|| panic!("{month}: not read back from {stored}"));
        assert!(
            value == acknowledged || attempted_since.contains(&value),
            "{month}: {value}, acknowledged {acknowledged}"
        );
    }

    // A write that names a nämnd and a period by id, while the database is
    // away: 503, not 422 "no nämnd with this id" (the row was never read).
    let von = app.id_of("/api/v1/namnder?code=VON", &admin).await;
    let period = app
        .id_of("/api/v1/periods?kind=helar&year=2024", &admin)
        .await;
    proxy.cut();
    for (path, body) in [
        (
            "/api/v1/reports",
            json!({"namnd_id": von, "period_id": period, "type": "arsredovisning"}),
        ),
        (
            "/api/v1/budget-lines",
            json!({"namnd_id": von, "kind": "drift", "code": "avbrott", "name": "Avbrott"}),
        ),
    ] {
        let (status, answer) = app.post(path, &admin, &body).reply().await;
        assert_eq!(status, 503, "{path}: {answer}");
    }
    proxy.restore();
}

/// The service as its own process (`kommunrapport serve`) on `database_url`;
/// killed if the test ends before it exits.
struct ServeProcess {
    child: std::process::Child,
    address: String,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

impl ServeProcess {
    async fn start(database_url: &str) -> Self {
        let bin = env!("CARGO_BIN_EXE_kommunrapport");
        let seeded = std::process::Command::new(bin)
            .arg("seed-demo")
            .env("DATABASE_URL", database_url)
            .output()
            .expect("seed-demo runs");
        assert!(seeded.status.success(), "{seeded:?}");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new(bin)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDRESS", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", SECRET)
            .env("AUTO_SEED_DEMO", "false")
            .env("RATE_LIMIT_PER_MINUTE", "0")
            .env("MAX_IMPORT_BYTES", "33554432")
            .env("KOLADA_BASE_URL", "http://127.0.0.1:9")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("serve starts");
        let process = ServeProcess {
            child,
            address: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..100 {
            let ready = client
                .get(format!("{}/health/ready", process.address))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ready {
                return process;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the service did not become ready");
    }

    /// Sends `signal` (`TERM`, `INT`) to the process.
    fn signal(&self, signal: &str) {
        let sent = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// Waits (up to `limit`) for the process to exit; its exit status.
    async fn exited(&mut self, limit: std::time::Duration) -> std::process::ExitStatus {
        let until = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("process state") {
                return status;
            }
            assert!(
                std::time::Instant::now() < until,
                "still running {limit:?} after the signal"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// Budget lines named `fault…` and all budget values, as stored.
async fn stored_lines_and_values(database_url: &str) -> (u64, u64) {
    use kommunrapport::entity::{budget_line, budget_value};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let db = kommunrapport::startup::connect(database_url)
        .await
        .expect("connect");
    let lines = budget_line::Entity::find()
        .filter(budget_line::Column::Code.starts_with("fault"))
        .count(&db)
        .await
        .expect("count lines");
    let values = budget_value::Entity::find()
        .count(&db)
        .await
        .expect("count values");
    db.close().await.ok();
    (lines, values)
}

/// The service stopped while a large import runs: `SIGTERM` (graceful) lets
/// the import finish and answer before the process exits; `SIGINT`
/// (immediate) drops it, and its transaction is rolled back. Either way the
/// import is all there or not at all, and the process exits cleanly.
async fn a_stopped_service_finishes_or_rolls_back_an_import(backend: Backend) {
    const LINES: usize = 3000;
    let tokens = kommunrapport::auth::TokenService::new(&jwt_settings());
    let admin = tokens
        .issue(
            "test-user",
            Role::Admin,
            "0483",
            &[],
            std::time::Duration::from_secs(600),
        )
        .expect("token");
    for signal in ["TERM", "INT"] {
        let database = fresh_database(backend).await;
        let mut service = ServeProcess::start(&database.url).await;
        let (_, values_before) = stored_lines_and_values(&database.url).await;
        let upload = reqwest::Client::new()
            .post(format!("{}/api/v1/imports/flat", service.address))
            .bearer_auth(&admin)
            .header("content-type", "text/csv")
            .body(fault_csv(LINES))
            .send();
        let import = tokio::spawn(async move { upload.await.map(|r| r.status().as_u16()) });
        // The import is running: its lines are being written.
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        assert!(
            !import.is_finished(),
            "SIG{signal}: the import was too quick"
        );
        service.signal(signal);
        let status = service.exited(std::time::Duration::from_secs(60)).await;
        assert!(status.success(), "SIG{signal}: exited with {status}");
        let answer = import.await.expect("import task");
        let (lines, values) = stored_lines_and_values(&database.url).await;
        match signal {
            // Graceful: the import ran to its end and was answered.
            "TERM" => {
                assert_eq!(
                    answer.ok(),
                    Some(200),
                    "SIGTERM: the import was not answered"
                );
                assert_eq!(
                    (lines, values),
                    (LINES as u64, values_before + 12 * LINES as u64)
                );
            }
            // Immediate: no answer, and nothing of the import kept.
            _ => {
                assert!(
                    answer.is_err(),
                    "SIGINT: answered {answer:?}, the import was not cut"
                );
                assert_eq!(
                    (lines, values),
                    (0, values_before),
                    "SIGINT: partial import"
                );
            }
        }
    }
}
both_databases!(a_stopped_service_finishes_or_rolls_back_an_import);

/// Twelve `PUT`s of `path` at once, the `i`th with `body(i)`, without
/// `If-Match`; every status and body.
async fn puts_at_once(
    app: &TestApp,
    token: &str,
    path: &str,
    body: fn(usize) -> Value,
) -> Vec<(u16, Value)> {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let request = app.put(path, token, &body(i));
        tasks.spawn(async move { request.reply().await });
    }
    tasks.join_all().await
}

/// Twelve `PUT`s at once of the same report part under a key that has no
/// row yet (a new section, the assessment of a goal not yet assessed): one
/// creates it (201); each of the others either changes it afterwards (200)
/// or is told it was created at the same moment and to retry (409). None
/// is a server error, and one row stands, holding one of the bodies sent.
async fn keyed_puts_creating_one_part_at_once(backend: Backend) {
    let app = demo_app(backend).await;
    let admin = app.token(Role::Admin);
    let report = app
        .id_of("/api/v1/reports?namnd=VON&status=utkast", &admin)
        .await;
    let assessments = app
        .get(&format!("/api/v1/reports/{report}/assessments"), &admin)
        .returns(200)
        .await;
    let goal = array(&assessments["items"])
        .iter()
        .find(|row| row["assessment"].is_null())
        .map(|row| row["goal"]["id"].as_str().unwrap().to_string())
        .expect("a goal the draft has not assessed");
    let parts = [
        (
            format!("/api/v1/reports/{report}/sections/samtidigt_skapad"),
            (|i: usize| json!({"title": "Samtidigt skapad", "body": format!("Text {i}")}))
                as fn(usize) -> Value,
            "body",
        ),
        (
            format!("/api/v1/reports/{report}/assessments/{goal}"),
            |i: usize| json!({"bedomning": "gul", "comment": format!("Text {i}")}),
            "comment",
        ),
    ];
    for (path, body, text) in parts {
        let answers = puts_at_once(&app, &admin, &path, body).await;
        let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{path}: {answers:?}"
        );
        assert!(
            statuses.iter().all(|s| [200, 201, 409].contains(s)),
            "{path}: {answers:?}"
        );
        for (status, answer) in &answers {
            if *status == 409 {
                assert!(
                    answer["detail"]
                        .as_str()
                        .is_some_and(|d| d.contains("retry")),
                    "{path}: {answer}"
                );
            }
        }
        // One row, at the version the successful writes add up to.
        let written = statuses.iter().filter(|s| **s != 409).count();
        let now = if path.contains("/sections/") {
            let list = app
                .get(&format!("/api/v1/reports/{report}/sections"), &admin)
                .returns(200)
                .await;
            let same: Vec<&Value> = array(&list["items"])
                .iter()
                .filter(|s| s["key"] == "samtidigt_skapad")
                .collect();
            assert_eq!(same.len(), 1, "{list}");
            same[0].clone()
        } else {
            let list = app
                .get(&format!("/api/v1/reports/{report}/assessments"), &admin)
                .returns(200)
                .await;
            array(&list["items"])
                .iter()
                .find(|row| row["goal"]["id"] == goal.as_str())
                .map(|row| row["assessment"].clone())
                .expect("the goal")
        };
        assert_eq!(now["version"].as_u64(), Some(written as u64), "{now}");
        let bodies: Vec<Value> = (0..12).map(|i| body(i)[text].clone()).collect();
        assert!(bodies.contains(&now[text]), "{now}");
    }
}
both_databases!(keyed_puts_creating_one_part_at_once);

/// Twelve `PUT`s at once of an indicator's riktvärden without `If-Match`:
/// each overwrites in turn (200), none is told its version is stale (it
/// named none), and the indicator's version counts every one.
async fn blind_puts_of_an_indicator_part_overwrite_in_turn(backend: Backend) {
    let app = demo_app(backend).await;
    let admin = app.token(Role::Admin);
    let indicators = app
        .get("/api/v1/indicators?limit=1", &admin)
        .returns(200)
        .await;
    let indicator = &array(&indicators["items"])[0];
    let id = indicator["id"].as_str().unwrap();
    let version = indicator["version"].as_u64().unwrap();
    let path = format!("/api/v1/indicators/{id}/riktvarden");
    let body = |i: usize| json!({"riktvarden": [{"year": 2024, "value": 50 + i}]});
    let answers = puts_at_once(&app, &admin, &path, body).await;
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    let now = app
        .get(&format!("/api/v1/indicators/{id}"), &admin)
        .returns(200)
        .await;
    assert_eq!(now["version"].as_u64(), Some(version + 12), "{now}");
}
both_databases!(blind_puts_of_an_indicator_part_overwrite_in_turn);

/// Twelve revokes of one calendar feed at once without `If-Match`: one
/// revokes it (204), the others find it gone (404), none is told it
/// changed (412: they named no version), and the audit log has one delete.
async fn blind_revokes_of_a_feed_at_once(backend: Backend) {
    let app = demo_app(backend).await;
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    let feed = app
        .post(
            "/api/v1/calendar-feeds",
            &redaktor,
            &json!({"name": "Outlook"}),
        )
        .returns(201)
        .await;
    let path = format!("/api/v1/calendar-feeds/{}", id_of(&feed));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let request = app.delete(&path, &redaktor);
        tasks.spawn(async move { request.send().await.expect("request").status().as_u16() });
    }
    let mut statuses = tasks.join_all().await;
    statuses.sort();
    let mut expected = vec![204];
    expected.extend([404; 11]);
    assert_eq!(statuses, expected);
    let audit = app
        .get(
            &format!(
                "/api/v1/audit?resource_type=calendar_feed&resource_id={}",
                id_of(&feed)
            ),
            &app.token(Role::Admin),
        )
        .returns(200)
        .await;
    assert_eq!(
        texts(&audit["items"], "action"),
        ["create", "delete"],
        "{audit}"
    );
}
both_databases!(blind_revokes_of_a_feed_at_once);

/// A draft submitted twelve times at once while its sections are being
/// written: one submit is taken (200), every other is told the report is
/// no longer a draft (409, not 412: the state is what stops it); each
/// section write either lands before the submit (200) or is refused for
/// the same reason (409); none lands in the submitted report.
async fn a_report_step_and_its_parts_take_turns(backend: Backend) {
    let app = demo_app(backend).await;
    let admin = app.token(Role::Admin);
    let report = app
        .id_of("/api/v1/reports?namnd=VON&status=utkast", &admin)
        .await;
    let section = format!("/api/v1/reports/{report}/sections/verksamhetsrapport");
    let sections = format!("/api/v1/reports/{report}/sections?basis=live");
    let version = async || {
        let list = app.get(&sections, &admin).returns(200).await;
        array(&list["items"])
            .iter()
            .find(|s| s["key"] == "verksamhetsrapport")
            .and_then(|s| s["version"].as_u64())
            .expect("the section")
    };
    let before = version().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let submit = app.post(
            &format!("/api/v1/reports/{report}/submit"),
            &admin,
            &json!({}),
        );
        let write = app.put(&section, &admin, &json!({"body": format!("Text {i}")}));
        tasks.spawn(async move { ("submit", submit.reply().await) });
        tasks.spawn(async move { ("section", write.reply().await) });
    }
    let answers = tasks.join_all().await;
    let of = |what: &str| -> Vec<&(u16, Value)> {
        answers
            .iter()
            .filter(|(w, _)| *w == what)
            .map(|(_, a)| a)
            .collect()
    };
    let submits = of("submit");
    assert_eq!(
        submits.iter().filter(|(s, _)| *s == 200).count(),
        1,
        "{submits:?}"
    );
    for (status, body) in submits.iter().chain(&of("section")) {
        assert!([200, 409].contains(status), "{answers:?}");
        if *status == 409 {
            let detail = body["detail"].as_str().unwrap_or_default();
            assert!(detail.contains("for_beslut"), "{body}");
        }
    }
    // Every section write that was taken is in the version; none came after.
    let landed = of("section").iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(version().await, before + landed as u64, "{answers:?}");
    let audit = app
        .get(
            &format!("/api/v1/audit?resource_type=report&resource_id={report}"),
            &admin,
        )
        .returns(200)
        .await;
    assert_eq!(
        texts(&audit["items"], "action")
            .iter()
            .filter(|a| **a == "submit")
            .count(),
        1
    );
}
both_databases!(a_report_step_and_its_parts_take_turns);
