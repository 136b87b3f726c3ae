//! Webhooks against a local receiver (an actix server on 127.0.0.1): signed
//! Standard Webhooks deliveries, in order per subscription, retried after
//! failures, never for a rolled-back write, disabled after failing too
//! long, replayable; and the latency from commit to arrival.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use kommunrapport::{auth::Role, startup::Application};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{both_databases, helpers::*};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
    /// Whether the receiver acknowledged it (2xx).
    acknowledged: bool,
    at: Instant,
}

impl Received {
    fn event(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A webhook receiver that refuses (500) the first `fail` requests.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    fail: Arc<AtomicUsize>,
}

async fn receive(req: HttpRequest, body: String, rx: web::Data<Receiver>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let refuse = rx
        .fail
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    rx.got.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
        acknowledged: !refuse,
        at: Instant::now(),
    });
    if refuse {
        HttpResponse::InternalServerError().finish()
    } else {
        HttpResponse::NoContent().finish()
    }
}

impl Receiver {
    fn start(fail: usize) -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let fail = Arc::new(AtomicUsize::new(fail));
        let shared = web::Data::new(Receiver {
            url: String::new(),
            got: got.clone(),
            fail: fail.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hooks"),
            got,
            fail,
        }
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn acknowledged(&self) -> Vec<Received> {
        self.got().into_iter().filter(|r| r.acknowledged).collect()
    }

    /// Waits (at most 10 s) until `n` deliveries were acknowledged.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let acknowledged = self.acknowledged();
            if acknowledged.len() >= n {
                return acknowledged;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{} of {n} deliveries acknowledged within 10 s: {:#?}",
                acknowledged.len(),
                self.got()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Checks a delivery's signature as a receiver would, with nothing of the
/// service's code: HMAC-SHA256 of `id.timestamp.body` under the secret's key.
fn signed_by(received: &Received, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", received.id, received.timestamp, received.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    received.signature.split(' ').any(|s| s == expected)
}

/// Quick retries and polls, so a test waits milliseconds, not minutes.
fn fast(settings: &mut kommunrapport::config::Settings) {
    settings.webhooks.retry_base_ms = 50;
    settings.webhooks.retry_max_ms = 200;
    settings.webhooks.poll_ms = 100;
}

async fn subscribe(app: &TestApp, token: &str, url: &str, types: Value) -> Value {
    app.post(
        "/api/v1/webhooks",
        token,
        &json!({"url": url, "event_types": types, "description": "Test"}),
    )
    .returns(201)
    .await
}

async fn a_failing_receiver_gets_every_event_once_in_order(backend: Backend) {
    let app = spawn_with(backend, fast).await;
    // A second instance on the same database: each delivery is still sent
    // by one of them.
    let second = Application::build(app.settings.clone()).await.unwrap();
    let second = tokio::spawn(second.run_until_stopped());
    let token = app.katrineholm().await;
    let receiver = Receiver::start(3);
    let hook = subscribe(&app, &token, &receiver.url, json!(["namnd"])).await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{hook}");

    let mut created = Vec::new();
    for code in ["VON", "SOCN", "BUN"] {
        created.push(app.create_namnd(&token, code, "namnd").await);
    }
    let von = &created[0];
    app.patch(
        &format!("/api/v1/namnder/{}", id_of(von)),
        &token,
        &json!({"name": "Vård- och omsorgsnämnden"}),
    )
    .if_match(1)
    .returns(200)
    .await;

    let acknowledged = receiver.wait_for(4).await;
    // Let any duplicate arrive before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.got();
    let refused: Vec<&Received> = got.iter().filter(|r| !r.acknowledged).collect();
    assert_eq!(refused.len(), 3);
    // The failing head was retried, and nothing behind it went first.
    assert!(
        refused.iter().all(|r| r.id == acknowledged[0].id),
        "{got:#?}"
    );
    let acknowledged = receiver.acknowledged();
    assert_eq!(acknowledged.len(), 4, "each once: {acknowledged:#?}");
    let events: Vec<Value> = acknowledged.iter().map(Received::event).collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "namnd.create",
            "namnd.create",
            "namnd.create",
            "namnd.update"
        ]
    );
    let seqs: Vec<i64> = events
        .iter()
        .map(|e| e["data"]["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    let ids: Vec<String> = events
        .iter()
        .map(|e| e["data"]["resource_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids[..3], created.iter().map(id_of).collect::<Vec<_>>()[..]);
    assert_eq!(ids[3], id_of(von));
    for r in &got {
        assert!(signed_by(r, &secret), "signature of {r:#?}");
        let age = chrono::Utc::now().timestamp() - r.timestamp.parse::<i64>().unwrap();
        assert!((0..60).contains(&age), "timestamp {}", r.timestamp);
    }

    // The log shows the four, delivered, the first after four attempts.
    let path = format!("/api/v1/webhooks/{}/deliveries", id_of(&hook));
    let log = app.get(&path, &token).returns(200).await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{log}");
    assert!(items.iter().all(|d| d["status"] == "delivered"), "{log}");
    assert_eq!(items[0]["attempts"], 4);
    assert_eq!(items[0]["last_status_code"], 204);
    assert_eq!(items[0]["id"], acknowledged[0].id.as_str());
    // The secret is never shown again.
    let read = app
        .get(&format!("/api/v1/webhooks/{}", id_of(&hook)), &token)
        .returns(200)
        .await;
    assert_eq!(
        read["secret"],
        Value::Null,
        "shown only at creation: {read}"
    );
    assert_eq!(read["failing_since"], Value::Null, "cleared by the success");
    second.abort();
}

both_databases!(a_failing_receiver_gets_every_event_once_in_order);

async fn a_rolled_back_write_sends_nothing(backend: Backend) {
    let app = spawn_with(backend, fast).await;
    let token = app.katrineholm().await;
    app.create_namnd(&token, "VON", "namnd").await;
    let receiver = Receiver::start(0);
    let secret = "whsec_".to_string() + &STANDARD.encode([42u8; 32]);
    let hook = app
        .post(
            "/api/v1/webhooks",
            &token,
            &json!({"url": receiver.url, "event_types": ["*"], "secret": secret}),
        )
        .returns(201)
        .await;
    assert_eq!(hook["secret"], secret.as_str());

    // A dry run writes, records and rolls back.
    let dry = app
        .upload(
            "/api/v1/imports/flat?dry_run=true",
            &token,
            "text/csv",
            "namnd;line;month;measure;amount\r\nVON;hemtjanst;2024-03;utfall;-26241000,50\r\n",
        )
        .returns(200)
        .await;
    assert_eq!(dry["applied"], false, "{dry}");
    // A write refused inside its transaction (If-Match stale).
    let von = app.id_of("/api/v1/namnder?code=VON", &token).await;
    app.patch(
        &format!("/api/v1/namnder/{von}"),
        &token,
        &json!({"name": "Changed"}),
    )
    .if_match(7)
    .problem(412)
    .await;
    // Then a committed write.
    let bun = app.create_namnd(&token, "BUN", "namnd").await;

    let acknowledged = receiver.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events: Vec<Value> = receiver.got().iter().map(Received::event).collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["webhook.create", "namnd.create"], "{events:#?}");
    assert_eq!(events[1]["data"]["resource_id"], id_of(&bun).as_str());
    assert!(acknowledged.iter().all(|r| signed_by(r, &secret)));
}

both_databases!(a_rolled_back_write_sends_nothing);

async fn a_webhook_failing_too_long_is_disabled_and_replayable(backend: Backend) {
    let app = spawn_with(backend, |s| {
        fast(s);
        s.webhooks.disable_after_secs = 0;
    })
    .await;
    let token = app.katrineholm().await;
    let receiver = Receiver::start(usize::MAX);
    let hook = subscribe(&app, &token, &receiver.url, json!(["namnd.create"])).await;
    let path = format!("/api/v1/webhooks/{}", id_of(&hook));
    app.create_namnd(&token, "VON", "namnd").await;

    // The first failure disables it (the limit is 0 s here).
    let started = Instant::now();
    let disabled = loop {
        let read = app.get(&path, &token).returns(200).await;
        if read["enabled"] == false {
            break read;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{read}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("failing"),
        "{disabled}"
    );
    let log = app
        .get(&format!("{path}/deliveries"), &token)
        .returns(200)
        .await;
    let delivery = &log["items"][0];
    assert_eq!(delivery["status"], "abandoned", "{log}");
    assert_eq!(delivery["last_status_code"], 500);
    // The disabling is in the audit log, by the delivery worker.
    let audit = app
        .get(
            &format!(
                "/api/v1/audit?resource_type=webhook&resource_id={}",
                id_of(&hook)
            ),
            &token,
        )
        .returns(200)
        .await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["principal"] == "webhook-delivery" && e["after"]["enabled"] == false),
        "{audit}"
    );
    assert!(
        !audit.to_string().contains("whsec_"),
        "no secret in the audit log"
    );

    // Disabled: no replay. Enabled again, the replay arrives.
    let replay = format!("{path}/deliveries/{}/replay", id_of(delivery));
    app.post(&replay, &token, &json!({})).problem(409).await;
    receiver.fail.store(0, Ordering::SeqCst);
    app.patch(&path, &token, &json!({"enabled": true}))
        .if_match(disabled["version"].as_i64().unwrap())
        .returns(200)
        .await;
    let copy = app.post(&replay, &token, &json!({})).returns(202).await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].id, id_of(&copy));
    assert_eq!(got[0].event()["type"], "namnd.create");
}

both_databases!(a_webhook_failing_too_long_is_disabled_and_replayable);

async fn deliveries_arrive_within_a_second_of_their_write(backend: Backend) {
    // Default settings: a one-second poll, which the commit's wake-up beats.
    let app = spawn_app(backend).await;
    let token = app.katrineholm().await;
    let receiver = Receiver::start(0);
    subscribe(&app, &token, &receiver.url, json!(["namnd"])).await;
    let mut latencies = Vec::new();
    for i in 0..15 {
        app.create_namnd(&token, &format!("N{i}"), "namnd").await;
        let committed = Instant::now();
        let got = receiver.wait_for(i + 1).await;
        latencies.push(got[i].at.saturating_duration_since(committed));
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let max = latencies[latencies.len() - 1];
    println!(
        "webhook latency after commit ({backend:?}): median {:.1} ms, max {:.1} ms, n={}",
        median.as_secs_f64() * 1000.0,
        max.as_secs_f64() * 1000.0,
        latencies.len()
    );
    assert!(median < Duration::from_secs(1), "median {median:?}");
    assert!(max < Duration::from_secs(10), "max {max:?}");
}

both_databases!(deliveries_arrive_within_a_second_of_their_write);

async fn subscriptions_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.katrineholm().await;
    for (body, field) in [
        (
            json!({"url": "http://example.org/hook", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "ftp://example.org/", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://u:p@example.org/", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://example.org/", "event_types": []}),
            "event_types",
        ),
        (
            json!({"url": "https://example.org/", "event_types": ["reports"]}),
            "event_types[0]",
        ),
        (
            json!({"url": "https://example.org/", "event_types": ["report.publish"]}),
            "event_types[0]",
        ),
        (
            json!({"url": "https://example.org/", "event_types": ["*"], "secret": "hemligt"}),
            "secret",
        ),
    ] {
        let p = app
            .post("/api/v1/webhooks", &token, &body)
            .problem(422)
            .await;
        assert_eq!(error_fields(&p), [field], "{body}: {p}");
    }
    // https anywhere, http to this machine.
    for url in ["https://example.org/hook", "http://localhost:9/hook"] {
        subscribe(&app, &token, url, json!(["report.approve", "budget_table"])).await;
    }
    // Integrations subscribe; a redaktör may not even list them.
    let integration = app.token(Role::Integration);
    app.get("/api/v1/webhooks", &integration).returns(200).await;
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    app.get("/api/v1/webhooks", &redaktor).problem(403).await;
    // Another kommun sees none of them.
    let other = app.create_kommun("1882", "Askersund").await;
    let page = app.get("/api/v1/webhooks", &other).returns(200).await;
    assert_eq!(page["items"], json!([]));
}

both_databases!(subscriptions_are_checked);

/// Unless the deployment allows private targets, a webhook goes to public
/// addresses only: a subscription to a loopback, private, link-local or
/// cloud-metadata address (or `localhost`) is refused, and a URL stored
/// before (here written straight to the table) is refused at delivery,
/// with the reason in the delivery log and nothing sent.
async fn private_targets_are_refused_unless_allowed(backend: Backend) {
    let app = spawn_with(backend, |s| {
        fast(s);
        s.webhooks.allow_private = false;
    })
    .await;
    let token = app.katrineholm().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:192.168.0.1]/hook",
    ] {
        let p = app
            .post(
                "/api/v1/webhooks",
                &token,
                &json!({"url": url, "event_types": ["*"]}),
            )
            .problem(422)
            .await;
        assert_eq!(error_fields(&p), ["url"], "{url}: {p}");
        assert!(p.to_string().contains("public address"), "{url}: {p}");
    }
    let hook = subscribe(&app, &token, "https://example.org/hook", json!(["namnd"])).await;
    let path = format!("/api/v1/webhooks/{}", id_of(&hook));
    let p = app
        .patch(&path, &token, &json!({"url": "https://192.168.1.10/hook"}))
        .if_match(1)
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["url"], "{p}");

    let receiver = Receiver::start(0);
    app.db()
        .await
        .execute_unprepared(&format!(
            "UPDATE webhook SET url = '{}' WHERE url = 'https://example.org/hook'",
            receiver.url
        ))
        .await
        .unwrap();
    app.create_namnd(&token, "VON", "namnd").await;
    let started = Instant::now();
    let delivery = loop {
        let log = app
            .get(&format!("{path}/deliveries"), &token)
            .returns(200)
            .await;
        if let Some(d) = log["items"]
            .as_array()
            .and_then(|items| items.first())
            .filter(|d| d["attempts"].as_i64() > Some(0))
        {
            break d.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = delivery["last_error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("refused: 127.0.0.1 is not a public address"),
        "{delivery}"
    );
    assert_eq!(delivery["last_status_code"], Value::Null);
    assert!(receiver.got().is_empty());
}

both_databases!(private_targets_are_refused_unless_allowed);

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// Acknowledged deliveries of one event type.
fn of_type(received: &[Received], event_type: &str) -> Vec<Value> {
    received
        .iter()
        .map(Received::event)
        .filter(|e| e["type"] == event_type)
        .collect()
}

async fn a_subscriber_is_told_once_of_a_passed_deadline_and_a_new_obligation(backend: Backend) {
    // The process scheduler every 100 ms, in two instances on one database.
    let every_100_ms = |settings: &mut kommunrapport::config::Settings| {
        fast(settings);
        settings.webhooks.process_events_ms = 100;
    };
    let app = spawn_with(backend, every_100_ms).await;
    let second = Application::build(app.settings.clone()).await.unwrap();
    let second = tokio::spawn(second.run_until_stopped());
    let token = app.katrineholm().await;
    let receiver = Receiver::start(0);
    let hook = subscribe(
        &app,
        &token,
        &receiver.url,
        json!(["deadline.pass", "obligation.create"]),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    let von = app.create_namnd(&token, "VON", "namnd").await;
    app.create_namnd(&token, "SOCN", "namnd").await;
    let (period, report) = app.delarsrapport_2024(&token, &von).await;
    let r = id_of(&report);
    // VON sends its underlag today, two days late; SOCN has not.
    app.post(&format!("/api/v1/reports/{r}/submit"), &token, &json!({}))
        .returns(200)
        .await;
    // A date still ahead is not announced.
    for due in [day(-2), day(3)] {
        app.post(
            "/api/v1/deadlines",
            &token,
            &json!({"period_id": period["id"], "type": "delarsrapport",
                "kind": "underlag", "due_date": due}),
        )
        .returns(201)
        .await;
    }

    let got = receiver.wait_for(1).await;
    let passed = of_type(&got, "deadline.pass");
    assert_eq!(passed.len(), 1, "{got:#?}");
    let detail = &passed[0]["data"]["detail"];
    assert_eq!(detail["due_date"], day(-2).as_str());
    assert_eq!(detail["late"], json!(["VON"]), "{detail}");
    assert_eq!(detail["missing"], json!(["SOCN"]), "{detail}");
    assert!(got.iter().all(|r| signed_by(r, &secret)));

    // VON's helårsprognos is 10 % below budget; the rule asks for an
    // åtgärdsplan within 30 days of approval.
    app.von_prognos_ten_percent_below_budget(&token).await;
    let rule = app
        .post(
            "/api/v1/obligation-rules",
            &token,
            &json!({"name": "Negativ avvikelse", "min_deviation_percent": "5", "within_days": 30}),
        )
        .returns(201)
        .await;
    app.post(
        &format!("/api/v1/reports/{r}/approve"),
        &token,
        &json!({"beslut_datum": day(0), "beslut_paragraf": "§ 88"}),
    )
    .returns(200)
    .await;

    let got = receiver.wait_for(2).await;
    let created = of_type(&got, "obligation.create");
    assert_eq!(created.len(), 1, "{got:#?}");
    let detail = &created[0]["data"]["detail"];
    assert_eq!(
        (&detail["report_id"], &detail["rule_id"], &detail["namnd"]),
        (&report["id"], &rule["id"], &json!("VON"))
    );
    assert_eq!(detail["due_date"], day(30).as_str());
    assert_eq!(created[0]["data"]["resource_type"], "obligation");

    // Many rounds of both instances later, still once each.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = receiver.got();
    assert_eq!(of_type(&got, "deadline.pass").len(), 1, "{got:#?}");
    assert_eq!(of_type(&got, "obligation.create").len(), 1, "{got:#?}");
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(got.iter().all(|r| signed_by(r, &secret)));
    // The scheduler's two announcements are audited writes.
    let audit = app
        .get("/api/v1/audit?principal=process-events", &token)
        .returns(200)
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 2, "{audit}");
    second.abort();
}

both_databases!(a_subscriber_is_told_once_of_a_passed_deadline_and_a_new_obligation);
