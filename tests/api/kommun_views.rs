//! The kommunledningsförvaltning's consolidated views and the audit log, on the demo data.

use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

/// The id of the demo's whole year 2024.
async fn helar(app: &TestApp, token: &str) -> String {
    app.id_of("/api/v1/periods?kind=helar&year=2024", token)
        .await
}

/// The body of `GET path`, answered 200.
async fn read(app: &TestApp, token: &str, path: &str) -> Value {
    app.get(path, token).returns(200).await
}

/// The row of `rows` whose `field` is `value`.
fn row(rows: &Value, field: &str, value: &str) -> Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r[field] == value)
        .cloned()
        .unwrap_or_else(|| panic!("no {field} {value} in {rows}"))
}

async fn kommun_driftredovisning(backend: Backend) {
    let app = demo_app(backend).await;
    let token = app.token(Role::Kommunledning);
    let helar = helar(&app, &token).await;
    let view = read(
        &app,
        &token,
        &format!("/api/v1/kommun/drift?period_id={helar}&unit=tkr"),
    )
    .await;
    let rows = view["namnder"].as_array().unwrap();
    assert_eq!(rows.len(), 14, "every nämnd of Katrineholm has a row");
    let von = rows.iter().find(|r| r["namnd"] == "VON").unwrap();
    // Seed 000 line 259: the −450 of unrounded kronor, not the −449 its
    // rounded rows would give.
    assert_eq!(von["figures"]["avvikelse"], Value::from(-450));
    assert_eq!(von["figures"]["utfall"], Value::from(-907875));
    // VON's årsredovisning is approved: its row is the decided version.
    assert_eq!(von["basis"], "beslutad");
    assert_eq!(von["decided_version"], 1);
    assert_eq!(
        view["total"]["budget"], von["figures"]["budget"],
        "only VON has figures for 2024"
    );
    let investering = read(
        &app,
        &token,
        &format!("/api/v1/kommun/investering?period_id={helar}&unit=tkr"),
    )
    .await;
    assert_eq!(investering["total"]["avvikelse"], Value::from(5486));

    // The summed-in-SQL row equals VON's own report, prognos included.
    let (_, lines_page) = app
        .get("/api/v1/budget-lines?namnd=VON&kind=drift", &token)
        .reply()
        .await;
    let admin = app.token(Role::Admin);
    for (i, line) in array(&lines_page["items"]).iter().take(2).enumerate() {
        let url = app.url(&format!("/api/v1/budget-lines/{}/values", id_of(line)));
        let body_json = serde_json::json!({"values": [
            {"measure": "prognos", "made_at": "2024-08", "amount": -1000000 * (i as i64 + 1)},
            {"measure": "prognos", "made_at": "2024-10", "amount": -2000000 * (i as i64 + 1)},
        ]});
        assert_eq!(
            app.client
                .put(url)
                .bearer_auth(&admin)
                .json(&body_json)
                .status()
                .await,
            200
        );
    }
    // Today's figures: the written prognos is there. As decided, the row
    // keeps what the nämnd decided, and the total follows the rows shown.
    let (_, decided) = app
        .get(&format!("/api/v1/kommun/drift?period_id={helar}"), &token)
        .reply()
        .await;
    let decided_von = row(&decided["namnder"], "namnd", "VON");
    assert_eq!(decided_von["basis"], "beslutad");
    assert!(decided_von["figures"]["helarsprognos"].is_null());
    assert_eq!(decided["total"]["utfall"], decided_von["figures"]["utfall"]);
    let view = read(
        &app,
        &token,
        &format!("/api/v1/kommun/drift?period_id={helar}&basis=live"),
    )
    .await;
    let von = row(&view["namnder"], "namnd", "VON");
    let report = app
        .id_of("/api/v1/reports?namnd=VON&type=arsredovisning", &token)
        .await;
    let own = read(
        &app,
        &token,
        &format!("/api/v1/reports/{report}/drift?basis=live"),
    )
    .await;
    assert_eq!(von["figures"], own["total"]);
    assert_eq!(
        von["figures"]["helarsprognos"],
        Value::from(-6000000),
        "the latest prognos of each line, summed"
    );
    // At the delår (jan–aug) the October prognoser are not made yet: the
    // August ones count, and the row still equals VON's own figures.
    let delar = app
        .id_of("/api/v1/periods?kind=delar&year=2024", &token)
        .await;
    let view = read(
        &app,
        &token,
        &format!("/api/v1/kommun/drift?period_id={delar}&basis=live"),
    )
    .await;
    let von_delar = row(&view["namnder"], "namnd", "VON");
    assert_eq!(
        von_delar["figures"]["helarsprognos"],
        Value::from(-3000000),
        "prognoser made after the period's end are left out"
    );

    // Drill-down to VON's lines.
    let lines = read(
        &app,
        &token,
        &format!("/api/v1/kommun/drift?period_id={helar}&unit=tkr&namnd=VON"),
    )
    .await;
    let aldreomsorg = row(&lines["rows"], "name", "Äldreomsorg");
    assert_eq!(aldreomsorg["figures"]["utfall"], Value::from(-314902));
    app.get(
        &format!("/api/v1/kommun/drift?period_id={helar}&namnd=XYZ"),
        &token,
    )
    .problem(422)
    .await;

    // CSV for Excel: BOM, semicolons, decimal comma.
    let response = app
        .get(
            &format!("/api/v1/kommun/drift?period_id={helar}&format=csv"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'));
    let von_line = text.lines().find(|l| l.starts_with("VON;")).unwrap();
    assert!(von_line.contains(";-907875400;"), "{von_line}");

    // The same CSV through `Accept`; `?format=` overrides it; an `Accept`
    // that allows neither form is 406.
    let plain = format!("/api/v1/kommun/drift?period_id={helar}");
    let by_accept = |accept: &'static str, path: String| {
        let token = token.clone();
        let app = &app;
        async move {
            let response = app
                .get(&path, &token)
                .header("Accept", accept)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_string();
            (status, kind, response.text().await.unwrap())
        }
    };
    let (status, kind, body) = by_accept("text/csv", plain.clone()).await;
    assert_eq!(
        (status, kind.starts_with("text/csv")),
        (200, true),
        "{kind}"
    );
    assert_eq!(body, text, "the same CSV as ?format=csv");
    let (_, kind, _) = by_accept("application/json;q=0.5, text/csv", plain.clone()).await;
    assert!(kind.starts_with("text/csv"), "{kind}");
    let (_, kind, _) = by_accept("text/csv;q=0.1, application/json", plain.clone()).await;
    assert!(kind.starts_with("application/json"), "{kind}");
    let (_, kind, _) = by_accept("*/*", plain.clone()).await;
    assert!(kind.starts_with("application/json"), "{kind}");
    let (_, kind, _) = by_accept("text/csv", format!("{plain}&format=json")).await;
    assert!(kind.starts_with("application/json"), "{kind}");
    let (status, kind, body) = by_accept("image/png", plain.clone()).await;
    assert_eq!(status, 406, "{body}");
    assert!(kind.starts_with("application/problem+json"), "{kind}");
    let (_, pct) = app
        .get(&format!("/api/v1/kommun/drift?period_id={helar}"), &token)
        .reply()
        .await;
    let von_pct = row(&pct["namnder"], "namnd", "VON")["figures"]["avvikelse_procent"].to_string();
    assert!(
        von_line.contains(&von_pct.replace('.', ",")),
        "{von_line} has {von_pct} with a decimal comma"
    );

    // Read-only views: a redaktör and a läsare get 403, another kommun sees nothing of this period.
    app.get(
        &format!("/api/v1/kommun/drift?period_id={helar}"),
        &app.token_in("0483", Role::Redaktor, &["VON"]),
    )
    .problem(403)
    .await;
    app.get(
        &format!("/api/v1/kommun/drift?period_id={helar}"),
        &app.token(Role::Lasare),
    )
    .problem(403)
    .await;
    app.get(
        &format!("/api/v1/kommun/drift?period_id={helar}"),
        &app.token_in("1882", Role::Kommunledning, &[]),
    )
    .problem(422)
    .await;
    assert_eq!(
        app.get(
            &format!("/api/v1/kommun/drift?period_id={helar}"),
            &app.token(Role::Revisor)
        )
        .status()
        .await,
        200
    );
}
both_databases!(kommun_driftredovisning);

async fn submission_status(backend: Backend) {
    let app = demo_app(backend).await;
    let token = app.token(Role::Kommunledning);
    let delar = app
        .id_of("/api/v1/periods?kind=delar&year=2024", &token)
        .await;
    let (status, rows) = app
        .get(
            &format!("/api/v1/kommun/submissions?period_id={delar}&type=delarsrapport"),
            &token,
        )
        .reply()
        .await;
    assert_eq!(status, 200, "{rows}");
    let rows = rows.as_array().unwrap();
    let von = rows.iter().find(|r| r["namnd"] == "VON").unwrap();
    assert_eq!(
        (
            von["status"].as_str(),
            von["beslut_datum"].as_str(),
            von["beslut_paragraf"].as_str()
        ),
        (Some("godkand"), Some("2024-09-26"), Some("§ 88"))
    );
    assert!(
        rows.iter()
            .filter(|r| r["namnd"] != "VON")
            .all(|r| r["status"] == "saknas")
    );
    let csv = app
        .get(
            &format!("/api/v1/kommun/submissions?period_id={delar}&type=delarsrapport&format=csv"),
            &token,
        )
        .text()
        .await;
    assert!(
        csv.lines()
            .any(|l| l.starts_with("VON;") && l.contains(";godkand;")),
        "{csv}"
    );
    app.get(
        &format!("/api/v1/kommun/submissions?period_id={delar}&type=veckorapport"),
        &token,
    )
    .problem(400)
    .await;
}
both_databases!(submission_status);

async fn audit_log_is_readable_by_admin_and_revisor_only(backend: Backend) {
    let app = demo_app(backend).await;
    let revisor = app.token(Role::Revisor);
    let (status, page) = app
        .get("/api/v1/audit?resource_type=report&limit=500", &revisor)
        .reply()
        .await;
    assert_eq!(status, 200, "{page}");
    let entries = page["items"].as_array().unwrap();
    let approvals: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "approve")
        .collect();
    assert_eq!(approvals.len(), 2, "seed 000 and 001 were approved");
    assert_eq!(approvals[0]["before"]["status"], "for_beslut");
    assert_eq!(approvals[0]["after"]["status"], "godkand");
    assert_eq!(approvals[0]["principal"], "seed-demo");
    for role in [
        Role::Kommunledning,
        Role::Redaktor,
        Role::Lasare,
        Role::Integration,
        Role::Namndsekreterare,
    ] {
        app.get("/api/v1/audit", &app.token(role))
            .problem(403)
            .await;
    }
    // Another kommun's admin sees only its own kommun's entries.
    let (_, askersund) = app
        .get(
            "/api/v1/audit?resource_type=report",
            &app.token_in("1882", Role::Admin, &[]),
        )
        .reply()
        .await;
    assert!(
        askersund["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !entries.iter().any(|k| k["id"] == e["id"]))
    );
    // There is no way to change it.
    let delete = app
        .client
        .delete(app.url("/api/v1/audit"))
        .bearer_auth(app.token(Role::Admin))
        .send()
        .await
        .unwrap();
    assert!(delete.status().is_client_error());
}
both_databases!(audit_log_is_readable_by_admin_and_revisor_only);

async fn goal_matrix_indicators_and_uppdrag(backend: Backend) {
    let app = demo_app(backend).await;
    let token = app.token(Role::Kommunledning);
    let helar = helar(&app, &token).await;
    let matrix = read(
        &app,
        &token,
        &format!("/api/v1/kommun/goal-matrix?period_id={helar}&type=arsredovisning"),
    )
    .await;
    let goals: Vec<&Value> = array(&matrix)
        .iter()
        .flat_map(|a| a["goals"].as_array().unwrap().iter())
        .collect();
    assert_eq!(goals.len(), 16, "seed 000's resultatmål");
    // VON's own assessments (with their comments) are in the matrix, beside every other responsible nämnd.
    let hemtjanst = goals
        .iter()
        .find(|g| g["title"] == "Ökad nöjdhet med hemtjänsten")
        .unwrap();
    let von = array(&hemtjanst["cells"])
        .iter()
        .find(|c| c["namnd"] == "VON")
        .unwrap();
    assert_eq!(
        (von["role"].as_str(), von["bedomning"].as_str()),
        (Some("huvudansvar"), Some("rod"))
    );
    assert!(von["report_id"].is_string() && von["comment"].is_string());
    assert_eq!(hemtjanst["summary"]["rod"], 1);
    assert!(
        hemtjanst["cells"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["namnd"] == "STN" && c["role"] == "medansvar")
    );
    let area_total: u64 = array(&matrix)
        .iter()
        .map(|a| a["summary"]["rod"].as_u64().unwrap())
        .sum();
    assert_eq!(
        area_total,
        goals
            .iter()
            .map(|g| g["summary"]["rod"].as_u64().unwrap())
            .sum::<u64>()
    );

    // Indicator overview, filtered by nämnd and colour.
    let (_, all) = app
        .get("/api/v1/kommun/indicators?year=2024", &token)
        .reply()
        .await;
    assert_eq!(array(&all).len(), 41, "seed 000 lines 1164-1210");
    let rod = read(
        &app,
        &token,
        "/api/v1/kommun/indicators?year=2024&namnd=VON&bedomning=rod",
    )
    .await;
    let rod = rod.as_array().unwrap();
    assert!(!rod.is_empty() && rod.len() < 40);
    assert!(rod.iter().all(|r| r["bedomning"] == "rod"));
    let hemtjanst_indicator = array(&all)
        .iter()
        .find(|r| r["kolada_id"] == "U21468")
        .unwrap();
    assert_eq!(
        (
            hemtjanst_indicator["utfall"].as_f64(),
            hemtjanst_indicator["trend"].as_str(),
            hemtjanst_indicator["riktvarde"].as_f64()
        ),
        (Some(83.0), Some("forsamrad"), Some(90.0))
    );
    // Without a year each row is its indicator's latest year with a
    // riktvärde, read with that year's riktvärde only: the same row as the
    // overview of that year gives. An earlier riktvärde changes nothing.
    let admin = app.token(Role::Admin);
    let hemtjanst_id = hemtjanst_indicator["indicator_id"].as_str().unwrap();
    let stored = read(&app, &admin, &format!("/api/v1/indicators/{hemtjanst_id}")).await;
    let mut riktvarden = stored["riktvarden"].as_array().unwrap().clone();
    riktvarden.push(serde_json::json!({"year": 2019, "value": 1}));
    app.put(
        &format!("/api/v1/indicators/{hemtjanst_id}/riktvarden"),
        &admin,
        &serde_json::json!({ "riktvarden": riktvarden }),
    )
    .returns(200)
    .await;
    let latest = read(&app, &token, "/api/v1/kommun/indicators").await;
    let row_of = |rows: &Value, id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["indicator_id"] == id)
            .cloned()
            .unwrap()
    };
    let hemtjanst_latest = row_of(&latest, hemtjanst_id);
    assert_eq!(
        (
            hemtjanst_latest["year"].as_i64(),
            hemtjanst_latest["riktvarde"].as_f64()
        ),
        (Some(2024), Some(90.0)),
        "{hemtjanst_latest}"
    );
    let latest = latest.as_array().unwrap();
    assert_eq!(latest.len(), 41);
    let mut years: Vec<i64> = latest.iter().filter_map(|r| r["year"].as_i64()).collect();
    years.sort_unstable();
    years.dedup();
    assert!(!years.is_empty());
    for year in years {
        let of_year = read(
            &app,
            &token,
            &format!("/api/v1/kommun/indicators?year={year}"),
        )
        .await;
        for row in latest.iter().filter(|r| r["year"] == year) {
            let id = row["indicator_id"].as_str().unwrap();
            assert_eq!(&row_of(&of_year, id), row);
        }
    }
    let csv = app
        .get("/api/v1/kommun/indicators?year=2024&format=csv", &token)
        .text()
        .await;
    assert!(
        csv.starts_with('\u{feff}') && csv.contains(";U21468"),
        "{}",
        &csv[..200]
    );
    // Each row's trend and bedömning as the JSON spells them (columns 5, 7).
    let json_2024 = read(&app, &token, "/api/v1/kommun/indicators?year=2024").await;
    let lines: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(';').collect())
        .collect();
    assert_eq!(lines.len(), json_2024.as_array().unwrap().len(), "{csv}");
    for (row, cells) in json_2024.as_array().unwrap().iter().zip(&lines) {
        assert_eq!(
            (cells[4], cells[6]),
            (
                row["trend"].as_str().unwrap(),
                row["bedomning"].as_str().unwrap()
            ),
            "{row}"
        );
    }
    let p = app
        .get("/api/v1/kommun/indicators?year=99999", &token)
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["year"], "{p}");

    // Uppdrag overview: every uppdrag × nämnd, VON's comments from its report.
    let uppdrag = read(
        &app,
        &token,
        &format!("/api/v1/kommun/assignments?period_id={helar}&type=arsredovisning"),
    )
    .await;
    let von_rows: Vec<&Value> = array(&uppdrag)
        .iter()
        .filter(|r| r["namnd"] == "VON")
        .collect();
    assert!(von_rows.len() >= 20, "{}", von_rows.len());
    assert!(von_rows.iter().filter(|r| r["comment"].is_string()).count() >= 20);
    assert!(
        uppdrag
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["namnd"] != "VON" && r["report_id"].is_null())
    );

    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    for path in [
        format!("/api/v1/kommun/goal-matrix?period_id={helar}&type=arsredovisning"),
        "/api/v1/kommun/indicators".to_string(),
        format!("/api/v1/kommun/assignments?period_id={helar}&type=arsredovisning"),
    ] {
        app.get(&path, &redaktor).problem(403).await;
    }
}
both_databases!(goal_matrix_indicators_and_uppdrag);

