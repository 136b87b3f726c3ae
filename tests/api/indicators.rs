//! Indicators: seed 000's indicator appendix entered through the API and
//! read back in one request with the printed trend arrows and bedömningar;
//! bad input; access.

use std::collections::HashMap;

use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*, seeds::seed};

/// Ids of what [`enter_plan_000`] created, by name/code/title.
pub struct Plan000 {
    pub admin: String,
    pub namnder: HashMap<String, String>,
    pub areas: HashMap<String, String>,
    pub goals: HashMap<String, String>,
    pub indicators: HashMap<String, String>,
}

/// Creates Katrineholm with every nämnd of `demo/kommuner.json`.
pub async fn katrineholm_with_namnder(app: &TestApp) -> (String, HashMap<String, String>) {
    let admin = app.katrineholm().await;
    let kommuner = seed("kommuner");
    let mut namnder = HashMap::new();
    for k in kommuner["kommuner"].as_array().unwrap() {
        if k["code"] != "0483" {
            continue;
        }
        for n in k["namnder"].as_array().unwrap() {
            let code = n["code"].as_str().unwrap();
            let created = app
                .create_namnd(&admin, code, n["kind"].as_str().unwrap())
                .await;
            namnder.insert(code.to_string(), id_of(&created));
        }
    }
    (admin, namnder)
}

/// Enters seed 000's goal areas, indicators (values, riktvärden, the two
/// overrides the report makes) and resultatmål through the API.
pub async fn enter_plan_000(app: &TestApp) -> Plan000 {
    let s = seed("seed000");
    let (admin, namnder) = katrineholm_with_namnder(app).await;
    let mut areas = HashMap::new();
    for a in s["goal_areas"].as_array().unwrap() {
        let created = app.post(
                "/api/v1/goal-areas",
                &admin,
                &json!({"plan": a["plan"], "name": a["name"], "from_year": 2023, "to_year": 2026, "position": a["position"]}),
            ).returns(201)
        .await;
        areas.insert(a["name"].as_str().unwrap().to_string(), id_of(&created));
    }
    let mut indicators = HashMap::new();
    let mut by_goal: HashMap<String, Vec<String>> = HashMap::new();
    for i in s["indicators"].as_array().unwrap() {
        let name = i["name"].as_str().unwrap();
        // The threshold is left out: the default 1.5 % applies.
        let created = app.post(
                "/api/v1/indicators",
                &admin,
                &json!({"name": name, "unit": i["unit"], "polarity": i["polarity"], "source": i["source"],
                        "kolada_id": i["kolada_id"], "divided_by_gender": i["divided_by_gender"]}),
            ).returns(201)
        .await;
        assert_eq!(created["trend_threshold"], json!(1.5), "{name}");
        let iid = id_of(&created);
        let values: Vec<Value> = array(&i["values"])
            .iter()
            .map(|v| json!({"year": v["year"], "gender": v["gender"], "value": v["value"]}))
            .collect();
        app.put(
            &format!("/api/v1/indicators/{iid}/values"),
            &admin,
            &json!({"values": values}),
        )
        .returns(200)
        .await;
        app.put(
            &format!("/api/v1/indicators/{iid}/riktvarden"),
            &admin,
            &json!({"riktvarden": i["riktvarden"]}),
        )
        .returns(200)
        .await;
        if let Some(reason) = i["trend_override_reason"].as_str() {
            app.put(
                &format!("/api/v1/indicators/{iid}/overrides/2024"),
                &admin,
                &json!({"trend": {"value": i["printed_trend"], "reason": reason}}),
            )
            .returns(200)
            .await;
        }
        by_goal
            .entry(i["goal"].as_str().unwrap().to_string())
            .or_default()
            .push(iid.clone());
        indicators.insert(name.to_string(), iid);
    }
    // "Brukarbedömning boendestöd SoL" is printed without bedömning (○): the
    // latest utfall is 2023's; the nämnd overrides the computed rod.
    let sol = &indicators["Brukarbedömning boendestöd SoL - Brukaren får den hjälp hen vill ha, andel (%)"];
    app.put(&format!("/api/v1/indicators/{sol}/overrides/2024"), &admin, &json!({"bedomning": {"value": "ingen", "reason": "Mäts vartannat år; inget utfall 2024."}})).returns(200)
    .await;
    let mut goals = HashMap::new();
    for g in s["goals"].as_array().unwrap() {
        let title = g["title"].as_str().unwrap();
        let body = json!({
            "goal_area_id": areas[g["goal_area"].as_str().unwrap()],
            "title": title,
            "huvudansvar": namnder[g["huvudansvar"].as_str().unwrap()],
            "medansvariga": g["medansvariga"].as_array().unwrap().iter().map(|c| namnder[c.as_str().unwrap()].clone()).collect::<Vec<_>>(),
            "agenda2030": g["agenda2030"],
            "indicator_ids": by_goal.get(title).cloned().unwrap_or_default(),
        });
        let created = app.post("/api/v1/goals", &admin, &body).returns(201).await;
        goals.insert(title.to_string(), id_of(&created));
    }
    Plan000 {
        admin,
        namnder,
        areas,
        goals,
        indicators,
    }
}

