//! Reports as decided: approving freezes what the report shows; later
//! writes change today's figures but never the decided version (its bytes
//! and hash stay the same), which reads serve by default; closed months
//! refuse every write of a value; `verify` finds a tampered version.

use kommunrapport::auth::Role;
use reqwest::RequestBuilder;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

/// `POST` of the report's workflow `step` (`submit`, `approve`, …) with `body`.
fn step(app: &TestApp, token: &str, report: &str, step: &str, body: Value) -> RequestBuilder {
    app.post(&format!("/api/v1/reports/{report}/{step}"), token, &body)
}

/// `POST` of the period's `close` or `reopen`.
fn period_step(app: &TestApp, token: &str, period: &str, step: &str) -> RequestBuilder {
    app.post(
        &format!("/api/v1/periods/{period}/{step}"),
        token,
        &json!({}),
    )
}

/// `PUT` of one value of the budget line.
fn line_value(app: &TestApp, token: &str, line: &str, value: Value) -> RequestBuilder {
    let values = json!({ "values": [value] });
    app.put(
        &format!("/api/v1/budget-lines/{line}/values"),
        token,
        &values,
    )
}

/// The Förvaltningsgemensamt row of a drift table.
fn forvaltningsgemensamt(table: &Value) -> Value {
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "forvaltningsgemensamt")
        .cloned()
        .unwrap_or_else(|| panic!("no Förvaltningsgemensamt in {table}"))
}

