//! Assignments (uppdrag) of seed 000 with VON's statuses in the
//! årsredovisning 2024, including the särskilt uppdrag "Fortsätta
//! effektivisera" to all nämnder.

use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{
    assessments::von_report,
    both_databases,
    helpers::*,
    indicators::katrineholm_with_namnder,
    seeds::{enter_goal_areas, seed},
};

async fn seed000_assignments(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, namnder) = katrineholm_with_namnder(&app).await;
    let s = seed("seed000");
    let areas = enter_goal_areas(&app, &admin, &s).await;
    let report = von_report(&app, &admin, &namnder["VON"]).await;
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    let mut ids = Vec::new();
    for a in s["assignments"].as_array().unwrap() {
        let mut b = json!({
            "plan": a["plan"], "title": a["title"], "description": a["description"],
            "medansvariga": a["medansvariga"].as_array().unwrap().iter().map(|c| namnder[c.as_str().unwrap()].clone()).collect::<Vec<_>>(),
            "end_date": a["slutdatum"], "sarskilt": a["sarskilt"],
        });
        if let Some(area) = a["goal_area"].as_str() {
            b["goal_area_id"] = areas[area].clone();
        }
        match a["huvudansvar"].as_str() {
            Some(h) => b["huvudansvar"] = json!(namnder[h]),
            None => b["alla_namnder"] = json!(true),
        }
        let created = app
            .post("/api/v1/assignments", &admin, &b)
            .returns(201)
            .await;
        let aid = id_of(&created);
        for st in a["statuses"].as_array().unwrap() {
            app.put(
                &format!("/api/v1/reports/{report}/assignment-statuses/{aid}"),
                &redaktor,
                &json!({"status": st["status"], "comment": st["comment"]}),
            )
            .returns(201)
            .await;
        }
        ids.push((aid, a.clone()));
    }
    let list = app
        .get(
            &format!("/api/v1/reports/{report}/assignment-statuses"),
            &redaktor,
        )
        .returns(200)
        .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), ids.len());
    for (aid, a) in &ids {
        let row = items
            .iter()
            .find(|i| i["assignment"]["id"] == aid.as_str())
            .unwrap_or_else(|| panic!("line {}", a["source_line"]));
        let printed = &a["statuses"][0];
        assert_eq!(
            row["status"]["status"], printed["status"],
            "line {}",
            a["source_line"]
        );
        assert_eq!(
            row["assignment"]["huvudansvar"]["code"].as_str(),
            a["huvudansvar"].as_str()
        );
    }
    let ej_startad = items
        .iter()
        .filter(|i| i["status"]["status"] == "ej_startad")
        .count();
    assert_eq!(ej_startad, 2);
    let effektivisera: &Value = items
        .iter()
        .find(|i| i["assignment"]["title"] == "Fortsätta effektivisera")
        .unwrap();
    assert_eq!(effektivisera["assignment"]["alla_namnder"], true);
    assert_eq!(effektivisera["assignment"]["sarskilt"], true);
    assert_eq!(effektivisera["assignment"]["end_date"], "2024-12-31");

    let lasare = app.token(Role::Lasare);
    let sarskilda = app
        .get("/api/v1/assignments?sarskilt=true", &lasare)
        .returns(200)
        .await;
    assert_eq!(sarskilda["items"].as_array().unwrap().len(), 1);
    let bmn = app
        .get("/api/v1/assignments?namnd=BMN&limit=100", &lasare)
        .returns(200)
        .await;
    let expected = array(&s["assignments"])
        .iter()
        .filter(|a| {
            a["huvudansvar"].is_null()
                || a["huvudansvar"] == "BMN"
                || a["medansvariga"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("BMN"))
        })
        .count();
    assert_eq!(bmn["items"].as_array().unwrap().len(), expected);

    // Bad input and access.
    let (aid, _) = &ids[0];
    let path = format!("/api/v1/reports/{report}/assignment-statuses/{aid}");
    app.put(&path, &redaktor, &json!({"status": "pagaende"}))
        .invalid(&["status"])
        .await;
    let other = app.token_in("0483", Role::Redaktor, &["SOCN"]);
    app.put(&path, &other, &json!({"status": "klar"}))
        .problem(404)
        .await;
    // A läsare may change no report: 403 before the id is looked at (the
    // same answer for any id, so the draft's existence stays hidden).
    app.put(&path, &lasare, &json!({"status": "klar"}))
        .problem(403)
        .await;
    let changed = app
        .put(
            &path,
            &redaktor,
            &json!({"status": "klar", "comment": "Klart"}),
        )
        .returns(200)
        .await;
    assert_eq!(changed["status"], "klar");
    let p = app
        .post(
            "/api/v1/assignments",
            &admin,
            &json!({"title": "X", "huvudansvar": namnder["VON"], "medansvariga": [namnder["VON"]]}),
        )
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["medansvariga[0]"]);
    app.post("/api/v1/assignments", &admin, &json!({"title": "X", "huvudansvar": namnder["VON"], "start_date": "2025-01-01", "end_date": "2024-12-31"})).invalid(&["end_date"])
    .await;
    app.post(
        "/api/v1/assignments",
        &lasare,
        &json!({"title": "X", "alla_namnder": true}),
    )
    .problem(403)
    .await;
    // The plan's name is at most 200 characters, in a change as in a new
    // one (a change used to reach the database: 500 on PostgreSQL).
    let long = "p".repeat(201);
    app.post(
        "/api/v1/assignments",
        &admin,
        &json!({"title": "X", "alla_namnder": true, "plan": long}),
    )
    .invalid(&["plan"])
    .await;
    let assignment = format!("/api/v1/assignments/{aid}");
    app.patch(&assignment, &admin, &json!({"plan": long}))
        .header("If-Match", "*")
        .invalid(&["plan"])
        .await;
}
both_databases!(seed000_assignments);
