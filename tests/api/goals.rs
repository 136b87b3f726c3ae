//! Goals: seed 000's resultatmål with huvudansvar/medansvariga and Agenda
//! 2030 tags, seed 002's nämnd goals with bäring på and text targets,
//! filters, validation and access.

use std::collections::HashMap;

use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{
    both_databases,
    helpers::*,
    indicators::enter_plan_000,
    seeds::{enter_goal_areas, seed},
};

async fn seed000_goals_read_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let plan = enter_plan_000(&app).await;
    let lasare = app.token(Role::Lasare);
    let s = seed("seed000");
    for g in s["goals"].as_array().unwrap() {
        let title = g["title"].as_str().unwrap();
        let gid = &plan.goals[title];
        let served = app
            .get(&format!("/api/v1/goals/{gid}"), &lasare)
            .returns(200)
            .await;
        assert_eq!(served["huvudansvar"]["code"], g["huvudansvar"], "{title}");
        let medansvariga: Vec<&str> = texts(&served["medansvariga"], "code");
        let printed: Vec<&str> = array(&g["medansvariga"])
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(medansvariga, printed, "line {}", g["source_line"]);
        let numbers: Vec<&Value> = array(&served["agenda2030"])
            .iter()
            .map(|a| &a["number"])
            .collect();
        assert_eq!(json!(numbers), g["agenda2030"], "{title}");
        assert_eq!(served["kind"], "kommun");
    }
    let hemtjansten = app
        .get(
            &format!(
                "/api/v1/goals/{}",
                plan.goals["Ökad nöjdhet med hemtjänsten"]
            ),
            &lasare,
        )
        .returns(200)
        .await;
    assert_eq!(
        hemtjansten["agenda2030"],
        json!([{"number": 3, "name": "God hälsa och välbefinnande"}])
    );
    assert_eq!(hemtjansten["indicator_ids"].as_array().unwrap().len(), 1);

    // Filters: nämnd (huvudansvar or medansvar), goal area, free text.
    let count = |v: &Value| v["items"].as_array().unwrap().len();
    let von = app
        .get("/api/v1/goals?namnd=VON&limit=100", &lasare)
        .returns(200)
        .await;
    assert_eq!(count(&von), 16);
    let stn = app
        .get("/api/v1/goals?namnd=STN&limit=100", &lasare)
        .returns(200)
        .await;
    let expected = seed_goals_where(&s, |g| {
        g["huvudansvar"] == "STN"
            || g["medansvariga"]
                .as_array()
                .unwrap()
                .contains(&json!("STN"))
    });
    assert_eq!(count(&stn), expected);
    let area = &plan.areas["Trygg omsorg & vård"];
    let in_area = app
        .get(&format!("/api/v1/goals?goal_area_id={area}"), &lasare)
        .returns(200)
        .await;
    assert_eq!(count(&in_area), 6);
    let q = app
        .get("/api/v1/goals?q=sjukfr%C3%A5nvaro", &lasare)
        .returns(200)
        .await;
    assert_eq!(count(&q), 1);
    // Case folds beyond ASCII on both databases: "ökad" finds "Ökad …".
    let folded = app
        .get(
            "/api/v1/goals?q=%C3%B6KAD%20N%C3%96JDHET&limit=100",
            &lasare,
        )
        .returns(200)
        .await;
    let expected = seed_goals_where(&s, |g| {
        let text = format!(
            "{} {}",
            g["title"].as_str().unwrap_or_default(),
            g["description"].as_str().unwrap_or_default()
        );
        text.to_lowercase().contains("ökad nöjdhet")
    });
    assert!(expected >= 3, "{expected}");
    assert_eq!(count(&folded), expected);
    let none = app
        .get("/api/v1/goals?namnd=NOPE", &lasare)
        .returns(200)
        .await;
    assert_eq!(count(&none), 0);
    let by_indicator = app
        .get(
            &format!(
                "/api/v1/goals?indicator_id={}",
                plan.indicators["Sjukfrånvaro totalt (%)"]
            ),
            &lasare,
        )
        .returns(200)
        .await;
    assert_eq!(
        by_indicator["items"][0]["title"],
        "Halverad sjukfrånvaro för kommunens medarbetare"
    );
    // bedomning needs a report.
    app.get("/api/v1/goals?bedomning=rod", &lasare)
        .invalid(&["report_id"])
        .await;

    // Change with If-Match: medansvariga replaced.
    let gid = &plan.goals["Ökad nöjdhet med hemtjänsten"];
    let response = app
        .patch(
            &format!("/api/v1/goals/{gid}"),
            &plan.admin,
            &json!({"medansvariga": []}),
        )
        .if_match(1)
        .send()
        .await
        .unwrap();
    let (status, changed) = body(response).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["medansvariga"], json!([]));
    assert_eq!(changed["version"], 2);
    // Making the huvudansvar a medansvarig as well is refused.
    let von_id = &plan.namnder["VON"];
    let p = app
        .patch(
            &format!("/api/v1/goals/{gid}"),
            &plan.admin,
            &json!({"medansvariga": [von_id]}),
        )
        .if_match(2)
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["medansvariga[0]"]);
}
both_databases!(seed000_goals_read_back);

