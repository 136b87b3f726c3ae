//! Every write operation of the OpenAPI document, performed once on a fresh
//! kommun, leaves exactly one audit entry and one change-feed entry naming
//! the resource it changed. An operation without a step here fails the
//! test, so a new endpoint cannot skip the one write path unnoticed. Before
//! each write, copies of it with a bad value (a text too long or holding
//! NUL, a number out of range, a list too long: `request_limits.rs`) must
//! be refused with 422, and copies naming another version in `If-Match`
//! (412) or, where it is required, leaving it out (428) must be refused
//! too; none of them may write (the walk counts one audit entry).

use std::collections::BTreeSet;

use actix_web::{App, HttpResponse, HttpServer, web};
use kommunrapport::auth::Role;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::{both_databases, helpers::*, request_limits};

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
    /// Operations performed, as `METHOD /path` (the path as sent).
    done: BTreeSet<String>,
    /// The OpenAPI document.
    doc: Value,
    /// Bad values (see `request_limits`) and versions not refused as they
    /// should be.
    refused_wrongly: Vec<String>,
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
        let doc = app.client.get(app.url("/openapi.json")).returns(200).await;
        let mut walk = Walk {
            app,
            token,
            since: String::new(),
            audited: BTreeSet::new(),
            done: BTreeSet::new(),
            doc,
            refused_wrongly: Vec::new(),
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

    /// Performs `request` and checks that it wrote one audit entry and one
    /// change of `resource_type` for the resource whose id `id_of` takes
    /// from the answer. Returns the answer's body.
    async fn step(
        &mut self,
        request: RequestBuilder,
        resource_type: &str,
        id_of: impl Fn(&Value) -> String,
    ) -> Value {
        self.step_with(request, resource_type, |answer, _| id_of(answer))
            .await
    }

    /// [`Walk::step`] for a resource whose id only the new audit entries
    /// tell (`id_of` gets the answer and them).
    async fn step_with(
        &mut self,
        request: RequestBuilder,
        resource_type: &str,
        id_of: impl Fn(&Value, &[Value]) -> String,
    ) -> Value {
        let (client, request) = request.build_split();
        let request = request.unwrap();
        let operation = format!("{} {}", request.method(), request.url().path());
        let template = self.template(&operation);
        if let Some(schema) = request_limits::body_schema(&self.doc, &template) {
            let wrong =
                request_limits::refuses_bad_values(&client, &request, &self.doc, schema).await;
            self.refused_wrongly.extend(wrong);
        }
        let wrong = refuses_other_versions(&client, &request, &self.doc, &template).await;
        self.refused_wrongly.extend(wrong);
        let (status, answer) = body(client.execute(request).await.unwrap()).await;
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
        self.done.insert(operation);
        answer
    }

    /// `method path` with the JSON `body`, a step of `resource_type` whose
    /// id is the answer's.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Value,
        resource_type: &str,
    ) -> Value {
        let request = self.request(method, path).json(&body);
        self.step(request, resource_type, id).await
    }

    /// `POST path` with `body`: creates a `resource_type` and returns it.
    async fn create(&mut self, path: &str, body: Value, resource_type: &str) -> Value {
        self.send(Method::POST, path, body, resource_type).await
    }

    /// `PATCH path` of `current` with `body` and If-Match of its version.
    async fn patch(
        &mut self,
        path: &str,
        current: &Value,
        body: Value,
        resource_type: &str,
    ) -> Value {
        let request = self
            .request(Method::PATCH, path)
            .header("If-Match", etag(current))
            .json(&body);
        self.step(request, resource_type, id).await
    }

    /// `DELETE path` of `current` with If-Match of its version.
    async fn delete(&mut self, path: &str, current: &Value, resource_type: &str) {
        let request = self
            .request(Method::DELETE, path)
            .header("If-Match", etag(current));
        self.step(request, resource_type, fixed(&id(current))).await;
    }

    /// `PUT path` with `body`: writes what belongs to the resource `owner`.
    async fn put(&mut self, path: &str, body: Value, resource_type: &str, owner: &str) -> Value {
        let request = self.request(Method::PUT, path).json(&body);
        self.step(request, resource_type, fixed(owner)).await
    }

    /// `POST path` without a body: a workflow step of the answer.
    async fn post(&mut self, path: &str, resource_type: &str) -> Value {
        let request = self.request(Method::POST, path);
        self.step(request, resource_type, id).await
    }

    /// `GET path`'s body.
    async fn get(&self, path: &str) -> Value {
        self.request(Method::GET, path).returns(200).await
    }

    /// The write operations of the document, as `METHOD /path/{param}`.
    fn writes(&self) -> BTreeSet<String> {
        let mut writes = BTreeSet::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if matches!(method.as_str(), "post" | "put" | "patch" | "delete") {
                    writes.insert(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        writes
    }

    /// The write operation of the document (`METHOD /path/{param}`) that
    /// `done` (`METHOD /path` as sent) performs: the template that fits it
    /// with the most literal segments.
    fn template(&self, done: &str) -> String {
        self.writes()
            .into_iter()
            .filter(|t| fits(t, done))
            .max_by_key(|t| t.split('/').filter(|s| !s.starts_with('{')).count())
            .unwrap_or_else(|| panic!("{done} is no write operation of the document"))
    }
}

/// Whether `done` (`METHOD /api/v1/goals/0190…`) is an instance of
/// `template` (`METHOD /api/v1/goals/{id}`).
fn fits(template: &str, done: &str) -> bool {
    let (t, d): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), done.split('/').collect());
    t.len() == d.len()
        && t.iter()
            .zip(&d)
            .all(|(t, d)| t == d || (t.starts_with('{') && t.ends_with('}')))
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

