//! Assessments: VON's bedömning of its goals in the årsredovisning 2024
//! (seed 000), beside the suggestion from the goals' indicators; writes by
//! the nämnd's redaktör while utkast only.

use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{
    both_databases,
    helpers::*,
    indicators::{enter_plan_000, ok, put},
    seeds::seed,
};

/// VON's årsredovisning 2024 in utkast; returns its id.
pub async fn von_report(app: &TestApp, admin: &str, von_id: &str) -> String {
    let period = ok(
        app.post(
            "/api/v1/periods",
            admin,
            &json!({"kind": "helar", "year": 2024}),
        ),
        201,
        "period",
    )
    .await;
    let report = ok(
        app.post(
            "/api/v1/reports",
            admin,
            &json!({"namnd_id": von_id, "period_id": period["id"], "type": "arsredovisning"}),
        ),
        201,
        "report",
    )
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
            ok(
                put(
                    &app,
                    &format!("/api/v1/reports/{report}/assessments/{gid}"),
                    &redaktor,
                    &json!({"bedomning": bedomning, "comment": a["comment"]}),
                ),
                201,
                g["title"].as_str().unwrap(),
            )
            .await;
        }
    }
    let list = ok(
        app.get(&format!("/api/v1/reports/{report}/assessments"), &redaktor),
        200,
        "list",
    )
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
        .client
        .put(app.url(&path))
        .bearer_auth(&redaktor)
        .header("If-Match", "\"1\"")
        .json(&json!({"bedomning": "gul", "comment": "Delvis uppfyllt"}))
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
        .client
        .put(app.url(&path))
        .bearer_auth(&redaktor)
        .header("If-Match", "\"1\"")
        .json(&json!({"bedomning": "rod"}))
        .send()
        .await
        .unwrap();
    problem(stale, 412).await;

    // Goals filtered by their bedömning in the report.
    let gul = ok(
        app.get(
            &format!("/api/v1/goals?report_id={report}&bedomning=gul"),
            &redaktor,
        ),
        200,
        "filter",
    )
    .await;
    assert_eq!(gul["items"].as_array().unwrap().len(), 1);
    assert_eq!(gul["items"][0]["title"], "Ökad nöjdhet med hemtjänsten");

    // Bad input and access.
    let p = put(&app, &path, &redaktor, &json!({"bedomning": "bla"}))
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["bedomning"]);
    let p = put(
        &app,
        &path,
        &redaktor,
        &json!({"bedomning": "gul", "suggested_bedomning": "gul"}),
    )
    .problem(422)
    .await;
    assert_eq!(error_fields(&p), ["suggested_bedomning"]);
    let socn = app.token_in("0483", Role::Redaktor, &["SOCN"]);
    put(&app, &path, &socn, &json!({"bedomning": "gul"}))
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
    put(
        &app,
        &path,
        &app.token(Role::Revisor),
        &json!({"bedomning": "gul"}),
    )
    .problem(403)
    .await;
    let other = app.create_kommun("1882", "Askersunds kommun").await;
    put(&app, &path, &other, &json!({"bedomning": "gul"}))
        .problem(404)
        .await;
    // A goal VON has no part in.
    let area = &plan.areas["Trygg omsorg & vård"];
    let foreign = ok(
        app.post(
            "/api/v1/goals",
            &plan.admin,
            &json!({"goal_area_id": area, "title": "Annat mål", "huvudansvar": plan.namnder["SOCN"]}),
        ),
        201,
        "foreign",
    )
    .await;
    let p = put(
        &app,
        &format!("/api/v1/reports/{report}/assessments/{}", id_of(&foreign)),
        &redaktor,
        &json!({"bedomning": "gul"}),
    )
    .problem(422)
    .await;
    assert_eq!(error_fields(&p), ["goal_id"]);
    // An assessed goal cannot be deleted.
    app.delete(&format!("/api/v1/goals/{gid}"), &plan.admin)
        .header("If-Match", "\"1\"")
        .problem(409)
        .await;

    // Once submitted, the assessments are locked.
    ok(
        app.post(
            &format!("/api/v1/reports/{report}/submit"),
            &redaktor,
            &json!({}),
        ),
        200,
        "submit",
    )
    .await;
    put(&app, &path, &redaktor, &json!({"bedomning": "gron"}))
        .problem(409)
        .await;
}
both_databases!(seed000_assessments);
