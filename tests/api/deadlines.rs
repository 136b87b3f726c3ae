//! The process calendar: deadlines per period and report type, and each
//! nämnd against them in the submission view (on time, late by N days,
//! missing, pending), with a nämnd's own date before the kommun's.

use chrono::{Duration, Utc};
use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

fn row<'a>(view: &'a Value, namnd: &str) -> &'a Value {
    view.as_array()
        .unwrap()
        .iter()
        .find(|r| r["namnd"] == namnd)
        .unwrap_or_else(|| panic!("no row of {namnd}: {view}"))
}

fn of_kind<'a>(row: &'a Value, kind: &str) -> &'a Value {
    row["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} deadline: {row}"))
}

async fn a_late_namnd_shows_as_late(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let socn = app.create_namnd(&admin, "SOCN", "namnd").await;
    let period = app.create_period(&admin, "delar", 2024).await;
    let p = id_of(&period);
    let report = app
        .post(
            "/api/v1/reports",
            &admin,
            &json!({"namnd_id": von["id"], "period_id": p, "type": "delarsrapport"}),
        )
        .returns(201)
        .await;
    // VON sends its underlag today: three days after the date.
    app.post(
        &format!("/api/v1/reports/{}/submit", id_of(&report)),
        &admin,
        &json!({}),
    )
    .returns(200)
    .await;

    let deadline = |kind: &str, due: String, namnd: Option<&Value>| {
        let mut body =
            json!({"period_id": p, "type": "delarsrapport", "kind": kind, "due_date": due});
        if let Some(n) = namnd {
            body["namnd_id"] = n["id"].clone();
        }
        app.post("/api/v1/deadlines", &admin, &body).returns(201)
    };
    deadline("underlag", day(-3), None).await;
    deadline("namndbeslut", day(10), None).await;
    deadline("inlamning", day(5), None).await;
    // SOCN was given an earlier inlämning, now passed.
    deadline("inlamning", day(-1), Some(&socn)).await;
    deadline("kf", day(30), None).await;

    let view = app
        .get(
            &format!("/api/v1/kommun/submissions?period_id={p}&type=delarsrapport"),
            &admin,
        )
        .returns(200)
        .await;
    let von_row = row(&view, "VON");
    let underlag = of_kind(von_row, "underlag");
    assert_eq!(underlag["state"], "late", "{von_row}");
    assert_eq!(underlag["days_late"], 3);
    assert_eq!(underlag["met_on"], day(0).as_str());
    assert_eq!(of_kind(von_row, "namndbeslut")["state"], "pending");
    assert_eq!(of_kind(von_row, "inlamning")["due_date"], day(5).as_str());
    assert_eq!(
        von_row["deadlines"].as_array().unwrap().len(),
        3,
        "KF is the kommun's date, not a nämnd's: {von_row}"
    );
    let socn_row = row(&view, "SOCN");
    assert_eq!(socn_row["status"], "saknas");
    let missing = of_kind(socn_row, "underlag");
    assert_eq!(
        (&missing["state"], &missing["days_late"]),
        (&json!("missing"), &json!(3))
    );
    let own = of_kind(socn_row, "inlamning");
    assert_eq!(
        own["due_date"],
        day(-1).as_str(),
        "its own date: {socn_row}"
    );
    assert_eq!(
        (&own["state"], &own["days_late"]),
        (&json!("missing"), &json!(1))
    );

    // The CSV has the same states: per step its date, state and days late.
    let csv = app
        .get(
            &format!("/api/v1/kommun/submissions?period_id={p}&type=delarsrapport&format=csv"),
            &admin,
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "Nämnd;Namn;Status;Skapad;Inlämnad;Godkänd;Beslutsdatum;Paragraf;\
         Underlag senast;Underlag läge;Underlag dagar sent;\
         Nämndbeslut senast;Nämndbeslut läge;Nämndbeslut dagar sent;\
         Inlämning senast;Inlämning läge;Inlämning dagar sent"
    );
    let cells = |code: &str| -> Vec<String> {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("{code};")))
            .unwrap_or_else(|| panic!("no {code} row: {csv}"));
        line.split(';').skip(8).map(String::from).collect()
    };
    assert_eq!(
        cells("VON"),
        [
            day(-3).as_str(),
            "late",
            "3",
            day(10).as_str(),
            "pending",
            "",
            day(5).as_str(),
            "pending",
            ""
        ]
    );
    assert_eq!(
        cells("SOCN"),
        [
            day(-3).as_str(),
            "missing",
            "3",
            day(10).as_str(),
            "pending",
            "",
            day(-1).as_str(),
            "missing",
            "1"
        ]
    );

    // Moving the date makes VON on time.
    let listed = app
        .get(
            &format!("/api/v1/deadlines?period_id={p}&type=delarsrapport"),
            &admin,
        )
        .returns(200)
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 5);
    let first = &listed["items"][0];
    app.patch(
        &format!("/api/v1/deadlines/{}", id_of(first)),
        &admin,
        &json!({"due_date": day(0)}),
    )
    .if_match(1)
    .returns(200)
    .await;
    let view = app
        .get(
            &format!("/api/v1/kommun/submissions?period_id={p}&type=delarsrapport"),
            &admin,
        )
        .returns(200)
        .await;
    let underlag = of_kind(row(&view, "VON"), "underlag");
    assert_eq!(
        (&underlag["state"], &underlag["days_late"]),
        (&json!("on_time"), &Value::Null)
    );
}

