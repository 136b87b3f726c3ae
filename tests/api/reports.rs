use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*, seeds};

/// A VON delårsrapport in utkast; returns (admin token, report id, nämnd id).
async fn delar_report(app: &TestApp) -> (String, String, String) {
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let (_, period) = app
        .post(
            "/api/v1/periods",
            &admin,
            &json!({"kind": "delar", "year": 2024}),
        )
        .reply()
        .await;
    let (status, report) = app
        .post(
            "/api/v1/reports",
            &admin,
            &json!({"namnd_id": von["id"], "period_id": period["id"], "type": "delarsrapport"}),
        )
        .reply()
        .await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(
        (report["status"].as_str(), report["period"].as_str()),
        (Some("utkast"), Some("Delår 2024"))
    );
    (admin, id_of(&report), id_of(&von))
}

async fn workflow_transitions(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, id, _) = delar_report(&app).await;
    let path = |action: &str| format!("/api/v1/reports/{id}/{action}");
    let redaktor = app.token_in("0483", Role::Redaktor, &["VON"]);
    let other_redaktor = app.token_in("0483", Role::Redaktor, &["SOCN"]);
    let sekreterare = app.token_in("0483", Role::Namndsekreterare, &["VON"]);
    let kommunledning = app.token(Role::Kommunledning);
    let lasare = app.token(Role::Lasare);
    let decision = json!({"beslut_datum": "2024-09-26", "beslut_paragraf": "§ 71"});
    let act = |token: &str, action: &str, body: Value| app.post(&path(action), token, &body);

    // Refused while utkast: approving, returning, reopening; others' redaktörer cannot even see it.
    act(&sekreterare, "approve", decision.clone())
        .problem(409)
        .await;
    act(&kommunledning, "return", json!({"reason": "x"}))
        .problem(409)
        .await;
    act(&admin, "reopen", json!({"reason": "x"}))
        .problem(409)
        .await;
    act(&other_redaktor, "submit", json!({})).problem(404).await;
    act(&sekreterare, "submit", json!({})).problem(403).await;
    app.get(&format!("/api/v1/reports/{id}"), &lasare)
        .problem(404)
        .await;

    // utkast → for_beslut by the nämnd's redaktör.
    let (status, submitted) = act(&redaktor, "submit", json!({})).reply().await;
    assert_eq!(
        (status, submitted["status"].as_str()),
        (200, Some("for_beslut"))
    );
    app.put(
        &format!("/api/v1/reports/{id}/sections/verksamhetsrapport"),
        &redaktor,
        &json!({"body": "x"}),
    )
    .problem(409)
    .await;
    act(&redaktor, "submit", json!({})).problem(409).await;

    // for_beslut → utkast with a reason; a reason is required.
    act(&kommunledning, "return", json!({"reason": " "}))
        .invalid(&["reason"])
        .await;
    let (_, returned) = act(
        &kommunledning,
        "return",
        json!({"reason": "Komplettera avvikelserna"}),
    )
    .reply()
    .await;
    assert_eq!(
        (
            returned["status"].as_str(),
            returned["status_reason"].as_str()
        ),
        (Some("utkast"), Some("Komplettera avvikelserna"))
    );

    // Submit again, approve with the decision.
    act(&redaktor, "submit", json!({})).send().await.unwrap();
    act(&redaktor, "approve", decision.clone())
        .problem(403)
        .await;
    act(
        &sekreterare,
        "approve",
        json!({"beslut_datum": "2024-02-30", "beslut_paragraf": "§ 71"}),
    )
    .invalid(&["beslut_datum"])
    .await;
    let (status, approved) = act(&sekreterare, "approve", decision.clone()).reply().await;
    assert_eq!(
        (
            status,
            approved["status"].as_str(),
            approved["beslut_datum"].as_str(),
            approved["beslut_paragraf"].as_str()
        ),
        (200, Some("godkand"), Some("2024-09-26"), Some("§ 71"))
    );

    // Locked: nobody edits; the läsare and other nämnders redaktörer now see it.
    let p = app
        .put(
            &format!("/api/v1/reports/{id}/sections/verksamhetsrapport"),
            &admin,
            &json!({"body": "x"}),
        )
        .problem(409)
        .await;
    assert!(p["detail"].as_str().unwrap().contains("godkand"), "{p}");
    // A delete without If-Match learns that it lacks the header (428), not
    // the report's state; with it, the lock answers 409.
    let p = app
        .delete(&format!("/api/v1/reports/{id}"), &admin)
        .problem(428)
        .await;
    assert!(p["detail"].as_str().unwrap().contains("If-Match"), "{p}");
    app.delete(&format!("/api/v1/reports/{id}"), &admin)
        .header("If-Match", "*")
        .problem(409)
        .await;
    assert_eq!(
        app.get(&format!("/api/v1/reports/{id}"), &lasare)
            .status()
            .await,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/reports/{id}"), &other_redaktor)
            .status()
            .await,
        200
    );
    act(
        &kommunledning,
        "reopen",
        json!({"reason": "Fel i siffrorna"}),
    )
    .problem(403)
    .await;
    let (_, reopened) = act(&admin, "reopen", json!({"reason": "Fel i siffrorna"}))
        .reply()
        .await;
    assert_eq!(
        (
            reopened["status"].as_str(),
            reopened["beslut_datum"].clone()
        ),
        (Some("utkast"), Value::Null)
    );

    // Every step is in the audit log, in the same transaction as the change.
    let db = app.db().await;
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT action FROM audit_log WHERE resource_type = 'report' ORDER BY occurred_at, id",
        ))
        .await
        .unwrap();
    let actions: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "action").unwrap())
        .collect();
    assert_eq!(
        actions,
        ["create", "submit", "return", "submit", "approve", "reopen"]
    );
}
both_databases!(workflow_transitions);

