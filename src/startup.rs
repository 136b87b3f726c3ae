//! Builds the application: database, state, routes and middleware.
//! `Application::build` binds the listener (port 0 in tests) before running.

use std::{
    net::TcpListener,
    sync::Arc,
    time::{Duration, Instant},
};

use actix_web::{
    App, HttpMessage, HttpResponse, HttpServer,
    body::MessageBody,
    dev::{Server, ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    middleware::{Condition, DefaultHeaders, Next, from_fn},
    web,
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use tracing::Instrument;
use utoipa_actix_web::AppExt;
use uuid::Uuid;

use crate::error::ServiceError;
use crate::{config::Settings, error::ApiError, state::AppState};

/// Connects with short timeouts so an unreachable database gives a quick
/// 503 rather than hanging requests; the pool reconnects by itself.
pub async fn connect(database_url: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let sqlite_dir = sqlite_file(database_url)
        .and_then(|path| std::path::Path::new(path).parent())
        .filter(|dir| !dir.as_os_str().is_empty());
    if let Some(dir) = sqlite_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| sea_orm::DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut options = ConnectOptions::new(database_url.to_string());
    // SQLite has one writer: a single connection serialises writes, and a
    // transaction abandoned on an error path is rolled back before the
    // connection is used again instead of holding the file lock meanwhile.
    let max_connections =
        if sqlite_file(database_url).is_some() || database_url.starts_with("sqlite:") {
            1
        } else {
            10
        };
    options
        .max_connections(max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(3))
        .acquire_timeout(Duration::from_secs(3))
        .sqlx_logging(false);
    Database::connect(options).await
}

/// The file path of an SQLite URL, if it names a file.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

pub struct Application {
    port: u16,
    server: Server,
    /// The webhook delivery worker; stops when the application is dropped.
    worker: Option<AbortOnDrop>,
    /// The process scheduler (deadlines passed, obligations created); as
    /// the worker.
    scheduler: Option<AbortOnDrop>,
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The background Kolada sync: every `interval`, each kommun with Kolada
/// ids in turn (each run claims the kommun's lease, so several instances
/// never sync one kommun at once). Runs beside the server and never holds
/// up a request; a failure is logged, recorded in the kommun's sync state
/// and retried at the next interval.
async fn kolada_sync_loop(state: web::Data<AppState>, interval: std::time::Duration) {
    use crate::service::kolada_sync;
    // The first run after one interval: starting the service stays quiet.
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let kommuner = match kolada_sync::kommuner_to_sync(&state.db).await {
            Ok(k) => k,
            Err(e) => {
                tracing::warn!(error = %e, "Kolada sync: cannot list the kommuner");
                continue;
            }
        };
        for kommun in kommuner {
            let actor = kolada_sync::background_actor(kommun.id);
            let request = kolada_sync::SyncRequest {
                base_url: &state.settings.kolada_base_url,
                kommun_id: kommun.id,
                kommun_code: &kommun.code,
                actor: &actor,
            };
            match kolada_sync::run(&state.db, &request).await {
                Ok(run) => tracing::info!(
                    kommun = %kommun.code,
                    rows_changed = run.state.last_rows_changed,
                    "Kolada sync done"
                ),
                Err(ServiceError::Conflict(_)) => {
                    tracing::debug!(kommun = %kommun.code, "Kolada sync runs elsewhere")
                }
                Err(e) => tracing::warn!(kommun = %kommun.code, error = %e, "Kolada sync failed"),
            }
        }
    }
}

/// One answer of the application as it leaves: what an [`Observer`] sees.
pub struct Answer<'a> {
    pub method: &'a str,
    /// The route pattern the path matched (`/api/v1/reports/{id}`); `None`
    /// for a path no route matches.
    pub pattern: Option<&'a str>,
    pub path: &'a str,
    pub status: u16,
    pub headers: &'a header::HeaderMap,
    /// The whole body of a JSON answer (`application/json`,
    /// `application/problem+json`); `None` for other content types, which
    /// are passed on as they stream.
    pub json_body: Option<&'a [u8]>,
}

/// Sees every answer before it is sent; an `Err` is a description of what
/// is wrong with it, sent along in the `X-Conformance-Violation` header.
/// The integration tests check each answer against the OpenAPI document
/// with one; the service itself runs without.
pub type Observer = Arc<dyn Fn(&Answer<'_>) -> Result<(), String> + Send + Sync>;

/// The header an [`Observer`]'s objection is sent in.
pub const CONFORMANCE_VIOLATION: HeaderName = HeaderName::from_static("x-conformance-violation");

impl Application {
    /// Connects, migrates (unless disabled) and binds. Tests pass a
    /// `BIND_ADDRESS` with port 0 and read the port back.
    pub async fn build(settings: Settings) -> Result<Self, String> {
        Self::build_observed(settings, None).await
    }

    /// [`Application::build`] with an [`Observer`] of every answer.
    pub async fn build_observed(
        settings: Settings,
        observer: Option<Observer>,
    ) -> Result<Self, String> {
        let db = connect(&settings.database_url)
            .await
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        if settings.run_migrations {
            Migrator::up(&db, None)
                .await
                .map_err(|e| format!("migrations failed: {e}"))?;
        }
        // Staging tables of imports that died with an earlier process.
        crate::service::import_stage::sweep_stale_on(&db).await;
        // A fresh embedded database starts with the demo data, so a newcomer
        // has real figures at once; PostgreSQL only when asked for.
        if settings.auto_seed_demo && settings.is_sqlite() {
            let empty = crate::demo::is_empty(&db)
                .await
                .map_err(|e| format!("demo data: {e}"))?;
            if empty {
                let created = crate::demo::load(&db)
                    .await
                    .map_err(|e| format!("demo data: {e}"))?;
                tracing::info!(
                    reports = created,
                    "loaded the demo data into the new embedded database"
                );
            }
        }
        let listener = TcpListener::bind(&settings.bind_address)
            .map_err(|e| format!("cannot bind {}: {e}", settings.bind_address))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        crate::api::common::set_cursor_secret(settings.jwt.secret.as_bytes());
        let worker = settings.webhooks.deliver.then(|| {
            AbortOnDrop(tokio::spawn(crate::service::webhooks::run_worker(
                db.clone(),
                settings.webhooks.clone(),
            )))
        });
        let scheduler = (settings.webhooks.process_events_ms > 0).then(|| {
            let interval = Duration::from_millis(settings.webhooks.process_events_ms);
            AbortOnDrop(tokio::spawn(crate::service::process_events::run_scheduler(
                db.clone(),
                interval,
            )))
        });
        let state = web::Data::new(AppState::new(db, settings).await?);
        if let Some(interval) = state.settings.kolada_sync_interval {
            tokio::spawn(kolada_sync_loop(state.clone(), interval));
        }
        let server = run(listener, state, observer).map_err(|e| e.to_string())?;
        Ok(Application {
            port,
            server,
            worker,
            scheduler,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // The worker lives as long as this future: stopping (or dropping)
        // the server stops delivery too.
        let _worker = self.worker;
        let _scheduler = self.scheduler;
        self.server.await
    }
}

/// How long a graceful stop (SIGTERM) waits for requests in flight, e.g. an
/// import, before it drops them. Each write is one transaction: a request
/// that finishes in time commits whole; one dropped (at this deadline, or at
/// once on SIGINT or SIGQUIT) never commits, and the database rolls it back
/// when its connection closes. Never a partial import.
const SHUTDOWN_TIMEOUT_SECS: u64 = 30;

fn run(
    listener: TcpListener,
    state: web::Data<AppState>,
    observer: Option<Observer>,
) -> std::io::Result<Server> {
    let max_body = state.settings.max_body_bytes;
    // The document is made once, before the workers start (the guard
    // learns from it which writes need If-Match).
    crate::api::openapi_bytes();
    crate::memory::release_freed();
    let server = HttpServer::new(move || {
        let app = crate::api::register(
            App::new()
                .into_utoipa_app()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(max_body))
                // Query strings are read by `ApiQuery`, which names the
                // parameter that fails; no handler extracts `web::Query`.
                .app_data(web::PathConfig::default().error_handler(|err, _| {
                    tracing::debug!(%err, "bad path parameter");
                    ApiError::Service(ServiceError::NotFound(format!("no such resource: {err}")))
                        .into()
                })),
        );
        // The document utoipa collected while registering is dropped.
        crate::memory::release_freed();
        app.configure(crate::api::docs)
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::Service(ServiceError::NotFound(
                    "no such endpoint; see /docs".into(),
                )))
            }))
            .wrap(from_fn(crate::api::query_text::layer))
            .wrap(from_fn(crate::api::revalidate::layer))
            .wrap(from_fn(crate::api::idempotency::layer))
            .wrap(from_fn(crate::api::guard::layer))
            .wrap(security_headers())
            .wrap(from_fn(trace_request))
            .app_data(ObserverSlot(observer.clone()))
            .wrap(Condition::new(observer.is_some(), from_fn(observe)))
    })
    .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
    .listen(listener)?
    .run();
    Ok(server)
}