/// Each nämnd's row of the kommun view (read from the maintained totals)
/// against the Summa of that nämnd's own table (computed from its lines).
pub async fn assert_kommun_rows_match_own_tables(
    app: &TestApp,
    token: &str,
    period: &str,
    kind: &str,
) {
    let view = app
        .get(&format!("/api/v1/kommun/{kind}?period_id={period}"), token)
        .returns(200)
        .await;
    for row in view["namnder"].as_array().unwrap() {
        let code = row["namnd"].as_str().unwrap();
        let (_, own) = app
            .get(
                &format!("/api/v1/kommun/{kind}?period_id={period}&namnd={code}"),
                token,
            )
            .reply()
            .await;
        assert_eq!(row["figures"], own["total"], "{kind} of {code}");
    }
}

/// Writes `values` of the budget line `line`, answered 200.
async fn put_values(app: &TestApp, token: &str, line: &str, values: Value) {
    app.put(
        &format!("/api/v1/budget-lines/{line}/values"),
        token,
        &serde_json::json!({ "values": values }),
    )
    .returns(200)
    .await;
}

/// One nämnd's row of the kommun view.
async fn kommun_row(app: &TestApp, token: &str, period: &str, kind: &str, code: &str) -> Value {
    let (_, view) = app
        .get(&format!("/api/v1/kommun/{kind}?period_id={period}"), token)
        .reply()
        .await;
    view["namnder"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["namnd"] == code)
        .unwrap()
        .clone()
}

