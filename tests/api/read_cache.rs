//! Computed answers kept until their kommun changes (`api::read_cache`):
//! the same bytes and strong ETag while nothing changed, a new answer after
//! any write of the kommun, none of another kommun's writes, the same
//! answer as an instance that keeps nothing, and authorisation on every read.

use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

/// Reads `path` as JSON or CSV: status, ETag, Cache-Control and the bytes.
async fn read(app: &TestApp, base: &str, path: &str, token: &str) -> (u16, String, String, String) {
    let response = app
        .client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (etag, cache_control) = (header("etag"), header("cache-control"));
    (
        status,
        etag,
        cache_control,
        response.text().await.expect("body"),
    )
}

async fn answers_are_kept_until_the_kommun_changes(backend: Backend) {
    let app = demo_app(backend).await;
    let token = app.token(Role::Kommunledning);
    let admin = app.token(Role::Admin);
    // A second instance on the same database that keeps nothing: what it
    // computes is what a kept answer must equal.
    let mut settings = app.settings.clone();
    settings.read_cache_bytes = 0;
    let plain = kommunrapport::startup::Application::build(settings)
        .await
        .expect("second instance builds");
    let plain_base = format!("http://127.0.0.1:{}", plain.port());
    let server = tokio::spawn(plain.run_until_stopped());

    let report = app
        .id_of("/api/v1/reports?namnd=VON&status=utkast", &token)
        .await;
    let helar = app
        .id_of("/api/v1/periods?kind=helar&year=2024", &token)
        .await;
    let parts = "drift,investering,volume_measures,key_figures,sections,action_plans";
    let paths = [
        format!("/api/v1/reports/{report}?include={parts}&unit=tkr"),
        format!("/api/v1/reports/{report}/drift?unit=tkr"),
        "/api/v1/indicators/table?year=2024".to_string(),
        format!("/api/v1/kommun/drift?period_id={helar}&unit=tkr"),
        format!("/api/v1/kommun/drift?period_id={helar}&unit=tkr&format=csv"),
        format!("/api/v1/kommun/drift?period_id={helar}&namnd=VON"),
        format!("/api/v1/kommun/goal-matrix?period_id={helar}&type=arsredovisning"),
        "/api/v1/kommun/indicators?year=2024".to_string(),
        format!("/api/v1/reports/{report}/document?format=html"),
    ];
    let mut first = Vec::new();
    for path in &paths {
        let (status, etag, cache_control, body) = read(&app, &app.address, path, &token).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(
            etag.starts_with('"') && etag.len() == 34,
            "{path}: a strong ETag, got {etag:?}"
        );
        assert_eq!(cache_control, "private, no-cache", "{path}");
        let again = read(&app, &app.address, path, &token).await;
        assert_eq!((&again.1, &again.3), (&etag, &body), "{path}: kept");
        let computed = read(&app, &plain_base, path, &token).await;
        assert_eq!(
            (&computed.1, &computed.3),
            (&etag, &body),
            "{path}: as computed"
        );
        let not_modified = app
            .get(path, &token)
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(not_modified.status().as_u16(), 304, "{path}");
        assert_eq!(not_modified.headers()["etag"], etag.as_str());
        first.push(etag);
    }

    // Another kommun's write changes none of them.
    let askersund = app.token_in("1882", Role::Admin, &[]);
    let (status, _) = app
        .post(
            "/api/v1/namnder",
            &askersund,
            &json!({"code": "NYN", "name": "Ny nämnd", "kind": "namnd"}),
        )
        .reply()
        .await;
    assert_eq!(status, 201);
    for (path, etag) in paths.iter().zip(&first) {
        let (_, now, _, _) = read(&app, &app.address, path, &token).await;
        assert_eq!(&now, etag, "{path}: unchanged by Askersund");
    }

    // A figure of VON's draft, written on the other instance, shows at
    // once in the report and in the kommun views of its period.
    let (_, whole) = app.get(&paths[0], &token).reply().await;
    let row = &whole["drift"]["rows"][0];
    let month = &whole["report"]["end_date"].as_str().unwrap()[..7];
    let (status, _) = app
        .client
        .put(format!(
            "{plain_base}/api/v1/budget-lines/{}/values",
            id_of(row)
        ))
        .bearer_auth(&admin)
        .json(&json!({"values": [{"measure": "utfall", "month": month, "amount": -987_654_321}]}))
        .reply()
        .await;
    assert_eq!(status, 200);
    for (path, etag) in paths.iter().zip(&first).take(2) {
        let kept = read(&app, &app.address, path, &token).await;
        let computed = read(&app, &plain_base, path, &token).await;
        assert_ne!(&kept.1, etag, "{path}: changed by the write");
        assert_eq!((&kept.1, &kept.3), (&computed.1, &computed.3), "{path}");
    }
    server.abort();
}
both_databases!(answers_are_kept_until_the_kommun_changes);

