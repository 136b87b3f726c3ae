//! Spawns the real application on a random port against SQLite or a fresh,
//! randomly named PostgreSQL database, with the real migrations.

use std::{
    sync::{
        Arc, LazyLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use kommunrapport::{
    auth::{Role, TokenService},
    config::{JwtSettings, LogFormat, Settings},
    startup::Application,
};
use reqwest::{Client, RequestBuilder, Response};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the test PostgreSQL server is; each test gets its own database on it.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        kommunrapport::telemetry::init(LogFormat::Text, std::io::stdout);
    } else {
        kommunrapport::telemetry::init(LogFormat::Text, std::io::sink);
    }
});

pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256-signing";

/// A database that exists for one test. Dropping the guard (when the test
/// ends, passed or panicked) drops the PostgreSQL database with `WITH
/// (FORCE)`, which ends the connections the application still holds, or
/// deletes the SQLite file with its `-wal`, `-shm` and `-journal` files.
pub struct TestDatabase {
    pub url: String,
    backend: Backend,
    name: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self.backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{}.db", self.name));
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    match std::fs::remove_file(&file) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            eprintln!("cannot delete {}: {e}", file.to_string_lossy())
                        }
                        _ => {}
                    }
                }
            }
            Backend::Postgres => {
                // Drop cannot await, and the test's runtime may be the one
                // calling it: a thread of its own with a runtime of its own.
                let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
                let dropped = std::thread::spawn(move || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?
                        .block_on(async {
                            let admin = Database::connect(postgres_admin_url())
                                .await
                                .map_err(|e| e.to_string())?;
                            let dropped = admin.execute_unprepared(&sql).await;
                            admin.close().await.ok();
                            dropped.map(|_| ()).map_err(|e| e.to_string())
                        })
                })
                .join();
                match dropped {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => eprintln!("cannot drop test database {}: {e}", self.name),
                    Err(_) => eprintln!("dropping test database {} panicked", self.name),
                }
            }
        }
    }
}

/// The application under test. Dropping it stops the server and then
/// removes its database (see [`TestDatabase`]).
pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub tokens: TokenService,
    #[allow(dead_code)]
    pub backend: Backend,
    /// The settings the application was built with.
    pub settings: Settings,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// What the application answered that the OpenAPI document does not
    /// describe (see `conformance.rs`).
    violations: crate::conformance::Violations,
    _database: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Dropping actix's server closes its listener and stops its workers,
        // so no request reaches the database that `_database` removes next.
        self.server.abort();
        // Answers that a test read without the helpers below are checked
        // here: the test fails unless it is failing already.
        let violations = self
            .violations
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default();
        if violations.is_empty() || std::thread::panicking() {
            return;
        }
        if !crate::conformance::strict() {
            eprintln!(
                "{} answer(s) not described by openapi/openapi.json:\n{}",
                violations.len(),
                violations.join("\n")
            );
        } else {
            panic!(
                "{} answer(s) not described by openapi/openapi.json:\n{}",
                violations.len(),
                violations.join("\n")
            );
        }
    }
}

pub fn jwt_settings() -> JwtSettings {
    JwtSettings {
        secret: SECRET.into(),
        issuer: None,
        audience: None,
        is_dev_default: false,
        jwks_file: None,
        jwks_url: None,
        claims: Default::default(),
    }
}

/// A fresh database for `backend`, removed when the guard is dropped. A
/// PostgreSQL database collates as Swedish (ICU `sv-SE`), as a kommun's
/// server may well be set up, not byte for byte as SQLite compares: an
/// order that depends on the collation differs between the two here.
pub async fn fresh_database(backend: Backend) -> TestDatabase {
    let name = format!("kr_test_{}", uuid::Uuid::now_v7().simple());
    let url = match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
                panic!("PostgreSQL at {admin_url} is needed for the tests: {e}")
            });
            admin
                .execute_unprepared(&format!(
                    "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'sv-SE' LOCALE 'C.UTF-8'"
                ))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin_url);
            format!("{base}/{name}")
        }
    };
    TestDatabase { url, backend, name }
}

