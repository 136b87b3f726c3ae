//! Assessments: VON's bedömning of its goals in the årsredovisning 2024
//! (seed 000), beside the suggestion from the goals' indicators; writes by
//! the nämnd's redaktör while utkast only.

use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*, indicators::enter_plan_000, seeds::seed};

/// VON's årsredovisning 2024 in utkast; returns its id.
pub async fn von_report(app: &TestApp, admin: &str, von_id: &str) -> String {
    let period = app.create_period(admin, "helar", 2024).await;
    let report = app
        .post(
            "/api/v1/reports",
            admin,
            &json!({"namnd_id": von_id, "period_id": period["id"], "type": "arsredovisning"}),
        )
        .returns(201)
        .await;
    id_of(&report)
}

async fn seed000_assessments(backend: Backend) {
    let app = spawn_app(backend).await;
    let plan = enter_plan_000(&app).await;
    let report = von_report(&app, &plan.admin, &plan.namnder["VON"]).await;
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    let s = seed("seed000");
    // Enter VON's assessments (the circles did not survive extraction:
    // null is entered as ingen).
    for g in s["goals"].as_array().unwrap() {
        let gid = &plan.goals[g["title"].as_str().unwrap()];
        for a in g["assessments"].as_array().unwrap() {
            let bedomning = a["bedomning"].as_str().unwrap_or("ingen");
            app.put(
                &format!("/api/v1/reports/{report}/assessments/{gid}"),
                &redaktor,
                &json!({"bedomning": bedomning, "comment": a["comment"]}),
            )
            .returns(201)
            .await;
        }
    }
    let list = app
        .get(&format!("/api/v1/reports/{report}/assessments"), &redaktor)
        .returns(200)
        .await;
    assert_eq!(list["year"], 2024);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 16);
    let row = |title: &str| -> Value {
        items
            .iter()
            .find(|i| i["goal"]["title"] == title)
            .cloned()
            .unwrap_or_else(|| panic!("{title} missing"))
    };
    let hemtjansten = row("Ökad nöjdhet med hemtjänsten");
    assert_eq!(hemtjansten["role"], "huvudansvar");
    assert_eq!(hemtjansten["assessment"]["bedomning"], "rod");
    // 83 % against 90 %: rod, so the suggestion is rod.
    assert_eq!(hemtjansten["suggested_bedomning"], "rod");
    assert_eq!(hemtjansten["indicators"][0]["bedomning"]["final"], "rod");
    // "Ökade förutsättningar för aktiviteter": 67/70 gul and 71/67 gron → gul.
    let aktiviteter = row("Ökade förutsättningar för aktiviteter för brukare inom vård och omsorg");
    assert_eq!(aktiviteter["suggested_bedomning"], "gul");
    let beredskap = row("Ökad beredskap för samhällsstörningar");
    assert_eq!(beredskap["role"], "medansvarig");
    assert!(
        beredskap["assessment"]["comment"]
            .as_str()
            .unwrap()
            .contains("kontinuitetsplaner")
    );

    // Change with If-Match; a stale one is refused.
    let gid = &plan.goals["Ökad nöjdhet med hemtjänsten"];
    let path = format!("/api/v1/reports/{report}/assessments/{gid}");
    let changed = app
        .put(
            &path,
            &redaktor,
            &json!({"bedomning": "gul", "comment": "Delvis uppfyllt"}),
        )
        .if_match(1)
        .send()
        .await
        .unwrap();
    let (status, changed) = body(changed).await;
    assert_eq!(
        (status, changed["version"].as_i64()),
        (200, Some(2)),
        "{changed}"
    );
    let stale = app
        .put(&path, &redaktor, &json!({"bedomning": "rod"}))
        .if_match(1)
        .send()
        .await
        .unwrap();
    problem(stale, 412).await;

    // Goals filtered by their bedömning in the report.
    let gul = app
        .get(
            &format!("/api/v1/goals?report_id={report}&bedomning=gul"),
            &redaktor,
        )
        .returns(200)
        .await;
    assert_eq!(gul["items"].as_array().unwrap().len(), 1);
    assert_eq!(gul["items"][0]["title"], "Ökad nöjdhet med hemtjänsten");

    // Bad input and access.
    app.put(&path, &redaktor, &json!({"bedomning": "bla"}))
        .invalid(&["bedomning"])
        .await;
    app.put(
        &path,
        &redaktor,
        &json!({"bedomning": "gul", "suggested_bedomning": "gul"}),
    )
    .invalid(&["suggested_bedomning"])
    .await;
    let socn = app.token_in("0483", Role::Redaktor, &["SOCN"]);
    app.put(&path, &socn, &json!({"bedomning": "gul"}))
        .problem(404)
        .await;
    app.get(&format!("/api/v1/reports/{report}/assessments"), &socn)
        .problem(404)
        .await;
    app.get(
        &format!("/api/v1/reports/{report}/assessments"),
        &app.token(Role::Lasare),
    )
    .problem(404)
    .await;
    app.put(
        &path,
        &app.token(Role::Revisor),
        &json!({"bedomning": "gul"}),
    )
    .problem(403)
    .await;
    let other = app.create_kommun("1882", "Askersunds kommun").await;
    app.put(&path, &other, &json!({"bedomning": "gul"}))
        .problem(404)
        .await;
    // A goal VON has no part in.
    let area = &plan.areas["Trygg omsorg & vård"];
    let foreign = app.post(
            "/api/v1/goals",
            &plan.admin,
            &json!({"goal_area_id": area, "title": "Annat mål", "huvudansvar": plan.namnder["SOCN"]}),
        ).returns(201)
    .await;
    app.put(
        &format!("/api/v1/reports/{report}/assessments/{}", id_of(&foreign)),
        &redaktor,
        &json!({"bedomning": "gul"}),
    )
    .invalid(&["goal_id"])
    .await;
    // An assessed goal cannot be deleted.
    app.delete(&format!("/api/v1/goals/{gid}"), &plan.admin)
        .if_match(1)
        .problem(409)
        .await;

    // Once submitted, the assessments are locked.
    app.post(
        &format!("/api/v1/reports/{report}/submit"),
        &redaktor,
        &json!({}),
    )
    .returns(200)
    .await;
    app.put(&path, &redaktor, &json!({"bedomning": "gron"}))
        .problem(409)
        .await;
}
both_databases!(seed000_assessments);