/// Rows at one position follow their text byte for byte on both
/// databases. The tests' PostgreSQL databases collate as Swedish (see
/// `fresh_database`), where "a" comes before "B" and "a_b" before "a1";
/// in bytes, as SQLite compares, after.
async fn rows_at_one_position_follow_their_text_in_byte_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, report, von) = delar_report(&app).await;
    let names = ["b", "B", "a", "Z", "Å"];
    for name in names {
        let line =
            json!({"namnd_id": von, "kind": "drift", "code": name, "name": name, "position": 1});
        app.post("/api/v1/budget-lines", &admin, &line)
            .returns(201)
            .await;
        let measure = json!({"namnd_id": von, "name": name, "unit": "st", "aggregation": "summa",
            "position": 1});
        app.post("/api/v1/volume-measures", &admin, &measure)
            .returns(201)
            .await;
    }
    let keys = ["ab", "a_b", "a1"];
    for key in keys {
        let section = json!({"title": key, "position": 100});
        let path = format!("/api/v1/reports/{report}/sections/{key}");
        app.put(&path, &admin, &section).returns(201).await;
    }
    let mut in_bytes = names.to_vec();
    in_bytes.sort_unstable();
    assert_eq!(in_bytes, ["B", "Z", "a", "b", "Å"]);
    let table = app
        .get(&format!("/api/v1/reports/{report}/drift"), &admin)
        .returns(200)
        .await;
    assert_eq!(texts(&table["rows"], "code"), in_bytes);
    let path = format!("/api/v1/reports/{report}?include=volume_measures,sections");
    let detail = app.get(&path, &admin).returns(200).await;
    assert_eq!(texts(&detail["volume_measures"], "name"), in_bytes);
    let sections = texts(&detail["sections"], "key");
    let placed: Vec<&str> = sections.into_iter().filter(|k| keys.contains(k)).collect();
    assert_eq!(placed, ["a1", "a_b", "ab"]);
}
both_databases!(rows_at_one_position_follow_their_text_in_byte_order);

