//! Kolada v3 fetched from the configured base URL: a fake Kolada v3 server
//! on 127.0.0.1 serves pages linked by `next_url`; the dry run reports and
//! writes nothing, the import lands on the indicators, and any broken page
//! (server error, not JSON, invalid entries, a link elsewhere) is a 502
//! with nothing applied. Ids go at most 25 to a path segment, `from_date`
//! is passed on, 429 is retried, `isdeleted` removes a value (its history
//! keeps it), a manual value is kept unless asked. Never the internet.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use kommunrapport::auth::Role;
use reqwest::RequestBuilder;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

/// Pages by path and query; the first page of any `data/kpi` request
/// without a page of its own is under `FIRST`. Records every request it
/// gets; answers the statuses in `fail` (with an empty body) first.
#[derive(Default)]
struct Pages {
    by_path: HashMap<String, (u16, String)>,
    requests: Vec<String>,
    fail: Vec<u16>,
}

const FIRST: &str = "first";

struct FakeKolada {
    /// The base URL to configure, e.g. `http://127.0.0.1:40123/v3`.
    base: String,
    pages: Arc<Mutex<Pages>>,
}

async fn serve(req: HttpRequest, pages: web::Data<Arc<Mutex<Pages>>>) -> HttpResponse {
    let path = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    let mut pages = pages.lock().unwrap();
    pages.requests.push(path.clone());
    if !pages.fail.is_empty() {
        let status = pages.fail.remove(0);
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .insert_header(("Retry-After", "0"))
            .finish();
    }
    let key = if path.starts_with("/v3/data/kpi/") && !pages.by_path.contains_key(&path) {
        FIRST.to_string()
    } else {
        path
    };
    match pages.by_path.get(&key) {
        Some((status, body)) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(*status).unwrap())
                .content_type("application/json")
                .body(body.clone())
        }
        None => HttpResponse::NotFound().finish(),
    }
}

impl FakeKolada {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let pages = Arc::new(Mutex::new(Pages::default()));
        let state = web::Data::new(pages.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .default_service(web::to(serve))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        FakeKolada {
            base: format!("http://127.0.0.1:{port}/v3"),
            pages,
        }
    }

    /// Serves `page` (status 200) at `path` (`FIRST` for the first page).
    fn page(&self, path: &str, page: Value) {
        self.raw(path, 200, &page.to_string());
    }

    fn raw(&self, path: &str, status: u16, body: &str) {
        self.pages
            .lock()
            .unwrap()
            .by_path
            .insert(path.to_string(), (status, body.to_string()));
    }

    /// The next requests answer these statuses.
    fn fail_next(&self, statuses: &[u16]) {
        self.pages.lock().unwrap().fail = statuses.to_vec();
    }

    fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut self.pages.lock().unwrap().requests)
    }
}

fn entry(kpi: &str, municipality: &str, year: i32, values: Value) -> Value {
    json!({"kpi": kpi, "municipality": municipality, "period": year, "values": values})
}

/// Three pages as Kolada sends them: values for Katrineholm's Kolada ids,
/// another kommun's entry, and a "no data" value.
fn serve_three_pages(fake: &FakeKolada, first_value: f64) {
    let base = &fake.base;
    fake.page(
        FIRST,
        json!({"count": 1, "next_url": format!("{base}/page2"), "values": [
            entry("U21468", "0483", 2024, json!([
                {"gender": "T", "value": first_value, "status": "", "count": 1},
                {"gender": "K", "value": 86.5, "status": "", "count": 1}]))]}),
    );
    fake.page(
        "/v3/page2",
        json!({"count": 2, "previous_url": format!("{base}/data/kpi"),
            "next_url": format!("{base}/page3?from=3"), "values": [
            entry("U28519", "0483", 2023, json!([{"gender": "T", "value": 82, "status": "", "count": 1}])),
            entry("N31816", "0483", 2023, json!([{"gender": "T", "value": 1.57, "status": "", "count": 1}]))]}),
    );
    fake.page(
        "/v3/page3?from=3",
        json!({"count": 2, "next_url": "", "values": [
            entry("U21468", "1882", 2024, json!([{"gender": "T", "value": 70, "status": "", "count": 1}])),
            entry("U21468", "0483", 2023, json!([{"gender": "T", "value": null, "status": "", "count": 0}]))]}),
    );
}

fn fetch(app: &TestApp, token: &str, query: &str) -> RequestBuilder {
    app.client
        .post(app.url(&format!("/api/v1/imports/kolada/fetch{query}")))
        .bearer_auth(token)
}

/// The stored value of the indicator with Kolada id `kpi`, as
/// `GET /api/v1/indicators/{id}` shows it.
async fn indicator_value(app: &TestApp, token: &str, kpi: &str, year: i32, gender: &str) -> Value {
    provenance(app, token, kpi, year, gender).await["value"].clone()
}

/// (kpi, year, gender, before, after) of each change of a report.
fn changes(report: &Value) -> Vec<(String, i64, String, Value, Value)> {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kpi"].as_str().unwrap().to_string(),
                c["year"].as_i64().unwrap(),
                c["gender"].as_str().unwrap().to_string(),
                c["before"].clone(),
                c["after"].clone(),
            )
        })
        .collect()
}