/// (the canonical bytes of version `n`, its Content-Digest header).
async fn version_bytes(app: &TestApp, token: &str, report: &str, n: i32) -> (String, String) {
    let response = app
        .get(&format!("/api/v1/reports/{report}/versions/{n}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let digest = response.headers()["content-digest"]
        .to_str()
        .unwrap()
        .to_string();
    (response.text().await.unwrap(), digest)
}

fn sha256_digest_header(bytes: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes.as_bytes());
    format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

async fn an_approved_report_reads_as_decided(backend: Backend) {
    let app = demo_app(backend).await;
    let admin = app.token(Role::Admin);
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    let report = app
        .id_of("/api/v1/reports?namnd=VON&type=arsredovisning", &admin)
        .await;

    // The demo approved it: version 1, read as decided.
    let versions = app
        .get(&format!("/api/v1/reports/{report}/versions"), &admin)
        .returns(200)
        .await;
    assert_eq!(versions["items"].as_array().unwrap().len(), 1);
    let decided = &versions["items"][0];
    assert_eq!(decided["number"], 1);
    assert_eq!(decided["beslut_paragraf"], "§ 22");
    assert!(decided["prev_sha256"].is_null());
    let (bytes, digest) = version_bytes(&app, &admin, &report, 1).await;
    assert_eq!(digest, sha256_digest_header(&bytes));
    let read = |basis: &'static str| {
        let app = &app;
        let admin = admin.clone();
        let report = report.clone();
        async move {
            app.get(
                &format!("/api/v1/reports/{report}?include=drift,sections&unit=tkr{basis}"),
                &admin,
            )
            .returns(200)
            .await
        }
    };
    let before = read("").await;
    assert_eq!(before["basis"], "beslutad");
    assert_eq!(before["decided_version"]["sha256"], decided["sha256"]);
    assert_eq!(before["changed_since_decision"], false);
    assert_eq!(
        forvaltningsgemensamt(&before["drift"])["figures"]["avvikelse"],
        9024
    );
    assert_eq!(before["drift"]["total"]["avvikelse"], -450);

    // A redaktör corrects the 2024 utfall of Förvaltningsgemensamt: an open
    // month, so it is written; the decided version does not move.
    let line = app
        .id_of(
            "/api/v1/budget-lines?namnd=VON&code=forvaltningsgemensamt",
            &admin,
        )
        .await;
    line_value(
        &app,
        &redaktor,
        &line,
        json!({"measure": "utfall", "period": {"from": "2024-01", "to": "2024-12"},
            "amount": -25000000}),
    )
    .returns(200)
    .await;
    let after = read("").await;
    assert_eq!(
        forvaltningsgemensamt(&after["drift"])["figures"]["avvikelse"],
        9024
    );
    assert_eq!(after["drift"], before["drift"]);
    assert_eq!(after["changed_since_decision"], true);
    let live = read("&basis=live").await;
    assert_eq!(live["basis"], "live");
    assert_eq!(
        forvaltningsgemensamt(&live["drift"])["figures"]["avvikelse"],
        4814
    );
    // Each part reads as decided too.
    let table = app
        .get(&format!("/api/v1/reports/{report}/drift?unit=tkr"), &admin)
        .returns(200)
        .await;
    assert_eq!(forvaltningsgemensamt(&table)["figures"]["avvikelse"], 9024);
    let table = app
        .get(
            &format!("/api/v1/reports/{report}/drift?unit=tkr&basis=live"),
            &admin,
        )
        .returns(200)
        .await;
    assert_eq!(forvaltningsgemensamt(&table)["figures"]["avvikelse"], 4814);

    // The diff names the line's figures and the write behind them.
    let diff = app
        .get(&format!("/api/v1/reports/{report}/diff"), &admin)
        .returns(200)
        .await;
    assert_eq!(diff["changed_since_decision"], true);
    let paths: Vec<&str> = texts(&diff["differences"], "path");
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("/drift/tkr/rows/") && p.ends_with("/figures/avvikelse")),
        "{paths:?}"
    );
    assert!(
        diff["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["resource_type"] == "budget_line_values" && e["resource_id"] == line),
        "{diff}"
    );

    // More kinds of writes behind the report: flat import, volume values,
    // key figures, indicator values and overrides.
    let integration = app.token(Role::Integration);
    app.upload(
        "/api/v1/imports/flat",
        &integration,
        "text/csv",
        "namnd;line;month;measure;amount\nVON;forvaltningsgemensamt;2024-01/2024-12;budget;-30000000\n",
    )
    .returns(200)
    .await;
    let mapping = app
        .post(
            "/api/v1/dimension-mappings",
            &admin,
            &json!({"name": "Ledger", "sie_dimensions": {"ansvar": 1}, "rules": [
                {"match": {"ansvar": "11*"}, "target": {"namnd": "VON", "line": "forvaltningsgemensamt"}}]}),
        )
        .returns(201)
        .await;
    app.upload(
        &format!("/api/v1/imports/sie?mapping_id={}", id_of(&mapping)),
        &admin,
        "text/plain",
        "#FLAGGA 0\r\n#FORMAT PC8\r\n#SIETYP 4\r\n#RAR 0 20240101 20241231\r\n#DIM 1 \"Ansvar\"\r\n\
         #OBJEKT 1 \"110\" \"Vard och omsorg\"\r\n#KONTO 4010 \"Inkop\"\r\n\
         #PSALDO 0 202402 4010 {1 \"110\"} 26241000.00\r\n",
    )
    .returns(200)
    .await;
    let measure = app.id_of("/api/v1/volume-measures?namnd=VON", &admin).await;
    app.put(
        &format!("/api/v1/volume-measures/{measure}/values"),
        &admin,
        &json!({"values": [{"kind": "utfall", "period": {"from": "2024-01", "to": "2024-12"}, "value": 1}]}),
    )
    .returns(200)
    .await;
    let figure = app
        .get("/api/v1/key-figures?namnd=VON&year=2024", &admin)
        .returns(200)
        .await;
    let figure = &figure["items"][0];
    app.patch(
        &format!("/api/v1/key-figures/{}", id_of(figure)),
        &admin,
        &json!({"t": 1}),
    )
    .if_match(&figure["version"])
    .returns(200)
    .await;
    let indicator = app
        .id_of("/api/v1/indicators?kolada_id=U21468", &admin)
        .await;
    app.put(
        &format!("/api/v1/indicators/{indicator}/values"),
        &admin,
        &json!({"values": [{"gender": "T", "value": 1, "year": 2024}]}),
    )
    .returns(200)
    .await;
    app.put(
        &format!("/api/v1/indicators/{indicator}/overrides/2024"),
        &admin,
        &json!({"trend": {"value": "oforandrad", "reason": "Test"}}),
    )
    .returns(200)
    .await;
    let (bytes_after, digest_after) = version_bytes(&app, &admin, &report, 1).await;
    assert_eq!(bytes_after, bytes, "the decided version never changes");
    assert_eq!(digest_after, digest);
    // The report's own content is locked while it is approved.
    app.put(
        &format!("/api/v1/reports/{report}/sections/inledning"),
        &redaktor,
        &json!({"body": "Ändrad"}),
    )
    .problem(409)
    .await;
    let goal = app.id_of("/api/v1/goals?namnd=VON", &admin).await;
    app.put(
        &format!("/api/v1/reports/{report}/assessments/{goal}"),
        &redaktor,
        &json!({"bedomning": "gron", "comment": "Ändrad"}),
    )
    .problem(409)
    .await;

    // Reopened and approved again: version 2, chained to version 1.
    step(
        &app,
        &admin,
        &report,
        "reopen",
        json!({"reason": "Rättelse av utfallet"}),
    )
    .returns(200)
    .await;
    let reopened = read("").await;
    assert_eq!(reopened["basis"], "live");
    step(&app, &admin, &report, "submit", json!({}))
        .returns(200)
        .await;
    let decision = json!({"beslut_datum": "2025-03-27", "beslut_paragraf": "§ 40",
        "diarienummer": "VON 2025/12"});
    step(&app, &admin, &report, "approve", decision)
        .returns(200)
        .await;
    let versions = app
        .get(&format!("/api/v1/reports/{report}/versions"), &admin)
        .returns(200)
        .await;
    assert_eq!(versions["items"][1]["number"], 2);
    assert_eq!(versions["items"][1]["prev_sha256"], decided["sha256"]);
    assert_eq!(versions["items"][1]["diarienummer"], "VON 2025/12");
    let again = read("").await;
    assert_eq!(again["decided_version"]["number"], 2);
    assert_eq!(
        forvaltningsgemensamt(&again["drift"])["figures"]["avvikelse"],
        5000
    );
    assert_eq!(again["changed_since_decision"], false);
    let (first, _) = version_bytes(&app, &admin, &report, 1).await;
    assert_eq!(first, bytes, "version 1 is kept as it was");
    app.get(&format!("/api/v1/reports/{report}/versions/3"), &admin)
        .problem(404)
        .await;

    // verify: every hash and chain holds, until a stored document is altered.
    let db = app.db().await;
    let (checked, broken) = kommunrapport::service::versions::verify(&db).await.unwrap();
    assert!(checked >= 2 && broken.is_empty(), "{broken:?}");
    db.execute_unprepared(
        "UPDATE report_version SET document = replace(document, '9024', '9025') WHERE number = 1",
    )
    .await
    .unwrap();
    let (_, broken) = kommunrapport::service::versions::verify(&db).await.unwrap();
    let numbers: Vec<i32> = broken.iter().map(|b| b.number).collect();
    assert!(numbers.contains(&1) && numbers.contains(&2), "{broken:?}");
}
both_databases!(an_approved_report_reads_as_decided);