async fn a_report_exists_once_and_needs_the_right_period(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, _, von) = delar_report(&app).await;
    let period = app.id_of("/api/v1/periods?kind=delar", &admin).await;
    let create = |token: &str, namnd: &str, kind: &str| {
        app.post(
            "/api/v1/reports",
            token,
            &json!({"namnd_id": namnd, "period_id": period, "type": kind}),
        )
    };
    create(&admin, &von, "delarsrapport").problem(409).await;
    create(&admin, &von, "manadsrapport")
        .invalid(&["period_id"])
        .await;
    create(&admin, &von, "kvartalsrapport")
        .invalid(&["type"])
        .await;
    let unknown = uuid::Uuid::now_v7().to_string();
    create(&admin, &unknown, "delarsrapport")
        .invalid(&["namnd_id"])
        .await;
    let socn_redaktor = app.token_in("0483", Role::Redaktor, &["SOCN"]);
    create(&socn_redaktor, &von, "delarsrapport")
        .problem(403)
        .await;
}
both_databases!(a_report_exists_once_and_needs_the_right_period);

async fn sections_are_offered_and_edited(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, id, _) = delar_report(&app).await;
    let (_, sections) = app
        .get(&format!("/api/v1/reports/{id}/sections"), &admin)
        .reply()
        .await;
    assert_eq!(sections["next_cursor"], Value::Null, "{sections}");
    let keys: Vec<&str> = texts(&sections["items"], "key");
    assert!(
        keys.contains(&"verksamhetsrapport")
            && keys.contains(&"forvantad_utveckling")
            && keys.contains(&"atgardsplan"),
        "{keys:?}"
    );
    let url = app.url(&format!("/api/v1/reports/{id}/sections/verksamhetsrapport"));
    let (status, s) = app
        .client
        .put(&url)
        .bearer_auth(&admin)
        .json(&json!({"body": "## Hemtjänst\nVolymerna ökar."}))
        .reply()
        .await;
    assert_eq!(
        (status, s["version"].as_i64(), s["title"].as_str()),
        (200, Some(2), Some("Verksamhetsrapport"))
    );
    app.client
        .put(&url)
        .bearer_auth(&admin)
        .if_match(1)
        .json(&json!({"body": "stale"}))
        .problem(412)
        .await;
    let new = app.url(&format!("/api/v1/reports/{id}/sections/egen_rubrik"));
    app.client
        .put(&new)
        .bearer_auth(&admin)
        .json(&json!({"body": "x"}))
        .invalid(&["title"])
        .await;
    // If-Match names a version of a section that does not exist yet.
    app.client
        .put(&new)
        .bearer_auth(&admin)
        .if_match(1)
        .json(&json!({"title": "Egen rubrik", "body": "x"}))
        .problem(412)
        .await;
    let (status, created) = app
        .client
        .put(&new)
        .bearer_auth(&admin)
        .json(&json!({"title": "Egen rubrik", "body": "x"}))
        .reply()
        .await;
    assert_eq!(status, 201);
    // Placed after the standard sections, at version 1.
    let last = sections["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["position"].as_i64())
        .max()
        .unwrap();
    assert_eq!(
        (created["position"].as_i64(), created["version"].as_i64()),
        (Some(last + 1), Some(1))
    );
    let (_, whole) = app
        .get(&format!("/api/v1/reports/{id}?include=sections"), &admin)
        .reply()
        .await;
    let served = whole["sections"].as_array().unwrap();
    assert_eq!(served.len(), keys.len() + 1);
    assert!(
        served
            .iter()
            .any(|s| s["body"] == "## Hemtjänst\nVolymerna ökar.")
    );
    app.get(
        &format!("/api/v1/reports/{id}?include=sections,volymer"),
        &admin,
    )
    .invalid(&["include"])
    .await;
    // Asked for and empty: present as an empty list; not asked for: null.
    let (_, whole) = app
        .get(
            &format!("/api/v1/reports/{id}?include=action_plans, action_plans,"),
            &admin,
        )
        .reply()
        .await;
    assert_eq!(whole["action_plans"], json!([]));
    assert_eq!(whole["drift"], Value::Null);
    // Repeated, as clients that explode arrays send it.
    let (_, whole) = app
        .get(
            &format!("/api/v1/reports/{id}?include=sections&include=drift"),
            &admin,
        )
        .reply()
        .await;
    assert!(whole["sections"].is_array() && whole["drift"]["rows"].is_array());
}
both_databases!(sections_are_offered_and_edited);

