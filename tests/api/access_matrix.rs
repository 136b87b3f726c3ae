//! Generated from the OpenAPI document: every operation × every role ×
//! own/other nämnd × own/other kommun, against the demo data. Each operation
//! must have a rule in `RULES`; a new endpoint without one fails this test.

use std::collections::HashMap;

use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::helpers::*;

/// Who may pass the policy for an operation (in the caller's own kommun).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    /// No token needed.
    Public,
    /// Any role of the kommun.
    ReadAll,
    /// Nämnd figures: all but läsare; nämnd-scoped roles only their own nämnd.
    ReadFigures,
    /// Consolidated views: admin, kommunledning, revisor.
    Consolidated,
    /// Audit log: admin, revisor.
    Audit,
    /// Change feed: admin, kommunledning, revisor, integration.
    ChangeFeed,
    /// Organisation, calendar and plan structure: admin, kommunledning.
    WriteStructure,
    /// The kommun itself: admin.
    WriteKommun,
    /// Nämnd figures: admin, kommunledning, the nämnd's redaktör, integration
    /// (only the nämnder of its token when it names any).
    WriteFigures,
    /// Indicator values: admin, kommunledning, integration.
    WriteIndicatorValues,
    /// Content of an approved report: the roles that may edit drafts get 409 (locked).
    EditApprovedReport,
    /// Creating a report: admin, kommunledning, the nämnd's redaktör.
    CreateReport,
    /// Approving: admin, the nämnd's nämndsekreterare (409: already approved).
    Approve,
    /// Returning: admin, kommunledning, the nämnd's nämndsekreterare (409: not for_beslut).
    Return,
    /// Reopening an approved report: admin only.
    Reopen,
    /// Dimension mappings: admin, kommunledning, integration, revisor.
    ReadMappings,
    /// Files whose nämnder are known only after mapping (SIE): admin,
    /// kommunledning, integration, any redaktör (each nämnd is checked later).
    ImportMapped,
    /// Webhooks and their deliveries: admin, integration.
    Webhooks,
}

