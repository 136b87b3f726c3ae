//! Integration files: Kolada v2 JSON and flat budget rows (CSV and JSON),
//! imported with dry runs, row errors and idempotent re-imports, and
//! exported in the same formats.

use kommunrapport::auth::Role;
use reqwest::RequestBuilder;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

fn post_kolada(app: &TestApp, token: &str, query: &str, doc: &Value) -> RequestBuilder {
    app.post(&format!("/api/v1/imports/kolada{query}"), token, doc)
}

fn post_csv(app: &TestApp, token: &str, query: &str, bytes: Vec<u8>) -> RequestBuilder {
    app.upload(
        &format!("/api/v1/imports/flat{query}"),
        token,
        "text/csv; charset=utf-8",
        bytes,
    )
}

/// The stored value of `kpi` for `year` and `gender` (from the export).
async fn kolada_value(app: &TestApp, token: &str, kpi: &str, year: i32, gender: &str) -> Value {
    let doc = app
        .get(&format!("/api/v1/exports/kolada?year={year}"), token)
        .returns(200)
        .await;
    doc["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kpi"] == kpi)
        .and_then(|e| {
            e["values"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["gender"] == gender)
        })
        .map(|v| v["value"].clone())
        .unwrap_or(Value::Null)
}

fn entry(kpi: &str, municipality: &str, year: i32, values: Value) -> Value {
    json!({"kpi": kpi, "municipality": municipality, "period": year, "values": values})
}

fn kolada(entries: Vec<Value>) -> Value {
    json!({"count": entries.len(), "values": entries, "next_page": null})
}

async fn kolada_file_updates_seed_000(backend: Backend) {
    let app = demo_app(backend).await;
    let token = app.token(Role::Integration);
    assert_eq!(kolada_value(&app, &token, "U21468", 2024, "T").await, 83);
    let file = kolada(vec![
        entry(
            "U21468",
            "0483",
            2024,
            json!([
                {"gender": "T", "value": 84.0, "status": "", "count": 1},
                {"gender": "K", "value": 86.5, "status": "", "count": 1},
                {"gender": "M", "value": null, "status": "", "count": 0}
            ]),
        ),
        entry(
            "U23471",
            "0483",
            2023,
            json!([{"gender": "T", "value": 83.0, "status": "", "count": 1, "isdeleted": false}]),
        ),
        entry(
            "U28519",
            "0483",
            2024,
            json!([{"gender": "T", "value": 81, "status": "", "count": 1}]),
        ),
        entry(
            "U21468",
            "1882",
            2024,
            json!([{"gender": "T", "value": 12, "status": ""}]),
        ),
        entry(
            "N99999",
            "0483",
            2024,
            json!([{"gender": "T", "value": 1, "status": ""}]),
        ),
    ]);

    // A dry run reports the changes and writes nothing.
    let report = post_kolada(&app, &token, "?dry_run=true", &file)
        .returns(200)
        .await;
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["applied"], false);
    assert_eq!(report["rows"], 5);
    assert_eq!(report["changes"].as_array().unwrap().len(), 3, "{report}");
    assert_eq!(report["unchanged"], 2, "83 for U23471 2023 and the null M");
    let skipped: Vec<u64> = array(&report["skipped"])
        .iter()
        .map(|s| s["index"].as_u64().unwrap())
        .collect();
    assert_eq!(skipped, [3, 4]);
    assert!(
        report["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("1882")
    );
    let change = array(&report["changes"])
        .iter()
        .find(|c| c["kpi"] == "U21468" && c["gender"] == "T")
        .unwrap();
    assert_eq!(
        (change["before"].clone(), change["after"].clone()),
        (json!(83), json!(84))
    );
    assert!(change["indicator_id"].is_string());
    assert_eq!(kolada_value(&app, &token, "U21468", 2024, "T").await, 83);

    // Applied: the values land on the indicators.
    let report = post_kolada(&app, &token, "", &file).returns(200).await;
    assert_eq!(
        (
            report["applied"].clone(),
            report["changes"].as_array().unwrap().len()
        ),
        (json!(true), 3)
    );
    assert_eq!(kolada_value(&app, &token, "U21468", 2024, "T").await, 84);
    assert_eq!(kolada_value(&app, &token, "U21468", 2024, "K").await, 86.5);
    assert_eq!(kolada_value(&app, &token, "U28519", 2024, "T").await, 81);
    // The indicator's derived figures follow the new utfall.
    let (_, list) = app
        .get("/api/v1/indicators?kolada_id=U21468", &token)
        .reply()
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

    // Importing the same file again changes nothing.
    let (_, again) = post_kolada(&app, &token, "", &file).reply().await;
    assert_eq!(again["changes"], json!([]), "{again}");
    assert_eq!(again["applied"], false);
    assert_eq!(again["unchanged"], 5);

    // A bad gender refuses the whole file, naming the entry.
    let bad = kolada(vec![
        entry(
            "U21468",
            "0483",
            2024,
            json!([{"gender": "T", "value": 90}]),
        ),
        entry(
            "U23471",
            "0483",
            2024,
            json!([{"gender": "X", "value": 70}]),
        ),
    ]);
    let p = post_kolada(&app, &token, "", &bad).problem(422).await;
    assert_eq!(p["errors"][0]["index"], 1, "{p}");
    assert_eq!(p["errors"][0]["field"], "values[1].values[0].gender");
    assert_eq!(kolada_value(&app, &token, "U21468", 2024, "T").await, 84);
    // The dry run of the same file lists the error.
    let dry = post_kolada(&app, &token, "?dry_run=true", &bad)
        .returns(200)
        .await;
    assert_eq!(dry["errors"][0]["index"], 1, "{dry}");
    // Not JSON, or not a Kolada document.
    let p = app
        .upload("/api/v1/imports/kolada", &token, "text/csv", "kpi;value")
        .problem(415)
        .await;
    assert!(p["detail"].as_str().unwrap().contains("application/json"));
    post_kolada(&app, &token, "", &json!({"rows": []}))
        .invalid(&["values"])
        .await;
    post_kolada(
        &app,
        &token,
        "?dry_run=true",
        &json!({"values": [], "count": -1}),
    )
    .invalid(&["count"])
    .await;

    // Export → import changes nothing.
    let export = app.get("/api/v1/exports/kolada", &token).returns(200).await;
    let entries = export["values"].as_array().unwrap();
    assert_eq!(export["count"], entries.len());
    assert!(entries.len() >= 20, "{} entries", entries.len());
    assert!(entries.iter().all(|e| e["municipality"] == "0483"));
    let (_, round) = post_kolada(&app, &token, "", &export).reply().await;
    assert_eq!(round["changes"], json!([]), "{round}");
    assert_eq!(round["skipped"], json!([]));
    assert_eq!(round["errors"], json!([]));

    // A retried import with the same Idempotency-Key is answered once.
    let update = kolada(vec![entry(
        "U21468",
        "0483",
        2024,
        json!([{"gender": "T", "value": 85}]),
    )]);
    let send = || {
        app.post("/api/v1/imports/kolada", &token, &update)
            .header("Idempotency-Key", "kolada-2024-run-1")
            .send()
    };
    let (status, first) = body(send().await.unwrap()).await;
    assert_eq!(
        (status, first["changes"].as_array().unwrap().len()),
        (200, 1)
    );
    let retry = send().await.unwrap();
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let (_, replayed) = body(retry).await;
    assert_eq!(replayed, first);
    assert_eq!(kolada_value(&app, &token, "U21468", 2024, "T").await, 85);
}
both_databases!(kolada_file_updates_seed_000);

