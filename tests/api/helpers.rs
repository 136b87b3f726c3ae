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
use sea_orm::{ConnectionTrait, Database};
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

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub tokens: TokenService,
    #[allow(dead_code)]
    pub backend: Backend,
    #[allow(dead_code)]
    pub database_url: String,
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

/// A fresh database URL for `backend`.
pub async fn fresh_database(backend: Backend) -> String {
    let name = format!("kr_test_{}", uuid::Uuid::now_v7().simple());
    match backend {
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
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin_url);
            format!("{base}/{name}")
        }
    }
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
        rate_limit_per_minute: 0,
        // Nothing listens here: no test reaches the real Kolada.
        kolada_base_url: "http://127.0.0.1:9".into(),
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let url = fresh_database(backend).await;
    spawn_with_settings(backend, test_settings(url)).await
}

pub async fn spawn_with_settings(backend: Backend, settings: Settings) -> TestApp {
    LazyLock::force(&TRACING);
    let database_url = settings.database_url.clone();
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        tokens: TokenService::new(&jwt_settings()),
        backend,
        database_url,
    }
}

impl TestApp {
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

    pub fn patch(&self, path: &str, token: &str, body: &Value) -> RequestBuilder {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
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

    /// Katrineholm with an admin token, ready for tests.
    pub async fn katrineholm(&self) -> String {
        self.create_kommun("0483", "Katrineholms kommun").await
    }
}

/// Status and JSON body of a response (Null when the body is empty).
pub async fn body(response: Response) -> (u16, Value) {
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