async fn kommun_view_follows_every_value_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let token = app.token(Role::Kommunledning);
    let period = app.create_period(&admin, "delar", 2024).await;
    let period = id_of(&period);
    let soc = app.create_namnd(&admin, "SOC", "namnd").await["id"].clone();
    let bun = app.create_namnd(&admin, "BUN", "namnd").await["id"].clone();
    let mut lines = Vec::new();
    for (namnd, kind) in [(&soc, "drift"), (&soc, "investering"), (&bun, "drift")] {
        for i in 0..2 {
            let line = app.post(
                    "/api/v1/budget-lines",
                    &admin,
                    &serde_json::json!({"namnd_id": namnd, "kind": kind, "code": format!("{kind}{i}"), "name": format!("Rad {i}")}),
                ).returns(201).await;
            lines.push(id_of(&line));
        }
    }
    let check = || async {
        for kind in ["drift", "investering"] {
            assert_kommun_rows_match_own_tables(&app, &token, &period, kind).await;
        }
    };
    // Write: months, a whole period, last year's, prognoser; the two SOC
    // drift lines cancel to exactly 0 kr in March.
    for (line, values) in [
        (
            &lines[0],
            serde_json::json!([
                {"measure": "utfall", "month": "2024-03", "amount": -1000},
                {"measure": "budget", "month": "2024-03", "amount": -900},
                {"measure": "utfall", "month": "2023-05", "amount": -50},
                {"measure": "prognos", "made_at": "2024-06", "amount": -12000},
            ]),
        ),
        (
            &lines[1],
            serde_json::json!([
                {"measure": "utfall", "month": "2024-03", "amount": 1000},
                {"measure": "budget", "period": {"from": "2024-01", "to": "2024-12"}, "amount": -6000},
            ]),
        ),
        (
            &lines[2],
            serde_json::json!([{"measure": "utfall", "month": "2024-04", "amount": -300.5}]),
        ),
        (
            &lines[4],
            serde_json::json!([{"measure": "budget", "month": "2024-02", "amount": -77}]),
        ),
    ] {
        put_values(&app, &admin, line, values).await;
    }
    check().await;
    let soc = kommun_row(&app, &token, &period, "drift", "SOC").await;
    assert_eq!(
        soc["figures"]["utfall"],
        Value::from(0),
        "entries summing to 0 kr are a figure"
    );
    assert_eq!(soc["figures"]["helarsprognos"], Value::from(-12000));

    // Change and delete values.
    for (line, values) in [
        (
            &lines[0],
            serde_json::json!([
                {"measure": "utfall", "month": "2024-03", "amount": -1500},
                {"measure": "budget", "month": "2024-03", "amount": null},
            ]),
        ),
        (
            &lines[4],
            serde_json::json!([{"measure": "budget", "month": "2024-02", "amount": null}]),
        ),
    ] {
        put_values(&app, &admin, line, values).await;
    }
    check().await;

    // Delete a line with its values.
    let (_, line) = app
        .get(&format!("/api/v1/budget-lines/{}", lines[1]), &admin)
        .reply()
        .await;
    assert_eq!(
        app.delete(&format!("/api/v1/budget-lines/{}", lines[1]), &admin)
            .if_match(&line["version"])
            .status()
            .await,
        204
    );
    check().await;
    let soc = kommun_row(&app, &token, &period, "drift", "SOC").await;
    assert_eq!(soc["figures"]["utfall"], Value::from(-1500));
    let investering = read(
        &app,
        &token,
        &format!("/api/v1/kommun/investering?period_id={period}"),
    )
    .await;
    assert!(
        investering["total"]["budget"].is_null(),
        "no entry left is no figure, not 0 kr: {investering}"
    );
}
both_databases!(kommun_view_follows_every_value_write);

