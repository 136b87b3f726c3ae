use std::collections::HashSet;

use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

async fn create_read_update_delete(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let created = app.create_namnd(&admin, "KS/KLF", "styrelse").await;
    let id = id_of(&created);
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    assert_eq!(
        (
            created["kommun"].as_str(),
            created["kind"].as_str(),
            created["version"].as_i64()
        ),
        (Some("0483"), Some("styrelse"), Some(1))
    );
    let path = format!("/api/v1/namnder/{id}");

    app.assert_etag(&path, &admin, 1).await;

    app.patch(&path, &admin, &json!({"name": "KS"}))
        .problem(428)
        .await;
    app.patch(&path, &admin, &json!({"name": "KS"}))
        .if_match(7)
        .problem(412)
        .await;
    let response = app
        .patch(&path, &admin, &json!({"name": "Kommunstyrelsen"}))
        .if_match(1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "\"2\"");
    let (status, changed) = body(response).await;
    assert_eq!(
        (
            status,
            changed["name"].as_str(),
            changed["code"].as_str(),
            changed["version"].as_i64()
        ),
        (200, Some("Kommunstyrelsen"), Some("KS/KLF"), Some(2))
    );
    // The old ETag is stale now.
    app.patch(&path, &admin, &json!({"name": "X"}))
        .if_match(1)
        .problem(412)
        .await;
    assert_eq!(
        app.get(&path, &admin)
            .header("If-None-Match", "\"1\"")
            .status()
            .await,
        200
    );

    app.delete(&path, &admin).problem(428).await;
    assert_eq!(app.delete(&path, &admin).if_match(2).status().await, 204);
    app.get(&path, &admin).problem(404).await;

    // Every change is in the audit log with before and after.
    let (_, audit) = app
        .get(&format!("/api/v1/audit?resource_id={id}"), &admin)
        .reply()
        .await;
    let entries = audit["items"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "delete"]);
    assert_eq!(
        (
            entries[1]["before"]["name"].as_str(),
            entries[1]["after"]["name"].as_str()
        ),
        (Some("Nämnd KS/KLF"), Some("Kommunstyrelsen"))
    );
    assert!(entries[2]["after"].is_null() && entries[2]["request_id"].is_string());
}
both_databases!(create_read_update_delete);

async fn bad_input_gets_clear_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    app.create_namnd(&admin, "VON", "namnd").await;
    let post = |body: Value| app.post("/api/v1/namnder", &admin, &body);

    post(json!({"code": "von", "name": "", "kind": "namnd"}))
        .invalid(&["code", "name"])
        .await;
    post(json!({"code": "SOCN", "name": "Soc", "kind": "kommitte"}))
        .invalid(&["kind"])
        .await;
    let p = post(json!({"code": "SOCN", "name": "Soc"}))
        .problem(422)
        .await;
    assert!(p["detail"].as_str().unwrap().contains("kind"), "{p}");
    let p = post(json!({"code": "SOCN", "name": "Soc", "kind": "namnd", "colour": "red"}))
        .problem(422)
        .await;
    assert!(p["detail"].as_str().unwrap().contains("colour"), "{p}");
    post(json!({"id": "x", "code": "SOCN", "name": "Soc", "kind": "namnd"}))
        .invalid(&["id"])
        .await;
    post(json!(["not", "an", "object"])).problem(422).await;

    let malformed = app
        .upload("/api/v1/namnder", &admin, "application/json", "{\"code\":")
        .send()
        .await
        .unwrap();
    problem(malformed, 400).await;
    let text = app
        .upload("/api/v1/namnder", &admin, "text/plain", "VON")
        .send()
        .await
        .unwrap();
    problem(text, 415).await;
    let huge = json!({"code": "BIG", "name": "x".repeat(100_000), "kind": "namnd"});
    post(huge).problem(413).await;
    app.get_problems(
        &admin,
        &[
            ("/api/v1/namnder/not-a-uuid", 404),
            ("/api/v1/namnder?limit=0", 422),
            ("/api/v1/namnder?limit=abc", 422),
            ("/api/v1/namnder?cursor=nonsense", 422),
        ],
    )
    .await;

    // Nothing was written by any of the refused requests.
    let list: Value = app.get("/api/v1/namnder", &admin).returns(200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
both_databases!(bad_input_gets_clear_problems);

async fn pages_never_skip_or_repeat(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let codes = [
        "KS/KLF", "KS/SBF", "BIN", "BMN", "KULN", "STN", "SOCN", "VIAN", "VON", "KFAB", "KVAAB",
    ];
    for code in codes {
        app.create_namnd(
            &admin,
            code,
            if code.ends_with("AB") {
                "bolag"
            } else {
                "namnd"
            },
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/namnder?limit=4&cursor={c}"),
            None => "/api/v1/namnder?limit=4".to_string(),
        };
        let page: Value = app.get(&path, &admin).returns(200).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 4);
        seen.extend(
            items
                .iter()
                .map(|n| n["code"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, codes, "creation order, each once");
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), codes.len());

    let by_code: Value = app
        .get("/api/v1/namnder?code=KS/KLF", &admin)
        .returns(200)
        .await;
    assert_eq!(by_code["items"].as_array().unwrap().len(), 1);
    let bolag: Value = app
        .get("/api/v1/namnder?kind=bolag", &admin)
        .returns(200)
        .await;
    assert_eq!(bolag["items"].as_array().unwrap().len(), 2);
    // A parameter that does not parse names itself.
    let p = app
        .get("/api/v1/namnder?kind=kommitte", &admin)
        .problem(400)
        .await;
    assert_eq!(p["type"], "/problems/bad-request", "{p}");
    assert_eq!(p["errors"][0]["field"], "kind", "{p}");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown variant `kommitte`"),
        "{p}"
    );
}
both_databases!(pages_never_skip_or_repeat);