async fn only_integrations_and_planners_import(backend: Backend) {
    let app = demo_app(backend).await;
    let file = kolada(vec![entry(
        "U21468",
        "0483",
        2024,
        json!([{"gender": "T", "value": 99}]),
    )]);
    let csv = b"namnd;line;month;measure;amount\r\nVON;nytt;2025-01;budget;-100\r\n".to_vec();
    for role in [Role::Lasare, Role::Revisor, Role::Namndsekreterare] {
        let token = app.token(role);
        post_kolada(&app, &token, "", &file).problem(403).await;
        post_csv(&app, &token, "", csv.clone()).problem(403).await;
    }
    // A redaktör writes the figures of their own nämnd only.
    let socn = app.token_in("0483", Role::Redaktor, &["SOCN"]);
    post_csv(&app, &socn, "?dry_run=true", csv.clone())
        .problem(403)
        .await;
    let von = app.token_in("0483", Role::Redaktor, &["VON"]);
    post_csv(&app, &von, "?dry_run=true", csv.clone())
        .returns(200)
        .await;
    let kommunledning = app.token(Role::Kommunledning);
    post_kolada(&app, &kommunledning, "?dry_run=true", &file)
        .returns(200)
        .await;
    // Without a token: 401.
    let anonymous = app
        .client
        .post(app.url("/api/v1/imports/kolada"))
        .json(&file)
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;

    // Another kommun's integration (Askersund, in the demo data) cannot touch Katrineholm.
    let other = app.token_in("1882", Role::Integration, &[]);
    let report = post_kolada(&app, &other, "", &file).returns(200).await;
    assert_eq!(report["changes"], json!([]));
    assert_eq!(report["skipped"][0]["index"], 0);
    let p = post_csv(&app, &other, "", csv.clone()).problem(422).await;
    assert_eq!(p["errors"][0]["field"], "namnd", "{p}");
    app.get("/api/v1/exports/flat?namnd=VON", &other)
        .problem(422)
        .await;
    let (_, export) = app.get("/api/v1/exports/kolada", &other).reply().await;
    assert_eq!(export["values"], json!([]), "{export}");
    let integration = app.token(Role::Integration);
    assert_eq!(
        kolada_value(&app, &integration, "U21468", 2024, "T").await,
        83
    );
    // A kommun that does not exist yet: 404.
    let nowhere = app.token_in("0180", Role::Integration, &[]);
    post_kolada(&app, &nowhere, "", &file).problem(404).await;
}
both_databases!(only_integrations_and_planners_import);