async fn fetch_follows_next_url_dry_run_then_apply(backend: Backend) {
    let fake = FakeKolada::start();
    let app = demo_app_with(backend, |s| s.kolada_base_url = fake.base.clone()).await;
    let token = app.token(Role::Integration);
    serve_three_pages(&fake, 84.0);
    assert_eq!(indicator_value(&app, &token, "U21468", 2024, "T").await, 83);
    assert_eq!(indicator_value(&app, &token, "U28519", 2023, "T").await, 80);

    let dry = fetch(&app, &token, "?dry_run=true&years=2024,2023")
        .returns(200)
        .await;
    let requests = fake.take_requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    let first = &requests[0];
    assert!(
        first.starts_with("/v3/data/kpi/")
            && first.ends_with("/municipality/0483/year/2023,2024?per_page=5000"),
        "{first}"
    );
    let asked: Vec<&str> = first["/v3/data/kpi/".len()..]
        .split('/')
        .next()
        .unwrap()
        .split(',')
        .collect();
    let (_, indicators) = app
        .get("/api/v1/indicators?limit=500", &token)
        .reply()
        .await;
    let mut kolada_ids: Vec<&str> = array(&indicators["items"])
        .iter()
        .filter_map(|i| i["kolada_id"].as_str())
        .collect();
    kolada_ids.sort_unstable();
    kolada_ids.dedup();
    let mut asked_sorted = asked.clone();
    asked_sorted.sort_unstable();
    assert_eq!(
        asked_sorted, kolada_ids,
        "every Kolada id of the demo indicators"
    );
    assert!(asked.contains(&"N00647"), "seed 000 line 1210");
    assert!(asked.contains(&"U21468") && asked.contains(&"U28519"));
    assert_eq!(requests[1..], ["/v3/page2", "/v3/page3?from=3"]);
    assert_eq!(
        (dry["pages"].as_i64(), dry["rows"].as_i64()),
        (Some(3), Some(5))
    );
    assert_eq!(
        (&dry["dry_run"], &dry["applied"]),
        (&json!(true), &json!(false))
    );
    let expected = vec![
        (
            "U21468".to_string(),
            2024,
            "T".to_string(),
            json!(83),
            json!(84),
        ),
        (
            "U21468".to_string(),
            2024,
            "K".to_string(),
            Value::Null,
            json!(86.5),
        ),
        (
            "U28519".to_string(),
            2023,
            "T".to_string(),
            json!(80),
            json!(82),
        ),
    ];
    assert_eq!(changes(&dry), expected);
    assert_eq!(dry["unchanged"], 2);
    assert_eq!(dry["skipped"].as_array().unwrap().len(), 1);
    assert_eq!(dry["skipped"][0]["index"], 3);
    assert_eq!(indicator_value(&app, &token, "U21468", 2024, "T").await, 83);
    assert_eq!(indicator_value(&app, &token, "U28519", 2023, "T").await, 80);

    let applied = fetch(&app, &token, "?years=2023,2024").returns(200).await;
    assert_eq!(
        (&applied["dry_run"], &applied["applied"]),
        (&json!(false), &json!(true))
    );
    assert_eq!(changes(&applied), expected);
    assert_eq!(indicator_value(&app, &token, "U21468", 2024, "T").await, 84);
    assert_eq!(
        indicator_value(&app, &token, "U21468", 2024, "K").await,
        86.5
    );
    assert_eq!(indicator_value(&app, &token, "U28519", 2023, "T").await, 82);
    assert_eq!(
        indicator_value(&app, &token, "N31816", 2023, "T").await,
        1.57
    );

    // The same data again changes nothing.
    let (_, again) = fetch(&app, &token, "?years=2023,2024").reply().await;
    assert_eq!(again["changes"], json!([]));
    assert_eq!(again["applied"], false);

    // Asked for one Kolada id and all years: only that id, no year segment.
    fake.take_requests();
    let one = fetch(&app, &token, "?kolada_id=U21468&dry_run=true")
        .returns(200)
        .await;
    assert_eq!(one["kpis"], json!(["U21468"]));
    assert_eq!(
        fake.take_requests()[0],
        "/v3/data/kpi/U21468/municipality/0483?per_page=5000"
    );
    // Repeated parameters ask for what comma-separated ones do.
    let repeated = fetch(
        &app,
        &token,
        "?kolada_id=U21468&kolada_id=U28519&years=2024&years=2023&dry_run=true",
    )
    .returns(200)
    .await;
    assert_eq!(repeated["kpis"], json!(["U21468", "U28519"]));
    assert_eq!(
        fake.take_requests()[0],
        "/v3/data/kpi/U21468,U28519/municipality/0483/year/2023,2024?per_page=5000"
    );

    // Bad parameters are 422 naming them; läsare may not import.
    fetch(&app, &token, "?years=2024,20x4")
        .invalid(&["years"])
        .await;
    fetch(&app, &token, "?kolada_id=U21468,../admin")
        .invalid(&["kolada_id"])
        .await;
    fetch(&app, &app.token(Role::Lasare), "").problem(403).await;
}
both_databases!(fetch_follows_next_url_dry_run_then_apply);