/// Sends copies of `request` that the version guard must refuse, before
/// it: with `If-Match` naming a version the resource is not at (412), and,
/// where the document requires `If-Match`, without it (428). Returns the
/// answers that are not those.
async fn refuses_other_versions(
    client: &reqwest::Client,
    request: &reqwest::Request,
    doc: &Value,
    template: &str,
) -> Vec<String> {
    let operation = format!("{} {}", request.method(), request.url().path());
    let (method, path) = template.split_once(' ').unwrap();
    let parameters = doc["paths"][path][method.to_lowercase()]["parameters"].as_array();
    let required = parameters
        .into_iter()
        .flatten()
        .any(|p| p["name"] == "If-Match" && p["required"] == true);
    let given = request.headers().get("If-Match").filter(|v| *v != "*");
    let mut probes = Vec::new();
    if given.is_some() {
        probes.push((Some("\"999999999\""), 412, "another version"));
    }
    if required {
        probes.push((None, 428, "no If-Match"));
    }
    let mut wrong = Vec::new();
    for (if_match, expected, what) in probes {
        let mut probe = request.try_clone().unwrap();
        probe.headers_mut().remove("If-Match");
        if let Some(version) = if_match {
            probe
                .headers_mut()
                .insert("If-Match", version.parse().unwrap());
        }
        let (status, answer) = body(client.execute(probe).await.unwrap()).await;
        if status != expected {
            wrong.push(format!(
                "{operation} with {what}: {status} (not {expected}) {answer}"
            ));
        }
    }
    wrong
}