async fn two_huvudansvar_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let socn = app.create_namnd(&admin, "SOCN", "namnd").await;
    let area = app
        .post(
            "/api/v1/goal-areas",
            &admin,
            &json!({"plan": "Kommunplan 2023-2026", "name": "Trygg omsorg & vård"}),
        )
        .returns(201)
        .await;
    let base = json!({"goal_area_id": area["id"], "title": "Ökad nöjdhet med hemtjänsten"});
    let with = |extra: Value| {
        let mut b = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let cases = [
        (
            json!({"huvudansvar": [von["id"], socn["id"]]}),
            "huvudansvar",
        ),
        (
            json!({"huvudansvar": von["id"], "medansvariga": [socn["id"], von["id"]]}),
            "medansvariga[1]",
        ),
        (
            json!({"huvudansvar": von["id"], "medansvariga": [socn["id"], socn["id"]]}),
            "medansvariga[1]",
        ),
        (json!({}), "huvudansvar"),
        (
            json!({"huvudansvar": von["id"], "agenda2030": [3, 18]}),
            "agenda2030[1]",
        ),
        (
            json!({"huvudansvar": von["id"], "alla_namnder": true}),
            "alla_namnder",
        ),
        (
            json!({"huvudansvar": "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607100"}),
            "huvudansvar",
        ),
        (
            json!({"huvudansvar": von["id"], "indicator_ids": ["019a8e3c-5b7d-7e1a-9c2f-3d4e5f607100"]}),
            "indicator_ids[0]",
        ),
        (
            json!({"huvudansvar": von["id"], "target": {"year": 2024}}),
            "target",
        ),
        (
            json!({"huvudansvar": von["id"], "target": {"year": "2024-12", "value": 1}}),
            "target.year",
        ),
    ];
    for (extra, field) in cases {
        let p = app
            .post("/api/v1/goals", &admin, &with(extra.clone()))
            .problem(422)
            .await;
        assert_eq!(error_fields(&p), [field], "{extra}: {p}");
    }
    // Plan structure is written by admin and kommunledning only.
    let good =
        with(json!({"huvudansvar": von["id"], "medansvariga": [socn["id"]], "agenda2030": [3]}));
    for role in [Role::Lasare, Role::Revisor, Role::Integration] {
        app.post("/api/v1/goals", &app.token(role), &good)
            .problem(403)
            .await;
        app.post(
            "/api/v1/goal-areas",
            &app.token(role),
            &json!({"plan": "P", "name": "N"}),
        )
        .problem(403)
        .await;
    }
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    app.post("/api/v1/goals", &redaktor, &good)
        .problem(403)
        .await;
    let created = app
        .post("/api/v1/goals", &app.token(Role::Kommunledning), &good)
        .returns(201)
        .await;
    // Another kommun sees nothing of it.
    let other = app.create_kommun("1882", "Askersunds kommun").await;
    app.get(&format!("/api/v1/goals/{}", id_of(&created)), &other)
        .problem(404)
        .await;
    app.get(&format!("/api/v1/goal-areas/{}", id_of(&area)), &other)
        .problem(404)
        .await;
    // A goal area with goals cannot be deleted.
    app.delete(&format!("/api/v1/goal-areas/{}", id_of(&area)), &admin)
        .if_match(1)
        .problem(409)
        .await;
    let dup = app
        .post(
            "/api/v1/goal-areas",
            &admin,
            &json!({"plan": "Kommunplan 2023-2026", "name": "Trygg omsorg & vård"}),
        )
        .problem(409)
        .await;
    assert_eq!(error_fields(&dup), ["name"]);
}
both_databases!(two_huvudansvar_are_refused);