async fn amounts_round_trip_exactly(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, id, _) = delar_report(&app).await;
    let body_json = json!({"lines": [
        {"code": "big", "name": "Stort", "values": [{"measure": "utfall", "month": "2024-08", "amount": "123456789012.34"}]},
        {"code": "tiny", "name": "Litet", "values": [{"measure": "utfall", "month": "2024-08", "amount": -0.01}, {"measure": "budget", "month": "2024-08", "amount": 0}]}
    ]});
    let response = app
        .put(&format!("/api/v1/reports/{id}/drift"), &admin, &body_json)
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert!(text.contains("\"utfall_manad\":123456789012.34"), "{text}");
    assert!(text.contains("\"utfall_manad\":-0.01"), "{text}");
    assert!(text.contains("\"avvikelse_manad\":-0.01"), "{text}");
    let line_id = app.id_of("/api/v1/budget-lines?code=big", &admin).await;
    let values = app
        .get(&format!("/api/v1/budget-lines/{line_id}/values"), &admin)
        .text()
        .await;
    assert!(values.contains("\"amount\":123456789012.34"), "{values}");
    // More than two decimals is refused rather than rounded.
    let p = app
        .put(
            &format!("/api/v1/budget-lines/{line_id}/values"),
            &admin,
            &json!({"values": [{"measure": "utfall", "month": "2024-07", "amount": "1.005"}]}),
        )
        .problem(422)
        .await;
    assert_eq!(error_fields(&p), ["values[0].amount"]);
}
both_databases!(amounts_round_trip_exactly);

async fn a_bad_table_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, id, _) = delar_report(&app).await;
    let path = format!("/api/v1/reports/{id}/drift");
    // The fields a table is refused for (422), and the problem.
    let refused = async |table: &Value| {
        let p = app.put(&path, &admin, table).problem(422).await;
        (error_fields(&p), p)
    };
    let bad = json!({"lines": [
        {"code": "ok", "name": "Bra rad", "values": [{"measure": "utfall", "month": "2024-08", "amount": -100}]},
        {"code": "bad", "name": "Dålig rad", "values": [{"measure": "utfall", "month": "2024-13", "amount": -100}, {"measure": "budget", "month": "2024-08", "amount": "10"}]},
        {"code": "child", "name": "Barn", "parent_code": "missing", "values": []},
        {"code": "new-without-name", "values": []},
        {"code": "over", "name": "Dubbelt", "values": [{"measure": "utfall", "period": {"from": "2024-01", "to": "2024-04"}, "amount": 1}, {"measure": "utfall", "period": {"from": "2024-03", "to": "2024-08"}, "amount": 5}]}
    ]});
    // A text amount is named.
    let text = json!({"lines": [{"code": "t", "name": "Text", "values": [{"measure": "utfall", "month": "2024-08", "amount": "tio"}]}]});
    let (fields, p) = refused(&text).await;
    assert_eq!(fields, ["lines[0].values[0].amount"], "{p}");
    // A derived measure cannot be written.
    let derived = json!({"lines": [{"code": "derived", "name": "Härledd", "values": [{"measure": "avvikelse", "month": "2024-08", "amount": 5}]}]});
    let (fields, p) = refused(&derived).await;
    assert_eq!(fields, ["lines[0].values[0].measure"], "{p}");
    let mut bad = bad;
    let (fields, p) = refused(&bad).await;
    assert_eq!(fields, ["lines[1].values[0].month"], "{p}");
    bad["lines"][1]["values"] = json!([]);
    let (fields, _) = refused(&bad).await;
    for expected in ["lines[2].parent_code", "lines[3].name"] {
        assert!(
            fields.contains(&expected.to_string()),
            "{expected} in {fields:?}"
        );
    }
    bad["lines"].as_array_mut().unwrap().remove(3);
    bad["lines"].as_array_mut().unwrap().remove(2);
    let (fields, p) = refused(&bad).await;
    assert_eq!(
        fields,
        ["lines[2].values"],
        "crossing periods would count march and april twice: {p}"
    );
    // Nothing of the refused writes exists.
    let (_, lines) = app.get("/api/v1/budget-lines", &admin).reply().await;
    assert_eq!(lines["items"], json!([]));
    refused(&json!({"lines": [], "total": {}})).await;
}
both_databases!(a_bad_table_writes_nothing);