fn decimal(v: &Value) -> Option<rust_decimal::Decimal> {
    match v {
        Value::Null => None,
        Value::String(s) => s.parse().ok(),
        other => other.to_string().parse().ok(),
    }
}

async fn seed000_appendix_read_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let plan = enter_plan_000(&app).await;
    let lasare = app.token(Role::Lasare);
    // The whole appendix in one request, read as a frontend would.
    let table = app
        .get("/api/v1/indicators/table?year=2024", &lasare)
        .returns(200)
        .await;
    assert_eq!(table["years"], json!([2022, 2023, 2024]));
    let mut rows: HashMap<String, (String, String, Value)> = HashMap::new();
    for area in table["goal_areas"].as_array().unwrap() {
        for goal in area["goals"].as_array().unwrap() {
            for row in goal["indicators"].as_array().unwrap() {
                rows.insert(
                    row["name"].as_str().unwrap().to_string(),
                    (
                        area["name"].as_str().unwrap().to_string(),
                        goal["title"].as_str().unwrap().to_string(),
                        row.clone(),
                    ),
                );
            }
        }
    }
    let s = seed("seed000");
    let mut mismatches = Vec::new();
    for i in s["indicators"].as_array().unwrap() {
        let name = i["name"].as_str().unwrap();
        let line = &i["source_line"];
        let Some((area, goal, row)) = rows.get(name) else {
            mismatches.push(format!("line {line}: {name} missing from the table"));
            continue;
        };
        if area != i["goal_area"].as_str().unwrap() || goal != i["goal"].as_str().unwrap() {
            mismatches.push(format!("line {line}: {name} under {area} / {goal}"));
        }
        if row["trend"]["final"] != i["printed_trend"] {
            mismatches.push(format!(
                "line {line}: {name}: trend {} printed {}",
                row["trend"], i["printed_trend"]
            ));
        }
        if let Some(reason) = i["trend_override_reason"].as_str() {
            assert_eq!(row["trend"]["override_reason"], reason, "line {line}");
            assert_eq!(
                row["trend"]["computed"], "forbattrad",
                "line {line}: 81.6 → 84.3 is +3.3 %"
            );
        }
        if !i["printed_bedomning"].is_null() {
            if row["bedomning"]["final"] != i["printed_bedomning"] {
                mismatches.push(format!(
                    "line {line}: {name}: bedömning {} printed {}",
                    row["bedomning"], i["printed_bedomning"]
                ));
            }
            if row["bedomning"]["override_reason"].is_null()
                && row["bedomning"]["computed"] != i["printed_bedomning"]
            {
                mismatches.push(format!(
                    "line {line}: {name}: computed bedömning {} printed {}",
                    row["bedomning"]["computed"], i["printed_bedomning"]
                ));
            }
        }
        // utfall columns, riktvärde, källa, Kolada id
        for v in i["values"].as_array().unwrap() {
            let served = array(&row["utfall"])
                .iter()
                .find(|u| u["year"] == v["year"]);
            if served.map(|u| decimal(&u["value"])) != Some(decimal(&v["value"])) {
                mismatches.push(format!(
                    "line {line}: {name}: utfall {} served {served:?}",
                    v["year"]
                ));
            }
        }
        let rv = &i["riktvarden"][0];
        if decimal(&row["riktvarde"]["value"]) != decimal(&rv["value"]) {
            mismatches.push(format!(
                "line {line}: {name}: riktvärde {}",
                row["riktvarde"]
            ));
        }
        if row["source"] != i["source"] || row["kolada_id"] != i["kolada_id"] {
            mismatches.push(format!("line {line}: {name}: källa/Kolada {row}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "served appendix differs from seed 000:\n{}",
        mismatches.join("\n")
    );
    assert_eq!(rows.len(), 41, "seed 000 lines 1164-1210");

    // By Kolada id, with the derived figures of the latest riktvärde year.
    let page = app
        .get("/api/v1/indicators?kolada_id=U21468", &lasare)
        .returns(200)
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let hemtjanst = &items[0];
    assert_eq!(hemtjanst["year"], 2024);
    assert_eq!(hemtjanst["trend"]["final"], "forsamrad");
    assert_eq!(hemtjanst["bedomning"]["computed"], "rod"); // 83 / 90 = 92 %
    assert_eq!(
        decimal(&hemtjanst["riktvarde"]["value"]),
        decimal(&json!(90))
    );
    assert_eq!(hemtjanst["utfall"].as_array().unwrap().len(), 3);
    assert_eq!(hemtjanst["goal_ids"].as_array().unwrap().len(), 1);

    // One indicator for an earlier year: 2023 against no riktvärde → ingen.
    let iid = &plan.indicators["Arbetslöshet 16-64 år (%)"];
    let one = app
        .get(&format!("/api/v1/indicators/{iid}?year=2023"), &lasare)
        .returns(200)
        .await;
    assert_eq!(one["year"], 2023);
    // 9.0 → 9.1 is +1.1 %, below the 1.5 % threshold; no riktvärde for 2023.
    assert_eq!(one["trend"]["computed"], "oforandrad");
    assert_eq!(one["bedomning"]["computed"], "ingen");

    // A goal area's part of the appendix, and a nämnd's.
    let area = &plan.areas["Trygg omsorg & vård"];
    let part = app
        .get(
            &format!("/api/v1/indicators/table?year=2024&goal_area_id={area}"),
            &lasare,
        )
        .returns(200)
        .await;
    assert_eq!(part["goal_areas"].as_array().unwrap().len(), 1);
    assert_eq!(part["goal_areas"][0]["goals"].as_array().unwrap().len(), 6);
    let list = app
        .get(
            &format!("/api/v1/indicators?goal_area_id={area}&year=2024&limit=100"),
            &lasare,
        )
        .returns(200)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 15);
    let q = app
        .get("/api/v1/indicators?q=HEMTJÄNST", &lasare)
        .returns(200)
        .await;
    assert!(!q["items"].as_array().unwrap().is_empty());
}
both_databases!(seed000_appendix_read_back);

async fn text_targets_and_gender_values(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let created = app.post(
            "/api/v1/indicators",
            &admin,
            &json!({"name": "Antal beslut om förenklad biståndsbedömning", "unit": "antal",
                    "polarity": "hogre_ar_battre", "trend_threshold": "2", "divided_by_gender": true}),
        ).returns(201)
    .await;
    let iid = id_of(&created);
    let values = json!({"values": [
        {"year": 2023, "value": 2}, {"year": "2024", "gender": "T", "value": "78"},
        {"year": 2024, "gender": "K", "value": 40}, {"year": 2024, "gender": "M", "value": 38},
        {"year": 2025, "note": "Mäts vartannat år"}
    ]});
    let v = app
        .put(&format!("/api/v1/indicators/{iid}/values"), &admin, &values)
        .returns(200)
        .await;
    assert_eq!(v["values"].as_array().unwrap().len(), 5);
    let r = app
        .put(
            &format!("/api/v1/indicators/{iid}/riktvarden"),
            &admin,
            &json!({"riktvarden": [{"year": 2024, "text": "öka"}]}),
        )
        .returns(200)
        .await;
    // A text target: bedömning follows the trend (2 → 78: forbattrad).
    assert_eq!(
        r["riktvarde"],
        json!({"year": 2024, "value": null, "text": "öka"})
    );
    assert_eq!(r["trend"]["computed"], "forbattrad");
    assert_eq!(r["bedomning"]["computed"], "gron");
    assert_eq!(r["trend_threshold"], json!(2));
    // Deleting a value: all of value, status and note left out.
    let v = app
        .put(
            &format!("/api/v1/indicators/{iid}/values"),
            &admin,
            &json!({"values": [{"year": 2025}]}),
        )
        .returns(200)
        .await;
    assert_eq!(v["values"].as_array().unwrap().len(), 4);
    // If-Match on a sub-resource write is honoured when given.
    let stale = app
        .put(
            &format!("/api/v1/indicators/{iid}/values"),
            &admin,
            &json!({"values": []}),
        )
        .if_match(1)
        .send()
        .await
        .unwrap();
    problem(stale, 412).await;
    // Clearing an override.
    let o = app
        .put(
            &format!("/api/v1/indicators/{iid}/overrides/2024"),
            &admin,
            &json!({"bedomning": {"value": "gul", "reason": "Målet är delvis nått"}}),
        )
        .returns(200)
        .await;
    assert_eq!(
        (
            o["bedomning"]["computed"].as_str(),
            o["bedomning"]["final"].as_str()
        ),
        (Some("gron"), Some("gul"))
    );
    let o = app
        .put(
            &format!("/api/v1/indicators/{iid}/overrides/2024"),
            &admin,
            &json!({}),
        )
        .returns(200)
        .await;
    assert_eq!(o["bedomning"]["final"], "gron");
    assert!(o["bedomning"]["override_reason"].is_null());
}
both_databases!(text_targets_and_gender_values);

async fn bad_input_names_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let created = app
        .post(
            "/api/v1/indicators",
            &admin,
            &json!({"name": "X", "unit": "antal", "polarity": "hogre_ar_battre"}),
        )
        .returns(201)
        .await;
    let iid = id_of(&created);
    let cases = [
        (
            format!("/api/v1/indicators/{iid}/riktvarden"),
            json!({"riktvarden": [{"year": "2024/25", "value": 1}]}),
            "riktvarden[0].year",
        ),
        (
            format!("/api/v1/indicators/{iid}/riktvarden"),
            json!({"riktvarden": [{"year": 24, "value": 1}]}),
            "riktvarden[0].year",
        ),
        (
            format!("/api/v1/indicators/{iid}/riktvarden"),
            json!({"riktvarden": [{"year": 2024}]}),
            "riktvarden[0]",
        ),
        (
            format!("/api/v1/indicators/{iid}/values"),
            json!({"values": [{"year": 2022, "gender": "T", "value": 1}, {"year": 2023, "gender": "K", "value": 1}, {"year": 2024, "gender": "X", "value": 1}]}),
            "values[2].gender",
        ),
        (
            format!("/api/v1/indicators/{iid}/values"),
            json!({"values": [{"year": 2024, "value": "12,5"}]}),
            "values[0].value",
        ),
        (
            format!("/api/v1/indicators/{iid}/overrides/2024"),
            json!({"trend": {"value": "oforandrad"}}),
            "trend.reason",
        ),
        (
            format!("/api/v1/indicators/{iid}/overrides/2024"),
            json!({"bedomning": {"value": "gul", "reason": "  "}}),
            "bedomning.reason",
        ),
        (
            format!("/api/v1/indicators/{iid}/overrides/2024"),
            json!({"trend": {"value": "upp", "reason": "x"}}),
            "trend.value",
        ),
        (
            format!("/api/v1/indicators/{iid}/overrides/20x4"),
            json!({}),
            "year",
        ),
    ];
    for (path, body, field) in cases {
        let p = app.put(&path, &admin, &body).problem(422).await;
        assert_eq!(error_fields(&p), [field], "{path} {body}: {p}");
    }
    app.post(
        "/api/v1/indicators",
        &admin,
        &json!({"name": "Y", "unit": "antal", "polarity": "hogre", "trend_threshold": 150}),
    )
    .invalid(&["polarity"])
    .await;
    app.post("/api/v1/indicators", &admin, &json!({"name": "Y", "unit": "antal", "polarity": "hogre_ar_battre", "trend_threshold": 150})).invalid(&["trend_threshold"])
    .await;
    // Derived fields are read-only.
    app.post("/api/v1/indicators", &admin, &json!({"name": "Y", "unit": "antal", "polarity": "hogre_ar_battre", "trend": "forbattrad"})).invalid(&["trend"])
    .await;
    app.get("/api/v1/indicators?year=twenty", &admin)
        .problem(422)
        .await;
}
both_databases!(bad_input_names_the_field);

