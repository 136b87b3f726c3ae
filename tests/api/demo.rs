//! The demo data, loaded through the service layer, served as the seeds print it.

use kommunrapport::auth::Role;
use serde_json::Value;

use crate::{both_databases, helpers::*, seeds};

async fn demo_data_matches_the_seeds(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.load_demo().await, 5, "five seed reports");
    assert_eq!(app.load_demo().await, 0, "loading again changes nothing");

    let token = app.token(Role::Kommunledning);
    let (_, namnder) = app.get("/api/v1/namnder?limit=500", &token).reply().await;
    let codes: Vec<&str> = texts(&namnder["items"], "code");
    for code in [
        "KS/KLF", "KS/SBF", "BIN", "BMN", "KULN", "STN", "SOCN", "VIAN", "VON", "KFAB", "KVAAB",
        "VSR",
    ] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    let (_, reports) = app.get("/api/v1/reports?namnd=VON", &token).reply().await;
    let reports = reports["items"].as_array().unwrap().clone();
    assert_eq!(reports.len(), 4);
    let arsredovisning = reports
        .iter()
        .find(|r| r["type"] == "arsredovisning")
        .unwrap();
    assert_eq!(
        (
            arsredovisning["status"].as_str(),
            arsredovisning["beslut_datum"].as_str(),
            arsredovisning["beslut_paragraf"].as_str()
        ),
        (Some("godkand"), Some("2025-02-27"), Some("§ 22"))
    );

    // Seed 000's money tables, every printed avvikelse and sum.
    let seed = seeds::seed("seed000");
    let id = id_of(arsredovisning);
    let (checked, mismatches) = seeds::compare_money(&app, &token, &seed, &id).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(checked >= 10);

    // Seed 000's volymmått: the year and the year before as printed.
    let (_, whole) = app
        .get(
            &format!("/api/v1/reports/{id}?include=volume_measures,key_figures,sections"),
            &token,
        )
        .reply()
        .await;
    let mut compared = 0;
    for measure in seed["volume_measures"].as_array().unwrap() {
        let row = array(&whole["volume_measures"])
            .iter()
            .find(|r| r["name"] == measure["name"])
            .unwrap_or_else(|| panic!("{} served", measure["name"]));
        for value in measure["values"].as_array().unwrap() {
            let field = match value["period"].as_str() {
                Some("2024") => "period_value",
                Some("2023") => "foregaende_ar",
                _ => continue,
            };
            compared += 1;
            let printed: f64 = value["value"].as_str().unwrap().parse().unwrap();
            assert_eq!(
                row[field].as_f64(),
                Some(printed),
                "seed 000 line {}: {} {field}",
                measure["source_line"],
                measure["name"]
            );
        }
    }
    assert!(compared >= 20, "{compared} volume figures compared");
    // Staff figures for 2024 with 2023 beside them, and the report's own text.
    let nyckeltal = whole["key_figures"].as_array().unwrap();
    let lonekostnad = nyckeltal
        .iter()
        .find(|r| r["name"] == "Lönekostnader totalt, tkr")
        .unwrap();
    assert_eq!(
        (
            lonekostnad["t"].as_f64(),
            lonekostnad["t_foregaende_ar"].as_f64()
        ),
        (Some(738163.0), Some(680247.0))
    );
    let sections = whole["sections"].as_array().unwrap();
    assert!(sections.iter().any(|s| {
        s["key"] == "inledning"
            && s["body"]
                .as_str()
                .unwrap()
                .starts_with("Årsredovisningen innehåller")
    }));

    // Seed 000's indicator appendix: every printed trend arrow, from one request.
    let (status, table) = app
        .get("/api/v1/indicators/table?year=2024", &token)
        .reply()
        .await;
    assert_eq!(status, 200, "{table}");
    let served: Vec<&Value> = array(&table["goal_areas"])
        .iter()
        .flat_map(|a| a["goals"].as_array().unwrap().iter())
        .flat_map(|g| g["indicators"].as_array().unwrap().iter())
        .collect();
    let mut mismatches = Vec::new();
    for i in seed["indicators"].as_array().unwrap() {
        let Some(row) = served.iter().find(|r| r["name"] == i["name"]) else {
            mismatches.push(format!(
                "seed 000 line {}: {} not served",
                i["source_line"], i["name"]
            ));
            continue;
        };
        if row["trend"]["final"] != i["printed_trend"] {
            mismatches.push(format!(
                "seed 000 line {}: {} trend printed {}, served {}",
                i["source_line"], i["name"], i["printed_trend"], row["trend"]["final"]
            ));
        }
        if !i["printed_bedomning"].is_null() && row["bedomning"]["final"] != i["printed_bedomning"]
        {
            mismatches.push(format!(
                "seed 000 line {}: {} bedömning printed {}, served {}",
                i["source_line"], i["name"], i["printed_bedomning"], row["bedomning"]["final"]
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(served.len(), seed["indicators"].as_array().unwrap().len());
    let plans: Vec<&Value> = array(&table["goal_areas"])
        .iter()
        .map(|a| &a["plan"])
        .collect();
    assert!(
        plans.iter().all(|p| *p == "Kommunplan 2023-2026"),
        "the 2024 appendix is the plan in force in 2024: {plans:?}"
    );

    // Seed 004 (plan 2020): the resultatmål of Kommunplan 2019-2022, each
    // with the nämnder the plan lists for it and no huvudansvar marked.
    let seed004 = seeds::seed("seed004");
    let (_, table_2020) = app
        .get("/api/v1/indicators/table?year=2020", &token)
        .reply()
        .await;
    let goals_2020: Vec<&Value> = array(&table_2020["goal_areas"])
        .iter()
        .inspect(|a| assert_eq!(a["plan"], "Kommunplan 2019-2022"))
        .flat_map(|a| a["goals"].as_array().unwrap().iter())
        .collect();
    assert_eq!(goals_2020.len(), seed004["goals"].as_array().unwrap().len());
    for printed in seed004["goals"].as_array().unwrap() {
        let served = goals_2020
            .iter()
            .find(|g| g["title"] == printed["title"])
            .unwrap_or_else(|| {
                panic!(
                    "seed 004 line {}: {} served",
                    printed["source_line"], printed["title"]
                )
            });
        let (_, goal) = app
            .get(&format!("/api/v1/goals/{}", id_of(served)), &token)
            .reply()
            .await;
        let mut codes: Vec<&str> = texts(&goal["medansvariga"], "code");
        codes.sort_unstable();
        let mut listed: Vec<&str> = array(&printed["ansvariga"])
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        listed.sort_unstable();
        assert_eq!(
            (codes, &goal["huvudansvar"]),
            (listed, &Value::Null),
            "seed 004 line {}: {}",
            printed["ansvar_source_line"],
            printed["title"]
        );
    }
    // The nämnd's assessments of its resultatmål, with their comments.
    let (_, assessments) = app
        .get(&format!("/api/v1/reports/{id}/assessments"), &token)
        .reply()
        .await;
    let text = assessments.to_string();
    assert!(
        text.contains("handledarorganisationen"),
        "VON's comment on Ökad sysselsättning is served"
    );

    // Askersund: its own kommun, invisible to Katrineholm.
    let askersund = app.token_in("1882", Role::Kommunledning, &[]);
    let (_, sn) = app.get("/api/v1/reports", &askersund).reply().await;
    assert_eq!(sn["items"].as_array().unwrap().len(), 1);
    assert_eq!(sn["items"][0]["namnd"], "SN");
    // Askersund's nämnd goals (seed 002), with SN's comments as its assessments.
    let (_, own_goals) = app
        .get("/api/v1/goals?kind=namnd&limit=100", &askersund)
        .reply()
        .await;
    assert_eq!(own_goals["items"].as_array().unwrap().len(), 12);
    // "Bäring på" links the kommunfullmäktige goal the seed names.
    let (_, kf_goals) = app
        .get("/api/v1/goals?kind=kommun&limit=100", &askersund)
        .reply()
        .await;
    let seed002 = seeds::seed("seed002");
    for printed in seed002["namnd_goals"].as_array().unwrap() {
        let served = array(&own_goals["items"])
            .iter()
            .find(|g| g["title"] == printed["title"])
            .unwrap();
        let linked = array(&kf_goals["items"])
            .iter()
            .find(|k| k["id"] == served["bar_pa_goal_id"])
            .map(|k| &k["title"]);
        assert_eq!(
            linked.unwrap_or(&Value::Null),
            &printed["bar_pa_goal"],
            "seed 002 line {}: {}",
            printed["bar_pa_source_line"],
            printed["title"]
        );
        assert_eq!(served["bar_pa"], printed["bar_pa"], "the text is kept");
    }
    let (_, sn_assessments) = app
        .get(
            &format!("/api/v1/reports/{}/assessments", id_of(&sn["items"][0])),
            &askersund,
        )
        .reply()
        .await;
    assert!(
        sn_assessments.to_string().contains("Sjukskrivningstalen"),
        "nämnd goals are assessed in SN's report"
    );
    let (_, from_katrineholm) = app
        .get(
            &format!("/api/v1/reports/{}", id_of(&sn["items"][0])),
            &token,
        )
        .reply()
        .await;
    assert_eq!(from_katrineholm["status"], Value::from(404));
}
both_databases!(demo_data_matches_the_seeds);

/// The report of `namnd` and `report_type` in the token's kommun.
async fn report_of(app: &TestApp, token: &str, namnd: &str, report_type: &str) -> Value {
    let reports = app
        .get(
            &format!("/api/v1/reports?namnd={namnd}&type={report_type}"),
            token,
        )
        .returns(200)
        .await;
    reports["items"][0].clone()
}

/// The seed's own period as the demo files write periods: `"2024"`,
/// `"2024-01..2024-08"` or `"2023-03"`, for `year`.
fn seed_period(period: &Value, year: i64) -> String {
    let end_month = &period["end"].as_str().unwrap()[5..7];
    match period["kind"].as_str().unwrap() {
        "helar" => year.to_string(),
        "manad" => format!("{year}-{end_month}"),
        _ => format!("{year}-01..{year}-{end_month}"),
    }
}

/// The served volume field a printed volume value corresponds to.
fn volume_field(value: &Value, period: &Value) -> Option<&'static str> {
    let year = period["year"].as_i64().unwrap();
    let printed = value["period"].as_str().unwrap();
    match value["kind"].as_str().unwrap_or("utfall") {
        "prognos" if printed == year.to_string() => Some("prognos"),
        "utfall" if printed == seed_period(period, year) => Some("period_value"),
        "utfall" if printed == (year - 1).to_string() => Some("foregaende_ar"),
        "utfall" if printed == seed_period(period, year - 1) => Some("samma_period_foregaende_ar"),
        _ => None,
    }
}

/// Every printed volume of the seed that its report period shows, compared
/// with the report's `volume_measures`. Returns (compared, mismatches).
async fn compare_volumes(
    app: &TestApp,
    token: &str,
    seed: &Value,
    report_id: &str,
) -> (usize, Vec<String>) {
    let source = seed["source"].as_str().unwrap();
    let (_, whole) = app
        .get(
            &format!("/api/v1/reports/{report_id}?include=volume_measures"),
            token,
        )
        .reply()
        .await;
    let served = whole["volume_measures"].as_array().unwrap();
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for measure in seed["volume_measures"].as_array().unwrap() {
        let name = measure["name"].as_str().unwrap();
        let Some(row) = served.iter().find(|r| r["name"] == name) else {
            mismatches.push(format!(
                "{source} line {}: volume {name} not served",
                measure["source_line"]
            ));
            continue;
        };
        for value in measure["values"].as_array().unwrap() {
            let (Some(field), Some(printed)) = (
                volume_field(value, &seed["report"]["period"]),
                value["value"].as_str(),
            ) else {
                continue;
            };
            compared += 1;
            let printed: f64 = printed.parse().unwrap();
            if row[field].as_f64() != Some(printed) {
                let line = value.get("source_line").unwrap_or(&measure["source_line"]);
                mismatches.push(format!(
                    "{source} line {line}: volume {name} {field} printed {printed}, served {}",
                    row[field]
                ));
            }
        }
    }
    (compared, mismatches)
}

/// Columns that seeds 001 and 003 print only as deviations ("Avvikelse ack.",
/// "Prognos helår"), without the utfall, budget or prognos behind them: the
/// service cannot recompute them, so it must leave them absent, never serve
/// another number.
async fn deviations_without_figures_are_absent(
    app: &TestApp,
    token: &str,
    seed: &Value,
    report_id: &str,
) -> (usize, Vec<String>) {
    let source = seed["source"].as_str().unwrap();
    let (_, table) = app
        .get(
            &format!("/api/v1/reports/{report_id}/drift?unit=tkr"),
            token,
        )
        .reply()
        .await;
    let rows = table["rows"].as_array().unwrap();
    let period = &seed["report"]["period"];
    let report_period = seed_period(period, period["year"].as_i64().unwrap());
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for line in seed["budget_lines"].as_array().unwrap() {
        let Some(row) = seeds::find_row(rows, &seeds::line_code(line)) else {
            continue;
        };
        // A delår's ack is its own period: both fields read it.
        let ack_is_period = line["printed"]["avvikelse_ack_period"] == report_period.as_str();
        let ack_fields: &[&str] = if ack_is_period {
            &["avvikelse_ack", "avvikelse"]
        } else {
            &["avvikelse_ack"]
        };
        for (printed, fields) in [
            ("avvikelse_ack", ack_fields),
            ("prognos_avvikelse", ["prognos_avvikelse"].as_slice()),
        ] {
            let Some(value) = line["printed"][printed].as_str() else {
                continue;
            };
            for field in fields {
                compared += 1;
                let served = &row["figures"][field];
                let same = served
                    .as_f64()
                    .zip(value.parse::<f64>().ok())
                    .is_some_and(|(s, p)| (s - p).abs() <= 1.0);
                if !served.is_null() && !same {
                    mismatches.push(format!(
                        "{source} line {}: {} {printed} printed {value}, served {served} ({field})",
                        line["source_line"], line["name"]
                    ));
                }
            }
        }
    }
    (compared, mismatches)
}

/// The kommun view of the report's period shows the nämnd as its own report
/// does (VON's lines hold whole years beside single months).
async fn kommun_view_matches_the_report(app: &TestApp, token: &str, report: &Value) -> Vec<String> {
    let mut mismatches = Vec::new();
    for kind in ["drift", "investering"] {
        let (_, view) = app
            .get(
                &format!(
                    "/api/v1/kommun/{kind}?period_id={}&basis=live",
                    report["period_id"].as_str().unwrap()
                ),
                token,
            )
            .reply()
            .await;
        let (_, own) = app
            // The kommun view is today's figures: compare with the live report.
            .get(
                &format!("/api/v1/reports/{}/{kind}?basis=live", id_of(report)),
                token,
            )
            .reply()
            .await;
        let row = array(&view["namnder"])
            .iter()
            .find(|r| r["namnd"] == report["namnd"]);
        if row.map(|r| &r["figures"]) != Some(&own["total"]) {
            mismatches.push(format!(
                "{} {} {kind}: kommun view {:?}, report total {}",
                report["namnd"],
                report["period"],
                row.map(|r| &r["figures"]),
                own["total"]
            ));
        }
    }
    mismatches
}

/// Seeds 001 (delårsrapport), 003 (månadsrapport) and 002 (Askersund's
/// årsbokslut) as the demo loads them: every printed avvikelse and sum the
/// seed's figures allow, the deviation-only columns left absent, every
/// printed volume of the period, and the kommun view agreeing with each
/// report. Each mismatch names the seed and line.
async fn demo_month_and_askersund_reports_match_their_seeds(backend: Backend) {
    let app = demo_app(backend).await;
    let mut mismatches = Vec::new();
    for (name, kommun, namnd, report_type, min_money, min_volumes) in [
        ("seed001", "0483", "VON", "delarsrapport", 8, 40),
        ("seed003", "0483", "VON", "manadsrapport", 8, 18),
        ("seed002", "1882", "SN", "arsredovisning", 8, 10),
    ] {
        let token = app.token_in(kommun, Role::Kommunledning, &[]);
        let seed = seeds::seed(name);
        let report = report_of(&app, &token, namnd, report_type).await;
        let id = id_of(&report);
        let (money, mut found) = seeds::compare_money(&app, &token, &seed, &id).await;
        assert!(
            money >= min_money,
            "{name}: only {money} money figures compared"
        );
        mismatches.append(&mut found);
        let (volumes, mut found) = compare_volumes(&app, &token, &seed, &id).await;
        assert!(
            volumes >= min_volumes,
            "{name}: only {volumes} volumes compared"
        );
        mismatches.append(&mut found);
        let (_, mut found) = deviations_without_figures_are_absent(&app, &token, &seed, &id).await;
        mismatches.append(&mut found);
        mismatches.append(&mut kommun_view_matches_the_report(&app, &token, &report).await);
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));

    // A VON line with August only, beside lines holding the whole year and
    // August: the kommun view still reads every line on its own (pooling
    // the lines' values would let the year hide the new line's August).
    let admin = app.token(Role::Admin);
    let katrineholm = app.token(Role::Kommunledning);
    let arsredovisning = report_of(&app, &katrineholm, "VON", "arsredovisning").await;
    let line = app.post(
            "/api/v1/budget-lines",
            &admin,
            &serde_json::json!({"namnd_id": arsredovisning["namnd_id"], "kind": "drift", "code": "bara_augusti", "name": "Bara augusti"}),
        ).returns(201).await;
    assert_eq!(app.put(&format!(
            "/api/v1/budget-lines/{}/values",
            id_of(&line)
        ), &admin, &serde_json::json!({"values": [{"measure": "utfall", "month": "2024-08", "amount": -1000000}]}))
        .status().await, 200);
    let found = kommun_view_matches_the_report(&app, &katrineholm, &arsredovisning).await;
    assert!(found.is_empty(), "{}", found.join("\n"));
    let (_, own) = app
        .get(
            &format!(
                "/api/v1/reports/{}/drift?unit=tkr&basis=live",
                id_of(&arsredovisning)
            ),
            &katrineholm,
        )
        .reply()
        .await;
    assert_eq!(
        own["total"]["utfall"],
        Value::from(-907875 - 1000),
        "seed 000's years and the new line's August, each once"
    );
}
both_databases!(demo_month_and_askersund_reports_match_their_seeds);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_embedded_database_starts_with_the_demo_data() {
    let app = spawn_with(Backend::Sqlite, |s| s.auto_seed_demo = true).await;
    let (_, reports) = app
        .get("/api/v1/reports", &app.token(Role::Lasare))
        .reply()
        .await;
    // A läsare sees the two approved reports only.
    assert_eq!(reports["items"].as_array().unwrap().len(), 2);
}