/// Each nämnd's helårsprognos in the kommun view (kept as steps per month
/// the prognoser were made in) against its own table (each line's latest
/// prognos, computed from the lines), for every month of the year, through
/// writes that add, change and remove prognoser, one of the year before, a flat import and a deleted line.
async fn kommun_prognos_follows_every_prognos_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let token = app.token(Role::Kommunledning);
    let mut months = Vec::new();
    for number in 1..=12 {
        let body = serde_json::json!({"kind": "manad", "year": 2024, "number": number});
        let period = app
            .post("/api/v1/periods", &admin, &body)
            .returns(201)
            .await;
        months.push(id_of(&period));
    }
    let soc = app.create_namnd(&admin, "SOC", "namnd").await["id"].clone();
    let bun = app.create_namnd(&admin, "BUN", "namnd").await["id"].clone();
    let mut lines = Vec::new();
    for (namnd, code) in [(&soc, "a"), (&soc, "b"), (&bun, "c")] {
        let body =
            serde_json::json!({"namnd_id": namnd, "kind": "drift", "code": code, "name": code});
        lines.push(id_of(
            &app.post("/api/v1/budget-lines", &admin, &body)
                .returns(201)
                .await,
        ));
    }
    let prognos_in = |month: usize, code: &'static str| {
        let period = months[month - 1].clone();
        let app = &app;
        let token = &token;
        async move {
            assert_kommun_rows_match_own_tables(app, token, &period, "drift").await;
            kommun_row(app, token, &period, "drift", code).await["figures"]["helarsprognos"].clone()
        }
    };
    let check_every_month = || async {
        for period in &months {
            assert_kommun_rows_match_own_tables(&app, &token, period, "drift").await;
        }
    };

    for (line, values) in [
        (
            &lines[0],
            serde_json::json!([
                {"measure": "prognos", "made_at": "2024-03", "amount": -100},
                {"measure": "prognos", "made_at": "2024-06", "amount": -200},
                {"measure": "utfall", "month": "2024-01", "amount": -7},
            ]),
        ),
        (
            &lines[1],
            serde_json::json!([
                {"measure": "prognos", "made_at": "2024-05", "amount": -50},
                {"measure": "prognos", "made_at": "2023-11", "amount": -999},
            ]),
        ),
        (
            &lines[2],
            serde_json::json!([{"measure": "utfall", "month": "2024-02", "amount": -3}]),
        ),
    ] {
        put_values(&app, &admin, line, values).await;
    }
    check_every_month().await;
    assert_eq!(
        prognos_in(2, "SOC").await,
        Value::Null,
        "none made by February"
    );
    assert_eq!(prognos_in(3, "SOC").await, Value::from(-100));
    assert_eq!(prognos_in(5, "SOC").await, Value::from(-150));
    assert_eq!(
        prognos_in(6, "SOC").await,
        Value::from(-250),
        "the later of one line's, summed with another line's"
    );
    assert_eq!(prognos_in(12, "BUN").await, Value::Null);

    // Change one, remove one, add the first of another line.
    for (line, values) in [
        (
            &lines[0],
            serde_json::json!([
                {"measure": "prognos", "made_at": "2024-03", "amount": -150},
                {"measure": "prognos", "made_at": "2024-06", "amount": null},
            ]),
        ),
        (
            &lines[2],
            serde_json::json!([{"measure": "prognos", "made_at": "2024-12", "amount": -40}]),
        ),
    ] {
        put_values(&app, &admin, line, values).await;
    }
    check_every_month().await;
    assert_eq!(prognos_in(6, "SOC").await, Value::from(-200));
    assert_eq!(prognos_in(11, "BUN").await, Value::Null);
    assert_eq!(prognos_in(12, "BUN").await, Value::from(-40));

    // A flat import: a later prognos of an existing line and a new line.
    let rows = serde_json::json!({"rows": [
        {"namnd": "SOC", "line": "b", "name": "b", "kind": "drift",
         "measure": "prognos", "month": "2024-08", "amount": -80},
        {"namnd": "SOC", "line": "d", "name": "d", "kind": "drift",
         "measure": "prognos", "month": "2024-02", "amount": -5}]});
    app.post("/api/v1/imports/flat", &admin, &rows)
        .returns(200)
        .await;
    check_every_month().await;
    assert_eq!(prognos_in(2, "SOC").await, Value::from(-5));
    assert_eq!(prognos_in(8, "SOC").await, Value::from(-150 - 80 - 5));

    // Delete a line with its prognoser, then every prognos of another.
    let (_, line) = app
        .get(&format!("/api/v1/budget-lines/{}", lines[0]), &admin)
        .reply()
        .await;
    assert_eq!(
        app.delete(&format!("/api/v1/budget-lines/{}", lines[0]), &admin)
            .if_match(&line["version"])
            .status()
            .await,
        204
    );
    put_values(
        &app,
        &admin,
        &lines[2],
        serde_json::json!([{"measure": "prognos", "made_at": "2024-12", "amount": null}]),
    )
    .await;
    check_every_month().await;
    assert_eq!(prognos_in(8, "SOC").await, Value::from(-85));
    assert_eq!(prognos_in(12, "BUN").await, Value::Null);

    // The steps kept write by write are the steps derived from the ledger.
    use kommunrapport::entity::{budget_prognos_step as step, kommun};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let db = app.db().await;
    let kept = || async {
        step::Entity::find()
            .order_by_asc(step::Column::NamndId)
            .order_by_asc(step::Column::MadeMonth)
            .all(&db)
            .await
            .unwrap()
    };
    let written = kept().await;
    assert_eq!(written.len(), 4, "{written:?}");
    let kommun_id = kommun::Entity::find()
        .filter(kommun::Column::Code.eq("0483"))
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .id;
    kommunrapport::service::budget_totals::rebuild_kommun(&db, kommun_id)
        .await
        .unwrap();
    assert_eq!(kept().await, written);
}
both_databases!(kommun_prognos_follows_every_prognos_write);