async fn indicator_access(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let body = json!({"name": "X", "unit": "antal", "polarity": "hogre_ar_battre"});
    for role in [Role::Lasare, Role::Revisor, Role::Integration] {
        app.post("/api/v1/indicators", &app.token(role), &body)
            .problem(403)
            .await;
    }
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    app.post("/api/v1/indicators", &redaktor, &body)
        .problem(403)
        .await;
    let created = app
        .post("/api/v1/indicators", &app.token(Role::Kommunledning), &body)
        .returns(201)
        .await;
    let iid = id_of(&created);
    let values = json!({"values": [{"year": 2024, "value": 3}]});
    // Values: also integrations (Kolada imports); not redaktörer.
    app.put(
        &format!("/api/v1/indicators/{iid}/values"),
        &app.token(Role::Integration),
        &values,
    )
    .returns(200)
    .await;
    app.put(
        &format!("/api/v1/indicators/{iid}/values"),
        &redaktor,
        &values,
    )
    .problem(403)
    .await;
    app.put(
        &format!("/api/v1/indicators/{iid}/riktvarden"),
        &app.token(Role::Integration),
        &json!({"riktvarden": []}),
    )
    .problem(403)
    .await;
    // Every role of the kommun reads; another kommun does not see it.
    app.get(
        &format!("/api/v1/indicators/{iid}"),
        &app.token(Role::Lasare),
    )
    .returns(200)
    .await;
    let other = app.create_kommun("1882", "Askersunds kommun").await;
    app.get(&format!("/api/v1/indicators/{iid}"), &other)
        .problem(404)
        .await;
    app.put(&format!("/api/v1/indicators/{iid}/values"), &other, &values)
        .problem(404)
        .await;
    let listed = app.get("/api/v1/indicators", &other).returns(200).await;
    assert_eq!(listed["items"], json!([]));
    // Delete needs If-Match.
    app.delete(&format!("/api/v1/indicators/{iid}"), &admin)
        .problem(428)
        .await;
    assert_eq!(
        app.delete(&format!("/api/v1/indicators/{iid}"), &admin)
            .header("If-Match", created_version(&app, &admin, &iid).await)
            .status()
            .await,
        204
    );
}
both_databases!(indicator_access);

async fn created_version(app: &TestApp, token: &str, iid: &str) -> String {
    let response = app
        .get(&format!("/api/v1/indicators/{iid}"), token)
        .send()
        .await
        .unwrap();
    response.headers()["etag"].to_str().unwrap().to_string()
}