/// The application's [`Observer`], if it has one.
#[derive(Clone)]
struct ObserverSlot(Option<Observer>);

/// Shows each answer to the [`Observer`] (outermost, so it sees the answer
/// as the client will). A JSON body is read whole first and sent on as read.
async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let observer = req
        .app_data::<ObserverSlot>()
        .and_then(|slot| slot.0.clone());
    let method = req.method().to_string();
    let path = req.path().to_string();
    let response = next.call(req).await?.map_into_boxed_body();
    let Some(observer) = observer else {
        return Ok(response);
    };
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().ends_with("json"));
    let (request, mut response) = response.into_parts();
    let body = if is_json {
        let (head, body) = response.into_parts();
        let bytes = actix_web::body::to_bytes(body)
            .await
            .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
        response = head.set_body(bytes.clone()).map_into_boxed_body();
        Some(bytes)
    } else {
        None
    };
    let pattern = request.match_pattern();
    let answer = Answer {
        method: &method,
        pattern: pattern.as_deref(),
        path: &path,
        status: response.status().as_u16(),
        headers: response.headers(),
        json_body: body.as_deref(),
    };
    if let Err(violation) = observer(&answer) {
        // A header value is one line of visible characters.
        let line: String = violation
            .chars()
            .map(|c| match c {
                c if c.is_ascii_graphic() => c,
                c if c.is_whitespace() => ' ',
                _ => '?',
            })
            .collect();
        if let Ok(value) = HeaderValue::from_str(&line) {
            response.headers_mut().insert(CONFORMANCE_VIOLATION, value);
        }
    }
    Ok(ServiceResponse::new(request, response))
}

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn accepted_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    let valid = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    valid.then(|| value.to_string())
}

