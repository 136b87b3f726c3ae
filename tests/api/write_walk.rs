//! Every write operation of the OpenAPI document, performed once on a fresh
//! kommun, leaves exactly one audit entry and one change-feed entry naming
//! the resource it changed. An operation without a step here fails the
//! test, so a new endpoint cannot skip the one write path unnoticed.

use std::collections::BTreeSet;

use actix_web::{App, HttpResponse, HttpServer, web};
use kommunrapport::auth::Role;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

/// A tiny Kolada v2 server: one page with one value of `U21468`.
fn fake_kolada() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let page = json!({"count": 1, "values": [{"kpi": "U21468", "municipality": "0483",
        "period": 2024, "values": [{"gender": "T", "value": 71.5, "status": "", "count": 1}]}]});
    let kpi = json!({"values": [{"id": "N00945", "title": "Invånare 65+, andel (%)",
        "description": "Andel invånare 65 år och äldre", "is_divided_by_gender": false}]});
    let server = HttpServer::new(move || {
        let page = page.clone();
        let kpi = kpi.clone();
        App::new().default_service(web::to(move |req: actix_web::HttpRequest| {
            let answer = if req.path().starts_with("/v3/kpi/") {
                kpi.clone()
            } else {
                page.clone()
            };
            async move { HttpResponse::Ok().json(answer) }
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}/v3")
}

struct Walk<'a> {
    app: &'a TestApp,
    token: String,
    /// The change feed read so far.
    since: String,
    /// Audit entry ids seen so far.
    audited: BTreeSet<String>,
    /// Operations performed, as `METHOD /path/{param}`.
    done: BTreeSet<String>,
}

impl<'a> Walk<'a> {
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
    }

    /// Every audit entry of the kommun, oldest first.
    async fn audit(&self) -> Vec<Value> {
        let mut entries = Vec::new();
        let mut cursor = String::new();
        loop {
            let path = format!("/api/v1/audit?limit=500&cursor={cursor}");
            let (status, page) = body(self.request(Method::GET, &path).send().await.unwrap()).await;
            assert_eq!(status, 200, "{page}");
            entries.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_string(),
                None => return entries,
            }
        }
    }

    /// The changes after what was read so far.
    async fn new_changes(&mut self) -> Vec<Value> {
        let mut changes = Vec::new();
        loop {
            let path = format!("/api/v1/changes?limit=500&since={}", self.since);
            let (status, page) = body(self.request(Method::GET, &path).send().await.unwrap()).await;
            assert_eq!(status, 200, "{page}");
            changes.extend(page["items"].as_array().unwrap().iter().cloned());
            self.since = page["next_cursor"].as_str().unwrap().to_string();
            if page["has_more"] == false {
                return changes;
            }
        }
    }

    async fn start(app: &'a TestApp, token: String) -> Walk<'a> {
        let mut walk = Walk {
            app,
            token,
            since: String::new(),
            audited: BTreeSet::new(),
            done: BTreeSet::new(),
        };
        walk.new_changes().await;
        walk.audited = walk
            .audit()
            .await
            .iter()
            .map(|e| e["id"].to_string())
            .collect();
        walk
    }

    /// Performs `operation` with `request` and checks that it wrote one
    /// audit entry and one change of `resource_type` for the resource whose
    /// id `id_of` takes from the answer and the new audit entries. Returns
    /// the answer's body.
    async fn step(
        &mut self,
        operation: &str,
        request: RequestBuilder,
        resource_type: &str,
        id_of: impl Fn(&Value) -> String,
    ) -> Value {
        self.step_with(operation, request, resource_type, |answer, _| id_of(answer))
            .await
    }

    async fn step_with(
        &mut self,
        operation: &str,
        request: RequestBuilder,
        resource_type: &str,
        id_of: impl Fn(&Value, &[Value]) -> String,
    ) -> Value {
        let response = request.send().await.unwrap();
        let (status, answer) = body(response).await;
        assert!(
            (200..300).contains(&status),
            "{operation}: {status} {answer}"
        );
        let entries: Vec<Value> = self
            .audit()
            .await
            .into_iter()
            .filter(|e| self.audited.insert(e["id"].to_string()))
            .collect();
        let id = id_of(&answer, &entries);
        let changes = self.new_changes().await;
        let names = |v: &Value| v["resource_type"] == resource_type && v["resource_id"] == id;
        assert_eq!(
            entries.iter().filter(|e| names(e)).count(),
            1,
            "{operation}: one audit entry of {resource_type} {id}; new entries: {entries:#?}"
        );
        assert_eq!(
            changes.iter().filter(|c| names(c)).count(),
            1,
            "{operation}: one change of {resource_type} {id}; new changes: {changes:#?}"
        );
        assert_eq!(
            entries.len(),
            changes.len(),
            "{operation}: every audit entry is in the feed and nothing else"
        );
        self.done.insert(operation.to_string());
        answer
    }
}

fn id(answer: &Value) -> String {
    answer["id"].as_str().unwrap_or_default().to_string()
}

/// The id of the resource an audit entry records with these fields (for
/// resources the API names by their parent and key, not by id).
fn recorded(entries: &[Value], fields: &[(&str, &str)]) -> String {
    entries
        .iter()
        .find(|e| fields.iter().all(|(k, v)| e["after"][k] == *v))
        .and_then(|e| e["resource_id"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn fixed(id: &str) -> impl Fn(&Value) -> String {
    let id = id.to_string();
    move |_| id.clone()
}

fn etag(answer: &Value) -> String {
    format!("\"{}\"", answer["version"])
}

async fn every_write_is_audited_and_fed(backend: Backend) {
    let kolada = fake_kolada();
    let app = spawn_with(backend, |settings| settings.kolada_base_url = kolada).await;
    let token = app.token(Role::Admin);
    let mut w = Walk::start(&app, token).await;
    use Method as M;

    // The kommun and its organisation.
    let kommun = w
        .step(
            "POST /api/v1/kommuner",
            w.request(M::POST, "/api/v1/kommuner")
                .json(&json!({"code": "0483", "name": "Katrineholm"})),
            "kommun",
            id,
        )
        .await;
    // The feed of a kommun created in this test starts with its creation.
    let k = id(&kommun);
    w.step(
        "PATCH /api/v1/kommuner/{id}",
        w.request(M::PATCH, &format!("/api/v1/kommuner/{k}"))
            .header("If-Match", etag(&kommun))
            .json(&json!({"name": "Katrineholms kommun"})),
        "kommun",
        id,
    )
    .await;
    let von = w
        .step(
            "POST /api/v1/namnder",
            w.request(M::POST, "/api/v1/namnder")
                .json(&json!({"code": "VON", "kind": "namnd", "name": "Vård- och omsorgsnämnden"})),
            "namnd",
            id,
        )
        .await;
    let n = id(&von);
    w.step(
        "PATCH /api/v1/namnder/{id}",
        w.request(M::PATCH, &format!("/api/v1/namnder/{n}"))
            .header("If-Match", etag(&von))
            .json(&json!({"name": "Vård- och omsorgsnämnd"})),
        "namnd",
        id,
    )
    .await;
    let spare = w
        .step(
            "POST /api/v1/namnder",
            w.request(M::POST, "/api/v1/namnder")
                .json(&json!({"code": "X", "kind": "namnd", "name": "Spare"})),
            "namnd",
            id,
        )
        .await;
    w.step(
        "DELETE /api/v1/namnder/{id}",
        w.request(M::DELETE, &format!("/api/v1/namnder/{}", id(&spare)))
            .header("If-Match", etag(&spare)),
        "namnd",
        fixed(&id(&spare)),
    )
    .await;
    let year = w
        .step(
            "POST /api/v1/periods",
            w.request(M::POST, "/api/v1/periods")
                .json(&json!({"kind": "helar", "year": 2024})),
            "period",
            id,
        )
        .await;
    let p = id(&year);
    let closed = w
        .step(
            "POST /api/v1/periods/{id}/close",
            w.request(M::POST, &format!("/api/v1/periods/{p}/close")),
            "period",
            id,
        )
        .await;
    assert!(closed["closed_at"].is_string());
    w.step(
        "POST /api/v1/periods/{id}/reopen",
        w.request(M::POST, &format!("/api/v1/periods/{p}/reopen")),
        "period",
        id,
    )
    .await;
    let month = w
        .step(
            "POST /api/v1/periods",
            w.request(M::POST, "/api/v1/periods")
                .json(&json!({"kind": "manad", "year": 2023, "number": 3})),
            "period",
            id,
        )
        .await;
    w.step(
        "DELETE /api/v1/periods/{id}",
        w.request(M::DELETE, &format!("/api/v1/periods/{}", id(&month)))
            .header("If-Match", etag(&month)),
        "period",
        fixed(&id(&month)),
    )
    .await;

    // Money.
    let line = w
        .step(
            "POST /api/v1/budget-lines",
            w.request(M::POST, "/api/v1/budget-lines").json(&json!({
                "namnd_id": n, "kind": "drift", "code": "aldreomsorg", "name": "Äldreomsorg"})),
            "budget_line",
            id,
        )
        .await;
    let l = id(&line);
    let line = w
        .step(
            "PATCH /api/v1/budget-lines/{id}",
            w.request(M::PATCH, &format!("/api/v1/budget-lines/{l}"))
                .header("If-Match", etag(&line))
                .json(&json!({"name": "Äldreomsorgen"})),
            "budget_line",
            id,
        )
        .await;
    w.step(
        "PUT /api/v1/budget-lines/{id}/values",
        w.request(M::PUT, &format!("/api/v1/budget-lines/{l}/values"))
            .json(
                &json!({"values": [{"amount": -1650000, "measure": "utfall", "month": "2024-01"}]}),
            ),
        "budget_line_values",
        fixed(&l),
    )
    .await;
    let spare = w
        .step(
            "POST /api/v1/budget-lines",
            w.request(M::POST, "/api/v1/budget-lines").json(&json!({
                "namnd_id": n, "kind": "drift", "code": "spare", "name": "Spare"})),
            "budget_line",
            id,
        )
        .await;
    w.step(
        "DELETE /api/v1/budget-lines/{id}",
        w.request(M::DELETE, &format!("/api/v1/budget-lines/{}", id(&spare)))
            .header("If-Match", etag(&spare)),
        "budget_line",
        fixed(&id(&spare)),
    )
    .await;
    assert_eq!(line["name"], "Äldreomsorgen");

    // Volumes and staff figures.
    let measure = w
        .step(
            "POST /api/v1/volume-measures",
            w.request(M::POST, "/api/v1/volume-measures").json(&json!({
                "namnd_id": n, "name": "Hemtjänsttimmar", "unit": "timmar",
                "aggregation": "snitt_per_manad"})),
            "volume_measure",
            id,
        )
        .await;
    let m = id(&measure);
    w.step(
        "PATCH /api/v1/volume-measures/{id}",
        w.request(M::PATCH, &format!("/api/v1/volume-measures/{m}"))
            .header("If-Match", etag(&measure))
            .json(&json!({"unit": "timmar per månad"})),
        "volume_measure",
        id,
    )
    .await;
    w.step(
        "PUT /api/v1/volume-measures/{id}/values",
        w.request(M::PUT, &format!("/api/v1/volume-measures/{m}/values"))
            .json(&json!({"values": [{"kind": "utfall", "month": "2024-03", "value": 1234.5}]})),
        "volume_measure_values",
        fixed(&m),
    )
    .await;
    let measure = body(
        w.request(M::GET, &format!("/api/v1/volume-measures/{m}"))
            .send()
            .await
            .unwrap(),
    )
    .await
    .1;
    w.step(
        "DELETE /api/v1/volume-measures/{id}",
        w.request(M::DELETE, &format!("/api/v1/volume-measures/{m}"))
            .header("If-Match", etag(&measure)),
        "volume_measure",
        fixed(&m),
    )
    .await;
    let figure = w
        .step(
            "POST /api/v1/key-figures",
            w.request(M::POST, "/api/v1/key-figures").json(&json!({
                "namnd_id": n, "name": "Månadsanställda, antal", "unit": "antal", "year": 2024,
                "measured": "30-nov", "t": 1231, "k": 1012, "m": 219})),
            "key_figure",
            id,
        )
        .await;
    let f = id(&figure);
    let figure = w
        .step(
            "PATCH /api/v1/key-figures/{id}",
            w.request(M::PATCH, &format!("/api/v1/key-figures/{f}"))
                .header("If-Match", etag(&figure))
                .json(&json!({"t": 1232})),
            "key_figure",
            id,
        )
        .await;
    w.step(
        "DELETE /api/v1/key-figures/{id}",
        w.request(M::DELETE, &format!("/api/v1/key-figures/{f}"))
            .header("If-Match", etag(&figure)),
        "key_figure",
        fixed(&f),
    )
    .await;

    // Goals, indicators and assignments.
    let area = w
        .step(
            "POST /api/v1/goal-areas",
            w.request(M::POST, "/api/v1/goal-areas").json(&json!({
                "name": "Trygg omsorg", "plan": "Kommunplan 2023-2026",
                "from_year": 2023, "to_year": 2026})),
            "goal_area",
            id,
        )
        .await;
    let a = id(&area);
    w.step(
        "PATCH /api/v1/goal-areas/{id}",
        w.request(M::PATCH, &format!("/api/v1/goal-areas/{a}"))
            .header("If-Match", etag(&area))
            .json(&json!({"to_year": 2027})),
        "goal_area",
        id,
    )
    .await;
    let indicator = w
        .step(
            "POST /api/v1/indicators",
            w.request(M::POST, "/api/v1/indicators").json(&json!({
                "name": "Nöjdhet hemtjänst", "unit": "procent", "polarity": "hogre_ar_battre",
                "divided_by_gender": false})),
            "indicator",
            id,
        )
        .await;
    let i = id(&indicator);
    w.step(
        "PATCH /api/v1/indicators/{id}",
        w.request(M::PATCH, &format!("/api/v1/indicators/{i}"))
            .header("If-Match", etag(&indicator))
            .json(&json!({"kolada_id": "U21468"})),
        "indicator",
        id,
    )
    .await;
    w.step(
        "PUT /api/v1/indicators/{id}/values",
        w.request(M::PUT, &format!("/api/v1/indicators/{i}/values"))
            .json(&json!({"values": [{"gender": "T", "value": 80, "year": 2023}]})),
        "indicator_values",
        fixed(&i),
    )
    .await;
    w.step(
        "PUT /api/v1/indicators/{id}/riktvarden",
        w.request(M::PUT, &format!("/api/v1/indicators/{i}/riktvarden"))
            .json(&json!({"riktvarden": [{"value": 85, "year": 2024}]})),
        "indicator_riktvarden",
        fixed(&i),
    )
    .await;
    w.step(
        "PUT /api/v1/indicators/{id}/overrides/{year}",
        w.request(M::PUT, &format!("/api/v1/indicators/{i}/overrides/2024"))
            .json(&json!({"trend": {"value": "oforandrad", "reason": "Inte säkerställt."}})),
        "indicator_overrides",
        fixed(&i),
    )
    .await;
    let goal = w
        .step(
            "POST /api/v1/goals",
            w.request(M::POST, "/api/v1/goals").json(&json!({
                "goal_area_id": a, "title": "Ökad nöjdhet", "kind": "kommun",
                "huvudansvar": n, "indicator_ids": [i]})),
            "goal",
            id,
        )
        .await;
    let g = id(&goal);
    w.step(
        "PATCH /api/v1/goals/{id}",
        w.request(M::PATCH, &format!("/api/v1/goals/{g}"))
            .header("If-Match", etag(&goal))
            .json(&json!({"agenda2030": [3]})),
        "goal",
        id,
    )
    .await;
    let assignment = w
        .step(
            "POST /api/v1/assignments",
            w.request(M::POST, "/api/v1/assignments").json(&json!({
                "goal_area_id": a, "title": "Utveckla boendekedjan", "huvudansvar": n,
                "plan": "Kommunplan 2023-2026"})),
            "assignment",
            id,
        )
        .await;
    let s = id(&assignment);
    w.step(
        "PATCH /api/v1/assignments/{id}",
        w.request(M::PATCH, &format!("/api/v1/assignments/{s}"))
            .header("If-Match", etag(&assignment))
            .json(&json!({"end_date": "2025-06-30"})),
        "assignment",
        id,
    )
    .await;

    // A report and its whole workflow.
    let report = w
        .step(
            "POST /api/v1/reports",
            w.request(M::POST, "/api/v1/reports").json(&json!({
                "namnd_id": n, "period_id": p, "type": "arsredovisning"})),
            "report",
            id,
        )
        .await;
    let r = id(&report);
    // A section is named by its report and key; its id is internal.
    w.step_with(
        "PUT /api/v1/reports/{id}/sections/{key}",
        w.request(M::PUT, &format!("/api/v1/reports/{r}/sections/inledning"))
            .json(&json!({"body": "Under året har verksamheten …"})),
        "report_section",
        |_, entries: &[Value]| recorded(entries, &[("report_id", &r), ("key", "inledning")]),
    )
    .await;
    w.step(
        "PUT /api/v1/reports/{id}/{kind}",
        w.request(M::PUT, &format!("/api/v1/reports/{r}/drift")).json(&json!({"lines": [
            {"code": "forvaltningsgemensamt", "name": "Förvaltningsgemensamt", "values": [
                {"amount": -20790000, "measure": "utfall", "period": {"from": "2024-01", "to": "2024-12"}}]}]})),
        "budget_table",
        fixed(&n),
    )
    .await;
    let plan = w
        .step(
            "POST /api/v1/reports/{id}/action-plans",
            w.request(M::POST, &format!("/api/v1/reports/{r}/action-plans"))
                .json(&json!({
                "avvikelse": "Underskott hemtjänst", "atgard": "Översyn av planeringen"})),
            "action_plan",
            id,
        )
        .await;
    let plan_id = id(&plan);
    let plan = w
        .step(
            "PATCH /api/v1/reports/{id}/action-plans/{plan_id}",
            w.request(
                M::PATCH,
                &format!("/api/v1/reports/{r}/action-plans/{plan_id}"),
            )
            .header("If-Match", etag(&plan))
            .json(&json!({"avvikelse": "Underskott hemtjänst", "atgard": "Ny planering"})),
            "action_plan",
            id,
        )
        .await;
    w.step(
        "DELETE /api/v1/reports/{id}/action-plans/{plan_id}",
        w.request(
            M::DELETE,
            &format!("/api/v1/reports/{r}/action-plans/{plan_id}"),
        )
        .header("If-Match", etag(&plan)),
        "action_plan",
        fixed(&plan_id),
    )
    .await;
    w.step_with(
        "PUT /api/v1/reports/{id}/assessments/{goal_id}",
        w.request(M::PUT, &format!("/api/v1/reports/{r}/assessments/{g}"))
            .json(&json!({"bedomning": "gul", "comment": "Andelen ökar."})),
        "assessment",
        |_, entries: &[Value]| recorded(entries, &[("report_id", &r), ("goal_id", &g)]),
    )
    .await;
    w.step_with(
        "PUT /api/v1/reports/{id}/assignment-statuses/{assignment_id}",
        w.request(
            M::PUT,
            &format!("/api/v1/reports/{r}/assignment-statuses/{s}"),
        )
        .json(&json!({"status": "paborjad", "comment": "Utredning klar."})),
        "assignment_status",
        |_, entries: &[Value]| recorded(entries, &[("report_id", &r), ("assignment_id", &s)]),
    )
    .await;
    w.step(
        "POST /api/v1/reports/{id}/submit",
        w.request(M::POST, &format!("/api/v1/reports/{r}/submit")),
        "report",
        id,
    )
    .await;
    w.step(
        "POST /api/v1/reports/{id}/return",
        w.request(M::POST, &format!("/api/v1/reports/{r}/return"))
            .json(&json!({"reason": "Kommentera avvikelsen"})),
        "report",
        id,
    )
    .await;
    w.step(
        "POST /api/v1/reports/{id}/submit",
        w.request(M::POST, &format!("/api/v1/reports/{r}/submit")),
        "report",
        id,
    )
    .await;
    w.step(
        "POST /api/v1/reports/{id}/approve",
        w.request(M::POST, &format!("/api/v1/reports/{r}/approve"))
            .json(&json!({"beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22"})),
        "report",
        id,
    )
    .await;
    let report = w
        .step(
            "POST /api/v1/reports/{id}/reopen",
            w.request(M::POST, &format!("/api/v1/reports/{r}/reopen"))
                .json(&json!({"reason": "Rättelse"})),
            "report",
            id,
        )
        .await;
    // A decided report is kept; a draft that never was can go.
    w.request(M::DELETE, &format!("/api/v1/reports/{r}"))
        .header("If-Match", etag(&report))
        .problem(409)
        .await;
    let draft = w
        .step(
            "POST /api/v1/reports",
            w.request(M::POST, "/api/v1/reports").json(&json!({
                "namnd_id": n, "period_id": p, "type": "plan"})),
            "report",
            id,
        )
        .await;
    w.step(
        "DELETE /api/v1/reports/{id}",
        w.request(M::DELETE, &format!("/api/v1/reports/{}", id(&draft)))
            .header("If-Match", etag(&draft)),
        "report",
        fixed(&id(&draft)),
    )
    .await;

    // Imports.
    w.step(
        "POST /api/v1/imports/flat",
        w.request(M::POST, "/api/v1/imports/flat")
            .header("Content-Type", "text/csv")
            .body(
                "namnd;line;month;measure;amount\r\nVON;hemtjanst;2024-03;utfall;-26241000,50\r\n",
            ),
        "budget_table",
        fixed(&n),
    )
    .await;
    let mapping = w
        .step(
            "POST /api/v1/dimension-mappings",
            w.request(M::POST, "/api/v1/dimension-mappings")
                .json(&json!({
                "name": "Raindance", "sie_dimensions": {"ansvar": 1},
                "rules": [{"match": {"ansvar": "11*"},
                    "target": {"namnd": "VON", "line": "aldreomsorg"}}]})),
            "dimension_mapping",
            id,
        )
        .await;
    w.step(
        "POST /api/v1/imports/sie",
        w.request(
            M::POST,
            &format!("/api/v1/imports/sie?mapping_id={}", id(&mapping)),
        )
            .header("Content-Type", "text/plain")
            .body("#FLAGGA 0\r\n#FORMAT PC8\r\n#SIETYP 4\r\n#RAR 0 20240101 20241231\r\n#DIM 1 \"Ansvar\"\r\n#OBJEKT 1 \"110\" \"Vard och omsorg\"\r\n#KONTO 4010 \"Inkop\"\r\n#PSALDO 0 202402 4010 {1 \"110\"} 26241000.00\r\n"),
        "budget_table",
        fixed(&n),
    )
    .await;
    let mapping = w
        .step(
            "PATCH /api/v1/dimension-mappings/{id}",
            w.request(
                M::PATCH,
                &format!("/api/v1/dimension-mappings/{}", id(&mapping)),
            )
            .header("If-Match", etag(&mapping))
            .json(&json!({"name": "Raindance 2"})),
            "dimension_mapping",
            id,
        )
        .await;
    w.step(
        "DELETE /api/v1/dimension-mappings/{id}",
        w.request(
            M::DELETE,
            &format!("/api/v1/dimension-mappings/{}", id(&mapping)),
        )
        .header("If-Match", etag(&mapping)),
        "dimension_mapping",
        fixed(&id(&mapping)),
    )
    .await;
    // The process calendar.
    let deadline = w
        .step(
            "POST /api/v1/deadlines",
            w.request(M::POST, "/api/v1/deadlines").json(&json!({
                "period_id": p, "type": "arsredovisning",
                "kind": "underlag", "due_date": "2024-09-10"})),
            "deadline",
            id,
        )
        .await;
    let deadline = w
        .step(
            "PATCH /api/v1/deadlines/{id}",
            w.request(M::PATCH, &format!("/api/v1/deadlines/{}", id(&deadline)))
                .header("If-Match", etag(&deadline))
                .json(&json!({"due_date": "2024-09-12"})),
            "deadline",
            id,
        )
        .await;
    w.step(
        "DELETE /api/v1/deadlines/{id}",
        w.request(M::DELETE, &format!("/api/v1/deadlines/{}", id(&deadline)))
            .header("If-Match", etag(&deadline)),
        "deadline",
        fixed(&id(&deadline)),
    )
    .await;

    // Obligation rules.
    let rule = w
        .step(
            "POST /api/v1/obligation-rules",
            w.request(M::POST, "/api/v1/obligation-rules").json(&json!({
                "name": "Negativ avvikelse", "min_deviation_percent": 2, "within_days": 30})),
            "obligation_rule",
            id,
        )
        .await;
    let rule = w
        .step(
            "PATCH /api/v1/obligation-rules/{id}",
            w.request(M::PATCH, &format!("/api/v1/obligation-rules/{}", id(&rule)))
                .header("If-Match", etag(&rule))
                .json(&json!({"within_days": 45})),
            "obligation_rule",
            id,
        )
        .await;
    w.step(
        "DELETE /api/v1/obligation-rules/{id}",
        w.request(
            M::DELETE,
            &format!("/api/v1/obligation-rules/{}", id(&rule)),
        )
        .header("If-Match", etag(&rule)),
        "obligation_rule",
        fixed(&id(&rule)),
    )
    .await;

    // Webhooks: a subscription to everything has a delivery of its own
    // creation, which is replayed.
    let hook = w
        .step(
            "POST /api/v1/webhooks",
            w.request(M::POST, "/api/v1/webhooks").json(&json!({
                "url": "http://127.0.0.1:9/hook", "event_types": ["*"]})),
            "webhook",
            id,
        )
        .await;
    let (_, log) = body(
        w.request(
            M::GET,
            &format!("/api/v1/webhooks/{}/deliveries", id(&hook)),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let delivery = id(&log["items"][0]);
    w.step(
        "POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/replay",
        w.request(
            M::POST,
            &format!(
                "/api/v1/webhooks/{}/deliveries/{delivery}/replay",
                id(&hook)
            ),
        ),
        "webhook_delivery",
        id,
    )
    .await;
    let hook = w
        .step(
            "PATCH /api/v1/webhooks/{id}",
            w.request(M::PATCH, &format!("/api/v1/webhooks/{}", id(&hook)))
                .header("If-Match", etag(&hook))
                .json(&json!({"event_types": ["namnd", "report.approve"]})),
            "webhook",
            id,
        )
        .await;
    w.step(
        "DELETE /api/v1/webhooks/{id}",
        w.request(M::DELETE, &format!("/api/v1/webhooks/{}", id(&hook)))
            .header("If-Match", etag(&hook)),
        "webhook",
        fixed(&id(&hook)),
    )
    .await;
    // A calendar feed of one's own, revoked.
    let feed = w
        .step(
            "POST /api/v1/calendar-feeds",
            w.request(M::POST, "/api/v1/calendar-feeds")
                .json(&json!({"name": "Outlook"})),
            "calendar_feed",
            id,
        )
        .await;
    w.step(
        "DELETE /api/v1/calendar-feeds/{id}",
        w.request(M::DELETE, &format!("/api/v1/calendar-feeds/{}", id(&feed)))
            .header("If-Match", etag(&feed)),
        "calendar_feed",
        fixed(&id(&feed)),
    )
    .await;
    w.step(
        "POST /api/v1/imports/kolada",
        w.request(M::POST, "/api/v1/imports/kolada")
            .json(&json!({"count": 1, "values": [
            {"kpi": "U21468", "municipality": "0483", "period": 2024,
             "values": [{"count": 1, "gender": "T", "status": "", "value": 83.0}]}]})),
        "indicator_values",
        fixed(&i),
    )
    .await;
    w.step(
        "POST /api/v1/imports/kolada/fetch",
        w.request(M::POST, "/api/v1/imports/kolada/fetch?years=2024"),
        "indicator_values",
        fixed(&i),
    )
    .await;
    w.step(
        "POST /api/v1/indicators/from-kolada",
        w.request(M::POST, "/api/v1/indicators/from-kolada")
            .json(&json!({"kpis": ["N00945"]})),
        "indicator",
        |answer| {
            answer["created"][0]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        },
    )
    .await;
    // Kolada says what is stored: the run changes only the sync's state.
    let sync_id = |_: &Value, entries: &[Value]| {
        entries
            .iter()
            .find(|e| e["resource_type"] == "kolada_sync")
            .and_then(|e| e["resource_id"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    w.step_with(
        "POST /api/v1/imports/kolada/sync",
        w.request(M::POST, "/api/v1/imports/kolada/sync"),
        "kolada_sync",
        sync_id,
    )
    .await;
    w.step_with(
        "PATCH /api/v1/imports/kolada/sync",
        w.request(M::PATCH, "/api/v1/imports/kolada/sync")
            .json(&json!({"comparison_group": {"id": "G124026", "name": "Liknande kommuner"}})),
        "kolada_sync",
        sync_id,
    )
    .await;

    // Deletes, of a plan structure nothing else refers to (the report's
    // goal and assignment stay: a decided report keeps what it showed).
    let area = w
        .step(
            "POST /api/v1/goal-areas",
            w.request(M::POST, "/api/v1/goal-areas").json(&json!({
                "name": "Spare", "plan": "Kommunplan 2023-2026",
                "from_year": 2023, "to_year": 2026})),
            "goal_area",
            id,
        )
        .await;
    let a = id(&area);
    let indicator = w
        .step(
            "POST /api/v1/indicators",
            w.request(M::POST, "/api/v1/indicators").json(&json!({
                "name": "Spare", "unit": "procent", "polarity": "hogre_ar_battre",
                "divided_by_gender": false})),
            "indicator",
            id,
        )
        .await;
    let i = id(&indicator);
    let goal = w
        .step(
            "POST /api/v1/goals",
            w.request(M::POST, "/api/v1/goals").json(&json!({
                "goal_area_id": a, "title": "Spare", "kind": "kommun",
                "huvudansvar": n, "indicator_ids": [i]})),
            "goal",
            id,
        )
        .await;
    let g = id(&goal);
    let assignment = w
        .step(
            "POST /api/v1/assignments",
            w.request(M::POST, "/api/v1/assignments").json(&json!({
                "goal_area_id": a, "title": "Spare", "huvudansvar": n,
                "plan": "Kommunplan 2023-2026"})),
            "assignment",
            id,
        )
        .await;
    let s = id(&assignment);
    w.step(
        "DELETE /api/v1/assignments/{id}",
        w.request(M::DELETE, &format!("/api/v1/assignments/{s}"))
            .header("If-Match", etag(&assignment)),
        "assignment",
        fixed(&s),
    )
    .await;
    w.step(
        "DELETE /api/v1/goals/{id}",
        w.request(M::DELETE, &format!("/api/v1/goals/{g}"))
            .header("If-Match", etag(&goal)),
        "goal",
        fixed(&g),
    )
    .await;
    w.step(
        "DELETE /api/v1/indicators/{id}",
        w.request(M::DELETE, &format!("/api/v1/indicators/{i}"))
            .header("If-Match", etag(&indicator)),
        "indicator",
        fixed(&i),
    )
    .await;
    w.step(
        "DELETE /api/v1/goal-areas/{id}",
        w.request(M::DELETE, &format!("/api/v1/goal-areas/{a}"))
            .header("If-Match", etag(&area)),
        "goal_area",
        fixed(&a),
    )
    .await;

    // Every write operation of the document has been walked.
    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut writes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if matches!(method.as_str(), "post" | "put" | "patch" | "delete") {
                writes.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let missing: Vec<&String> = writes.difference(&w.done).collect();
    assert!(
        missing.is_empty(),
        "write operations without a step in write_walk: {missing:?}"
    );
}

both_databases!(every_write_is_audited_and_fed);