/// The lines of VON with their values, as the export serves them.
async fn flat_rows(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let doc = app
        .get(&format!("/api/v1/exports/flat{query}"), token)
        .returns(200)
        .await;
    doc["rows"].as_array().unwrap().clone()
}

async fn flat_csv_with_swedish_habits(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    app.create_namnd(&admin, "VON", "namnd").await;
    let token = app.token(Role::Integration);
    let file = "\u{feff}namnd;line;month;measure;amount\r\n\
        VON;aldreomsorg;2024-03;utfall;-26241000,50\r\n\
        VON;aldreomsorg;2024-01/2024-12;budget;-320 000 000\r\n\
        \r\n\
        VON;aldreomsorg;2024-08;prognos;-318500000\r\n";

    let (status, dry) = post_csv(&app, &token, "?dry_run=true", file.as_bytes().to_vec())
        .reply()
        .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(
        (
            dry["format"].clone(),
            dry["rows"].clone(),
            dry["values_changed"].clone()
        ),
        (json!("csv"), json!(3), json!(3))
    );
    assert_eq!(
        dry["lines_created"],
        json!([{"namnd": "VON", "kind": "drift", "code": "aldreomsorg", "name": "aldreomsorg"}])
    );
    assert_eq!(dry["changes"][0]["line_number"], 2);
    assert_eq!(dry["changes"][0]["after"], json!(-26241000.5));
    assert_eq!(dry["changes"][2]["line_number"], 5, "the blank line counts");
    assert_eq!(
        dry["changes"][1]["period"],
        json!({"from": "2024-01", "to": "2024-12"})
    );
    assert!(
        flat_rows(&app, &token, "").await.is_empty(),
        "a dry run writes nothing"
    );

    let applied = post_csv(&app, &token, "", file.as_bytes().to_vec())
        .returns(200)
        .await;
    assert_eq!(
        (
            applied["applied"].clone(),
            applied["values_changed"].clone()
        ),
        (json!(true), json!(3))
    );
    let rows = flat_rows(&app, &token, "?year=2024").await;
    assert_eq!(
        rows,
        [
            json!({"namnd": "VON", "kind": "drift", "line": "aldreomsorg", "name": "aldreomsorg", "measure": "budget", "period": {"from": "2024-01", "to": "2024-12"}, "amount": -320000000}),
            json!({"namnd": "VON", "kind": "drift", "line": "aldreomsorg", "name": "aldreomsorg", "measure": "utfall", "month": "2024-03", "amount": -26241000.5}),
            json!({"namnd": "VON", "kind": "drift", "line": "aldreomsorg", "name": "aldreomsorg", "measure": "prognos", "month": "2024-08", "amount": -318500000}),
        ]
    );
    // Again: nothing changes.
    let (_, again) = post_csv(&app, &token, "", file.as_bytes().to_vec())
        .reply()
        .await;
    assert_eq!(
        (again["values_changed"].clone(), again["unchanged"].clone()),
        (json!(0), json!(3)),
        "{again}"
    );
    assert_eq!(again["lines_created"], json!([]));
    assert_eq!(again["applied"], false);

    // Comma separated with kind and name columns, costs positive.
    let file = "namnd,kind,line,name,month,measure,amount\n\
        VON,investering,P100,\"Nytt boende, etapp 1\",2024-05,utfall,\"1500000,25\"\n";
    let report = post_csv(
        &app,
        &token,
        "?costs_positive=true",
        file.as_bytes().to_vec(),
    )
    .returns(200)
    .await;
    assert_eq!(report["lines_created"][0]["name"], "Nytt boende, etapp 1");
    let rows = flat_rows(&app, &token, "?kind=investering").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["line"].clone(), rows[0]["amount"].clone()),
        (json!("P100"), json!(-1500000.25))
    );

    // Windows-1252 with Ä.
    let mut file = b"namnd;line;name;month;measure;amount\r\nVON;aldreomsorg_2;".to_vec();
    file.extend_from_slice(b"\xc4ldreomsorg;2024-04;utfall;-100\r\n");
    assert!(std::str::from_utf8(&file).is_err());
    post_csv(&app, &token, "", file).returns(200).await;
    let (_, lines) = app
        .get("/api/v1/budget-lines?code=aldreomsorg_2", &token)
        .reply()
        .await;
    assert_eq!(lines["items"][0]["name"], "Äldreomsorg", "{lines}");

    // Excel's "Unicode text": UTF-16LE with its BOM, tab-separated.
    let text = "nämnd\trad\tnamn\tmånad\tmått\tbelopp\r\nVON\taldreomsorg_3\tÄldreomsorg 3\t2024-04\tutfall\t-100,5\r\n";
    let file: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let report = post_csv(&app, &token, "", file).returns(200).await;
    assert_eq!(
        report["lines_created"][0]["name"], "Äldreomsorg 3",
        "{report}"
    );

    // JSON rows with kind by default, period and made_at.
    let doc = json!({"rows": [
        {"namnd": "VON", "line": "hemtjanst", "measure": "budget", "period": {"from": "2024-01", "to": "2024-06"}, "amount": "-1000"},
        {"namnd": "VON", "line": "hemtjanst", "name": "Hemtjänst", "measure": "prognos", "made_at": "2024-04", "amount": -2000}
    ]});
    let report = app
        .post("/api/v1/imports/flat", &token, &doc)
        .returns(200)
        .await;
    assert_eq!(
        (report["format"].clone(), report["values_changed"].clone()),
        (json!("json"), json!(2))
    );
    assert_eq!(report["lines_created"][0]["name"], "Hemtjänst");
    assert_eq!(
        report["changes"][0]["line_number"],
        Value::Null,
        "JSON rows have no line"
    );

    // Another content type: 415.
    let p = app
        .upload("/api/v1/imports/flat", &token, "application/xml", "<rows/>")
        .problem(415)
        .await;
    assert!(p["detail"].as_str().unwrap().contains("text/csv"));
    // A header without the required columns.
    let p = post_csv(&app, &token, "", b"namnd;belopp\r\nVON;1\r\n".to_vec())
        .problem(422)
        .await;
    assert!(error_fields(&p).iter().all(|f| f == "header"), "{p}");
}
both_databases!(flat_csv_with_swedish_habits);