/// One structured log line per request (method, route, status, latency,
/// request id), and `X-Request-Id` echoed. No headers or bodies are logged.
async fn trace_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = accepted_request_id(&req).unwrap_or_else(|| Uuid::now_v7().to_string());
    req.extensions_mut()
        .insert(crate::api::common::RequestId(request_id.clone()));
    let method = req.method().to_string();
    let started = Instant::now();
    // Everything logged while the request runs carries its id.
    let span = tracing::info_span!("request", request_id = %request_id);
    let result = next.call(req).instrument(span).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(mut response) => {
            let route = response
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".into());
            let status = response.status().as_u16();
            tracing::info!(
                request_id = %request_id, method = %method, route = %route, status,
                latency_ms = format_args!("{latency_ms:.2}"), "request"
            );
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                response.headers_mut().insert(REQUEST_ID, value);
            }
            Ok(response)
        }
        Err(err) => {
            tracing::info!(
                request_id = %request_id, method = %method, status = err.as_response_error().status_code().as_u16(),
                latency_ms = format_args!("{latency_ms:.2}"), "request failed"
            );
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use actix_web::{App, test, web};

    use super::*;
    use crate::{
        auth::{Principal, Role},
        config::{JwtSettings, LogFormat},
    };

    /// Collects everything the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut out) = self.0.lock() {
                out.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            self.0
                .lock()
                .map(|out| String::from_utf8_lossy(&out).into_owned())
                .unwrap_or_default()
        }
    }

    fn settings() -> Settings {
        Settings {
            database_url: "sqlite::memory:".into(),
            bind_address: "127.0.0.1:0".into(),
            jwt: JwtSettings {
                secret: "s".repeat(40),
                issuer: None,
                audience: None,
                is_dev_default: false,
                jwks_file: None,
                jwks_url: None,
                claims: Default::default(),
            },
            run_migrations: true,
            auto_seed_demo: false,
            log_format: LogFormat::Json,
            max_body_bytes: 1024,
            max_import_bytes: 4096,
            import_copy_from_rows: crate::config::DEFAULT_IMPORT_COPY_FROM_ROWS,
            read_cache_bytes: 1024 * 1024,
            rate_limit_per_minute: 0,
            kolada_base_url: "http://127.0.0.1:9".into(),
            kolada_sync_interval: None,
            webhooks: Default::default(),
        }
    }

    /// A token signed with the test secret, carrying personal claims an
    /// identity provider might add.
    fn token_with_personal_claims(secret: &str) -> String {
        let claims = serde_json::json!({
            "sub": "anna.andersson@katrineholm.se", "kommun": "0483", "role": "redaktor",
            "namnder": ["VON"], "name": "Anna Andersson", "email": "anna.andersson@katrineholm.se",
            "exp": chrono::Utc::now().timestamp() + 600,
        });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap_or_default()
    }

    #[actix_web::test]
    async fn the_log_holds_no_token_query_secret_or_personal_claim() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .json()
            .flatten_event(true)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let settings = settings();
        let good = token_with_personal_claims(&settings.jwt.secret);
        let forged = token_with_personal_claims(&"f".repeat(40));
        let db = connect(&settings.database_url).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let state = web::Data::new(AppState::new(db, settings).await.unwrap());
        let app = test::init_service(
            App::new()
                .app_data(state)
                .route(
                    "/probe",
                    web::get().to(|p: Principal| async move {
                        assert_eq!(p.role, Role::Redaktor);
                        HttpResponse::Ok().finish()
                    }),
                )
                .wrap(from_fn(trace_request)),
        )
        .await;
        for (token, status) in [(&good, 200), (&forged, 401)] {
            let request = test::TestRequest::get()
                .uri("/probe?access_token=query-secret-1234&page=2")
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
                .to_request();
            let response = test::call_service(&app, request).await;
            assert_eq!(response.status().as_u16(), status);
        }

        let log = captured.text();
        // The lines are there: one per request, and the refusal's reason at debug.
        assert!(
            log.contains(r#""route":"/probe""#) && log.contains(r#""status":200"#),
            "{log}"
        );
        assert!(log.contains(r#""status":401"#), "{log}");
        let refusal = log.lines().find(|l| l.contains("bearer token refused"));
        assert!(
            refusal.is_some_and(|l| l.contains("request_id")),
            "the refusal's reason is logged with the request id:\n{log}"
        );
        for secret in [
            good.as_str(),
            forged.as_str(),
            // A token's signature alone identifies it.
            good.rsplit('.').next().unwrap_or_default(),
            "query-secret-1234",
            "access_token",
            "anna.andersson",
            "Anna Andersson",
        ] {
            assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
        }
    }
}
