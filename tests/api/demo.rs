//! The demo data, loaded through the service layer, served as the seeds print it.

use kommunrapport::auth::Role;
use serde_json::Value;

use crate::{both_databases, helpers::*, seeds};

async fn demo_data_matches_the_seeds(backend: Backend) {
    let url = fresh_database(backend).await;
    let app = spawn_with_settings(backend, test_settings(url.clone())).await;
    let db = kommunrapport::startup::connect(&url).await.unwrap();
    assert_eq!(
        kommunrapport::demo::load(&db).await.unwrap(),
        5,
        "five seed reports"
    );
    assert_eq!(
        kommunrapport::demo::load(&db).await.unwrap(),
        0,
        "loading again changes nothing"
    );

    let token = app.token(Role::Kommunledning);
    let (_, namnder) = body(
        app.get("/api/v1/namnder?limit=500", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let codes: Vec<&str> = namnder["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    for code in [
        "KS/KLF", "KS/SBF", "BIN", "BMN", "KULN", "STN", "SOCN", "VIAN", "VON", "KFAB", "KVAAB",
        "VSR",
    ] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    let (_, reports) = body(
        app.get("/api/v1/reports?namnd=VON", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
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
    let id = arsredovisning["id"].as_str().unwrap();
    let (checked, mismatches) = seeds::compare_money(&app, &token, &seed, id).await;
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(checked >= 10);

    // Seed 000's volymmått: the year and the year before as printed.
    let (_, whole) = body(
        app.get(
            &format!("/api/v1/reports/{id}?include=volymer,nyckeltal,sections"),
            &token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let mut compared = 0;
    for measure in seed["volume_measures"].as_array().unwrap() {
        let row = whole["volymer"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == measure["name"])
            .unwrap_or_else(|| panic!("{} served", measure["name"]));
        for value in measure["values"].as_array().unwrap() {
            let field = match value["period"].as_str() {
                Some("2024") => "period_value",
                Some("2023") => "last_year",
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
    let nyckeltal = whole["nyckeltal"].as_array().unwrap();
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
    let (status, table) = body(
        app.get("/api/v1/indicators/table?year=2024", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{table}");
    let served: Vec<&Value> = table["goal_areas"]
        .as_array()
        .unwrap()
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
    // The nämnd's assessments of its resultatmål, with their comments.
    let (_, assessments) = body(
        app.get(&format!("/api/v1/reports/{id}/assessments"), &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let text = assessments.to_string();
    assert!(
        text.contains("handledarorganisationen"),
        "VON's comment on Ökad sysselsättning is served"
    );

    // Askersund: its own kommun, invisible to Katrineholm.
    let askersund = app.token_in("1882", Role::Kommunledning, &[]);
    let (_, sn) = body(app.get("/api/v1/reports", &askersund).send().await.unwrap()).await;
    assert_eq!(sn["items"].as_array().unwrap().len(), 1);
    assert_eq!(sn["items"][0]["namnd"], "SN");
    // Askersund's nämnd goals (seed 002), with SN's comments as its assessments.
    let (_, own_goals) = body(
        app.get("/api/v1/goals?kind=namnd&limit=100", &askersund)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(own_goals["items"].as_array().unwrap().len(), 12);
    let (_, sn_assessments) = body(
        app.get(
            &format!(
                "/api/v1/reports/{}/assessments",
                sn["items"][0]["id"].as_str().unwrap()
            ),
            &askersund,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert!(
        sn_assessments.to_string().contains("Sjukskrivningstalen"),
        "nämnd goals are assessed in SN's report"
    );
    let (_, from_katrineholm) = body(
        app.get(
            &format!("/api/v1/reports/{}", sn["items"][0]["id"].as_str().unwrap()),
            &token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(from_katrineholm["status"], Value::from(404));
}
both_databases!(demo_data_matches_the_seeds);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_embedded_database_starts_with_the_demo_data() {
    let url = fresh_database(Backend::Sqlite).await;
    let mut settings = test_settings(url);
    settings.auto_seed_demo = true;
    let app = spawn_with_settings(Backend::Sqlite, settings).await;
    let (_, reports) = body(
        app.get("/api/v1/reports", &app.token(Role::Lasare))
            .send()
            .await
            .unwrap(),
    )
    .await;
    // A läsare sees the two approved reports only.
    assert_eq!(reports["items"].as_array().unwrap().len(), 2);
}