async fn changing_to_a_taken_code_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    app.create_namnd(&admin, "VON", "namnd").await;
    let socn = app.create_namnd(&admin, "SOCN", "namnd").await;
    let path = format!("/api/v1/namnder/{}", id_of(&socn));
    let p = app
        .patch(&path, &admin, &json!({"code": "VON"}))
        .if_match(1)
        .problem(409)
        .await;
    assert_eq!(error_fields(&p), ["code"]);
    app.patch(&path, &admin, &json!({"version": 5}))
        .if_match(1)
        .invalid(&["version"])
        .await;
    // A redaktör may read but not change.
    let redaktor = app.token_in("0483", Role::Redaktor, &["SOCN"]);
    app.patch(&path, &redaktor, &json!({"name": "x"}))
        .if_match(1)
        .problem(403)
        .await;
    let unchanged: Value = app.get(&path, &admin).returns(200).await;
    assert_eq!(
        (unchanged["code"].as_str(), unchanged["version"].as_i64()),
        (Some("SOCN"), Some(1))
    );
}
both_databases!(changing_to_a_taken_code_is_refused);

/// A code another nämnd has is a conflict with the data as it is (409, as
/// for any state conflict), not invalid input: the same body is accepted
/// once the code is free. The problem names `code` as a validation error
/// would, and nothing is written: no nämnd, no audit entry, no change.
async fn a_duplicate_code_is_a_conflict_naming_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let von = app.create_namnd(&admin, "VON", "namnd").await;
    let audit: Value = app
        .get("/api/v1/audit?limit=500", &admin)
        .returns(200)
        .await;
    let changes: Value = app
        .get("/api/v1/changes?limit=500", &admin)
        .returns(200)
        .await;

    let p = app
        .post(
            "/api/v1/namnder",
            &admin,
            &json!({"code": "VON", "name": "Again", "kind": "styrelse"}),
        )
        .problem(409)
        .await;
    assert_eq!(p["type"], "/problems/conflict", "{p}");
    assert_eq!(
        p["errors"],
        json!([{"field": "code", "message": "another nämnd of this kommun already has this code"}]),
        "{p}"
    );

    let all: Value = app.get("/api/v1/namnder", &admin).returns(200).await;
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{all}");
    assert_eq!(
        (
            items[0]["id"].as_str(),
            items[0]["name"].as_str(),
            items[0]["version"].as_i64()
        ),
        (von["id"].as_str(), von["name"].as_str(), Some(1))
    );
    let audit_after: Value = app
        .get("/api/v1/audit?limit=500", &admin)
        .returns(200)
        .await;
    assert_eq!(audit_after["items"], audit["items"]);
    let changes_after: Value = app
        .get("/api/v1/changes?limit=500", &admin)
        .returns(200)
        .await;
    assert_eq!(changes_after["items"], changes["items"]);

    // Once VON is renamed, the same request creates the nämnd.
    app.patch(
        &format!("/api/v1/namnder/{}", id_of(&von)),
        &admin,
        &json!({"code": "VON2"}),
    )
    .if_match(1)
    .returns(200)
    .await;
    app.post(
        "/api/v1/namnder",
        &admin,
        &json!({"code": "VON", "name": "Again", "kind": "styrelse"}),
    )
    .returns(201)
    .await;
}
both_databases!(a_duplicate_code_is_a_conflict_naming_code);

