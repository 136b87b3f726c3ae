//! Obligation rules: an approved report whose helårsprognos falls below the
//! rule's threshold owes an åtgärdsplan within D days of approval; the
//! obligation is derived on read, shown with the report and in the
//! kommun's view of open obligations, and an åtgärdsplan meets it.

use chrono::{Duration, Utc};
use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

async fn a_negative_prognos_creates_an_obligation_an_atgardsplan_meets(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    // Budget −1 000 000 for 2024, prognos in August −1 100 000: −10 %.
    app.von_prognos_ten_percent_below_budget(&admin).await;
    let (_, report) = app.delarsrapport_2024(&admin, &von).await;
    let r = id_of(&report);
    let rule = app
        .post(
            "/api/v1/obligation-rules",
            &admin,
            &json!({"name": "Negativ avvikelse", "min_deviation_percent": "5", "within_days": 30}),
        )
        .returns(201)
        .await;
    assert_eq!(rule["min_deviation_percent"], 5);
    // A rule that the deviation does not reach.
    app.post(
        "/api/v1/obligation-rules",
        &admin,
        &json!({"name": "Stora belopp", "min_deviation_kr": 5000000, "within_days": 10}),
    )
    .returns(201)
    .await;

    let obligations = format!("/api/v1/reports/{r}/obligations");
    // A draft owes nothing yet.
    assert_eq!(app.get(&obligations, &admin).returns(200).await, json!([]));
    app.post(&format!("/api/v1/reports/{r}/submit"), &admin, &json!({}))
        .returns(200)
        .await;
    app.post(
        &format!("/api/v1/reports/{r}/approve"),
        &admin,
        &json!({"beslut_datum": day(0), "beslut_paragraf": "§ 88"}),
    )
    .returns(200)
    .await;

    let owed = app.get(&obligations, &admin).returns(200).await;
    assert_eq!(owed.as_array().unwrap().len(), 1, "{owed}");
    let o = &owed[0];
    assert_eq!(o["rule_id"], rule["id"]);
    assert_eq!(o["prognos_avvikelse"], -100000);
    assert_eq!(o["prognos_avvikelse_procent"], -10);
    assert_eq!(o["due_date"], day(30).as_str());
    assert_eq!(
        (&o["state"], &o["met_on"]),
        (&json!("pending"), &Value::Null)
    );
    let kommunledning = app.token(Role::Kommunledning);
    let open = app
        .get("/api/v1/kommun/obligations", &kommunledning)
        .returns(200)
        .await;
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open[0]["namnd"], "VON");

    // The report is locked; the åtgärdsplan comes with the nämnd's next report.
    let month = app
        .post(
            "/api/v1/periods",
            &admin,
            &json!({"kind": "manad", "year": 2024, "number": 9}),
        )
        .returns(201)
        .await;
    let next = app
        .post(
            "/api/v1/reports",
            &admin,
            &json!({"namnd_id": von["id"], "period_id": month["id"], "type": "manadsrapport"}),
        )
        .returns(201)
        .await;
    let plan = app
        .post(
            &format!("/api/v1/reports/{}/action-plans", id_of(&next)),
            &admin,
            &json!({"avvikelse": "Underskott äldreomsorg", "atgard": "Översyn av bemanningen"}),
        )
        .returns(201)
        .await;

    let met = app.get(&obligations, &admin).returns(200).await;
    let o = &met[0];
    assert_eq!(o["state"], "on_time", "{met}");
    assert_eq!(o["met_on"], day(0).as_str());
    assert_eq!(o["action_plan_id"], plan["id"]);
    let open = app
        .get("/api/v1/kommun/obligations", &kommunledning)
        .returns(200)
        .await;
    assert_eq!(open, json!([]), "nothing open once met");
    let all = app
        .get("/api/v1/kommun/obligations?all=true", &kommunledning)
        .returns(200)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 1);
}

both_databases!(a_negative_prognos_creates_an_obligation_an_atgardsplan_meets);

async fn obligation_rules_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    for (body, field) in [
        (
            json!({"name": "x", "within_days": 30}),
            "min_deviation_percent",
        ),
        (
            json!({"name": "x", "min_deviation_percent": 120, "within_days": 30}),
            "min_deviation_percent",
        ),
        (
            json!({"name": "x", "min_deviation_kr": -5, "within_days": 30}),
            "min_deviation_kr",
        ),
        (
            json!({"name": "x", "min_deviation_kr": 5, "within_days": 400}),
            "within_days",
        ),
        (
            json!({"name": "", "min_deviation_kr": 5, "within_days": 4}),
            "name",
        ),
    ] {
        let p = app
            .post("/api/v1/obligation-rules", &admin, &body)
            .problem(422)
            .await;
        assert_eq!(error_fields(&p), [field], "{body}: {p}");
    }
    let rule = app
        .post(
            "/api/v1/obligation-rules",
            &admin,
            &json!({"name": "x", "min_deviation_kr": 5, "within_days": 4}),
        )
        .returns(201)
        .await;
    // Clearing the only threshold is refused.
    let p = app
        .patch(
            &format!("/api/v1/obligation-rules/{}", id_of(&rule)),
            &admin,
            &json!({"min_deviation_kr": null}),
        )
        .if_match(1)
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["min_deviation_percent"], "{p}");
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    app.get("/api/v1/obligation-rules", &redaktor)
        .returns(200)
        .await;
    app.get("/api/v1/kommun/obligations", &redaktor)
        .problem(403)
        .await;
}

both_databases!(obligation_rules_are_checked);