pub fn test_settings(database_url: String) -> Settings {
    Settings {
        database_url,
        bind_address: "127.0.0.1:0".into(),
        jwt: jwt_settings(),
        run_migrations: true,
        auto_seed_demo: false,
        log_format: LogFormat::Text,
        max_body_bytes: 64 * 1024,
        max_import_bytes: 4 * 1024 * 1024,
        import_copy_from_rows: kommunrapport::config::DEFAULT_IMPORT_COPY_FROM_ROWS,
        read_cache_bytes: 64 * 1024 * 1024,
        rate_limit_per_minute: 0,
        // Nothing listens here: no test reaches the real Kolada.
        kolada_base_url: "http://127.0.0.1:9".into(),
        kolada_sync_interval: None,
        // The tests' receivers listen on 127.0.0.1.
        webhooks: kommunrapport::config::WebhookSettings {
            allow_private: true,
            ..Default::default()
        },
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_with(backend, |_| {}).await
}

/// The application on a fresh database, with the test settings changed by
/// `configure` (which may also point `database_url` at a proxy of it).
pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    LazyLock::force(&TRACING);
    let database = fresh_database(backend).await;
    let mut settings = test_settings(database.url.clone());
    configure(&mut settings);
    let violations = crate::conformance::Violations::default();
    let observer = crate::conformance::observer(violations.clone());
    let app = Application::build_observed(settings.clone(), Some(observer))
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        tokens: TokenService::new(&jwt_settings()),
        backend,
        settings,
        server,
        violations,
        _database: database,
    }
}

/// An application with the demo data loaded.
pub async fn demo_app(backend: Backend) -> TestApp {
    demo_app_with(backend, |_| {}).await
}

/// [`demo_app`] with the test settings changed by `configure`.
pub async fn demo_app_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let app = spawn_with(backend, configure).await;
    app.load_demo().await;
    app
}

impl TestApp {
    /// A connection of the test's own to the application's database.
    pub async fn db(&self) -> DatabaseConnection {
        kommunrapport::startup::connect(&self.settings.database_url)
            .await
            .expect("connect to the test database")
    }

    /// Loads the demo data through the service layer; returns how many
    /// reports it created.
    pub async fn load_demo(&self) -> usize {
        kommunrapport::demo::load(&self.db().await)
            .await
            .expect("load the demo data")
    }

    /// The id of the first item that `GET path` lists: a query in `path`
    /// picks the item, e.g. `/api/v1/periods?kind=helar&year=2024`.
    pub async fn id_of(&self, path: &str, token: &str) -> String {
        let (status, page) = body(self.get(path, token).send().await.expect("request")).await;
        assert_eq!(status, 200, "GET {path}: {page}");
        let item = &page["items"][0];
        assert!(item.is_object(), "GET {path} lists no item: {page}");
        id_of(item)
    }

    /// Each `GET path` of `cases` answers a problem with its status.
    pub async fn get_problems(&self, token: &str, cases: &[(&str, u16)]) {
        for (path, status) in cases {
            self.get(path, token).problem(*status).await;
        }
    }

    /// `GET path` carries the ETag of `version`, and a GET that sends it
    /// back in `If-None-Match` is a 304.
    pub async fn assert_etag(&self, path: &str, token: &str, version: i64) {
        let etag = format!("\"{version}\"");
        let response = self.get(path, token).send().await.expect("request");
        assert_eq!(response.headers()["etag"], etag.as_str());
        let again = self.get(path, token).header("If-None-Match", &etag);
        assert_eq!(again.status().await, 304);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A token for `role` in `kommun`, scoped to `namnder`.
    pub fn token_in(&self, kommun: &str, role: Role, namnder: &[&str]) -> String {
        let namnder: Vec<String> = namnder.iter().map(|s| s.to_string()).collect();
        self.tokens
            .issue(
                "test-user",
                role,
                kommun,
                &namnder,
                Duration::from_secs(600),
            )
            .expect("token")
    }

    pub fn token(&self, role: Role) -> String {
        self.token_in("0483", role, &[])
    }

    pub fn get(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(token)
    }

    pub fn post(&self, path: &str, token: &str, body: &Value) -> RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
    }