async fn every_write_is_audited_and_fed(backend: Backend) {
    let kolada = fake_kolada();
    // The production body limit: a list one item over its bound fits.
    let app = spawn_with(backend, |settings| {
        settings.kolada_base_url = kolada;
        settings.max_body_bytes = 4 * 1024 * 1024;
    })
    .await;
    let token = app.token(Role::Admin);
    let mut w = Walk::start(&app, token).await;
    use Method as M;

    // The kommun and its organisation.
    let kommun = w
        .create(
            "/api/v1/kommuner",
            json!({"code": "0483", "name": "Katrineholm"}),
            "kommun",
        )
        .await;
    // The feed of a kommun created in this test starts with its creation.
    let k = id(&kommun);
    let changed = json!({"name": "Katrineholms kommun"});
    w.patch(&format!("/api/v1/kommuner/{k}"), &kommun, changed, "kommun")
        .await;
    let von = json!({"code": "VON", "kind": "namnd", "name": "Vård- och omsorgsnämnden"});
    let von = w.create("/api/v1/namnder", von, "namnd").await;
    let n = id(&von);
    let path = format!("/api/v1/namnder/{n}");
    w.patch(
        &path,
        &von,
        json!({"name": "Vård- och omsorgsnämnd"}),
        "namnd",
    )
    .await;
    let spare = json!({"code": "X", "kind": "namnd", "name": "Spare"});
    let spare = w.create("/api/v1/namnder", spare, "namnd").await;
    w.delete(&format!("/api/v1/namnder/{}", id(&spare)), &spare, "namnd")
        .await;
    let year = json!({"kind": "helar", "year": 2024});
    let year = w.create("/api/v1/periods", year, "period").await;
    let p = id(&year);
    let closed = w
        .post(&format!("/api/v1/periods/{p}/close"), "period")
        .await;
    assert!(closed["closed_at"].is_string());
    w.post(&format!("/api/v1/periods/{p}/reopen"), "period")
        .await;
    let month = json!({"kind": "manad", "year": 2023, "number": 3});
    let month = w.create("/api/v1/periods", month, "period").await;
    w.delete(&format!("/api/v1/periods/{}", id(&month)), &month, "period")
        .await;

    // Money.
    let line =
        json!({"namnd_id": n, "kind": "drift", "code": "aldreomsorg", "name": "Äldreomsorg"});
    let line = w.create("/api/v1/budget-lines", line, "budget_line").await;
    let l = id(&line);
    let changed = json!({"name": "Äldreomsorgen"});
    let line = w
        .patch(
            &format!("/api/v1/budget-lines/{l}"),
            &line,
            changed,
            "budget_line",
        )
        .await;
    let values = json!({"values": [{"amount": -1650000, "measure": "utfall", "month": "2024-01"}]});
    let path = format!("/api/v1/budget-lines/{l}/values");
    w.put(&path, values, "budget_line_values", &l).await;
    let spare = json!({"namnd_id": n, "kind": "drift", "code": "spare", "name": "Spare"});
    let spare = w.create("/api/v1/budget-lines", spare, "budget_line").await;
    let path = format!("/api/v1/budget-lines/{}", id(&spare));
    w.delete(&path, &spare, "budget_line").await;
    assert_eq!(line["name"], "Äldreomsorgen");

    // Volumes and staff figures.
    let measure = json!({"namnd_id": n, "name": "Hemtjänsttimmar", "unit": "timmar",
        "aggregation": "snitt_per_manad"});
    let measure = w
        .create("/api/v1/volume-measures", measure, "volume_measure")
        .await;
    let m = id(&measure);
    let path = format!("/api/v1/volume-measures/{m}");
    let changed = json!({"unit": "timmar per månad"});
    w.patch(&path, &measure, changed, "volume_measure").await;
    let values = json!({"values": [{"kind": "utfall", "month": "2024-03", "value": 1234.5}]});
    let values_path = format!("/api/v1/volume-measures/{m}/values");
    w.put(&values_path, values, "volume_measure_values", &m)
        .await;
    let measure = w.get(&path).await;
    w.delete(&path, &measure, "volume_measure").await;
    let figure = json!({"namnd_id": n, "name": "Månadsanställda, antal", "unit": "antal",
        "year": 2024, "measured": "30-nov", "t": 1231, "k": 1012, "m": 219});
    let figure = w.create("/api/v1/key-figures", figure, "key_figure").await;
    let path = format!("/api/v1/key-figures/{}", id(&figure));
    let figure = w
        .patch(&path, &figure, json!({"t": 1232}), "key_figure")
        .await;
    w.delete(&path, &figure, "key_figure").await;

    // Goals, indicators and assignments.
    let area = json!({"name": "Trygg omsorg", "plan": "Kommunplan 2023-2026",
        "from_year": 2023, "to_year": 2026});
    let area = w.create("/api/v1/goal-areas", area, "goal_area").await;
    let a = id(&area);
    let path = format!("/api/v1/goal-areas/{a}");
    w.patch(&path, &area, json!({"to_year": 2027}), "goal_area")
        .await;
    let indicator = json!({"name": "Nöjdhet hemtjänst", "unit": "procent",
        "polarity": "hogre_ar_battre", "divided_by_gender": false});
    let indicator = w.create("/api/v1/indicators", indicator, "indicator").await;
    let i = id(&indicator);
    let path = format!("/api/v1/indicators/{i}");
    let changed = json!({"kolada_id": "U21468"});
    w.patch(&path, &indicator, changed, "indicator").await;
    let values = json!({"values": [{"gender": "T", "value": 80, "year": 2023}]});
    w.put(&format!("{path}/values"), values, "indicator_values", &i)
        .await;
    let riktvarden = json!({"riktvarden": [{"value": 85, "year": 2024}]});
    let kind = "indicator_riktvarden";
    w.put(&format!("{path}/riktvarden"), riktvarden, kind, &i)
        .await;
    let trend = json!({"trend": {"value": "oforandrad", "reason": "Inte säkerställt."}});
    let kind = "indicator_overrides";
    w.put(&format!("{path}/overrides/2024"), trend, kind, &i)
        .await;
    let goal = json!({"goal_area_id": a, "title": "Ökad nöjdhet", "kind": "kommun",
        "huvudansvar": n, "indicator_ids": [i], "target": {"year": 2024, "text": "Öka"}});
    let goal = w.create("/api/v1/goals", goal, "goal").await;
    let g = id(&goal);
    let path = format!("/api/v1/goals/{g}");
    w.patch(&path, &goal, json!({"agenda2030": [3]}), "goal")
        .await;
    let assignment = json!({"goal_area_id": a, "title": "Utveckla boendekedjan",
        "huvudansvar": n, "plan": "Kommunplan 2023-2026"});
    let assignment = w
        .create("/api/v1/assignments", assignment, "assignment")
        .await;
    let s = id(&assignment);
    let end = json!({"end_date": "2025-06-30"});
    let path = format!("/api/v1/assignments/{s}");
    w.patch(&path, &assignment, end, "assignment").await;

    // A report and its whole workflow.
    let report = json!({"namnd_id": n, "period_id": p, "type": "arsredovisning"});
    let report = w.create("/api/v1/reports", report, "report").await;
    let r = id(&report);
    // A section is named by its report and key; its id is internal.
    w.step_with(
        w.request(M::PUT, &format!("/api/v1/reports/{r}/sections/inledning"))
            .json(&json!({"body": "Under året har verksamheten …"})),
        "report_section",
        |_, entries: &[Value]| recorded(entries, &[("report_id", &r), ("key", "inledning")]),
    )
    .await;
    let drift = json!({"lines": [{"code": "forvaltningsgemensamt",
        "name": "Förvaltningsgemensamt", "values": [{"amount": -20790000,
        "measure": "utfall", "period": {"from": "2024-01", "to": "2024-12"}}]}]});
    let path = format!("/api/v1/reports/{r}/drift");
    w.put(&path, drift, "budget_table", &n).await;
    let plan = json!({"avvikelse": "Underskott hemtjänst", "atgard": "Översyn av planeringen"});
    let plans = format!("/api/v1/reports/{r}/action-plans");
    let plan = w.create(&plans, plan, "action_plan").await;
    let path = format!("{plans}/{}", id(&plan));
    let changed = json!({"avvikelse": "Underskott hemtjänst", "atgard": "Ny planering"});
    let plan = w.patch(&path, &plan, changed, "action_plan").await;
    w.delete(&path, &plan, "action_plan").await;
    w.step_with(
        w.request(M::PUT, &format!("/api/v1/reports/{r}/assessments/{g}"))
            .json(&json!({"bedomning": "gul", "comment": "Andelen ökar."})),
        "assessment",
        |_, entries: &[Value]| recorded(entries, &[("report_id", &r), ("goal_id", &g)]),
    )
    .await;
    let status = json!({"status": "paborjad", "comment": "Utredning klar."});
    w.step_with(
        w.request(
            M::PUT,
            &format!("/api/v1/reports/{r}/assignment-statuses/{s}"),
        )
        .json(&status),
        "assignment_status",
        |_, entries: &[Value]| recorded(entries, &[("report_id", &r), ("assignment_id", &s)]),
    )
    .await;
    let path = format!("/api/v1/reports/{r}");
    w.post(&format!("{path}/submit"), "report").await;
    let reason = json!({"reason": "Kommentera avvikelsen"});
    w.send(M::POST, &format!("{path}/return"), reason, "report")
        .await;
    w.post(&format!("{path}/submit"), "report").await;
    let decision = json!({"beslut_datum": "2025-02-27", "beslut_paragraf": "§ 22"});
    w.send(M::POST, &format!("{path}/approve"), decision, "report")
        .await;
    let reason = json!({"reason": "Rättelse"});
    let report = w
        .send(M::POST, &format!("{path}/reopen"), reason, "report")
        .await;
    // A decided report is kept; a draft that never was can go.
    w.request(M::DELETE, &path)
        .header("If-Match", etag(&report))
        .problem(409)
        .await;
    let draft = json!({"namnd_id": n, "period_id": p, "type": "plan"});
    let draft = w.create("/api/v1/reports", draft, "report").await;
    let path = format!("/api/v1/reports/{}", id(&draft));
    w.delete(&path, &draft, "report").await;

    // Imports.
    w.step(
        w.request(M::POST, "/api/v1/imports/flat")
            .header("Content-Type", "text/csv")
            .body(
                "namnd;line;month;measure;amount\r\nVON;hemtjanst;2024-03;utfall;-26241000,50\r\n",
            ),
        "budget_table",
        fixed(&n),
    )
    .await;
    let rows = json!({"rows": [{"namnd": "VON", "line": "hemtjanst", "name": "Hemtjänst",
        "month": "2024-04", "measure": "utfall", "amount": -25000000}]});
    let import = w.request(M::POST, "/api/v1/imports/flat").json(&rows);
    w.step(import, "budget_table", fixed(&n)).await;
    let mapping = json!({"name": "Raindance", "sie_dimensions": {"ansvar": 1},
        "rules": [{"match": {"ansvar": "11*"}, "target": {"namnd": "VON", "line": "aldreomsorg"}}]});
    let mapping = w
        .create("/api/v1/dimension-mappings", mapping, "dimension_mapping")
        .await;
    w.step(
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
    let path = format!("/api/v1/dimension-mappings/{}", id(&mapping));
    let changed = json!({"name": "Raindance 2"});
    let mapping = w.patch(&path, &mapping, changed, "dimension_mapping").await;
    w.delete(&path, &mapping, "dimension_mapping").await;
    // The process calendar.
    let deadline = json!({"period_id": p, "type": "arsredovisning",
        "kind": "underlag", "due_date": "2024-09-10"});
    let deadline = w.create("/api/v1/deadlines", deadline, "deadline").await;
    let path = format!("/api/v1/deadlines/{}", id(&deadline));
    let changed = json!({"due_date": "2024-09-12"});
    let deadline = w.patch(&path, &deadline, changed, "deadline").await;
    w.delete(&path, &deadline, "deadline").await;

    // Obligation rules.
    let rule = json!({"name": "Negativ avvikelse", "min_deviation_percent": 2, "within_days": 30});
    let rule = w
        .create("/api/v1/obligation-rules", rule, "obligation_rule")
        .await;
    let path = format!("/api/v1/obligation-rules/{}", id(&rule));
    let changed = json!({"within_days": 45});
    let rule = w.patch(&path, &rule, changed, "obligation_rule").await;
    w.delete(&path, &rule, "obligation_rule").await;

    // Webhooks: a subscription to everything has a delivery of its own
    // creation, which is replayed.
    let hook = json!({"url": "http://127.0.0.1:9/hook", "event_types": ["*"]});
    let hook = w.create("/api/v1/webhooks", hook, "webhook").await;
    let path = format!("/api/v1/webhooks/{}", id(&hook));
    let log = w.get(&format!("{path}/deliveries")).await;
    let delivery = id(&log["items"][0]);
    let replay = format!("{path}/deliveries/{delivery}/replay");
    w.post(&replay, "webhook_delivery").await;
    let changed = json!({"event_types": ["namnd", "report.approve"]});
    let hook = w.patch(&path, &hook, changed, "webhook").await;
    w.delete(&path, &hook, "webhook").await;
    // A calendar feed of one's own, revoked.
    let feed = json!({"name": "Outlook"});
    let feed = w
        .create("/api/v1/calendar-feeds", feed, "calendar_feed")
        .await;
    let path = format!("/api/v1/calendar-feeds/{}", id(&feed));
    w.delete(&path, &feed, "calendar_feed").await;
    let kolada = json!({"count": 1, "values": [{"kpi": "U21468", "municipality": "0483",
        "period": 2024, "values": [{"count": 1, "gender": "T", "status": "", "value": 83.0}]}]});
    let import = w.request(M::POST, "/api/v1/imports/kolada").json(&kolada);
    w.step(import, "indicator_values", fixed(&i)).await;
    let fetch = w.request(M::POST, "/api/v1/imports/kolada/fetch?years=2024");
    w.step(fetch, "indicator_values", fixed(&i)).await;
    let kpis = w
        .request(M::POST, "/api/v1/indicators/from-kolada")
        .json(&json!({"kpis": ["N00945"]}));
    w.step(kpis, "indicator", |answer| id(&answer["created"][0]))
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
    let sync = w.request(M::POST, "/api/v1/imports/kolada/sync");
    w.step_with(sync, "kolada_sync", sync_id).await;
    let group = json!({"comparison_group": {"id": "G124026", "name": "Liknande kommuner"}});
    let sync = w
        .request(M::PATCH, "/api/v1/imports/kolada/sync")
        .json(&group);
    w.step_with(sync, "kolada_sync", sync_id).await;

    // Deletes, of a plan structure nothing else refers to (the report's
    // goal and assignment stay: a decided report keeps what it showed).
    let area = json!({"name": "Spare", "plan": "Kommunplan 2023-2026",
        "from_year": 2023, "to_year": 2026});
    let area = w.create("/api/v1/goal-areas", area, "goal_area").await;
    let a = id(&area);
    let indicator = json!({"name": "Spare", "unit": "procent", "polarity": "hogre_ar_battre",
        "divided_by_gender": false});
    let indicator = w.create("/api/v1/indicators", indicator, "indicator").await;
    let i = id(&indicator);
    let goal = json!({"goal_area_id": a, "title": "Spare", "kind": "kommun",
        "huvudansvar": n, "indicator_ids": [i]});
    let goal = w.create("/api/v1/goals", goal, "goal").await;
    let assignment = json!({"goal_area_id": a, "title": "Spare", "huvudansvar": n,
        "plan": "Kommunplan 2023-2026"});
    let assignment = w
        .create("/api/v1/assignments", assignment, "assignment")
        .await;
    let path = format!("/api/v1/assignments/{}", id(&assignment));
    w.delete(&path, &assignment, "assignment").await;
    w.delete(&format!("/api/v1/goals/{}", id(&goal)), &goal, "goal")
        .await;
    w.delete(&format!("/api/v1/indicators/{i}"), &indicator, "indicator")
        .await;
    w.delete(&format!("/api/v1/goal-areas/{a}"), &area, "goal_area")
        .await;

    // Every write operation of the document has been walked.
    let writes = w.writes();
    let walked: BTreeSet<String> = w.done.iter().map(|done| w.template(done)).collect();
    let missing: Vec<&String> = writes.difference(&walked).collect();
    assert!(
        missing.is_empty(),
        "write operations without a step in write_walk: {missing:?}"
    );
    assert!(
        w.refused_wrongly.is_empty(),
        "bad values or versions not refused as they should be:\n{}",
        w.refused_wrongly.join("\n")
    );
}

both_databases!(every_write_is_audited_and_fed);