const RULES: &[(&str, Rule)] = &[
    ("GET /health/live", Rule::Public),
    ("GET /health/ready", Rule::Public),
    ("GET /api/v1/kommuner", Rule::ReadAll),
    ("POST /api/v1/kommuner", Rule::WriteKommun),
    ("GET /api/v1/kommuner/{id}", Rule::ReadAll),
    ("PATCH /api/v1/kommuner/{id}", Rule::WriteKommun),
    ("GET /api/v1/namnder", Rule::ReadAll),
    ("POST /api/v1/namnder", Rule::WriteStructure),
    ("GET /api/v1/namnder/{id}", Rule::ReadAll),
    ("PATCH /api/v1/namnder/{id}", Rule::WriteStructure),
    ("DELETE /api/v1/namnder/{id}", Rule::WriteStructure),
    ("GET /api/v1/periods", Rule::ReadAll),
    ("POST /api/v1/periods", Rule::WriteStructure),
    ("GET /api/v1/periods/{id}", Rule::ReadAll),
    ("DELETE /api/v1/periods/{id}", Rule::WriteStructure),
    ("POST /api/v1/periods/{id}/close", Rule::WriteStructure),
    ("POST /api/v1/periods/{id}/reopen", Rule::WriteStructure),
    ("GET /api/v1/reports", Rule::ReadAll),
    ("POST /api/v1/reports", Rule::CreateReport),
    ("GET /api/v1/reports/{id}", Rule::ReadAll),
    ("DELETE /api/v1/reports/{id}", Rule::EditApprovedReport),
    ("GET /api/v1/reports/{id}/action-plans", Rule::ReadAll),
    ("GET /api/v1/reports/{id}/versions", Rule::ReadAll),
    ("GET /api/v1/reports/{id}/document", Rule::ReadAll),
    ("GET /api/v1/reports/{id}/versions/{number}", Rule::ReadAll),
    ("GET /api/v1/reports/{id}/diff", Rule::ReadAll),
    (
        "POST /api/v1/reports/{id}/action-plans",
        Rule::EditApprovedReport,
    ),
    (
        "PATCH /api/v1/reports/{id}/action-plans/{plan_id}",
        Rule::EditApprovedReport,
    ),
    (
        "DELETE /api/v1/reports/{id}/action-plans/{plan_id}",
        Rule::EditApprovedReport,
    ),
    ("POST /api/v1/reports/{id}/submit", Rule::EditApprovedReport),
    ("POST /api/v1/reports/{id}/approve", Rule::Approve),
    ("POST /api/v1/reports/{id}/return", Rule::Return),
    ("POST /api/v1/reports/{id}/reopen", Rule::Reopen),
    ("GET /api/v1/reports/{id}/sections", Rule::ReadAll),
    (
        "PUT /api/v1/reports/{id}/sections/{key}",
        Rule::EditApprovedReport,
    ),
    ("GET /api/v1/reports/{id}/assessments", Rule::ReadAll),
    (
        "PUT /api/v1/reports/{id}/assessments/{goal_id}",
        Rule::EditApprovedReport,
    ),
    (
        "GET /api/v1/reports/{id}/assignment-statuses",
        Rule::ReadAll,
    ),
    (
        "PUT /api/v1/reports/{id}/assignment-statuses/{assignment_id}",
        Rule::EditApprovedReport,
    ),
    ("GET /api/v1/reports/{id}/{kind}", Rule::ReadAll),
    ("PUT /api/v1/reports/{id}/{kind}", Rule::EditApprovedReport),
    ("GET /api/v1/budget-lines", Rule::ReadAll),
    ("POST /api/v1/budget-lines", Rule::WriteFigures),
    ("GET /api/v1/budget-lines/{id}", Rule::ReadFigures),
    ("PATCH /api/v1/budget-lines/{id}", Rule::WriteFigures),
    ("DELETE /api/v1/budget-lines/{id}", Rule::WriteFigures),
    ("GET /api/v1/budget-lines/{id}/values", Rule::ReadFigures),
    ("PUT /api/v1/budget-lines/{id}/values", Rule::WriteFigures),
    ("GET /api/v1/volume-measures", Rule::ReadFigures),
    ("POST /api/v1/volume-measures", Rule::WriteFigures),
    ("GET /api/v1/volume-measures/{id}", Rule::ReadFigures),
    ("PATCH /api/v1/volume-measures/{id}", Rule::WriteFigures),
    ("DELETE /api/v1/volume-measures/{id}", Rule::WriteFigures),
    ("GET /api/v1/volume-measures/{id}/values", Rule::ReadFigures),
    (
        "PUT /api/v1/volume-measures/{id}/values",
        Rule::WriteFigures,
    ),
    (
        "GET /api/v1/volume-measures/{id}/figures",
        Rule::ReadFigures,
    ),
    ("GET /api/v1/key-figures", Rule::ReadFigures),
    ("POST /api/v1/key-figures", Rule::WriteFigures),
    ("GET /api/v1/key-figures/table", Rule::ReadFigures),
    ("GET /api/v1/key-figures/{id}", Rule::ReadFigures),
    ("PATCH /api/v1/key-figures/{id}", Rule::WriteFigures),
    ("DELETE /api/v1/key-figures/{id}", Rule::WriteFigures),
    ("GET /api/v1/goal-areas", Rule::ReadAll),
    ("POST /api/v1/goal-areas", Rule::WriteStructure),
    ("GET /api/v1/goal-areas/{id}", Rule::ReadAll),
    ("PATCH /api/v1/goal-areas/{id}", Rule::WriteStructure),
    ("DELETE /api/v1/goal-areas/{id}", Rule::WriteStructure),
    ("GET /api/v1/goals", Rule::ReadAll),
    ("POST /api/v1/goals", Rule::WriteStructure),
    ("GET /api/v1/goals/{id}", Rule::ReadAll),
    ("PATCH /api/v1/goals/{id}", Rule::WriteStructure),
    ("DELETE /api/v1/goals/{id}", Rule::WriteStructure),
    ("GET /api/v1/indicators", Rule::ReadAll),
    ("POST /api/v1/indicators", Rule::WriteStructure),
    ("POST /api/v1/indicators/from-kolada", Rule::WriteStructure),
    ("GET /api/v1/indicators/table", Rule::ReadAll),
    ("GET /api/v1/indicators/{id}", Rule::ReadAll),
    ("PATCH /api/v1/indicators/{id}", Rule::WriteStructure),
    ("DELETE /api/v1/indicators/{id}", Rule::WriteStructure),
    (
        "PUT /api/v1/indicators/{id}/overrides/{year}",
        Rule::WriteStructure,
    ),
    (
        "PUT /api/v1/indicators/{id}/riktvarden",
        Rule::WriteStructure,
    ),
    (
        "PUT /api/v1/indicators/{id}/values",
        Rule::WriteIndicatorValues,
    ),
    ("GET /api/v1/indicators/{id}/values/history", Rule::ReadAll),
    ("GET /api/v1/assignments", Rule::ReadAll),
    ("POST /api/v1/assignments", Rule::WriteStructure),
    ("GET /api/v1/assignments/{id}", Rule::ReadAll),
    ("PATCH /api/v1/assignments/{id}", Rule::WriteStructure),
    ("DELETE /api/v1/assignments/{id}", Rule::WriteStructure),
    ("GET /api/v1/kommun/{kind}", Rule::Consolidated),
    ("GET /api/v1/kommun/submissions", Rule::Consolidated),
    ("GET /api/v1/kommun/document", Rule::Consolidated),
    ("GET /api/v1/kommun/prognossakerhet", Rule::Consolidated),
    ("GET /api/v1/kommun/goal-matrix", Rule::Consolidated),
    ("GET /api/v1/kommun/indicators", Rule::Consolidated),
    ("GET /api/v1/kommun/assignments", Rule::Consolidated),
    ("GET /api/v1/audit", Rule::Audit),
    ("GET /api/v1/changes", Rule::ChangeFeed),
    ("POST /api/v1/imports/kolada", Rule::WriteIndicatorValues),
    (
        "POST /api/v1/imports/kolada/fetch",
        Rule::WriteIndicatorValues,
    ),
    ("GET /api/v1/imports/kolada/sync", Rule::ReadAll),
    (
        "POST /api/v1/imports/kolada/sync",
        Rule::WriteIndicatorValues,
    ),
    ("PATCH /api/v1/imports/kolada/sync", Rule::WriteStructure),
    ("GET /api/v1/exports/kolada", Rule::ReadAll),
    ("POST /api/v1/imports/flat", Rule::WriteFigures),
    ("GET /api/v1/exports/flat", Rule::ReadFigures),
    ("POST /api/v1/imports/sie", Rule::ImportMapped),
    ("GET /api/v1/dimension-mappings", Rule::ReadMappings),
    ("POST /api/v1/dimension-mappings", Rule::WriteStructure),
    ("GET /api/v1/dimension-mappings/{id}", Rule::ReadMappings),
    (
        "PATCH /api/v1/dimension-mappings/{id}",
        Rule::WriteStructure,
    ),
    (
        "DELETE /api/v1/dimension-mappings/{id}",
        Rule::WriteStructure,
    ),
    ("GET /api/v1/deadlines", Rule::ReadAll),
    ("POST /api/v1/deadlines", Rule::WriteStructure),
    ("GET /api/v1/deadlines/{id}", Rule::ReadAll),
    ("PATCH /api/v1/deadlines/{id}", Rule::WriteStructure),
    ("DELETE /api/v1/deadlines/{id}", Rule::WriteStructure),
    ("GET /api/v1/obligation-rules", Rule::ReadAll),
    ("POST /api/v1/obligation-rules", Rule::WriteStructure),
    ("GET /api/v1/obligation-rules/{id}", Rule::ReadAll),
    ("PATCH /api/v1/obligation-rules/{id}", Rule::WriteStructure),
    ("DELETE /api/v1/obligation-rules/{id}", Rule::WriteStructure),
    ("GET /api/v1/reports/{id}/obligations", Rule::ReadAll),
    ("GET /api/v1/kommun/obligations", Rule::Consolidated),
    ("GET /api/v1/webhooks", Rule::Webhooks),
    ("POST /api/v1/webhooks", Rule::Webhooks),
    ("GET /api/v1/webhooks/{id}", Rule::Webhooks),
    ("PATCH /api/v1/webhooks/{id}", Rule::Webhooks),
    ("DELETE /api/v1/webhooks/{id}", Rule::Webhooks),
    ("GET /api/v1/webhooks/{id}/deliveries", Rule::Webhooks),
    (
        "POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/replay",
        Rule::Webhooks,
    ),
    ("GET /api/v1/calendar-feeds", Rule::ReadAll),
    ("POST /api/v1/calendar-feeds", Rule::ReadAll),
    ("GET /api/v1/calendar-feeds/{id}", Rule::ReadAll),
    ("DELETE /api/v1/calendar-feeds/{id}", Rule::ReadAll),
    // The feed's own secret opens it; without one (as here) it is 404.
    ("GET /api/v1/calendar.ics", Rule::Public),
];