    pub fn put(&self, path: &str, token: &str, body: &Value) -> RequestBuilder {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
    }

    pub fn patch(&self, path: &str, token: &str, body: &Value) -> RequestBuilder {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
    }

    /// A POST of a file: `body` as it is, with its `content_type`.
    pub fn upload(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
    }

    pub fn delete(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.delete(self.url(path)).bearer_auth(token)
    }

    /// Creates kommun `code` as its admin and returns the admin token.
    pub async fn create_kommun(&self, code: &str, name: &str) -> String {
        let admin = self.token_in(code, Role::Admin, &[]);
        let response = self
            .post(
                "/api/v1/kommuner",
                &admin,
                &json!({"code": code, "name": name}),
            )
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "create kommun {code}");
        admin
    }

    /// Creates a nämnd and returns its JSON.
    pub async fn create_namnd(&self, token: &str, code: &str, kind: &str) -> Value {
        let body = json!({"code": code, "name": format!("Nämnd {code}"), "kind": kind});
        let response = self
            .post("/api/v1/namnder", token, &body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "create nämnd {code}");
        response.json().await.expect("json")
    }

    /// A period of `kind` (`helar`, `delar`) in `year`, created (201).
    pub async fn create_period(&self, token: &str, kind: &str, year: i32) -> Value {
        let body = serde_json::json!({"kind": kind, "year": year});
        self.post("/api/v1/periods", token, &body)
            .returns(201)
            .await
    }

    /// Katrineholm with an admin token, ready for tests.
    pub async fn katrineholm(&self) -> String {
        self.create_kommun("0483", "Katrineholms kommun").await
    }

    /// VON's Äldreomsorg: budget −1 000 000 for 2024, helårsprognos made in
    /// August −1 100 000 (10 % below budget).
    #[allow(dead_code)]
    pub async fn von_prognos_ten_percent_below_budget(&self, token: &str) {
        let rows = serde_json::json!({"rows": [
            {"namnd": "VON", "line": "aldreomsorg", "name": "Äldreomsorg", "kind": "drift",
             "measure": "budget", "period": {"from": "2024-01", "to": "2024-12"}, "amount": -1000000},
            {"namnd": "VON", "line": "aldreomsorg", "name": "Äldreomsorg", "kind": "drift",
             "measure": "prognos", "month": "2024-08", "amount": -1100000}]});
        self.post("/api/v1/imports/flat", token, &rows)
            .returns(200)
            .await;
    }

    /// The delår 2024 period and `namnd`'s delårsrapport for it.
    #[allow(dead_code)]
    pub async fn delarsrapport_2024(&self, token: &str, namnd: &Value) -> (Value, Value) {
        let period = self.create_period(token, "delar", 2024).await;
        let body = serde_json::json!({"namnd_id": namnd["id"], "period_id": period["id"],
            "type": "delarsrapport"});
        let report = self
            .post("/api/v1/reports", token, &body)
            .returns(201)
            .await;
        (period, report)
    }
}

/// The `"id"` of a JSON object: a created resource or an item of a list.
/// `value`, which must be a JSON array.
pub fn array(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
}

/// The text `field` of every element of the array `list`, in order.
pub fn texts<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    array(list)
        .iter()
        .map(|v| {
            v[field]
                .as_str()
                .unwrap_or_else(|| panic!("{field} is not text in {v}"))
        })
        .collect()
}

pub fn id_of(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_string()
}