async fn a_broken_file_is_refused_with_its_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    app.create_namnd(&admin, "VON", "namnd").await;
    let token = app.token(Role::Integration);
    let file = "namnd;line;month;measure;amount\r\n\
        VON;aldreomsorg;2024-03;utfall;-100\r\n\
        VON;aldreomsorg;2024-13;utfall;-100\r\n\
        XYZ;aldreomsorg;2024-04;utfall;-100\r\n\
        VON;aldreomsorg;2024-05;utfall;tjugo\r\n\
        VON;aldreomsorg;2024-06;forecast;-1\r\n\
        VON;aldreomsorg;2024-03;utfall;-200\r\n";
    let p = post_csv(&app, &token, "", file.as_bytes().to_vec())
        .problem(422)
        .await;
    let errors: Vec<(u64, &str)> = array(&p["errors"])
        .iter()
        .map(|e| {
            (
                e["line_number"].as_u64().unwrap(),
                e["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [(3, "month"), (4, "namnd"), (5, "amount"), (6, "measure")],
        "{p}"
    );
    assert_eq!(p["errors"][0]["index"], 1);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was imported")
    );
    assert!(
        flat_rows(&app, &token, "").await.is_empty(),
        "nothing applied"
    );
    // The dry run reports the same rows.
    let (status, dry) = post_csv(&app, &token, "?dry_run=true", file.as_bytes().to_vec())
        .reply()
        .await;
    assert_eq!(status, 200);
    assert_eq!(dry["errors"].as_array().unwrap().len(), 4, "{dry}");
    // Once the others are fixed, the repeated value of line 7 is refused.
    let fixed = "namnd;line;month;measure;amount\r\n\
        VON;aldreomsorg;2024-03;utfall;-100\r\n\
        VON;aldreomsorg;2024-03;utfall;-200\r\n";
    let p = post_csv(&app, &token, "", fixed.as_bytes().to_vec())
        .problem(422)
        .await;
    assert_eq!(p["errors"][0]["line_number"], 3, "{p}");
    // Two whole-period values that cross (jan–aug, jul–dec): refused by the
    // ledger rule, as july and august would count twice.
    let overlap = "namnd;line;month;measure;amount\r\n\
        VON;aldreomsorg;2024-01/2024-08;utfall;-800\r\n\
        VON;aldreomsorg;2024-07/2024-12;utfall;-600\r\n";
    let p = post_csv(&app, &token, "", overlap.as_bytes().to_vec())
        .problem(422)
        .await;
    assert_eq!(p["errors"][0]["line_number"], 2, "{p}");
    assert!(
        flat_rows(&app, &token, "").await.is_empty(),
        "nothing applied"
    );

    // Not text in any encoding read here: a workbook, and UTF-16 without
    // its byte-order mark.
    for (bytes, says) in [
        (b"PK\x03\x04\x14\x00\x06\x00".to_vec(), ".xlsx"),
        (b"n\x00a\x00m\x00n\x00d\x00".to_vec(), "NUL"),
        // UTF-8 (å) and then Windows-1252 (ö): refused, not garbled.
        (
            b"namnd;line;month;measure;amount\nVON;\xc3\xa5;2024-01;utfall;1\nVON;\xf6;2024-01;utfall;1\n"
                .to_vec(),
            "line 3",
        ),
    ] {
        let p = post_csv(&app, &token, "", bytes).problem(422).await;
        assert_eq!(error_fields(&p), ["file"], "{p}");
        assert!(
            p["errors"][0]["message"].as_str().unwrap().contains(says),
            "{p}"
        );
    }
    assert!(
        flat_rows(&app, &token, "").await.is_empty(),
        "nothing applied"
    );

    // JSON: a text amount and an unknown field, by row index.
    let doc = json!({"rows": [
        {"namnd": "VON", "line": "a", "measure": "utfall", "month": "2024-01", "amount": "tjugo"},
        {"namnd": "VON", "line": "a", "measure": "utfall", "month": "2024-02", "amount": 1, "avvikelse": 3},
        {"namnd": "VON", "line": "a", "measure": "utfall", "month": "2024-03", "amount": 1}
    ]});
    let p = app
        .post("/api/v1/imports/flat", &token, &doc)
        .problem(422)
        .await;
    let errors: Vec<(u64, &str)> = array(&p["errors"])
        .iter()
        .map(|e| (e["index"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(0, "amount"), (1, "avvikelse")], "{p}");
    assert!(
        flat_rows(&app, &token, "").await.is_empty(),
        "nothing applied"
    );
}
both_databases!(a_broken_file_is_refused_with_its_rows);

async fn flat_export_round_trips(backend: Backend) {
    let app = demo_app(backend).await;
    let token = app.token(Role::Integration);
    let json_rows = flat_rows(&app, &token, "?year=2024&namnd=VON").await;
    assert!(json_rows.len() >= 10, "{} rows", json_rows.len());
    let aldreomsorg = json_rows
        .iter()
        .find(|r| r["line"] == "aldreomsorg" && r["measure"] == "budget")
        .unwrap();
    assert_eq!(
        aldreomsorg["period"],
        json!({"from": "2024-01", "to": "2024-12"})
    );

    let csv = app
        .get("/api/v1/exports/flat?year=2024&format=csv", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = csv.bytes().await.unwrap().to_vec();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("\u{feff}namnd;kind;line;name;month;measure;amount\r\n"));
    assert!(
        text.contains("VON;drift;aldreomsorg;Äldreomsorg;2024-01/2024-12;budget;"),
        "{text}"
    );
    let report = post_csv(&app, &token, "", bytes).returns(200).await;
    assert_eq!(report["values_changed"], 0, "{report}");
    assert_eq!(report["lines_created"], json!([]));
    assert_eq!(report["unchanged"], report["rows"]);

    let doc = json!({"rows": json_rows});
    let report = app
        .post("/api/v1/imports/flat", &token, &doc)
        .returns(200)
        .await;
    assert_eq!(
        (report["values_changed"].clone(), report["applied"].clone()),
        (json!(0), json!(false))
    );

    // A new month on the demo lines (2025), retried with an Idempotency-Key.
    let file =
        b"namnd;line;month;measure;amount\r\nVON;aldreomsorg;2025-01;utfall;-27000000\r\n".to_vec();
    let send = || {
        app.upload("/api/v1/imports/flat", &token, "text/csv", file.clone())
            .header("Idempotency-Key", "flat-2025-01")
            .send()
    };
    let (status, first) = body(send().await.unwrap()).await;
    assert_eq!(
        (status, first["values_changed"].clone()),
        (200, json!(1)),
        "{first}"
    );
    let retry = send().await.unwrap();
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let (_, replayed) = body(retry).await;
    assert_eq!(replayed, first);
    let rows = flat_rows(&app, &token, "?year=2025&namnd=VON").await;
    assert_eq!(rows.len(), 1);

    // Readers without figure access may not export (403 before the query
    // is read).
    let lasare = app.token(Role::Lasare);
    app.get("/api/v1/exports/flat?year=2024", &lasare)
        .problem(403)
        .await;
    app.get("/api/v1/exports/flat?namnd=VON", &lasare)
        .problem(403)
        .await;
}
both_databases!(flat_export_round_trips);

/// A ledger file of `lines` lines × 2 years × 12 months × utfall and budget,
/// with `extra` inserted after half the rows.
fn ledger_csv(lines: usize, extra: Option<&str>) -> (Vec<u8>, usize) {
    let mut rows = Vec::new();
    for l in 0..lines {
        let namnd = if l % 2 == 0 { "VON" } else { "BUN" };
        for year in [2023, 2024] {
            for month in 1..=12 {
                for measure in ["utfall", "budget"] {
                    rows.push(format!(
                        "{namnd};L{l:03};{year}-{month:02};{measure};-{},{:02}",
                        1000 + l * 10 + month,
                        l % 100
                    ));
                }
            }
        }
    }
    let middle = rows.len() / 2;
    if let Some(extra) = extra {
        rows.insert(middle, extra.to_string());
    }
    let file = format!(
        "namnd;line;month;measure;amount\r\n{}\r\n",
        rows.join("\r\n")
    );
    (file.into_bytes(), middle)
}

async fn a_large_file_with_one_bad_row_applies_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    app.create_namnd(&admin, "VON", "namnd").await;
    app.create_namnd(&admin, "BUN", "namnd").await;
    let token = app.token(Role::Integration);
    let nothing_stored = || async {
        assert!(flat_rows(&app, &token, "").await.is_empty());
        let (_, lines) = app.get("/api/v1/budget-lines", &admin).reply().await;
        assert_eq!(lines["items"], json!([]), "no line was created");
    };

    // A row that fails its own check, in the middle of 2 881 rows.
    let (file, middle) = ledger_csv(60, Some("VON;L010;2024-05;utfall;tjugo"));
    let p = post_csv(&app, &token, "", file).problem(422).await;
    assert_eq!(p["errors"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["errors"][0]["line_number"], middle + 2, "{p}");
    assert_eq!(p["errors"][0]["field"], "amount");
    nothing_stored().await;

    // Two rows that are fine alone but whose periods cross on L031 (a
    // month counted twice): found while writing, and everything written
    // before them is rolled back.
    let (file, _) = ledger_csv(
        60,
        Some("BUN;L031;2024-01/2024-06;budget;-5\r\nBUN;L031;2024-04/2024-09;budget;-5"),
    );
    let p = post_csv(&app, &token, "", file).problem(422).await;
    assert_eq!(p["errors"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["errors"][0]["field"], "month");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("only when one period lies wholly inside the other"),
        "{p}"
    );
    nothing_stored().await;

    // The same file without the bad row applies whole, and again changes nothing.
    let (file, _) = ledger_csv(60, None);
    let report = post_csv(&app, &token, "", file.clone()).returns(200).await;
    assert_eq!(report["values_changed"], 2880);
    assert_eq!(report["lines_created"].as_array().unwrap().len(), 60);
    assert_eq!(flat_rows(&app, &token, "").await.len(), 2880);
    let (_, again) = post_csv(&app, &token, "", file).reply().await;
    assert_eq!(
        (again["values_changed"].clone(), again["unchanged"].clone()),
        (json!(0), json!(2880))
    );

    // The kommun view (kept totals) agrees with each nämnd's own lines.
    let period = app.create_period(&admin, "delar", 2024).await;
    crate::kommun_views::assert_kommun_rows_match_own_tables(
        &app,
        &app.token(Role::Kommunledning),
        &id_of(&period),
        "drift",
    )
    .await;
}
both_databases!(a_large_file_with_one_bad_row_applies_nothing);

/// Staging tables left in the application's database (PostgreSQL).
async fn staging_tables(app: &TestApp) -> Vec<String> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if !app.settings.database_url.starts_with("postgres") {
        return Vec::new();
    }
    let db = app.db().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT tablename::text AS name FROM pg_tables WHERE tablename LIKE 'import\\_stage\\_%'",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect()
}

/// Whether `budget_value` of the application's database has been vacuumed
/// within ten seconds (always true on SQLite, which has no VACUUM to wait
/// for): the bulk path vacuums it in the background after answering.
async fn values_vacuumed(app: &TestApp) -> bool {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if !app.settings.database_url.starts_with("postgres") {
        return true;
    }
    let db = app.db().await;
    let count = Statement::from_string(
        DbBackend::Postgres,
        "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'budget_value'",
    );
    for _ in 0..100 {
        let row = db.query_one_raw(count.clone()).await.unwrap().unwrap();
        if row.try_get::<i64>("", "vacuum_count").unwrap() > 0 {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// A file large enough for the COPY path (the threshold lowered to 100
/// rows) gives what the multi-row statements give: on PostgreSQL it goes
/// through a staging table that is gone afterwards, on SQLite through the
/// statements.
async fn a_copied_import_matches_the_statement_path(backend: Backend) {
    let copying = spawn_with(backend, |s| s.import_copy_from_rows = 100).await;
    let plain = spawn_app(backend).await;
    let mut exports = Vec::new();
    for app in [&copying, &plain] {
        let admin = app.katrineholm().await;
        app.create_namnd(&admin, "VON", "namnd").await;
        app.create_namnd(&admin, "BUN", "namnd").await;
        let token = app.token(Role::Integration);

        // A month counted twice on L031, found while the values stream:
        // nothing applied, no staging table left.
        let (file, _) = ledger_csv(
            60,
            Some("BUN;L031;2024-01/2024-06;budget;-5\r\nBUN;L031;2024-04/2024-09;budget;-5"),
        );
        let p = post_csv(app, &token, "", file).problem(422).await;
        assert_eq!(p["errors"][0]["field"], "month", "{p}");
        assert!(flat_rows(app, &token, "").await.is_empty());
        assert_eq!(staging_tables(app).await, Vec::<String>::new());

        // A dry run stores nothing either.
        let (file, _) = ledger_csv(60, None);
        let dry = post_csv(app, &token, "?dry_run=true", file.clone())
            .returns(200)
            .await;
        assert_eq!(dry["values_changed"], 2880);
        assert!(flat_rows(app, &token, "").await.is_empty());

        // New values, then changed and added ones.
        let report = post_csv(app, &token, "", file).returns(200).await;
        assert_eq!(report["values_changed"], 2880);
        assert_eq!(report["lines_created"].as_array().unwrap().len(), 60);
        if std::ptr::eq(app, &copying) {
            // Visibility and statistics follow the bulk load at once.
            assert!(values_vacuumed(app).await, "budget_value not vacuumed");
        }
        let changed = "namnd;line;month;measure;amount\r\n\
            VON;L000;2023-01;utfall;-1,00\r\n\
            BUN;L001;2024-12;budget;-2,00\r\n\
            BUN;L003;2025-01;budget;-3,00\r\n";
        let mut file = changed.to_string();
        // Padding to pass the threshold: the same values again.
        let (same, _) = ledger_csv(60, None);
        let same = String::from_utf8(same).unwrap();
        for row in same.lines().skip(1).filter(|r| {
            !["VON;L000;2023-01;utfall", "BUN;L001;2024-12;budget"]
                .iter()
                .any(|k| r.starts_with(k))
        }) {
            file.push_str(row.trim_end());
            file.push_str("\r\n");
        }
        let report = post_csv(app, &token, "", file.into_bytes())
            .returns(200)
            .await;
        assert_eq!(report["values_changed"], 3, "{report}");
        assert_eq!(report["unchanged"], 2878, "{report}");
        assert_eq!(staging_tables(app).await, Vec::<String>::new());

        // One audit entry per nämnd and kind and import, besides the lines.
        let audit = app
            .get("/api/v1/audit?resource_type=budget_table&limit=100", &admin)
            .returns(200)
            .await;
        assert_eq!(audit["items"].as_array().unwrap().len(), 4, "{audit}");

        let period = app.create_period(&admin, "delar", 2024).await;
        crate::kommun_views::assert_kommun_rows_match_own_tables(
            app,
            &app.token(Role::Kommunledning),
            &id_of(&period),
            "drift",
        )
        .await;
        exports.push(flat_rows(app, &token, "").await);
    }
    assert_eq!(exports[0].len(), 2881);
    assert_eq!(exports[0], exports[1]);
}
both_databases!(a_copied_import_matches_the_statement_path);

/// On PostgreSQL a large import's new values skip the foreign keys' row
/// triggers; the one check of the whole stage stands in for them: a staged
/// value naming a line the kommun does not have is refused, and nothing
/// is written.
#[tokio::test]
async fn staged_values_of_a_missing_line_are_refused() {
    use kommunrapport::{
        domain::Measure,
        service::import_stage::{Op, Stage},
    };
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

    let app = spawn_app(Backend::Postgres).await;
    let admin = app.katrineholm().await;
    app.create_namnd(&admin, "VON", "namnd").await;
    let token = app.token(Role::Integration);
    let (file, _) = ledger_csv(1, None);
    post_csv(&app, &token, "", file).returns(200).await;
    let db = app.db().await;
    let one = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_string());
    let row = db
        .query_one_raw(one(
            "SELECT l.kommun_id, l.id AS line_id, (SELECT count(*) FROM budget_value) AS n \
             FROM budget_line l LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap();
    let kommun_id: uuid::Uuid = row.try_get("", "kommun_id").unwrap();
    let line_id: uuid::Uuid = row.try_get("", "line_id").unwrap();
    let stored: i64 = row.try_get("", "n").unwrap();

    for (line, refused) in [(uuid::Uuid::now_v7(), true), (line_id, false)] {
        let mut stage = Stage::on(&db).unwrap();
        stage
            .push(
                Op::Insert,
                Some(uuid::Uuid::now_v7()),
                line,
                (Measure::Budget, 203001, 203001),
                Some(-100),
            )
            .await
            .unwrap();
        let txn = db.begin().await.unwrap();
        let applied = stage.apply(&txn, kommun_id, chrono::Utc::now()).await;
        match applied {
            // Refused by the check of the whole stage, not a row trigger.
            Err(e) => assert!(
                refused
                    && e.to_string()
                        .contains("budget lines the kommun does not have"),
                "{e}"
            ),
            Ok(()) => assert!(!refused),
        }
        txn.rollback().await.unwrap();
        stage.close().await;
    }
    let after: i64 = db
        .query_one_raw(one("SELECT count(*) AS n FROM budget_value"))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    assert_eq!(after, stored);
    assert_eq!(staging_tables(&app).await, Vec::<String>::new());
}

/// The rows of [`ledger_csv`] (without an extra row) as a JSON document.
fn ledger_json(lines: usize) -> Vec<u8> {
    let (csv, _) = ledger_csv(lines, None);
    let text = String::from_utf8(csv).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            json!({"namnd": f[0], "line": f[1], "month": f[2], "measure": f[3], "amount": f[4].replace(',', ".")})
        })
        .collect();
    serde_json::to_vec(&json!({"source": "ledger", "rows": rows})).unwrap()
}

fn post_json_bytes(app: &TestApp, token: &str, bytes: Vec<u8>) -> RequestBuilder {
    app.upload("/api/v1/imports/flat", token, "application/json", bytes)
}

/// Sends `body` with chunked transfer encoding (no Content-Length) and
/// returns the status line.
async fn post_chunked(app: &TestApp, token: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST /api/v1/imports/flat HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    // The service may answer and close before the body is all sent.
    let _ = stream.write_all(head.as_bytes()).await;
    for chunk in body.chunks(16 * 1024) {
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk.to_vec(),
            b"\r\n".to_vec(),
        ]
        .concat();
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    // The status line is all the test needs: read up to its end, not to a
    // close that a loaded machine may deliver late (or, for a connection
    // the service keeps, never).
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        while !response.windows(2).any(|w| w == b"\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), read)
        .await
        .expect("the service answers a chunked upload within 30 s");
    String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// JSON rows are checked as the body arrives: a file within
/// MAX_IMPORT_BYTES applies whole, one beyond it is refused with 413
/// whether or not it declares its length, and a cut-short file is a 400;
/// neither of those changes anything.
async fn a_json_file_streams_within_the_import_limit(backend: Backend) {
    let app = spawn_with(backend, |s| s.max_import_bytes = 256 * 1024).await;
    let admin = app.katrineholm().await;
    app.create_namnd(&admin, "VON", "namnd").await;
    app.create_namnd(&admin, "BUN", "namnd").await;
    let token = app.token(Role::Integration);

    let fits = ledger_json(30);
    assert!(
        fits.len() < 256 * 1024 && fits.len() > 64 * 1024,
        "{}",
        fits.len()
    );
    let with_bom = [b"\xef\xbb\xbf".to_vec(), fits].concat();
    let report = post_json_bytes(&app, &token, with_bom).returns(200).await;
    assert_eq!(report["values_changed"], 30 * 48);
    assert_eq!(flat_rows(&app, &token, "").await.len(), 30 * 48);

    let too_large = ledger_json(80);
    assert!(too_large.len() > 256 * 1024);
    post_json_bytes(&app, &token, too_large.clone())
        .problem(413)
        .await;
    let status_line = post_chunked(&app, &token, &too_large).await;
    assert!(status_line.contains(" 413 "), "{status_line}");

    let cut = ledger_json(40);
    let cut = cut[..cut.len() - 100].to_vec();
    post_json_bytes(&app, &token, cut).problem(400).await;
    assert_eq!(
        flat_rows(&app, &token, "").await.len(),
        30 * 48,
        "nothing changed"
    );
}
both_databases!(a_json_file_streams_within_the_import_limit);

/// A NUL (U+0000) in an imported JSON document, in a value or a member's
/// name, is refused naming where it is; no answer carries the NUL itself
/// (U+FFFD stands in where the name is quoted back).
async fn a_nul_in_an_import_is_refused_without_quoting_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    app.create_namnd(&admin, "VON", "namnd").await;
    let token = app.token(Role::Integration);
    let kolada = json!({"values": [{"kpi": "U21468", "municipality": "0483", "period": 2024,
        "values": [{"gender": "T", "value": 1, "a\u{0}b": 1}, {"gender": "T", "status": "x\u{0}"}]}]});
    for query in ["", "?dry_run=true"] {
        let (status, answer) = post_kolada(&app, &token, query, &kolada).reply().await;
        assert!(matches!(status, 200 | 422), "{status} {answer}");
        let fields = texts(&answer["errors"], "field");
        assert_eq!(
            fields,
            [
                "values[0].values[0].a\u{FFFD}b",
                "values[0].values[1].status"
            ],
            "{answer}"
        );
    }
    let rows = json!({"rows": [{"namnd": "VON", "line": "x\u{0}", "month": "2024-01",
        "measure": "utfall", "amount": 1}]});
    let p = app
        .post("/api/v1/imports/flat", &token, &rows)
        .problem(422)
        .await;
    assert_eq!(texts(&p["errors"], "field"), ["line"]);
}
both_databases!(a_nul_in_an_import_is_refused_without_quoting_it);