/// A caller: role and the nämnd its token names (own = VON, other = SOCN,
/// or none).
#[derive(Debug, Clone, Copy)]
struct Caller {
    role: Role,
    namnd: Option<&'static str>,
}

impl Caller {
    fn own_namnd(self) -> bool {
        self.namnd == Some("VON")
    }
}

/// Every role; nämnd-scoped roles with their own and another nämnd, and
/// integrations also narrowed to a nämnd (own or other) besides kommun-wide.
fn callers() -> Vec<Caller> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let narrowed = role.is_namnd_scoped() || role == Role::Integration;
        if narrowed {
            for namnd in ["VON", "SOCN"] {
                out.push(Caller {
                    role,
                    namnd: Some(namnd),
                });
            }
        }
        if !role.is_namnd_scoped() {
            out.push(Caller { role, namnd: None });
        }
    }
    out
}

/// Whether the caller passes the policy (own kommun; the objects are VON's
/// approved årsredovisning and its figures).
fn allowed(rule: Rule, c: Caller) -> bool {
    use Role::*;
    let own = c.own_namnd();
    let own_scoped = !c.role.is_namnd_scoped() || own;
    match rule {
        Rule::Public | Rule::ReadAll => true,
        Rule::ReadFigures => c.role != Lasare && own_scoped,
        Rule::Consolidated => matches!(c.role, Admin | Kommunledning | Revisor),
        Rule::Audit => matches!(c.role, Admin | Revisor),
        Rule::ChangeFeed => matches!(c.role, Admin | Kommunledning | Revisor | Integration),
        Rule::WriteStructure => matches!(c.role, Admin | Kommunledning),
        Rule::WriteKommun => c.role == Admin,
        Rule::WriteFigures => {
            matches!(c.role, Admin | Kommunledning)
                || (c.role == Integration && (c.namnd.is_none() || own))
                || (c.role == Redaktor && own)
        }
        Rule::WriteIndicatorValues => matches!(c.role, Admin | Kommunledning | Integration),
        Rule::EditApprovedReport | Rule::CreateReport => {
            matches!(c.role, Admin | Kommunledning) || (c.role == Redaktor && own)
        }
        Rule::Approve => c.role == Admin || (c.role == Namndsekreterare && own),
        Rule::Return => {
            matches!(c.role, Admin | Kommunledning) || (c.role == Namndsekreterare && own)
        }
        Rule::Reopen => c.role == Admin,
        Rule::ReadMappings => matches!(c.role, Admin | Kommunledning | Integration | Revisor),
        Rule::ImportMapped => matches!(c.role, Admin | Kommunledning | Integration | Redaktor),
        Rule::Webhooks => matches!(c.role, Admin | Integration),
    }
}