async fn closed_months_refuse_every_value_write(backend: Backend) {
    let app = demo_app(backend).await;
    let admin = app.token(Role::Admin);
    let kommunledning = app.token(Role::Kommunledning);
    let period = app
        .id_of("/api/v1/periods?kind=helar&year=2024", &admin)
        .await;
    let line = app
        .id_of(
            "/api/v1/budget-lines?namnd=VON&code=forvaltningsgemensamt",
            &admin,
        )
        .await;
    let values_path = format!("/api/v1/budget-lines/{line}/values");
    let stored = app.get(&values_path, &admin).returns(200).await;

    // A redaktör may not close; kommunledning may.
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    period_step(&app, &redaktor, &period, "close")
        .problem(403)
        .await;
    let closed = period_step(&app, &kommunledning, &period, "close")
        .returns(200)
        .await;
    assert!(closed["closed_at"].is_string());
    period_step(&app, &admin, &period, "close")
        .problem(409)
        .await;

    // Budget values, a table, a flat import and volume values in a closed
    // month: 409 naming the month and the period; nothing written.
    let problem = line_value(
        &app,
        &admin,
        &line,
        json!({"measure": "utfall", "month": "2024-05", "amount": -1}),
    )
    .problem(409)
    .await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("2024-05") && detail.contains("2024"),
        "{detail}"
    );
    let problem = app
        .upload(
            "/api/v1/imports/flat",
            &admin,
            "text/csv",
            "namnd;line;month;measure;amount\nVON;forvaltningsgemensamt;2025-01;utfall;-5\nVON;forvaltningsgemensamt;2024-11;utfall;-5\n",
        )
        .problem(409)
        .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("2024-11"),
        "{problem}"
    );
    let measure = app.id_of("/api/v1/volume-measures?namnd=VON", &admin).await;
    app.put(
        &format!("/api/v1/volume-measures/{measure}/values"),
        &admin,
        &json!({"values": [{"kind": "utfall", "month": "2024-03", "value": 7}]}),
    )
    .problem(409)
    .await;
    let measure_now = app
        .get(&format!("/api/v1/volume-measures/{measure}"), &admin)
        .returns(200)
        .await;
    app.delete(&format!("/api/v1/volume-measures/{measure}"), &admin)
        .if_match(&measure_now["version"])
        .problem(409)
        .await;
    // Staff figures of 2024 belong to its bokslut: refused while December
    // 2024 is closed, whether created, changed or deleted.
    let figures = app
        .get("/api/v1/key-figures?year=2024&limit=1", &admin)
        .returns(200)
        .await;
    let figure = figures["items"][0].clone();
    let figure_path = format!("/api/v1/key-figures/{}", id_of(&figure));
    let problem = app
        .patch(&figure_path, &admin, &json!({"t": 1}))
        .if_match(&figure["version"])
        .problem(409)
        .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("2024-12"),
        "{problem}"
    );
    app.delete(&figure_path, &admin)
        .if_match(&figure["version"])
        .problem(409)
        .await;
    app.post(
        "/api/v1/key-figures",
        &admin,
        &json!({"namnd_id": figure["namnd_id"], "name": "Timanställda", "unit": "antal", "year": 2024}),
    )
    .problem(409)
    .await;
    assert_eq!(
        app.get(&figure_path, &admin).returns(200).await,
        figure,
        "the figure is unchanged"
    );
    // 2025's figures are not in the closed period.
    app.post(
        "/api/v1/key-figures",
        &admin,
        &json!({"namnd_id": figure["namnd_id"], "name": "Timanställda", "unit": "antal", "year": 2025}),
    )
    .returns(201)
    .await;
    // Indicator values are statistics revised after the decision (seed 000
    // line 1135): they stay writable; the decided version keeps its own.
    let indicator = app.id_of("/api/v1/indicators?limit=1", &admin).await;
    app.put(
        &format!("/api/v1/indicators/{indicator}/values"),
        &admin,
        &json!({"values": [{"year": 2024, "value": 1}]}),
    )
    .returns(200)
    .await;
    assert_eq!(
        app.get(&values_path, &admin).returns(200).await,
        stored,
        "nothing written"
    );
    // An open month stays writable.
    line_value(
        &app,
        &admin,
        &line,
        json!({"measure": "utfall", "month": "2025-01", "amount": -1}),
    )
    .returns(200)
    .await;

    // Reopened: writable again; both steps are in the audit log.
    period_step(&app, &admin, &period, "reopen")
        .returns(200)
        .await;
    line_value(
        &app,
        &admin,
        &line,
        json!({"measure": "utfall", "month": "2024-05", "amount": -1}),
    )
    .returns(200)
    .await;
    let audit = app
        .get(
            &format!("/api/v1/audit?resource_type=period&resource_id={period}"),
            &admin,
        )
        .returns(200)
        .await;
    let actions: Vec<&str> = texts(&audit["items"], "action");
    assert_eq!(actions, ["create", "close", "reopen"]);
}
both_databases!(closed_months_refuse_every_value_write);