/// Seeds 000 (årsredovisning), 001 (delårsrapport) and 003 (månadsrapport):
/// every printed avvikelse, kvar av årets budget and Summa row is served,
/// exactly as printed (see demo/README.md on the kronor behind a print).
async fn seed_money_tables_are_reproduced(backend: Backend) {
    for name in ["seed000", "seed001", "seed003"] {
        let app = spawn_app(backend).await;
        let admin = app.katrineholm().await;
        let seed = seeds::seed(name);
        let id = seeds::enter_money(&app, &admin, &seed).await;
        let (checked, mismatches) = seeds::compare_money(&app, &admin, &seed, &id).await;
        assert!(mismatches.is_empty(), "{name}:\n{}", mismatches.join("\n"));
        assert!(
            checked >= 8,
            "{name}: only {checked} printed figures compared"
        );
    }
}
both_databases!(seed_money_tables_are_reproduced);

async fn the_whole_report_in_one_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let seed = seeds::seed("seed000");
    let id = seeds::enter_money(&app, &admin, &seed).await;
    app.post(
        &format!("/api/v1/reports/{id}/action-plans"),
        &admin,
        &json!({"avvikelse": "Underskott hemtjänst", "atgard": "Översyn"}),
    )
    .send()
    .await
    .unwrap();
    let response = app.get(&format!("/api/v1/reports/{id}?include=drift,investering,volume_measures,key_figures,sections,action_plans,assessments,assignment_statuses,indicators&unit=tkr"), &admin).send().await.unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let (status, whole) = body(response).await;
    assert_eq!(status, 200);
    assert_eq!(
        whole["drift"]["total"]["avvikelse"],
        json!(-450),
        "{}",
        whole["drift"]["total"]
    );
    assert_eq!(
        whole["drift"]["total"]["utfall_foregaende_ar"],
        json!(-867424)
    );
    assert_eq!(whole["investering"]["total"]["avvikelse"], json!(5486));
    assert!(whole["sections"].as_array().unwrap().len() >= 5);
    assert_eq!(whole["action_plans"].as_array().unwrap().len(), 1);
    assert!(whole["volume_measures"].is_array() && whole["key_figures"].is_array());
    // Parts asked for are present even when empty; the new parts have the
    // shape of their own resources.
    assert!(
        whole["assessments"]["items"].is_array(),
        "{}",
        whole["assessments"]
    );
    assert!(whole["assignment_statuses"]["items"].is_array());
    assert_eq!(whole["indicators"]["year"], json!(2024));
    assert!(whole["indicators"]["goal_areas"].is_array());
    // Unchanged → 304; a figure changes → a new ETag.
    assert_eq!(app.get(&format!("/api/v1/reports/{id}?include=drift,investering,volume_measures,key_figures,sections,action_plans,assessments,assignment_statuses,indicators&unit=tkr"), &admin).header("If-None-Match", &etag).status().await, 304);
    app.put(&format!("/api/v1/reports/{id}/drift"), &admin, &json!({"lines": [{"code": "forvaltningsgemensamt", "values": [{"measure": "utfall", "period": {"from": "2024-01", "to": "2024-12"}, "amount": -20000000}]}]}))
        .send().await.unwrap();
    assert_eq!(app.get(&format!("/api/v1/reports/{id}?include=drift,investering,volume_measures,key_figures,sections,action_plans,assessments,assignment_statuses,indicators&unit=tkr"), &admin).header("If-None-Match", &etag).status().await, 200);
}
both_databases!(the_whole_report_in_one_request);