async fn a_kept_answer_is_still_authorised(backend: Backend) {
    let app = demo_app(backend).await;
    let token = app.token(Role::Kommunledning);
    let report = app
        .id_of("/api/v1/reports?namnd=VON&status=utkast", &token)
        .await;
    let helar = app
        .id_of("/api/v1/periods?kind=helar&year=2024", &token)
        .await;
    let whole = format!("/api/v1/reports/{report}?include=drift&unit=tkr");
    let view = format!("/api/v1/kommun/drift?period_id={helar}");
    for path in [&whole, &view] {
        app.get(path, &token).returns(200).await;
    }
    // Kept for kommunledning, still hidden from another nämnd's redaktör
    // (a draft of VON), the kommun views refused to them, and the report
    // unknown to another kommun.
    let bin = app.token_in("0483", Role::Redaktor, &["BIN"]);
    app.get(&whole, &bin).problem(404).await;
    app.get(&view, &bin).problem(403).await;
    let other = app.token_in("1882", Role::Kommunledning, &[]);
    app.get(&whole, &other).problem(404).await;
    // VON's own redaktör gets the kept answer.
    let von = app.token_in("0483", Role::Redaktor, &["VON"]);
    let (status, body) = app.get(&whole, &von).reply().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["report"]["id"], Value::from(report));
}
both_databases!(a_kept_answer_is_still_authorised);

/// Every read, not only the computed ones, answers with a strong ETag and
/// `304` to an `If-None-Match` naming it: lists, feeds and histories get
/// one from their bytes (`api::revalidate`), and a write changes it.
async fn every_read_can_be_revalidated(backend: Backend) {
    let app = demo_app(backend).await;
    let admin = app.token(Role::Admin);
    let report = app
        .id_of("/api/v1/reports?namnd=VON&status=utkast", &admin)
        .await;
    let lists = [
        "/api/v1/namnder".to_string(),
        "/api/v1/periods?year=2024".to_string(),
        "/api/v1/reports?namnd=VON".to_string(),
        "/api/v1/budget-lines?namnd=VON".to_string(),
        "/api/v1/volume-measures?namnd=VON".to_string(),
        "/api/v1/goals".to_string(),
        "/api/v1/indicators?namnd=VON".to_string(),
        "/api/v1/audit".to_string(),
        "/api/v1/changes".to_string(),
        format!("/api/v1/reports/{report}/sections"),
        format!("/api/v1/reports/{report}/versions"),
        // A CSV answer is kept and revalidated like JSON.
        "/api/v1/kommun/prognossakerhet?from_year=2024&to_year=2024&format=csv".to_string(),
    ];
    let mut first = Vec::new();
    for path in &lists {
        let (status, etag, cache_control, body) = read(&app, &app.address, path, &admin).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(
            etag.starts_with('"') && etag.len() == 34,
            "{path}: a strong ETag, got {etag:?}"
        );
        assert_eq!(cache_control, "private, no-cache", "{path}");
        for named in [etag.clone(), format!("W/{etag}"), format!("\"x\", {etag}")] {
            let not_modified = app
                .get(path, &admin)
                .header("If-None-Match", &named)
                .send()
                .await
                .expect("request");
            assert_eq!(not_modified.status().as_u16(), 304, "{path} with {named}");
            assert_eq!(not_modified.headers()["etag"], etag.as_str(), "{path}");
            assert!(not_modified.bytes().await.expect("body").is_empty());
        }
        let other = app
            .get(path, &admin)
            .header("If-None-Match", "\"0123\"")
            .send()
            .await
            .expect("request");
        assert_eq!(other.status().as_u16(), 200, "{path}: another tag");
        first.push(etag);
    }

    // A new nämnd changes the list of nämnder, and the old tag then gets
    // the new answer; the lists it is not in keep theirs (the audit and
    // change feeds hold it too, if it is on their first page).
    let (status, _) = app
        .post(
            "/api/v1/namnder",
            &admin,
            &json!({"code": "REV", "name": "Revalideringsnämnden", "kind": "namnd"}),
        )
        .reply()
        .await;
    assert_eq!(status, 201);
    for (path, etag) in lists.iter().zip(&first) {
        if path.ends_with("/audit") || path.ends_with("/changes") {
            continue;
        }
        let (status, now, _, body) = read(&app, &app.address, path, &admin).await;
        let moved = path == "/api/v1/namnder";
        assert_eq!(status, 200);
        assert_eq!(&now != etag, moved, "{path}: changed only by the write");
        if moved {
            assert!(body.contains("REV"), "{path}: {body}");
        }
    }

    // The probes say how the service is now: never kept.
    let live = app
        .get("/health/live", &admin)
        .send()
        .await
        .expect("request");
    assert!(live.headers().get("etag").is_none());

    // The document declares it on every read but the probes.
    let (_, doc) = app.get("/openapi.json", &admin).reply().await;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(get) = item.get("get") else { continue };
        if path.starts_with("/health") {
            continue;
        }
        assert!(
            get["responses"].get("304").is_some(),
            "{path}: 304 declared"
        );
        let declares_header = get["parameters"]
            .as_array()
            .is_some_and(|list| list.iter().any(|p| p["name"] == "If-None-Match"));
        assert!(declares_header, "{path}: If-None-Match declared");
    }
}
both_databases!(every_read_can_be_revalidated);