/// Over many indicators (past the point where they are read as all of the
/// kommun's rather than by a list of ids) each indicator still gets its own
/// values and riktvärde, and nothing of another kommun's.
async fn many_indicators_keep_their_own_figures(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = app.create_kommun("1882", "Askersunds kommun").await;
    let admin = app.katrineholm().await;
    let indicator = |token: &str, name: String| {
        let body = serde_json::json!({"name": name, "unit": "%", "polarity": "hogre_ar_battre"});
        app.post("/api/v1/indicators", token, &body).returns(201)
    };
    let put = |token: &str, id: &str, part: &str, body: Value| {
        app.put(&format!("/api/v1/indicators/{id}/{part}"), token, &body)
            .returns(200)
    };
    // Another kommun's indicator with values for the same years.
    let theirs = id_of(&indicator(&other, "Deras".into()).await);
    put(
        &other,
        &theirs,
        "values",
        serde_json::json!({"values": [{"year": 2024, "value": 999}]}),
    )
    .await;

    let count = 70;
    let mut ids = Vec::new();
    for i in 0..count {
        let id = id_of(&indicator(&admin, format!("Indikator {i}")).await);
        let values = serde_json::json!({"values": [
            {"year": 2023, "value": 100 + i}, {"year": 2024, "value": 200 + i}]});
        put(&admin, &id, "values", values).await;
        // Every third misses its riktvärde.
        let riktvarde = if i % 3 == 0 { 250 + i } else { 150 + i };
        let riktvarden = serde_json::json!({"riktvarden": [{"year": 2024, "value": riktvarde}]});
        put(&admin, &id, "riktvarden", riktvarden).await;
        ids.push(id);
    }
    let area = app
        .post(
            "/api/v1/goal-areas",
            &admin,
            &serde_json::json!({"plan": "Kommunplan 2023-2026", "name": "Område"}),
        )
        .returns(201)
        .await;
    let goal = serde_json::json!({"goal_area_id": area["id"], "title": "Mål",
        "alla_namnder": true, "indicator_ids": ids});
    app.post("/api/v1/goals", &admin, &goal).returns(201).await;

    let token = app.token(Role::Kommunledning);
    let rows = read(&app, &token, "/api/v1/kommun/indicators?year=2024").await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), count);
    for i in 0..count {
        let r = row(
            &Value::from(rows.clone()),
            "name",
            &format!("Indikator {i}"),
        );
        let missed = i % 3 == 0;
        let i = i as i64;
        assert_eq!(r["utfall"].as_i64(), Some(200 + i), "{r}");
        let riktvarde = if missed { 250 + i } else { 150 + i };
        assert_eq!(r["riktvarde"].as_i64(), Some(riktvarde), "{r}");
        assert_eq!(r["trend"], "forbattrad", "{r}");
        // Met is green; missed but improved is not green (gul by the rule).
        assert_eq!(r["bedomning"] == "gron", !missed, "{r}");
    }
}
both_databases!(many_indicators_keep_their_own_figures);