/// A budget line names a nämnd of the caller's kommun (422 otherwise) that
/// the caller may write figures of (403), and a planned completion that is
/// a month; a change keeps what it leaves out, `null` clears; a line with
/// child lines is not deleted, and a delete needs `If-Match`.
async fn budget_lines_check_their_namnd_and_completion(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = id_of(&app.create_namnd(&admin, "VON", "namnd").await);
    let line = |namnd: &str, completion: Value| {
        json!({"namnd_id": namnd, "kind": "investering", "code": "skola", "name": "Ny skola",
            "planned_completion": completion})
    };
    let unknown = "019a8e3c-5b7d-7e1a-9c2f-3d4e5f607182";
    for (body, field) in [
        (line(unknown, json!("2025-06")), "namnd_id"),
        (line(&von, json!("2025-13")), "planned_completion"),
    ] {
        let p = app
            .post("/api/v1/budget-lines", &admin, &body)
            .problem(422)
            .await;
        assert_eq!(error_fields(&p), [field], "{p}");
    }
    let socn = app.token_in("0483", Role::Redaktor, &["SOCN"]);
    app.post("/api/v1/budget-lines", &socn, &line(&von, json!(null)))
        .problem(403)
        .await;

    let created = app
        .post(
            "/api/v1/budget-lines",
            &admin,
            &line(&von, json!("2025-06")),
        )
        .returns(201)
        .await;
    assert_eq!(created["planned_completion"], "2025-06");
    assert_eq!(created["namnd"], "VON");
    let path = format!("/api/v1/budget-lines/{}", id_of(&created));
    let renamed = app
        .patch(&path, &admin, &json!({"name": "Nya skolan"}))
        .if_match(1)
        .returns(200)
        .await;
    assert_eq!(renamed["name"], "Nya skolan");
    assert_eq!(renamed["planned_completion"], "2025-06", "{renamed}");
    app.patch(&path, &admin, &json!({"planned_completion": "2025-00"}))
        .if_match(2)
        .invalid(&["planned_completion"])
        .await;
    let cleared = app
        .patch(&path, &admin, &json!({"planned_completion": null}))
        .if_match(2)
        .returns(200)
        .await;
    assert_eq!(cleared["planned_completion"], Value::Null);

    let child = json!({"namnd_id": von, "kind": "investering", "code": "kok",
        "name": "Kök", "parent_id": created["id"]});
    let child = app
        .post("/api/v1/budget-lines", &admin, &child)
        .returns(201)
        .await;
    app.delete(&path, &admin).problem(428).await;
    app.delete(&path, &admin).if_match(3).problem(409).await;
    let child_path = format!("/api/v1/budget-lines/{}", id_of(&child));
    app.delete(&child_path, &admin)
        .if_match(1)
        .returns(204)
        .await;
    app.delete(&path, &admin).if_match(3).returns(204).await;
    app.get(&path, &admin).problem(404).await;
}
both_databases!(budget_lines_check_their_namnd_and_completion);