async fn a_broken_page_is_502_and_nothing_is_applied(backend: Backend) {
    let fake = FakeKolada::start();
    let app = demo_app_with(backend, |s| s.kolada_base_url = fake.base.clone()).await;
    let token = app.token(Role::Integration);
    let base = fake.base.clone();
    // Page 1 would change U21468 2024 T from 83 to 90; page 2 breaks.
    let invalid_entry = json!({"values": [entry("U28519", "0483", 2023,
        json!([{"gender": "T", "value": "många", "status": "", "count": 1}]))]})
    .to_string();
    let elsewhere = json!({"values": [], "next_url": "http://127.0.0.2:1/v3/page3"}).to_string();
    let cases: [(u16, &str, &str); 4] = [
        (500, r#"{"error": "internal"}"#, "500"),
        (200, "<html>maintenance</html>", "not JSON"),
        (200, &invalid_entry, "invalid entries"),
        (200, &elsewhere, "another server"),
    ];
    for (status, page2, detail) in cases {
        serve_three_pages(&fake, 90.0);
        fake.raw("/v3/page2", status, page2);
        let p = fetch(&app, &token, "?years=2023,2024").problem(502).await;
        assert!(
            p["detail"].as_str().unwrap().contains(detail),
            "{detail}: {p}"
        );
        assert_eq!(indicator_value(&app, &token, "U21468", 2024, "T").await, 83);
    }
    // A page without "values" is not Kolada data either.
    fake.page(FIRST, json!({"count": 0, "next_url": null}));
    let p = fetch(&app, &token, "").problem(502).await;
    assert!(p["detail"].as_str().unwrap().contains("values"), "{p}");

    // A dry run shows the invalid entries instead, and writes nothing.
    serve_three_pages(&fake, 90.0);
    fake.raw("/v3/page2", 200, &invalid_entry);
    let dry = fetch(&app, &token, "?dry_run=true").returns(200).await;
    assert_eq!(
        dry["errors"][0]["field"], "values[1].values[0].value",
        "{dry}"
    );
    assert_eq!(indicator_value(&app, &token, "U21468", 2024, "T").await, 83);

    // next_url back to a page already read would never end.
    serve_three_pages(&fake, 90.0);
    fake.page(
        "/v3/page2",
        json!({"values": [], "next_url": format!("{base}/page2")}),
    );
    let p = fetch(&app, &token, "").problem(502).await;
    assert!(p["detail"].as_str().unwrap().contains("leads back"), "{p}");
    assert_eq!(indicator_value(&app, &token, "U21468", 2024, "T").await, 83);
}
both_databases!(a_broken_page_is_502_and_nothing_is_applied);

async fn an_unreachable_server_is_502(backend: Backend) {
    // The test settings point at a port where nothing listens.
    let app = demo_app(backend).await;
    let token = app.token(Role::Kommunledning);
    let p = fetch(&app, &token, "?years=2024").problem(502).await;
    assert!(
        p["detail"].as_str().unwrap().contains("cannot reach"),
        "{p}"
    );
    assert_eq!(indicator_value(&app, &token, "U21468", 2024, "T").await, 83);
}
both_databases!(an_unreachable_server_is_502);

/// The versions of one value, as `GET /indicators/{id}/values/history`
/// shows them: (value, source, ended_by).
async fn history(
    app: &TestApp,
    token: &str,
    kpi: &str,
    year: i32,
    gender: &str,
) -> Vec<(Value, String, Value)> {
    let id = app
        .id_of(&format!("/api/v1/indicators?kolada_id={kpi}"), token)
        .await;
    let page = app
        .get(
            &format!("/api/v1/indicators/{id}/values/history?year={year}&gender={gender}"),
            token,
        )
        .returns(200)
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["value"].clone(),
                v["source"].as_str().unwrap().to_string(),
                v["ended_by"].clone(),
            )
        })
        .collect()
}

