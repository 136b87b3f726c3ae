//! Kolada fetched from the configured base URL: a fake Kolada server on
//! 127.0.0.1 serves pages linked by `next_page`; the dry run reports and
//! writes nothing, the import lands on the indicators, and any broken page
//! (server error, not JSON, invalid entries, a link elsewhere) is a 502
//! with nothing applied. Never the internet.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use kommunrapport::auth::Role;
use reqwest::RequestBuilder;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

/// Pages by path and query; the first page of any `data/kpi` request is
/// under `FIRST`. Records every request it gets.
#[derive(Default)]
struct Pages {
    by_path: HashMap<String, (u16, String)>,
    requests: Vec<String>,
}

const FIRST: &str = "first";

struct FakeKolada {
    /// The base URL to configure, e.g. `http://127.0.0.1:40123/v2`.
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
    let key = if path.starts_with("/v2/data/kpi/") {
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
            base: format!("http://127.0.0.1:{port}/v2"),
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
        json!({"count": 1, "next_page": format!("{base}/page2"), "values": [
            entry("U21468", "0483", 2024, json!([
                {"gender": "T", "value": first_value, "status": "", "count": 1},
                {"gender": "K", "value": 86.5, "status": "", "count": 1}]))]}),
    );
    fake.page(
        "/v2/page2",
        json!({"count": 2, "previous_page": format!("{base}/data/kpi"),
            "next_page": format!("{base}/page3?from=3"), "values": [
            entry("U28519", "0483", 2023, json!([{"gender": "T", "value": 82, "status": "", "count": 1}])),
            entry("N31816", "0483", 2023, json!([{"gender": "T", "value": 1.57, "status": "", "count": 1}]))]}),
    );
    fake.page(
        "/v2/page3?from=3",
        json!({"count": 2, "values": [
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
        .map_or(Value::Null, |v| v["value"].clone())
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

async fn fetch_follows_next_page_dry_run_then_apply(backend: Backend) {
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
        first.starts_with("/v2/data/kpi/") && first.ends_with("/municipality/0483/year/2023,2024"),
        "{first}"
    );
    let asked: Vec<&str> = first["/v2/data/kpi/".len()..]
        .split('/')
        .next()
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(asked.len(), 18, "every Kolada id of the demo indicators");
    assert!(asked.contains(&"U21468") && asked.contains(&"U28519"));
    assert_eq!(requests[1..], ["/v2/page2", "/v2/page3?from=3"]);
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
    let one = fetch(&app, &token, "?kpi=U21468&dry_run=true")
        .returns(200)
        .await;
    assert_eq!(one["kpis"], json!(["U21468"]));
    assert_eq!(
        fake.take_requests()[0],
        "/v2/data/kpi/U21468/municipality/0483"
    );

    // Bad parameters are 422 naming them; läsare may not import.
    let p = fetch(&app, &token, "?years=2024,20x4").problem(422).await;
    assert_eq!(error_fields(&p), ["years"]);
    let p = fetch(&app, &token, "?kpi=U21468,../admin")
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["kpi"]);
    fetch(&app, &app.token(Role::Lasare), "").problem(403).await;
}
both_databases!(fetch_follows_next_page_dry_run_then_apply);

async fn a_broken_page_is_502_and_nothing_is_applied(backend: Backend) {
    let fake = FakeKolada::start();
    let app = demo_app_with(backend, |s| s.kolada_base_url = fake.base.clone()).await;
    let token = app.token(Role::Integration);
    let base = fake.base.clone();
    // Page 1 would change U21468 2024 T from 83 to 90; page 2 breaks.
    let invalid_entry = json!({"values": [entry("U28519", "0483", 2023,
        json!([{"gender": "T", "value": "många", "status": "", "count": 1}]))]})
    .to_string();
    let elsewhere = json!({"values": [], "next_page": "http://127.0.0.2:1/v2/page3"}).to_string();
    let cases: [(u16, &str, &str); 4] = [
        (500, r#"{"error": "internal"}"#, "500"),
        (200, "<html>maintenance</html>", "not JSON"),
        (200, &invalid_entry, "invalid entries"),
        (200, &elsewhere, "another server"),
    ];
    for (status, page2, detail) in cases {
        serve_three_pages(&fake, 90.0);
        fake.raw("/v2/page2", status, page2);
        let p = fetch(&app, &token, "?years=2023,2024").problem(502).await;
        assert!(
            p["detail"].as_str().unwrap().contains(detail),
            "{detail}: {p}"
        );
        assert_eq!(indicator_value(&app, &token, "U21468", 2024, "T").await, 83);
    }
    // A page without "values" is not Kolada data either.
    fake.page(FIRST, json!({"count": 0, "next_page": null}));
    let p = fetch(&app, &token, "").problem(502).await;
    assert!(p["detail"].as_str().unwrap().contains("values"), "{p}");

    // A dry run shows the invalid entries instead, and writes nothing.
    serve_three_pages(&fake, 90.0);
    fake.raw("/v2/page2", 200, &invalid_entry);
    let dry = fetch(&app, &token, "?dry_run=true").returns(200).await;
    assert_eq!(
        dry["errors"][0]["field"], "values[1].values[0].value",
        "{dry}"
    );
    assert_eq!(indicator_value(&app, &token, "U21468", 2024, "T").await, 83);

    // next_page back to a page already read would never end.
    serve_three_pages(&fake, 90.0);
    fake.page(
        "/v2/page2",
        json!({"values": [], "next_page": format!("{base}/page2")}),
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