/// A row placed at the highest position there is does not stop the next
/// row that is placed last: an åtgärdsplan row, a section, a budget line of
/// a table each go after it (at the same position, not wrapped round to
/// the first), and the service answers every request.
async fn rows_after_the_highest_position(backend: Backend) {
    let app = spawn_app(backend).await;
    let (admin, id, _) = delar_report(&app).await;
    let plans = format!("/api/v1/reports/{id}/action-plans");
    let row = |position: Option<i32>| json!({"avvikelse": "Underskott", "atgard": "Översyn", "position": position});
    let top = app
        .post(&plans, &admin, &row(Some(i32::MAX)))
        .returns(201)
        .await;
    assert_eq!(top["position"], i32::MAX);
    let next = app.post(&plans, &admin, &row(None)).returns(201).await;
    assert_eq!(next["position"], i32::MAX, "{next}");

    let sections = format!("/api/v1/reports/{id}/sections");
    app.put(
        &format!("{sections}/sist"),
        &admin,
        &json!({"title": "Sist", "position": i32::MAX}),
    )
    .returns(201)
    .await;
    let after = app
        .put(
            &format!("{sections}/efter"),
            &admin,
            &json!({"title": "Efter"}),
        )
        .returns(201)
        .await;
    assert_eq!(after["position"], i32::MAX, "{after}");
}
both_databases!(rows_after_the_highest_position);

/// A nämnd VON, the whole year 2024 and VON's årsredovisning for it.
async fn von_arsredovisning(app: &TestApp, admin: &str) -> (Value, Value, Value) {
    let von = app.create_namnd(admin, "VON", "namnd").await;
    let period = app.create_period(admin, "helar", 2024).await;
    let report =
        json!({"namnd_id": von["id"], "period_id": period["id"], "type": "arsredovisning"});
    let report = app
        .post("/api/v1/reports", admin, &report)
        .returns(201)
        .await;
    (von, period, report)
}

/// An amount is at most 10^12 kr either way, so the per-nämnd totals kept
/// in 64-bit öre cannot overflow: two lines of 9·10^16 kr each were
/// accepted one by one, and their total answered 500 (PostgreSQL, on the
/// second write; SQLite, on reading the kommun view). At the bound, totals
/// stay exact.
async fn amounts_are_bounded_so_totals_stay_exact(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let (von, period, report) = von_arsredovisning(&app, &admin).await;
    let value = |amount: &str| json!({"values": [{"measure": "utfall", "month": "2024-01", "amount": amount}]});
    for code in ["a", "b"] {
        let line = json!({"namnd_id": von["id"], "kind": "drift", "code": code, "name": code});
        let line = app
            .post("/api/v1/budget-lines", &admin, &line)
            .returns(201)
            .await;
        let path = format!("/api/v1/budget-lines/{}/values", id_of(&line));
        app.put(&path, &admin, &value("90000000000000000"))
            .invalid(&["values[0].amount"])
            .await;
        app.put(&path, &admin, &value("-1000000000000.01"))
            .invalid(&["values[0].amount"])
            .await;
        app.put(&path, &admin, &value("1000000000000"))
            .returns(200)
            .await;
    }
    let table = format!("/api/v1/reports/{}/drift", id_of(&report));
    let table = app.get(&table, &admin).returns(200).await;
    assert_eq!(table["total"]["utfall"], 2_000_000_000_000_i64);
    let view = format!("/api/v1/kommun/drift?period_id={}", id_of(&period));
    let view = app.get(&view, &admin).returns(200).await;
    assert_eq!(
        view["namnder"][0]["figures"]["utfall"],
        2_000_000_000_000_i64
    );
}
both_databases!(amounts_are_bounded_so_totals_stay_exact);