/// Ids of Katrineholm's demo objects, by path parameter.
async fn fixture(app: &TestApp) -> (HashMap<&'static str, String>, String) {
    let admin = app.token(Role::Admin);
    let first = |path: &'static str| app.id_of(path, &admin);
    let mut ids = HashMap::new();
    ids.insert("kommuner", first("/api/v1/kommuner").await);
    ids.insert("namnder", first("/api/v1/namnder?code=VON").await);
    let period = first("/api/v1/periods?kind=helar&year=2024").await;
    ids.insert("periods", period.clone());
    ids.insert(
        "reports",
        first("/api/v1/reports?namnd=VON&type=arsredovisning").await,
    );
    let delar = first("/api/v1/reports?namnd=VON&type=delarsrapport").await;
    ids.insert(
        "plan_id",
        app.id_of(&format!("/api/v1/reports/{delar}/action-plans"), &admin)
            .await,
    );
    ids.insert(
        "budget-lines",
        first("/api/v1/budget-lines?namnd=VON").await,
    );
    ids.insert(
        "volume-measures",
        first("/api/v1/volume-measures?namnd=VON").await,
    );
    ids.insert("key-figures", first("/api/v1/key-figures?namnd=VON").await);
    ids.insert("goal-areas", first("/api/v1/goal-areas").await);
    let goal = first("/api/v1/goals?namnd=VON").await;
    ids.insert("goals", goal.clone());
    ids.insert("goal_id", goal);
    ids.insert("indicators", first("/api/v1/indicators").await);
    let assignment = first("/api/v1/assignments?namnd=VON").await;
    ids.insert("assignments", assignment.clone());
    ids.insert("assignment_id", assignment);
    let mapping = json!({"name": "Fixture", "rules": [
        {"match": {"ansvar": "1*"}, "target": {"namnd": "VON", "line": "aldreomsorg"}}]});
    let created = app
        .post("/api/v1/dimension-mappings", &admin, &mapping)
        .send()
        .await
        .unwrap();
    ids.insert("dimension-mappings", id_of(&body(created).await.1));
    // A webhook subscribed to everything has a delivery of its own creation.
    let hook = json!({"url": "http://127.0.0.1:9/hook", "event_types": ["*"]});
    let created = app
        .post("/api/v1/webhooks", &admin, &hook)
        .send()
        .await
        .unwrap();
    let hook = id_of(&body(created).await.1);
    ids.insert(
        "delivery_id",
        app.id_of(&format!("/api/v1/webhooks/{hook}/deliveries"), &admin)
            .await,
    );
    ids.insert("webhooks", hook);
    let deadline = json!({"period_id": period, "type": "arsredovisning",
        "kind": "underlag", "due_date": "2025-02-07"});
    let created = app
        .post("/api/v1/deadlines", &admin, &deadline)
        .send()
        .await
        .unwrap();
    ids.insert("deadlines", id_of(&body(created).await.1));
    let rule = json!({"name": "Fixture", "min_deviation_percent": 2, "within_days": 30});
    let created = app
        .post("/api/v1/obligation-rules", &admin, &rule)
        .send()
        .await
        .unwrap();
    ids.insert("obligation-rules", id_of(&body(created).await.1));
    // Every role may make a feed of its own; another's is not found.
    let created = app
        .post(
            "/api/v1/calendar-feeds",
            &admin,
            &json!({"name": "Fixture"}),
        )
        .send()
        .await
        .unwrap();
    ids.insert("calendar-feeds", id_of(&body(created).await.1));
    (ids, period)
}