/// A NUL character is the caller's input error, on both databases: 422
/// naming the field for a body or a query parameter (PostgreSQL refuses it
/// in text; it is neither contention nor an internal error).
async fn a_nul_character_is_refused_as_invalid_input(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    app.post(
        "/api/v1/namnder",
        &admin,
        &serde_json::json!({"code": "FZ1", "name": "ab\u{0}cd", "kind": "namnd"}),
    )
    .invalid(&["name"])
    .await;
    // A NUL in a member name is quoted back without it (no answer holds
    // NUL: the conformance check holds the answer to the document).
    let problem = app
        .client
        .post(app.url("/api/v1/namnder"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"code\": \"FZ2\", \"name\": \"x\", \"kind\": \"namnd\", \"n\\u0000b\": 1}")
        .problem(422)
        .await;
    assert!(!problem.to_string().contains("\\u0000"), "{problem}");
    assert!(
        error_fields(&problem).contains(&"n\u{FFFD}b".to_string()),
        "{problem}"
    );
    for (path, field) in [
        ("/api/v1/indicators?q=%00", "q"),
        ("/api/v1/namnder?code=V%00N", "code"),
        ("/api/v1/reports?namnd=VON&status=%00", "status"),
    ] {
        let problem = app.get(path, &admin).problem(422).await;
        assert_eq!(error_fields(&problem), [field], "{path}");
    }
    // Checked after the caller's right to the operation: a kommunledning
    // may not list audit entries, whatever the query holds.
    let kl = app.token(Role::Kommunledning);
    app.get("/api/v1/audit?resource_type=%00", &kl)
        .problem(403)
        .await;
    let list = app.get("/api/v1/namnder", &admin).returns(200).await;
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing written"
    );
}
both_databases!(a_nul_character_is_refused_as_invalid_input);

/// Before an admin creates the caller's kommun, its lists are empty pages,
/// the same for every resource (the kommun's own reads say it does not
/// exist yet).
async fn lists_of_a_kommun_not_created_yet_are_empty(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.token(Role::Admin);
    for path in [
        "/api/v1/namnder",
        "/api/v1/periods",
        "/api/v1/goal-areas",
        "/api/v1/goals",
        "/api/v1/assignments",
        "/api/v1/dimension-mappings",
        "/api/v1/webhooks",
        "/api/v1/deadlines",
    ] {
        let page: Value = app.get(path, &admin).returns(200).await;
        assert_eq!(page["items"], json!([]), "{path}: {page}");
        assert_eq!(page["next_cursor"], Value::Null, "{path}: {page}");
    }
}
both_databases!(lists_of_a_kommun_not_created_yet_are_empty);

/// Times are kept to the microsecond on both databases (PostgreSQL keeps no
/// more; SQLite kept nanoseconds), so a time reads back as it was answered
/// and shows the same digits whichever database is behind.
async fn times_read_back_to_the_microsecond(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.katrineholm().await;
    let body = json!({"code": "VON", "name": "Vård- och omsorgsnämnden", "kind": "namnd"});
    let created = app
        .post("/api/v1/namnder", &admin, &body)
        .returns(201)
        .await;
    let path = format!("/api/v1/namnder/{}", id_of(&created));
    let read = app.get(&path, &admin).returns(200).await;
    let audit = app
        .get("/api/v1/audit?limit=500", &admin)
        .returns(200)
        .await;
    let entry = audit["items"].as_array().unwrap().last().unwrap();
    for time in [
        &created["created_at"],
        &created["updated_at"],
        &entry["occurred_at"],
    ] {
        let time = time.as_str().unwrap();
        let fraction = time
            .split_once('.')
            .map_or("", |(_, f)| f.trim_end_matches('Z'));
        assert!(fraction.len() <= 6, "{time}");
    }
    assert_eq!(read["created_at"], created["created_at"]);
    assert_eq!(read["updated_at"], created["updated_at"]);
}
both_databases!(times_read_back_to_the_microsecond);