/// The stored value row (value, source, kolada_value) of an indicator.
async fn provenance(app: &TestApp, token: &str, kpi: &str, year: i32, gender: &str) -> Value {
    let id = app
        .id_of(&format!("/api/v1/indicators?kolada_id={kpi}"), token)
        .await;
    let indicator = app
        .get(&format!("/api/v1/indicators/{id}"), token)
        .returns(200)
        .await;
    indicator["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["year"] == year && v["gender"] == gender)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn v3_batches_ids_retries_429_and_passes_from_date(backend: Backend) {
    let fake = FakeKolada::start();
    let app = demo_app_with(backend, |s| s.kolada_base_url = fake.base.clone()).await;
    let token = app.token(Role::Integration);
    // 30 Kolada ids: two requests, 25 and 5 ids; each pages by next_url.
    let kpis: Vec<String> = ["U21468".to_string()]
        .into_iter()
        .chain((0..29).map(|i| format!("X{i:05}")))
        .collect();
    let base = fake.base.clone();
    let first_of = |ids: &[String]| {
        format!(
            "/v3/data/kpi/{}/municipality/0483?per_page=5000&from_date=2025-03-01",
            ids.join(",")
        )
    };
    fake.page(
        &first_of(&kpis[..25]),
        json!({"values": [], "next_url": format!("{base}/data/kpi/{}/municipality/0483?page=2&per_page=5000", kpis[..25].join(","))}),
    );
    fake.page(
        &format!(
            "/v3/data/kpi/{}/municipality/0483?page=2&per_page=5000",
            kpis[..25].join(",")
        ),
        json!({"values": [entry("U21468", "0483", 2024, json!([{"gender": "T", "value": 84.5, "status": "", "count": 1, "isdeleted": false}]))], "next_url": null}),
    );
    fake.page(
        &first_of(&kpis[25..]),
        json!({"values": [entry("X00025", "0483", 2024, json!([{"gender": "T", "value": 5, "status": "", "count": 1, "isdeleted": false}]))]}),
    );
    // Rate limited twice, then served.
    fake.fail_next(&[429, 429]);
    let report = fetch(
        &app,
        &token,
        &format!("?from_date=2025-03-01&kolada_id={}", kpis.join(",")),
    )
    .returns(200)
    .await;
    let requests = fake.take_requests();
    assert_eq!(requests.len(), 5, "{requests:?}");
    assert_eq!(requests[0], requests[2], "the first page asked again");
    for r in &requests {
        let ids = r.split('/').nth(4).unwrap();
        assert!(ids.split(',').count() <= 25, "{r}");
    }
    assert_eq!(report["pages"], 3);
    assert_eq!(report["retries"], 2);
    assert_eq!(
        changes(&report),
        vec![(
            "U21468".to_string(),
            2024,
            "T".to_string(),
            json!(83),
            json!(84.5)
        )]
    );
    assert_eq!(
        report["skipped"][0]["reason"],
        "no indicator with Kolada id \"X00025\" in your kommun"
    );
    let stored = provenance(&app, &token, "U21468", 2024, "T").await;
    assert_eq!(
        (&stored["value"], &stored["source"], &stored["kolada_value"]),
        (&json!(84.5), &json!("kolada"), &json!(84.5))
    );
    assert!(stored["fetched_at"].is_string(), "{stored}");

    // A bad from_date is a 422 naming it; a server that keeps answering 503
    // is a 502 after a few attempts, nothing applied.
    fetch(&app, &token, "?from_date=2025-13-01")
        .invalid(&["from_date"])
        .await;
    fake.fail_next(&[503, 503, 503, 503]);
    let p = fetch(&app, &token, "?kolada_id=U21468").problem(502).await;
    assert!(
        p["detail"].as_str().unwrap().contains("after 4 attempts"),
        "{p}"
    );
}
both_databases!(v3_batches_ids_retries_429_and_passes_from_date);

async fn revisions_and_deletions_keep_history_and_manual_values_stay(backend: Backend) {
    let fake = FakeKolada::start();
    let app = demo_app_with(backend, |s| s.kolada_base_url = fake.base.clone()).await;
    let token = app.token(Role::Kommunledning);
    // A person corrects N31816 2023 T by hand.
    let n31816 = app
        .id_of("/api/v1/indicators?kolada_id=N31816", &token)
        .await;
    app.put(
        &format!("/api/v1/indicators/{n31816}/values"),
        &token,
        &json!({"values": [{"year": 2023, "gender": "T", "value": 2}]}),
    )
    .returns(200)
    .await;
    // Kolada revises U21468 2024 T, deletes U28519 2023 T and disagrees
    // with the manual value.
    fake.page(
        FIRST,
        json!({"values": [
            entry("U21468", "0483", 2024, json!([{"gender": "T", "value": 84, "status": "", "count": 1, "isdeleted": false}])),
            entry("U28519", "0483", 2023, json!([{"gender": "T", "value": 80, "status": "", "count": 1, "isdeleted": true}])),
            entry("N31816", "0483", 2023, json!([{"gender": "T", "value": 1.57, "status": "", "count": 1, "isdeleted": false}]))],
            "next_url": ""}),
    );
    let report = fetch(&app, &token, "").returns(200).await;
    assert_eq!(
        changes(&report),
        vec![
            (
                "U21468".to_string(),
                2024,
                "T".to_string(),
                json!(83),
                json!(84)
            ),
            (
                "U28519".to_string(),
                2023,
                "T".to_string(),
                json!(80),
                Value::Null
            ),
        ]
    );
    assert_eq!(report["changes"][1]["removed"], true);
    assert_eq!(report["kept_manual"][0]["kpi"], "N31816");
    assert_eq!(report["kept_manual"][0]["after"], 1.57);

    // The revised value: the seed's version in history, Kolada's current.
    assert_eq!(
        history(&app, &token, "U21468", 2024, "T").await,
        vec![
            (json!(83), "import".to_string(), json!("update")),
            (json!(84), "kolada".to_string(), Value::Null),
        ]
    );
    // The deleted value is gone but its history keeps it.
    assert_eq!(
        indicator_value(&app, &token, "U28519", 2023, "T").await,
        Value::Null
    );
    assert_eq!(
        history(&app, &token, "U28519", 2023, "T").await,
        vec![(json!(80), "import".to_string(), json!("delete"))]
    );
    // The manual value stays, with what Kolada said beside it.
    let manual = provenance(&app, &token, "N31816", 2023, "T").await;
    assert_eq!(
        (&manual["value"], &manual["source"], &manual["kolada_value"]),
        (&json!(2), &json!("manual"), &json!(1.57))
    );
    // Asked to, the sync overwrites it.
    let report = fetch(&app, &token, "?overwrite_manual=true")
        .returns(200)
        .await;
    assert_eq!(report["kept_manual"], json!([]));
    let overwritten = provenance(&app, &token, "N31816", 2023, "T").await;
    assert_eq!(
        (&overwritten["value"], &overwritten["source"]),
        (&json!(1.57), &json!("kolada"))
    );
    let versions = history(&app, &token, "N31816", 2023, "T").await;
    assert_eq!(versions.len(), 3, "{versions:?}");
    assert_eq!(
        versions[1],
        (json!(2), "manual".to_string(), json!("update"))
    );

    // A v2-shaped file (no isdeleted) and a v3-shaped one both import.
    let v2 = json!({"values": [entry("U21468", "0483", 2024, json!([{"gender": "T", "value": 85, "status": "", "count": 1}]))], "count": 1});
    app.post("/api/v1/imports/kolada", &token, &v2)
        .returns(200)
        .await;
    assert_eq!(indicator_value(&app, &token, "U21468", 2024, "T").await, 85);
    let v3 = json!({"values": [entry("U21468", "0483", 2024, json!([{"gender": "T", "value": 85, "status": "", "count": 1, "isdeleted": true}]))], "next_url": null});
    let r = app
        .post("/api/v1/imports/kolada", &token, &v3)
        .returns(200)
        .await;
    assert_eq!(r["changes"][0]["removed"], true);
    assert_eq!(
        indicator_value(&app, &token, "U21468", 2024, "T").await,
        Value::Null
    );
    let last = history(&app, &token, "U21468", 2024, "T").await;
    assert_eq!(
        last.last().unwrap(),
        &(json!(85), "import".to_string(), json!("delete"))
    );

    // Bad filters are 422; another kommun's indicator is 404.
    app.get(
        &format!("/api/v1/indicators/{n31816}/values/history?gender=X"),
        &token,
    )
    .invalid(&["gender"])
    .await;
    let other = app.token_in("1882", Role::Admin, &[]);
    app.get(
        &format!("/api/v1/indicators/{n31816}/values/history"),
        &other,
    )
    .problem(404)
    .await;
}
both_databases!(revisions_and_deletions_keep_history_and_manual_values_stay);

fn sync(app: &TestApp, token: &str) -> RequestBuilder {
    app.client
        .post(app.url("/api/v1/imports/kolada/sync"))
        .bearer_auth(token)
}

async fn sync_is_incremental_one_at_a_time_and_records_failures(backend: Backend) {
    let fake = FakeKolada::start();
    let app = demo_app_with(backend, |s| s.kolada_base_url = fake.base.clone()).await;
    let token = app.token(Role::Integration);
    let state = app
        .get("/api/v1/imports/kolada/sync", &token)
        .returns(200)
        .await;
    assert_eq!(
        (&state["runs"], &state["last_from_date"]),
        (&json!(0), &Value::Null)
    );

    // The first run fetches everything (no from_date).
    fake.page(
        FIRST,
        json!({"values": [entry("U21468", "0483", 2024, json!([{"gender": "T", "value": 84, "status": "", "count": 1, "isdeleted": false}]))], "next_url": null}),
    );
    let run = sync(&app, &token).returns(200).await;
    let requests = fake.take_requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(!requests[0].contains("from_date"), "{requests:?}");
    assert_eq!(run["changes"].as_array().unwrap().len(), 1, "{run}");
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(run["state"]["last_from_date"], today.as_str());
    assert_eq!(run["state"]["last_rows_changed"], 1);
    assert_eq!(run["state"]["runs"], 1);
    assert_eq!(run["state"]["running"], false);
    assert_eq!(indicator_value(&app, &token, "U21468", 2024, "T").await, 84);

    // The second asks for what changed since; only that changes.
    fake.page(
        FIRST,
        json!({"values": [
            entry("U21468", "0483", 2024, json!([{"gender": "T", "value": 84, "status": "", "count": 1, "isdeleted": false}])),
            entry("U28519", "0483", 2023, json!([{"gender": "T", "value": 80, "status": "", "count": 1, "isdeleted": true}]))]}),
    );
    let run = sync(&app, &token).returns(200).await;
    let requests = fake.take_requests();
    assert!(
        requests[0].contains(&format!("from_date={today}")),
        "{requests:?}"
    );
    assert_eq!(run["unchanged"], 1);
    assert_eq!(run["changes"][0]["kpi"], "U28519");
    assert_eq!(run["changes"][0]["removed"], true);
    assert_eq!(run["state"]["last_rows_changed"], 1);
    assert_eq!(
        indicator_value(&app, &token, "U28519", 2023, "T").await,
        Value::Null
    );

    // While another instance holds the lease, a run is refused.
    let db = app.db().await;
    {
        use kommunrapport::entity::kolada_sync;
        use sea_orm::{EntityTrait, sea_query::Expr};
        kolada_sync::Entity::update_many()
            .col_expr(kolada_sync::Column::LeaseHolder, Expr::value("other"))
            .col_expr(
                kolada_sync::Column::LeaseUntil,
                Expr::value(chrono::Utc::now() + chrono::Duration::minutes(5)),
            )
            .exec(&db)
            .await
            .unwrap();
    }
    let p = sync(&app, &token).problem(409).await;
    assert!(
        p["detail"].as_str().unwrap().contains("already running"),
        "{p}"
    );
    let state = app
        .get("/api/v1/imports/kolada/sync", &token)
        .returns(200)
        .await;
    assert_eq!(state["running"], true);
    db.execute_unprepared("UPDATE kolada_sync SET lease_holder = NULL, lease_until = NULL")
        .await
        .unwrap();

    // Kolada failing: 502, recorded, from_date kept for the next run.
    fake.fail_next(&[500, 500, 500, 500]);
    sync(&app, &token).problem(502).await;
    let state = app
        .get("/api/v1/imports/kolada/sync", &token)
        .returns(200)
        .await;
    assert!(
        state["last_error"].as_str().unwrap().contains("500"),
        "{state}"
    );
    assert_eq!((&state["failures"], &state["runs"]), (&json!(1), &json!(3)));
    assert_eq!(state["last_from_date"], today.as_str());
    assert_eq!(state["running"], false);

    // Läsare may read the state, not run it.
    let lasare = app.token(Role::Lasare);
    app.get("/api/v1/imports/kolada/sync", &lasare)
        .returns(200)
        .await;
    sync(&app, &lasare).problem(403).await;
}
both_databases!(sync_is_incremental_one_at_a_time_and_records_failures);

async fn a_decided_version_keeps_the_value_as_decided(backend: Backend) {
    let fake = FakeKolada::start();
    let app = demo_app_with(backend, |s| s.kolada_base_url = fake.base.clone()).await;
    let admin = app.token(Role::Admin);
    // The demo approved VON's årsredovisning: version 1 shows U21468.
    let report = app
        .id_of("/api/v1/reports?namnd=VON&type=arsredovisning", &admin)
        .await;
    let path = format!("/api/v1/reports/{report}/versions/1");
    let before = app
        .get(&path, &admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let indicator = app
        .id_of("/api/v1/indicators?kolada_id=U21468", &admin)
        .await;
    assert!(
        before.contains(&indicator),
        "the decided version shows the indicator"
    );

    // Kolada revises one of its values and deletes another.
    fake.page(
        FIRST,
        json!({"values": [
            entry("U21468", "0483", 2024, json!([
                {"gender": "T", "value": 79, "status": "", "count": 1, "isdeleted": false}])),
            entry("U21468", "0483", 2023, json!([
                {"gender": "T", "value": 87, "status": "", "count": 1, "isdeleted": true}]))]}),
    );
    let run = sync(&app, &admin).returns(200).await;
    assert_eq!(run["changes"].as_array().unwrap().len(), 2, "{run}");
    assert_eq!(indicator_value(&app, &admin, "U21468", 2024, "T").await, 79);
    assert_eq!(
        indicator_value(&app, &admin, "U21468", 2023, "T").await,
        Value::Null
    );

    let after = app
        .get(&path, &admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(after, before, "the decided version is byte-identical");
    let diff = app
        .get(&format!("/api/v1/reports/{report}/diff"), &admin)
        .returns(200)
        .await;
    assert_eq!(diff["changed_since_decision"], true, "{diff}");
    assert!(
        diff["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.to_string().contains("kolada")),
        "the diff names the sync's audit entry: {diff}"
    );
}
both_databases!(a_decided_version_keeps_the_value_as_decided);

async fn indicators_from_a_kpi_group_wait_for_a_polarity(backend: Backend) {
    let fake = FakeKolada::start();
    let app = demo_app_with(backend, |s| s.kolada_base_url = fake.base.clone()).await;
    let token = app.token(Role::Kommunledning);
    fake.page(
        "/v3/kpi_groups?title=kvalitet+i+korthet",
        json!({"values": [{"id": "G2KPI110", "title": "Kommunens kvalitet i korthet",
            "members": [{"member_id": "N00945", "member_title": "Invånare 65+"},
                {"member_id": "U21468", "member_title": "Brukarbedömning"},
                {"member_id": "N99999", "member_title": "Retired"}]}], "next_url": null}),
    );
    fake.page(
        "/v3/kpi/N00945,N99999?per_page=5000",
        json!({"values": [{"id": "N00945", "title": "Invånare 65+ i ordinärt boende, andel (%)",
            "description": "Antal invånare 65 år och äldre i ordinärt boende", "is_divided_by_gender": true,
            "auspice": "E", "operating_area": "Äldreomsorg", "publ_period": "2024"}]}),
    );
    let report = app
        .post(
            "/api/v1/indicators/from-kolada",
            &token,
            &json!({"kpi_group": "kvalitet i korthet"}),
        )
        .returns(201)
        .await;
    assert_eq!(report["group"]["title"], "Kommunens kvalitet i korthet");
    assert_eq!(report["unknown"], json!(["N99999"]));
    assert_eq!(report["existing"].as_array().unwrap().len(), 1);
    let created = &report["created"][0];
    assert_eq!(created["kolada_id"], "N00945");
    assert_eq!(created["unit"], "procent");
    assert_eq!(created["divided_by_gender"], true);
    assert_eq!(created["source"], "Källa: Kolada");
    assert!(created["polarity"].is_null(), "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(report["polarity_unset"], json!([id]));
    assert!(report["note"].as_str().unwrap().contains("polarity"));

    // With a value and a riktvärde, still no bedömning until the polarity is set.
    app.put(
        &format!("/api/v1/indicators/{id}/values"),
        &token,
        &json!({"values": [{"year": 2024, "gender": "T", "value": 85}, {"year": 2023, "gender": "T", "value": 80}]}),
    )
    .returns(200)
    .await;
    app.put(
        &format!("/api/v1/indicators/{id}/riktvarden"),
        &token,
        &json!({"riktvarden": [{"year": 2024, "value": 80}]}),
    )
    .returns(200)
    .await;
    let unset = app
        .get(&format!("/api/v1/indicators/{id}?year=2024"), &token)
        .returns(200)
        .await;
    assert_eq!(unset["bedomning"]["computed"], "ingen", "{unset}");
    assert_eq!(unset["trend"]["computed"], "ej_jamforbar");
    let set = app
        .patch(
            &format!("/api/v1/indicators/{id}"),
            &token,
            &json!({"polarity": "hogre_ar_battre"}),
        )
        .if_match(&unset["version"])
        .returns(200)
        .await;
    assert_eq!(set["polarity"], "hogre_ar_battre");
    let judged = app
        .get(&format!("/api/v1/indicators/{id}?year=2024"), &token)
        .returns(200)
        .await;
    assert_eq!(judged["bedomning"]["computed"], "gron", "{judged}");
    assert_eq!(judged["trend"]["computed"], "forbattrad");

    // Ids given directly; neither or both is a 422; läsare may not.
    let again = app
        .post(
            "/api/v1/indicators/from-kolada",
            &token,
            &json!({"kpis": ["N00945"]}),
        )
        .returns(201)
        .await;
    assert_eq!(
        (
            again["created"].as_array().unwrap().len(),
            &again["existing"][0]
        ),
        (0, &json!(id))
    );
    app.post(
        "/api/v1/indicators/from-kolada",
        &token,
        &json!({"kpis": ["N00945"], "kpi_group": "x"}),
    )
    .invalid(&["kpis"])
    .await;
    let p = app
        .post(
            "/api/v1/indicators/from-kolada",
            &token,
            &json!({"kpis": ["../x"]}),
        )
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["kpis[0]"]);
    app.post(
        "/api/v1/indicators/from-kolada",
        &app.token(Role::Lasare),
        &json!({"kpis": ["N00945"]}),
    )
    .problem(403)
    .await;
}
both_databases!(indicators_from_a_kpi_group_wait_for_a_polarity);

/// The appendix row (`GET /indicators/table`) of the indicator named `name`.
async fn table_row(app: &TestApp, token: &str, name: &str) -> Value {
    let table = app
        .get("/api/v1/indicators/table?year=2024", token)
        .returns(200)
        .await;
    table["goal_areas"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["goals"].as_array().unwrap())
        .flat_map(|g| g["indicators"].as_array().unwrap())
        .find(|r| r["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no row {name} in {table}"))
}

/// The indicator overview row (`GET /kommun/indicators`) of `name`.
async fn overview_row(app: &TestApp, token: &str, name: &str) -> Value {
    let rows = app
        .get("/api/v1/kommun/indicators?year=2024", token)
        .returns(200)
        .await;
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no row {name} in {rows}"))
}

fn set_group(app: &TestApp, token: &str, group: Value) -> RequestBuilder {
    app.patch(
        "/api/v1/imports/kolada/sync",
        token,
        &json!({"comparison_group": group}),
    )
}

const HEMTJANST: &str = "Brukarbedömning hemtjänst äldreomsorg - helhetssyn, andel (%)";
const ARBETSLOSHET: &str = "Arbetslöshet 16-64 år (%)";
const GROUP: &str = "Liknande kommuner äldreomsorg";

fn value(gender: &str, value: f64) -> Value {
    json!({"gender": gender, "value": value, "status": "", "count": 1, "isdeleted": false})
}

async fn comparisons_come_with_the_sync_and_stand_beside_the_values(backend: Backend) {
    let fake = FakeKolada::start();
    let app = demo_app_with(backend, |s| s.kolada_base_url = fake.base.clone()).await;
    let admin = app.token(Role::Admin);
    let integration = app.token(Role::Integration);

    // Only admin and kommunledning choose the group, and only a Kolada
    // municipality group id with a name.
    let group = json!({"id": "G124026", "name": GROUP});
    set_group(&app, &integration, group.clone())
        .problem(403)
        .await;
    set_group(
        &app,
        &app.token_in("0483", Role::Redaktor, &["VON"]),
        group.clone(),
    )
    .problem(403)
    .await;
    for (bad, field) in [
        (json!({"id": "0483", "name": GROUP}), "comparison_group.id"),
        (
            json!({"id": "g124026", "name": GROUP}),
            "comparison_group.id",
        ),
        (
            json!({"id": "G124026", "name": "  "}),
            "comparison_group.name",
        ),
    ] {
        let p = set_group(&app, &admin, bad).problem(422).await;
        assert_eq!(error_fields(&p), [field], "{p}");
    }
    let p = set_group(&app, &admin, json!({"id": "G124026"}))
        .problem(422)
        .await;
    assert!(error_fields(&p)[0].starts_with("comparison_group"), "{p}");
    let state = set_group(&app, &app.token(Role::Kommunledning), group.clone())
        .returns(200)
        .await;
    assert_eq!(state["comparison_group"], group);
    assert_eq!(state["last_from_date"], Value::Null);

    // Before any sync: the row of an indicator with a Kolada id has empty
    // comparisons with the group named; one without Kolada id has none.
    let row = table_row(&app, &admin, HEMTJANST).await;
    assert_eq!(
        row["jamforelse"][2],
        json!({"year": 2024, "country": null, "group": null,
        "group_id": "G124026", "group_name": GROUP})
    );
    assert_eq!(
        table_row(&app, &admin, ARBETSLOSHET).await["jamforelse"],
        Value::Null
    );

    // The sync asks for the kommun, the country and the group together, over
    // two pages.
    let base = &fake.base;
    fake.page(
        FIRST,
        json!({"next_url": format!("{base}/page2"), "values": [
            entry("U21468", "0483", 2024, json!([value("T", 84.0)])),
            entry("U21468", "0000", 2024, json!([value("T", 81.5), value("K", 82.0)])),
            entry("U21468", "0000", 2023, json!([value("T", 80.0)]))]}),
    );
    fake.page(
        "/v3/page2",
        json!({"next_url": "", "values": [
            entry("U21468", "G124026", 2024, json!([value("T", 85.5)])),
            entry("U21468", "G124026", 2023, json!([value("T", 84.0)])),
            entry("U21468", "0000", 2022, json!([value("T", 79.0)]))]}),
    );
    let run = sync(&app, &integration).returns(200).await;
    let requests = fake.take_requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(
        requests[0].contains("/municipality/0483,0000,G124026?"),
        "{requests:?}"
    );
    assert_eq!(run["comparisons_changed"], 6, "{run}");
    assert_eq!(run["changes"].as_array().unwrap().len(), 1, "{run}");
    assert_eq!(indicator_value(&app, &admin, "U21468", 2024, "T").await, 84);

    // The indicator table shows them beside the kommun's utfall …
    let row = table_row(&app, &admin, HEMTJANST).await;
    assert_eq!(row["utfall"][2], json!({"year": 2024, "value": 84}));
    let jamforelse = |year: i32, country: Value, group: Value| {
        json!({"year": year, "country": country, "group": group,
            "group_id": "G124026", "group_name": GROUP})
    };
    assert_eq!(
        row["jamforelse"],
        json!([
            jamforelse(2022, json!(79), Value::Null),
            jamforelse(2023, json!(80), json!(84)),
            jamforelse(2024, json!(81.5), json!(85.5)),
        ])
    );
    assert_eq!(
        table_row(&app, &admin, ARBETSLOSHET).await["jamforelse"],
        Value::Null
    );
    // … and so does the kommun's indicator overview, for the utfall's year.
    let row = overview_row(&app, &admin, HEMTJANST).await;
    assert_eq!(
        (&row["utfall_year"], &row["utfall"]),
        (&json!(2024), &json!(84))
    );
    assert_eq!(
        row["jamforelse"],
        jamforelse(2024, json!(81.5), json!(85.5))
    );
    assert_eq!(
        overview_row(&app, &admin, ARBETSLOSHET).await["jamforelse"],
        Value::Null
    );
    let csv = app
        .get("/api/v1/kommun/indicators?year=2024&format=csv", &admin)
        .text()
        .await;
    assert!(csv.contains(";Kolada;Riket;Jämförelsegrupp\r\n"), "{csv}");
    assert!(csv.contains(";U21468;81,5;85,5\r\n"), "{csv}");

    // The next run asks for what changed since: a revised country value, a
    // group value Kolada deleted.
    fake.page(
        FIRST,
        json!({"values": [
            entry("U21468", "0000", 2024, json!([value("T", 82.0)])),
            entry("U21468", "G124026", 2023, json!([
                {"gender": "T", "value": null, "status": "", "count": 0, "isdeleted": true}]))]}),
    );
    let run = sync(&app, &integration).returns(200).await;
    let requests = fake.take_requests();
    assert!(requests[0].contains("from_date="), "{requests:?}");
    assert_eq!(run["comparisons_changed"], 2, "{run}");
    let row = table_row(&app, &admin, HEMTJANST).await;
    assert_eq!(
        row["jamforelse"][1],
        jamforelse(2023, json!(80), Value::Null)
    );
    assert_eq!(
        row["jamforelse"][2],
        jamforelse(2024, json!(82), json!(85.5))
    );
    let audit = app
        .get("/api/v1/audit?resource_type=indicator_comparisons", &admin)
        .returns(200)
        .await;
    let entry = array(&audit["items"])
        .iter()
        .find(|e| e["resource_type"] == "indicator_comparisons")
        .cloned()
        .unwrap_or_else(|| panic!("no audit entry of the comparisons: {audit}"));
    assert_eq!(entry["resource_id"], row["id"]);

    // Without a group only the country is compared; the group's rows go
    // with the next run, which fetches everything again.
    let state = set_group(&app, &admin, Value::Null).returns(200).await;
    assert_eq!(
        (&state["comparison_group"], &state["last_from_date"]),
        (&Value::Null, &Value::Null)
    );
    let row = overview_row(&app, &admin, HEMTJANST).await;
    assert_eq!(
        row["jamforelse"],
        json!({"year": 2024, "country": 82, "group": null, "group_id": null, "group_name": null})
    );
    fake.page(FIRST, json!({"values": []}));
    let run = sync(&app, &integration).returns(200).await;
    let requests = fake.take_requests();
    assert!(
        requests[0].contains("/municipality/0483,0000?") && !requests[0].contains("from_date"),
        "{requests:?}"
    );
    assert_eq!(
        run["comparisons_changed"], 1,
        "the group's 2024 value: {run}"
    );
}
both_databases!(comparisons_come_with_the_sync_and_stand_beside_the_values);