both_databases!(a_late_namnd_shows_as_late);

async fn deadlines_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let period = app.create_period(&admin, "delar", 2024).await;
    for (body, field) in [
        (
            json!({"period_id": period["id"], "type": "arsredovisning", "kind": "underlag", "due_date": "2025-02-01"}),
            "report_type",
        ),
        (
            json!({"period_id": von["id"], "type": "delarsrapport", "kind": "underlag", "due_date": "2025-02-01"}),
            "period_id",
        ),
        (
            json!({"period_id": period["id"], "type": "delarsrapport", "kind": "ks", "due_date": "2025-02-01", "namnd_id": von["id"]}),
            "namnd_id",
        ),
        (
            json!({"period_id": period["id"], "type": "delarsrapport", "kind": "ks", "due_date": "2025-02-01", "namnd_id": period["id"]}),
            "namnd_id",
        ),
    ] {
        let p = app
            .post("/api/v1/deadlines", &admin, &body)
            .problem(422)
            .await;
        assert_eq!(error_fields(&p), [field], "{body}: {p}");
    }
    let p = app
        .post(
            "/api/v1/deadlines",
            &admin,
            &json!({"period_id": period["id"], "type": "delarsrapport", "kind": "later", "due_date": "2025-02-01"}),
        )
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["kind"], "{p}");
    // Every role reads the calendar; only admin and kommunledning write it.
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    app.get("/api/v1/deadlines", &redaktor).returns(200).await;
    app.post(
        "/api/v1/deadlines",
        &redaktor,
        &json!({"period_id": period["id"], "type": "delarsrapport", "kind": "underlag", "due_date": "2025-02-01"}),
    )
    .problem(403)
    .await;
}

both_databases!(deadlines_are_checked);

/// Dates are of the years 1900–2200, like every year the service keeps: a
/// date beyond four-digit years was stored and answered as `+10000-01-01`,
/// which is no `YYYY-MM-DD` (the document's own `format: date`).
async fn dates_stay_within_the_years_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let period = app.create_period(&admin, "delar", 2024).await;
    let deadline = |due: &str| json!({"period_id": period["id"], "type": "delarsrapport", "kind": "inlamning", "due_date": due});
    for due in ["+10000-01-01", "1899-12-31", "-0001-01-01"] {
        app.post("/api/v1/deadlines", &admin, &deadline(due))
            .invalid(&["due_date"])
            .await;
    }
    let created = app
        .post("/api/v1/deadlines", &admin, &deadline("2200-12-31"))
        .returns(201)
        .await;
    let path = format!("/api/v1/deadlines/{}", id_of(&created));
    app.patch(&path, &admin, &json!({"due_date": "2201-01-01"}))
        .if_match(1)
        .invalid(&["due_date"])
        .await;
    let area = json!({"plan": "Kommunplan", "name": "Trygghet"});
    let area = app
        .post("/api/v1/goal-areas", &admin, &area)
        .returns(201)
        .await;
    let assignment = json!({"goal_area_id": area["id"], "title": "Utreda", "huvudansvar": von["id"],
        "start_date": "1900-01-01", "end_date": "+10000-01-01"});
    app.post("/api/v1/assignments", &admin, &assignment)
        .invalid(&["end_date"])
        .await;
}
both_databases!(dates_stay_within_the_years_kept);