/// Fails the test at once when the application found that `response` is
/// not described by the OpenAPI document (see `conformance.rs`).
pub fn conforms(response: &Response) {
    if !crate::conformance::strict() {
        return;
    }
    if let Some(violation) = response
        .headers()
        .get(kommunrapport::startup::CONFORMANCE_VIOLATION.as_str())
    {
        panic!(
            "{} {}: the answer is not described by openapi/openapi.json: {}",
            response.status(),
            response.url().path(),
            String::from_utf8_lossy(violation.as_bytes())
        );
    }
}

/// Status and JSON body of a response (Null when the body is empty).
pub async fn body(response: Response) -> (u16, Value) {
    conforms(&response);
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

/// Asserts a problem+json response with `status`, returning it.
pub async fn problem(response: Response, status: u16) -> Value {
    conforms(&response);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (actual, value) = body(response).await;
    assert_eq!(actual, status, "unexpected status; body: {value}");
    assert_eq!(content_type, "application/problem+json", "body: {value}");
    assert_eq!(value["status"], status);
    assert!(value["type"].is_string() && value["title"].is_string() && value["detail"].is_string());
    value
}

/// Sending a request and reading its answer in one call, as the tests do
/// with nearly every request.
pub trait Call {
    /// Status and JSON body of the response (see [`body`]).
    fn reply(self) -> impl Future<Output = (u16, Value)> + Send;
    /// The response as a problem+json with `status` (see [`problem`]).
    fn problem(self, status: u16) -> impl Future<Output = Value> + Send;
    /// The JSON body of the response, asserting its `status`.
    fn returns(self, status: u16) -> impl Future<Output = Value> + Send;
    /// The response as a 422 problem naming exactly `fields`, in order.
    fn invalid<S: AsRef<str> + Sync>(self, fields: &[S]) -> impl Future<Output = Value> + Send;
    /// The status of the response.
    fn status(self) -> impl Future<Output = u16> + Send;
    /// The body of the response as text, whatever its status.
    fn text(self) -> impl Future<Output = String> + Send;
    /// The request with `If-Match` for `version` (its ETag).
    fn if_match(self, version: impl std::fmt::Display) -> Self;
}

impl Call for RequestBuilder {
    async fn reply(self) -> (u16, Value) {
        body(self.send().await.expect("request")).await
    }

    async fn problem(self, status: u16) -> Value {
        problem(self.send().await.expect("request"), status).await
    }

    async fn returns(self, status: u16) -> Value {
        let (client, request) = self.build_split();
        let request = request.expect("request");
        let what = format!("{} {}", request.method(), request.url().path());
        let (actual, value) = body(client.execute(request).await.expect("request")).await;
        assert_eq!(actual, status, "{what}: {value}");
        value
    }

    async fn invalid<S: AsRef<str> + Sync>(self, fields: &[S]) -> Value {
        let (client, request) = self.build_split();
        let request = request.expect("request");
        let what = format!("{} {}", request.method(), request.url().path());
        let p = problem(client.execute(request).await.expect("request"), 422).await;
        let expected: Vec<&str> = fields.iter().map(AsRef::as_ref).collect();
        assert_eq!(error_fields(&p), expected, "{what}: {p}");
        p
    }

    async fn status(self) -> u16 {
        let response = self.send().await.expect("request");
        conforms(&response);
        response.status().as_u16()
    }

    fn if_match(self, version: impl std::fmt::Display) -> Self {
        self.header("If-Match", format!("\"{version}\""))
    }

    async fn text(self) -> String {
        let response = self.send().await.expect("request");
        conforms(&response);
        response.text().await.expect("body")
    }
}

/// The field names of a 422 problem.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs a test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both_databases {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await;
            }
        }
    };
}

/// A TCP proxy in front of PostgreSQL that a test can cut and restore, to
/// see the service lose and regain its database.
pub struct ToggleProxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    generation: tokio::sync::watch::Sender<u64>,
}

impl ToggleProxy {
    pub async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let flag = up.clone();
        let watch = generation.subscribe();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let mut cut = watch.clone();
                cut.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        ToggleProxy {
            port,
            up,
            generation,
        }
    }

    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}