/// Prognossäkerhet compares decided versions: the delårsrapport's
/// helårsprognos against the årsredovisning's utfall, in kr and % of budget.
async fn forecast_accuracy_compares_decided_versions(backend: Backend) {
    let app = demo_app(backend).await;
    let admin = app.token(Role::Admin);
    let view = |app: &TestApp, query: &'static str| {
        let admin = admin.clone();
        let path = format!("/api/v1/kommun/prognossakerhet?{query}");
        let request = app.get(&path, &admin);
        async move { request.returns(200).await }
    };
    let von = |rows: &Value| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["namnd"] == "VON" && r["year"] == 2024)
            .cloned()
            .unwrap_or_else(|| panic!("no VON 2024 in {rows}"))
    };
    let before = von(&view(&app, "from_year=2024&to_year=2024").await);
    assert_eq!(before["arsredovisning_version"], 1);
    assert_eq!(before["delarsrapport_version"], 1);

    // The delårsrapport decided again, now with a helårsprognos.
    let delar = app
        .id_of("/api/v1/reports?namnd=VON&type=delarsrapport", &admin)
        .await;
    step(&app, &admin, &delar, "reopen", json!({"reason": "Prognos"}))
        .returns(200)
        .await;
    let line = app
        .id_of(
            "/api/v1/budget-lines?namnd=VON&code=forvaltningsgemensamt",
            &admin,
        )
        .await;
    line_value(
        &app,
        &admin,
        &line,
        json!({"measure": "prognos", "made_at": "2024-08", "amount": -906000000}),
    )
    .returns(200)
    .await;
    step(&app, &admin, &delar, "submit", json!({}))
        .returns(200)
        .await;
    step(
        &app,
        &admin,
        &delar,
        "approve",
        json!({"beslut_datum": "2024-10-24", "beslut_paragraf": "§ 101"}),
    )
    .returns(200)
    .await;
    let row = von(&view(&app, "from_year=2024&to_year=2024").await);
    assert_eq!(row["delarsrapport_version"], 2);
    assert_eq!(row["helarsprognos"], -906000000);
    assert_eq!(row["utfall"], before["utfall"]);
    let utfall = row["utfall"].as_f64().unwrap();
    assert_eq!(
        row["prognossakerhet"].as_f64().unwrap(),
        -906000000.0 - utfall
    );
    assert!(row["prognossakerhet_procent"].is_number(), "{row}");

    let csv = app
        .get(
            "/api/v1/kommun/prognossakerhet?from_year=2024&to_year=2024&format=csv",
            &admin,
        )
        .text()
        .await;
    assert!(
        csv.starts_with('\u{feff}') && csv.contains("Prognossäkerhet %"),
        "{csv}"
    );
    app.get(
        "/api/v1/kommun/prognossakerhet?from_year=2024&to_year=1800",
        &admin,
    )
    .invalid(&["to_year"])
    .await;
    app.get(
        "/api/v1/kommun/prognossakerhet?from_year=2024&to_year=2024",
        &app.token_in("0483", Role::Redaktor, &["VON"]),
    )
    .problem(403)
    .await;
}
both_databases!(forecast_accuracy_compares_decided_versions);