/// A nämnd has at most 40,000 lines of one kind, so that with amounts of at
/// most 10^12 kr its totals fit in 64-bit öre: a flat import of 93,000 new
/// lines at 10^12 kr each (a 4 MB file) answered 500 on both databases. The
/// import, a new line and a report table that would pass the bound are each
/// refused whole with 409; at the bound the total is exact.
async fn a_namnd_has_a_bounded_number_of_lines(backend: Backend) {
    const MAX: usize = 40_000;
    let app = spawn_with(backend, |s| s.max_import_bytes = 8 * 1024 * 1024).await;
    let admin = app.katrineholm().await;
    let (von, period, report) = von_arsredovisning(&app, &admin).await;
    let ledger = |lines: usize| {
        let mut csv = String::from("namnd;line;month;measure;amount\r\n");
        for i in 0..lines {
            csv.push_str(&format!("VON;l{i:05};2024-01;utfall;1000000000000\r\n"));
        }
        csv.into_bytes()
    };
    let import = |bytes: Vec<u8>| app.upload("/api/v1/imports/flat", &admin, "text/csv", bytes);
    let past_the_bound = |problem: Value, lines: usize| {
        let detail = problem["detail"].as_str().unwrap_or_default();
        let expected =
            format!("the nämnd would have {lines} drift lines; a nämnd has at most 40000");
        assert!(detail.starts_with(&expected), "{problem}");
    };
    past_the_bound(import(ledger(MAX + 1)).problem(409).await, MAX + 1);
    let lines = app
        .get("/api/v1/budget-lines?limit=1", &admin)
        .returns(200)
        .await;
    assert_eq!(
        lines["items"],
        json!([]),
        "nothing of the refused import is stored"
    );

    let imported = import(ledger(MAX)).returns(200).await;
    assert_eq!(
        imported["lines_created"].as_array().map(Vec::len),
        Some(MAX)
    );
    let view = format!("/api/v1/kommun/drift?period_id={}", id_of(&period));
    let view = app.get(&view, &admin).returns(200).await;
    assert_eq!(
        view["namnder"][0]["figures"]["utfall"],
        40_000_000_000_000_000_i64
    );

    let line =
        json!({"namnd_id": von["id"], "kind": "drift", "code": "one-more", "name": "En till"});
    let refused = app
        .post("/api/v1/budget-lines", &admin, &line)
        .problem(409)
        .await;
    past_the_bound(refused, MAX + 1);
    let investering = json!({"namnd_id": von["id"], "kind": "investering", "code": "one-more", "name": "En till"});
    app.post("/api/v1/budget-lines", &admin, &investering)
        .returns(201)
        .await;
    let table = json!({"lines": [{"code": "one-more", "name": "En till", "values": []}]});
    let table_path = format!("/api/v1/reports/{}/drift", id_of(&report));
    past_the_bound(
        app.put(&table_path, &admin, &table).problem(409).await,
        MAX + 1,
    );
}
both_databases!(a_namnd_has_a_bounded_number_of_lines);

/// Writes that add lines to one nämnd take turns at the bound: two imports
/// of 25,000 new lines each, sent at once, cannot together give the nämnd
/// 50,000 lines; one is applied, the other refused with 409.
async fn imports_at_once_keep_the_bound_on_lines(backend: Backend) {
    let app = spawn_with(backend, |s| s.max_import_bytes = 8 * 1024 * 1024).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let mut imports = tokio::task::JoinSet::new();
    for prefix in ["a", "b"] {
        let mut csv = String::from("namnd;line;month;measure;amount\r\n");
        for i in 0..25_000 {
            csv.push_str(&format!(
                "VON;{prefix}{i:05};2024-01;utfall;1000000000000\r\n"
            ));
        }
        let request = app.upload("/api/v1/imports/flat", &admin, "text/csv", csv.into_bytes());
        imports.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let mut statuses = imports.join_all().await;
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let line = json!({"namnd_id": von["id"], "kind": "drift", "code": "c", "name": "C"});
    app.post("/api/v1/budget-lines", &admin, &line)
        .returns(201)
        .await;
}
both_databases!(imports_at_once_keep_the_bound_on_lines);