/// The request path with every parameter filled, or a panic naming the
/// parameter the fixture lacks.
fn fill(path: &str, ids: &HashMap<&str, String>, period: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let mut out = Vec::new();
    for (i, s) in segments.iter().enumerate() {
        let value = match *s {
            "{id}" => ids
                .get(segments[i - 1])
                .cloned()
                .unwrap_or_else(|| panic!("no fixture id for {path}")),
            "{plan_id}" | "{goal_id}" | "{assignment_id}" | "{delivery_id}" => {
                ids[&s[1..s.len() - 1]].clone()
            }
            "{kind}" => "drift".into(),
            "{key}" => "inledning".into(),
            "{year}" => "2024".into(),
            "{number}" => "1".into(),
            s if s.starts_with('{') => panic!("{path}: add a fixture for path parameter {s}"),
            s => s.to_string(),
        };
        out.push(value);
    }
    format!(
        "{}?period_id={period}&type=arsredovisning&namnd=VON&year=2024",
        out.join("/")
    )
}

/// The example of the operation's request body, from the document.
fn example_body(doc: &Value, op: &Value) -> Value {
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let resolved = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    resolved
        .get("example")
        .cloned()
        .unwrap_or_else(|| json!({}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_every_role_every_tenant() {
    let app = demo_app(Backend::Sqlite).await;
    let (ids, period) = fixture(&app).await;
    let doc: Value = app.client.get(app.url("/openapi.json")).returns(200).await;

    let rules: HashMap<&str, Rule> = RULES.iter().copied().collect();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let key = format!("{} {path}", method.to_uppercase());
            let rule = *rules
                .get(key.as_str())
                .unwrap_or_else(|| panic!("{key} has no rule in RULES: add one"));
            operations.push((
                method.to_uppercase(),
                path.clone(),
                rule,
                example_body(&doc, op),
            ));
        }
    }
    assert_eq!(
        operations.len(),
        RULES.len(),
        "RULES names operations the document does not have"
    );
    // Reopening changes the report every other check relies on: last.
    operations.sort_by_key(|(_, _, rule, _)| *rule == Rule::Reopen);

    let secret_ids: Vec<&String> = ids.values().collect();
    // Example bodies name made-up ids; point them at Katrineholm's objects so
    // the policy, not a missing reference, decides.
    let real = |mut body: Value| {
        if let Some(map) = body.as_object_mut() {
            for (key, fixture) in [
                ("namnd_id", "namnder"),
                ("period_id", "periods"),
                ("goal_area_id", "goal-areas"),
                ("goal_id", "goals"),
                ("huvudansvar", "namnder"),
            ] {
                if map.get(key).is_some_and(Value::is_string) {
                    map.insert(key.into(), json!(ids[fixture]));
                }
            }
        }
        body
    };
    let mut failures = Vec::new();
    for (method, path, rule, example) in &operations {
        let example = &real(example.clone());
        let url = app.url(&fill(path, &ids, &period));
        // The same operation with input no handler accepts: malformed JSON
        // and bad query parameters. A refused caller must still get 403/404
        // (the policy runs before the input is read).
        let invalid_url = format!("{url}&limit=-1&cursor=%00&year=x&unit=zz");
        let send_with = |token: String, invalid: bool| {
            let target = if invalid { &invalid_url } else { &url };
            let request = app
                .client
                .request(method.parse().unwrap(), target)
                .bearer_auth(token);
            let request = match (method.as_str(), invalid) {
                ("POST" | "PUT" | "PATCH", false) => request.json(example),
                ("POST" | "PUT" | "PATCH", true) => request
                    .header("content-type", "application/json")
                    .body(r#"{"code": "\u0000", "code": [}"#),
                _ => request,
            };
            request.send()
        };
        let send = |token: String| send_with(token, false);
        // Own kommun: refused callers get 403 (or 404 where even existence is hidden).
        for caller in callers() {
            let namnd = caller.namnd.unwrap_or("no nämnd");
            let token = app.token_in("0483", caller.role, caller.namnd.as_slice());
            let status = send(token).await.unwrap().status().as_u16();
            let expected = allowed(*rule, caller);
            let ok = if expected {
                !matches!(status, 401 | 403)
            } else {
                matches!(status, 403 | 404)
            };
            let state_ok = match rule {
                Rule::EditApprovedReport | Rule::Approve | Rule::Return
                    if expected && path.starts_with("/api/v1/reports/{id}") =>
                {
                    matches!(status, 409 | 422 | 428 | 404)
                }
                _ => true,
            };
            if !ok || !state_ok {
                failures.push(format!(
                    "{method} {path} as {:?} ({namnd}): {status}, expected {}",
                    caller.role,
                    if expected {
                        "allowed (409 while approved)"
                    } else {
                        "403/404"
                    }
                ));
            }
            let token = app.token_in("0483", caller.role, caller.namnd.as_slice());
            let invalid = send_with(token, true).await.unwrap().status().as_u16();
            // Whether the role may do this for its own nämnd: when not, the
            // guard refuses before any input is read. A caller refused only
            // for the nämnd named by the input (body, query) can learn that
            // the input is malformed before the nämnd is known.
            let role_may = allowed(
                *rule,
                Caller {
                    namnd: caller.namnd.map(|_| "VON"),
                    ..caller
                },
            );
            let ok = if expected {
                !matches!(invalid, 401 | 403 | 500)
            } else if role_may {
                matches!(invalid, 400 | 403 | 404 | 422)
            } else {
                matches!(invalid, 403 | 404)
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {:?} ({namnd}) with invalid input: {invalid}, expected {}",
                    caller.role,
                    if expected { "allowed" } else { "403/404" }
                ));
            }
        }
        // Another kommun: never a success with Katrineholm's objects.
        if *rule != Rule::Public && *rule != Rule::Reopen {
            for role in Role::ALL {
                let response = send(app.token_in("1882", role, &["SN"])).await.unwrap();
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                // Echoing the id the caller sent reveals nothing; any other id would.
                let sent = format!("{url} {example}");
                let leaked = secret_ids
                    .iter()
                    .any(|id| !sent.contains(id.as_str()) && text.contains(id.as_str()));
                let has_id = path.contains('{');
                if leaked || (has_id && (200..300).contains(&status)) {
                    failures.push(format!(
                        "{method} {path} as Askersund {role}: {status}, leaked={leaked}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} access failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