/// Ten nämnder with decided årsredovisningar: the kommun view reads each
/// row from its own decided version (more versions than one query reads, so
/// the cache is filled in several), and again the same from the cache.
async fn every_decided_namnd_reads_from_its_version(backend: Backend) {
    let app = demo_app(backend).await;
    let admin = app.token(Role::Admin);
    let helar = helar(&app, &admin).await;
    let (_, namnder) = app.get("/api/v1/namnder?limit=100", &admin).reply().await;
    let others: Vec<&Value> = array(&namnder["items"])
        .iter()
        .filter(|n| n["code"] != "VON")
        .take(9)
        .collect();
    assert_eq!(others.len(), 9, "{namnder}");
    for (i, namnd) in others.iter().enumerate() {
        let namnd_id = id_of(namnd);
        let line = app
            .post(
                "/api/v1/budget-lines",
                &admin,
                &json!({"namnd_id": namnd_id, "kind": "drift", "code": "verksamhet", "name": "Verksamhet"}),
            )
            .returns(201)
            .await;
        let utfall = -1_000_000 * (i as i64 + 1);
        app.put(
            &format!("/api/v1/budget-lines/{}/values", id_of(&line)),
            &admin,
            &json!({"values": [
                {"measure": "utfall", "period": {"from": "2024-01", "to": "2024-12"}, "amount": utfall},
                {"measure": "budget", "period": {"from": "2024-01", "to": "2024-12"}, "amount": utfall - 5000},
            ]}),
        )
        .returns(200)
        .await;
        let report = app
            .post(
                "/api/v1/reports",
                &admin,
                &json!({"namnd_id": namnd_id, "period_id": helar, "type": "arsredovisning"}),
            )
            .returns(201)
            .await;
        let report = id_of(&report);
        app.post(
            &format!("/api/v1/reports/{report}/submit"),
            &admin,
            &json!({}),
        )
        .returns(200)
        .await;
        app.post(
            &format!("/api/v1/reports/{report}/approve"),
            &admin,
            &json!({"beslut_datum": "2025-02-27", "beslut_paragraf": format!("§ {}", 30 + i)}),
        )
        .returns(200)
        .await;
    }
    let path = format!("/api/v1/kommun/drift?period_id={helar}");
    let first = read(&app, &admin, &path).await;
    for (i, namnd) in others.iter().enumerate() {
        let row = row(&first["namnder"], "namnd", namnd["code"].as_str().unwrap());
        assert_eq!(row["basis"], "beslutad", "{row}");
        assert_eq!(row["decided_version"], 1, "{row}");
        let utfall = -1_000_000 * (i as i64 + 1);
        assert_eq!(row["figures"]["utfall"], Value::from(utfall), "{row}");
        assert_eq!(row["figures"]["avvikelse"], Value::from(5000), "{row}");
    }
    let von = row(&first["namnder"], "namnd", "VON");
    assert_eq!(von["basis"], "beslutad");
    // The total sums the ten decided rows.
    let rows_utfall: i64 = array(&first["namnder"])
        .iter()
        .filter_map(|r| r["figures"]["utfall"].as_i64())
        .sum();
    assert_eq!(first["total"]["utfall"], Value::from(rows_utfall));
    // Read again from the cache (another unit, so not the kept answer).
    let again = read(&app, &admin, &format!("{path}&unit=kr")).await;
    assert_eq!(again["namnder"], first["namnder"]);
}

both_databases!(every_decided_namnd_reads_from_its_version);