/// Seed 002's kommun goal "bäring på" each nämnd goal refers to (the seed
/// prints the nämnd's wording; mapped here by meaning), or none.
fn bar_pa_goal(bar_pa: &str) -> Option<&'static str> {
    let b = bar_pa.to_lowercase();
    if b.contains("attraktiv arbetsgivare") {
        Some("Kommunen är en attraktiv arbetsgivare.")
    } else if b.contains("effektiv resursanvändning") {
        Some("Att kommunen verksamheter präglas av effektiv resursanvändning och hög kvalitet.")
    } else if b.contains("äldreomsorg som är trygg") {
        Some("Socialnämnden har en äldreomsorg som är trygg och väldimensionerad")
    } else {
        None
    }
}

async fn seed002_namnd_goals(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.create_kommun("1882", "Askersunds kommun").await;
    let sn = app.create_namnd(&admin, "SN", "namnd").await;
    let s = seed("seed002");
    let areas = enter_goal_areas(&app, &admin, &s).await;
    let mut kommun_goals = HashMap::new();
    for g in s["goals"].as_array().unwrap() {
        let mut b =
            json!({"goal_area_id": areas[g["goal_area"].as_str().unwrap()], "title": g["title"]});
        if g["huvudansvar"].is_null() {
            b["alla_namnder"] = json!(true);
        } else {
            b["huvudansvar"] = sn["id"].clone();
        }
        let created = app.post("/api/v1/goals", &admin, &b).returns(201).await;
        kommun_goals.insert(
            g["title"].as_str().unwrap().to_string(),
            created["id"].clone(),
        );
    }
    let mut mismatches = Vec::new();
    for g in s["namnd_goals"].as_array().unwrap() {
        let line = &g["source_line"];
        // Each measure is an indicator with its 2024 target (number or text).
        let mut indicator_ids = Vec::new();
        for i in g["indicators"].as_array().unwrap() {
            let created = app
                .post(
                    "/api/v1/indicators",
                    &admin,
                    &json!({"name": i["name"], "unit": i["unit"], "polarity": "hogre_ar_battre"}),
                )
                .returns(201)
                .await;
            let iid = id_of(&created);
            let mut values = vec![json!({"year": 2024, "value": i["utfall_2024"]})];
            if !i["utfall_2023"].is_null() {
                values.push(json!({"year": 2023, "value": i["utfall_2023"]}));
            }
            app.put(
                &format!("/api/v1/indicators/{iid}/values"),
                &admin,
                &json!({"values": values}),
            )
            .returns(200)
            .await;
            let target = i["mal_2024"].as_str().unwrap();
            let rv = if target.parse::<f64>().is_ok() {
                json!({"year": 2024, "value": target})
            } else {
                json!({"year": 2024, "text": target})
            };
            let served = app
                .put(
                    &format!("/api/v1/indicators/{iid}/riktvarden"),
                    &admin,
                    &json!({"riktvarden": [rv]}),
                )
                .returns(200)
                .await;
            if rv.get("text").is_some() {
                assert_eq!(served["riktvarde"]["text"], target, "line {line}");
                // "öka": bedömning follows the trend.
                let expected = match served["trend"]["computed"].as_str() {
                    Some("forbattrad") => "gron",
                    Some("oforandrad") => "gul",
                    Some("forsamrad") => "rod",
                    _ => "ingen",
                };
                if served["bedomning"]["computed"] != expected {
                    mismatches.push(format!("line {}: {served}", i["source_line"]));
                }
            }
            indicator_ids.push(iid);
        }
        let mut b = json!({
            "kind": "namnd", "goal_area_id": areas[g["malomrade"].as_str().unwrap()], "title": g["title"],
            "huvudansvar": sn["id"], "bar_pa": g["bar_pa"], "indicator_ids": indicator_ids,
            "description": g["metod"],
        });
        if let Some(t) = g["mal_2024"].as_str() {
            b["target"] = if t.parse::<f64>().is_ok() {
                json!({"year": 2024, "value": t})
            } else {
                json!({"year": 2024, "text": t})
            };
        }
        if let Some(k) = bar_pa_goal(g["bar_pa"].as_str().unwrap()) {
            b["bar_pa_goal_id"] = kommun_goals[k].clone();
        }
        let created = app.post("/api/v1/goals", &admin, &b).returns(201).await;
        assert_eq!(created["kind"], "namnd");
        assert_eq!(created["huvudansvar"]["code"], "SN");
        assert_eq!(created["bar_pa"], g["bar_pa"], "line {line}");
        match g["mal_2024"].as_str() {
            Some(t) if t.parse::<f64>().is_err() => {
                assert_eq!(created["target"]["text"], t, "line {line}")
            }
            Some(t) => assert_eq!(
                created["target"]["value"].to_string().parse::<f64>().ok(),
                t.parse::<f64>().ok(),
                "line {line}"
            ),
            None => assert!(created["target"].is_null()),
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let count = |v: &Value| v["items"].as_array().unwrap().len();
    let namnd_goals = app
        .get("/api/v1/goals?kind=namnd&limit=100", &admin)
        .returns(200)
        .await;
    assert_eq!(
        count(&namnd_goals),
        s["namnd_goals"].as_array().unwrap().len()
    );
    let attraktiv = kommun_goals["Kommunen är en attraktiv arbetsgivare."]
        .as_str()
        .unwrap();
    let bar = app
        .get(&format!("/api/v1/goals?bar_pa_goal_id={attraktiv}"), &admin)
        .returns(200)
        .await;
    assert_eq!(count(&bar), 3);
    // SN answers for the goals of all nämnder, its own and the nämnd goals.
    let sn_goals = app
        .get("/api/v1/goals?namnd=SN&limit=100", &admin)
        .returns(200)
        .await;
    assert_eq!(
        count(&sn_goals),
        s["goals"].as_array().unwrap().len() + s["namnd_goals"].as_array().unwrap().len()
    );
    // A nämnd goal's bäring på must be a kommun goal.
    let own = namnd_goals["items"][0]["id"].clone();
    app.post(
        "/api/v1/goals",
        &admin,
        &json!({"kind": "namnd", "title": "X", "huvudansvar": sn["id"], "bar_pa_goal_id": own}),
    )
    .invalid(&["bar_pa_goal_id"])
    .await;
}
both_databases!(seed002_namnd_goals);

/// How many of the seed's goals `keep` holds for.
fn seed_goals_where(seed: &Value, keep: impl Fn(&Value) -> bool) -> usize {
    seed["goals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| keep(g))
        .count()
}

/// Lists of ids are bounded before anything is looked up: 70,000 ids fit
/// in the production body limit (4 MB) and once reached PostgreSQL as one
/// query with more parameters than it takes (500). Each list is refused
/// whole, on a goal's and an assignment's create and change.
async fn long_lists_are_refused_whole(backend: Backend) {
    let app = demo_app_with(backend, |s| s.max_body_bytes = 4 * 1024 * 1024).await;
    let admin = app.token(Role::Admin);
    let von = app.id_of("/api/v1/namnder?code=VON", &admin).await;
    let area = app.id_of("/api/v1/goal-areas?limit=1", &admin).await;
    let ids =
        |n: usize| -> Vec<String> { (0..n).map(|_| uuid::Uuid::now_v7().to_string()).collect() };
    let goal = json!({"goal_area_id": area, "title": "Mål", "kind": "kommun", "huvudansvar": von});
    let assignment = json!({"goal_area_id": area, "title": "Uppdrag", "huvudansvar": von});
    let cases = [
        ("/api/v1/goals", &goal, "medansvariga", json!(ids(70_000))),
        ("/api/v1/goals", &goal, "indicator_ids", json!(ids(70_000))),
        ("/api/v1/goals", &goal, "agenda2030", json!(vec![1; 18])),
        (
            "/api/v1/assignments",
            &assignment,
            "medansvariga",
            json!(ids(70_000)),
        ),
        ("/api/v1/goals", &goal, "medansvariga", json!(ids(101))),
        ("/api/v1/goals", &goal, "indicator_ids", json!(ids(201))),
        (
            "/api/v1/assignments",
            &assignment,
            "medansvariga",
            json!(ids(101)),
        ),
    ];
    for (path, base, field, list) in cases {
        let mut body = base.clone();
        body[field] = list.clone();
        app.post(path, &admin, &body).invalid(&[field]).await;
        let created = app.post(path, &admin, base).returns(201).await;
        let change = json!({field: list});
        app.patch(&format!("{path}/{}", id_of(&created)), &admin, &change)
            .if_match(1)
            .invalid(&[field])
            .await;
    }
}
both_databases!(long_lists_are_refused_whole);
