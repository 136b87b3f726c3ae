use std::time::Duration;

use jsonwebtoken::{EncodingKey, Header, encode};
use kommunrapport::auth::Role;
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

/// The one body every refused token gets: nothing in it says which check failed.
fn refused_body() -> String {
    format!(
        r#"{{"type":"/problems/unauthorized","title":"Authentication required","status":401,"detail":"{}","errors":[]}}"#,
        kommunrapport::auth::token::REFUSED
    )
}

/// The raw body of a 401 for `token`, with its `WWW-Authenticate`.
async fn refusal(app: &TestApp, token: &str) -> String {
    let response = app.get("/api/v1/namnder", token).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    response.text().await.unwrap()
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// A token with a made-up header and claims and no real signature.
fn unsigned(header: &str, claims: &Value) -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// An identity provider's keys in a JWKS file, holding `jwk` at first so a
/// test can rotate them; the file is deleted when this is dropped.
struct JwksFile(std::path::PathBuf);

impl JwksFile {
    fn new(jwk: &Value) -> Self {
        let path = std::env::temp_dir().join(format!("jwks-{}.json", uuid::Uuid::now_v7()));
        std::fs::write(&path, json!({"keys": [jwk]}).to_string()).unwrap();
        JwksFile(path)
    }

    fn setting(&self) -> Option<String> {
        Some(self.0.display().to_string())
    }
}

impl Drop for JwksFile {
    fn drop(&mut self) {
        std::fs::remove_file(&self.0).ok();
    }
}

async fn every_bad_token_gets_the_same_answer(backend: Backend) {
    let (key, jwk) = es256_key("idp-1");
    let (other_key, _) = es256_key("idp-2");
    let jwks = JwksFile::new(&jwk);
    let app = spawn_with(backend, |s| {
        s.jwt.jwks_file = jwks.setting();
        s.jwt.issuer = Some("kommunrapport".into());
        s.jwt.audience = Some("api".into());
    })
    .await;
    let secret = app.settings.jwt.secret.clone().into_bytes();

    let now = chrono::Utc::now().timestamp();
    let good = json!({"sub": "x", "kommun": "0483", "role": "admin", "exp": now + 600,
        "iss": "kommunrapport", "aud": "api"});
    let with = |field: &str, value: Value| {
        let mut claims = good.clone();
        claims[field] = value;
        claims
    };
    let without = |field: &str| {
        let mut claims = good.clone();
        claims.as_object_mut().unwrap().remove(field);
        claims
    };
    // The good claims are accepted with the right key: each variant below
    // differs in one thing only.
    for token in [hs256(&good, &secret), es256_token(&key, "idp-1", &good)] {
        assert_eq!(app.get("/api/v1/namnder", &token).status().await, 200);
    }
    let hs512 = encode(
        &Header::new(jsonwebtoken::Algorithm::HS512),
        &good,
        &EncodingKey::from_secret(&secret),
    )
    .unwrap();
    let variants = [
        (
            "forged signature",
            hs256(&good, b"another-secret-another-secret-another"),
        ),
        (
            "wrong audience",
            hs256(&with("aud", json!("other")), &secret),
        ),
        ("wrong issuer", hs256(&with("iss", json!("other")), &secret)),
        ("expired", hs256(&with("exp", json!(now - 3600)), &secret)),
        (
            "not valid yet",
            hs256(&with("nbf", json!(now + 3600)), &secret),
        ),
        (
            "unknown role",
            hs256(&with("role", json!("emperor")), &secret),
        ),
        ("no sub", hs256(&without("sub"), &secret)),
        ("empty sub", hs256(&with("sub", json!("")), &secret)),
        (
            "bad kommun",
            hs256(&with("kommun", json!("04831")), &secret),
        ),
        // The record keeps a subject of at most 200 characters.
        (
            "sub too long",
            hs256(&with("sub", json!("å".repeat(201))), &secret),
        ),
        (
            "idp sub too long",
            es256_token(&key, "idp-1", &with("sub", json!("å".repeat(201)))),
        ),
        ("no audience", hs256(&without("aud"), &secret)),
        ("no issuer", hs256(&without("iss"), &secret)),
        ("alg none", unsigned(r#"{"alg":"none","typ":"JWT"}"#, &good)),
        ("alg HS512", hs512),
        ("garbage", "abc.def.ghi".to_string()),
        ("not a JWT", "x".to_string()),
        (
            "idp forged signature",
            es256_token(&other_key, "idp-1", &good),
        ),
        ("idp unknown kid", es256_token(&other_key, "idp-9", &good)),
        ("idp no kid", {
            let header = Header::new(jsonwebtoken::Algorithm::ES256);
            encode(&header, &good, &key).unwrap()
        }),
        (
            "idp wrong audience",
            es256_token(&key, "idp-1", &with("aud", json!("other"))),
        ),
        (
            "idp wrong issuer",
            es256_token(&key, "idp-1", &with("iss", json!("other"))),
        ),
        (
            "idp expired",
            es256_token(&key, "idp-1", &with("exp", json!(now - 3600))),
        ),
        ("idp no role", es256_token(&key, "idp-1", &without("role"))),
        (
            "idp no audience",
            es256_token(&key, "idp-1", &without("aud")),
        ),
        // A kommun that is not a kommunkod; a real other kommun's token is
        // valid and meets 404s instead (no_token_crosses_kommun).
        (
            "idp bad kommun",
            es256_token(&key, "idp-1", &with("kommun", json!("04831"))),
        ),
        (
            "idp unsigned",
            unsigned(r#"{"alg":"ES256","kid":"idp-1"}"#, &good),
        ),
    ];
    for (what, token) in &variants {
        assert_eq!(refusal(&app, token).await, refused_body(), "{what}");
    }

    // No token, or not a bearer one: the same answer.
    for header in [None, Some("Basic YTpi"), Some("Bearer "), Some("Bearer")] {
        let mut request = app.client.get(app.url("/api/v1/namnder"));
        if let Some(value) = header {
            request = request.header("Authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{header:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(response.text().await.unwrap(), refused_body(), "{header:?}");
    }
}
both_databases!(every_bad_token_gets_the_same_answer);

async fn writes_need_admin_or_kommunledning(backend: Backend) {
    let app = spawn_app(backend).await;
    app.katrineholm().await;
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let token = app.token(role);
        let code = format!("N{i}");
        let response = app
            .post(
                "/api/v1/namnder",
                &token,
                &json!({"code": code, "name": "Test", "kind": "namnd"}),
            )
            .send()
            .await
            .unwrap();
        let expected = if matches!(role, Role::Admin | Role::Kommunledning) {
            201
        } else {
            403
        };
        assert_eq!(response.status().as_u16(), expected, "{role}");
        // Every role reads the structure of its own kommun.
        assert_eq!(
            app.get("/api/v1/namnder", &token).status().await,
            200,
            "{role} reads"
        );
    }
}
both_databases!(writes_need_admin_or_kommunledning);

async fn no_token_crosses_kommun(backend: Backend) {
    let app = spawn_app(backend).await;
    let katrineholm = app.katrineholm().await;
    let askersund = app.create_kommun("1882", "Askersunds kommun").await;
    let von = app.create_namnd(&katrineholm, "VON", "namnd").await;
    let id = id_of(&von);

    // Askersund's admin neither sees nor touches Katrineholm's nämnd.
    app.get(&format!("/api/v1/namnder/{id}"), &askersund)
        .problem(404)
        .await;
    let list: serde_json::Value = app.get("/api/v1/namnder", &askersund).returns(200).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let response = app
        .patch(
            &format!("/api/v1/namnder/{id}"),
            &askersund,
            &json!({"name": "Hacked"}),
        )
        .header("If-Match", "*")
        .send()
        .await
        .unwrap();
    problem(response, 404).await;
    app.delete(&format!("/api/v1/namnder/{id}"), &askersund)
        .header("If-Match", "*")
        .problem(404)
        .await;
    // Nor Katrineholm's kommun record.
    let kommuner: serde_json::Value = app.get("/api/v1/kommuner", &askersund).returns(200).await;
    assert_eq!(kommuner["items"].as_array().unwrap().len(), 1);
    assert_eq!(kommuner["items"][0]["code"], "1882");

    // Still intact for its owner.
    let (status, body) = app
        .get(&format!("/api/v1/namnder/{id}"), &katrineholm)
        .reply()
        .await;
    assert_eq!((status, body["name"].as_str()), (200, Some("Nämnd VON")));
}
both_databases!(no_token_crosses_kommun);

#[tokio::test]
async fn token_command_prints_only_a_valid_token() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kommunrapport"))
        .args([
            "token", "--role", "redaktor", "--kommun", "0483", "--namnd", "VON", "--ttl", "1h",
        ])
        .env("JWT_SECRET", SECRET)
        .output()
        .expect("run the binary");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let token = stdout.trim_end();
    assert_eq!(stdout.lines().count(), 1);
    let claims = kommunrapport::auth::TokenService::new(&jwt_settings())
        .validate(token)
        .await
        .unwrap();
    assert_eq!(
        (claims.role, claims.kommun.as_str(), claims.namnder.clone()),
        (Role::Redaktor, "0483", vec!["VON".to_string()])
    );
    assert!(
        claims.exp - chrono::Utc::now().timestamp() <= Duration::from_secs(3600).as_secs() as i64
    );

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_kommunrapport"))
        .args(["token", "--role", "emperor", "--kommun", "0483"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(bad.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_principal_over_its_rate_limit_gets_429() {
    let app = spawn_with(Backend::Sqlite, |s| s.rate_limit_per_minute = 5).await;
    let busy = app.token(Role::Lasare);
    // A window may roll over mid-test; within 12 requests the limit must bite.
    let mut limited = None;
    for _ in 0..12 {
        let response = app.get("/api/v1/namnder", &busy).send().await.unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let response = limited.expect("a 429 after five requests a minute");
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    problem(response, 429).await;
    // Another principal is not affected.
    let other = app
        .tokens
        .issue(
            "someone-else",
            Role::Lasare,
            "0483",
            &[],
            Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(app.get("/api/v1/namnder", &other).status().await, 200);
}

/// An ES256 key generated here, with its JWKS.
fn es256_key(kid: &str) -> (jsonwebtoken::EncodingKey, Value) {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use p256::{SecretKey, elliptic_curve::sec1::ToEncodedPoint, pkcs8::EncodePrivateKey};
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::now_v7().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::now_v7().as_bytes());
    bytes[0] = 0x42;
    let secret = SecretKey::from_slice(&bytes).unwrap();
    let der = secret.to_pkcs8_der().unwrap();
    let point = secret.public_key().to_encoded_point(false);
    let jwk = json!({"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()), "y": URL_SAFE_NO_PAD.encode(point.y().unwrap())});
    (jsonwebtoken::EncodingKey::from_ec_der(der.as_bytes()), jwk)
}

fn es256_token(key: &jsonwebtoken::EncodingKey, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.into());
    encode(&header, claims, key).unwrap()
}

async fn identity_provider_tokens(backend: Backend) {
    let (key, jwk) = es256_key("idp-1");
    let jwk_for_rotation = jwk.clone();
    let (other_key, other_jwk) = es256_key("idp-2");
    let jwks = JwksFile::new(&jwk);
    let app = spawn_with(backend, |s| {
        s.jwt.jwks_file = jwks.setting();
        s.jwt.audience = Some("api://kommunrapport".into());
        s.jwt.issuer = Some("https://login.example/tenant".into());
        // Entra ID style: roles in an array, kommun and nämnder in custom claims.
        s.jwt.claims = kommunrapport::config::ClaimMapping {
            role: "roles".into(),
            kommun: "extn.kommun".into(),
            namnder: "extn.namnder".into(),
        };
    })
    .await;
    let mut hs_settings = app.settings.jwt.clone();
    hs_settings.jwks_file = None;
    // HS256 tokens keep working beside the identity provider's (with its iss and aud).
    let hs = kommunrapport::auth::TokenService::new(&hs_settings);
    let admin = hs
        .issue("boot", Role::Admin, "0483", &[], Duration::from_secs(60))
        .unwrap();
    app.post(
        "/api/v1/kommuner",
        &admin,
        &json!({"code": "0483", "name": "Katrineholm"}),
    )
    .send()
    .await
    .unwrap();

    let now = chrono::Utc::now().timestamp();
    let claims = |aud: &str| {
        json!({"sub": "anna@katrineholm.se", "roles": ["Other.Role", "kommunledning"], "extn.kommun": "0483",
        "extn.namnder": ["VON"], "exp": now + 600, "iss": "https://login.example/tenant", "aud": aud})
    };
    let good = es256_token(&key, "idp-1", &claims("api://kommunrapport"));
    assert_eq!(app.get("/api/v1/namnder", &good).status().await, 200);
    // Kommunledning from the roles array may write structure.
    assert_eq!(
        app.post(
            "/api/v1/namnder",
            &good,
            &json!({"code": "VON", "name": "V", "kind": "namnd"}),
        )
        .status()
        .await,
        201
    );

    // Key rotation: a key added to the JWKS is picked up when a token first names it.
    std::fs::write(
        &jwks.0,
        json!({"keys": [jwk_for_rotation, other_jwk]}).to_string(),
    )
    .unwrap();
    assert_eq!(
        app.get(
            "/api/v1/namnder",
            &es256_token(&other_key, "idp-2", &claims("api://kommunrapport")),
        )
        .status()
        .await,
        200,
        "reloaded once for the unknown kid"
    );

    let mut expired = claims("api://kommunrapport");
    expired["exp"] = json!(now - 3600);
    for (what, token) in [
        (
            "wrong audience",
            es256_token(&key, "idp-1", &claims("api://other")),
        ),
        (
            "unknown kid",
            es256_token(&other_key, "idp-9", &claims("api://kommunrapport")),
        ),
        (
            "key of another kid",
            es256_token(&other_key, "idp-1", &claims("api://kommunrapport")),
        ),
        ("expired", es256_token(&key, "idp-1", &expired)),
    ] {
        assert_eq!(
            app.get("/api/v1/namnder", &token).status().await,
            401,
            "{what}"
        );
    }
    // A token without a known role is refused.
    let mut no_role = claims("api://kommunrapport");
    no_role["roles"] = json!(["Other.Role"]);
    assert_eq!(
        app.get("/api/v1/namnder", &es256_token(&key, "idp-1", &no_role))
            .status()
            .await,
        401
    );
}
both_databases!(identity_provider_tokens);

/// A JWKS endpoint for one test, on 127.0.0.1: answers (after 200 ms) with
/// the status and body it holds at the moment, and counts its hits.
struct KeyServer {
    url: String,
    reply: std::sync::Arc<std::sync::Mutex<(u16, String)>>,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl KeyServer {
    fn start(status: u16, body: String) -> Self {
        use actix_web::{HttpResponse, web};
        let reply = std::sync::Arc::new(std::sync::Mutex::new((status, body)));
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (shared_reply, shared_hits) = (reply.clone(), hits.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let server = actix_web::HttpServer::new(move || {
            let (reply, hits) = (shared_reply.clone(), shared_hits.clone());
            actix_web::App::new().route(
                "/jwks",
                web::get().to(move || {
                    let (reply, hits) = (reply.clone(), hits.clone());
                    async move {
                        hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        // Slow enough that a burst of requests overlaps the fetch.
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        let (status, body) = reply.lock().unwrap().clone();
                        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                            .content_type("application/json")
                            .body(body)
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        KeyServer { url, reply, hits }
    }

    fn serve(&self, status: u16, body: String) {
        *self.reply.lock().unwrap() = (status, body);
    }

    fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

fn idp_claims() -> Value {
    json!({"sub": "idp-user", "role": "revisor", "kommun": "0483",
        "exp": chrono::Utc::now().timestamp() + 600, "iss": "https://idp.test", "aud": "api"})
}

/// The application with its keys at `url`, Katrineholm created, and an
/// HS256 token service with its issuer and audience.
async fn spawn_with_jwks_url(
    backend: Backend,
    url: &str,
) -> (TestApp, kommunrapport::auth::TokenService) {
    let app = spawn_with(backend, |s| {
        s.jwt.jwks_url = Some(url.to_string());
        s.jwt.issuer = Some("https://idp.test".into());
        s.jwt.audience = Some("api".into());
    })
    .await;
    let hs = kommunrapport::auth::TokenService::new(&app.settings.jwt);
    let admin = hs
        .issue("boot", Role::Admin, "0483", &[], Duration::from_secs(60))
        .unwrap();
    assert_eq!(
        app.post(
            "/api/v1/kommuner",
            &admin,
            &json!({"code": "0483", "name": "Katrineholm"}),
        )
        .status()
        .await,
        201
    );
    (app, hs)
}

async fn status_with(app: &TestApp, token: &str) -> u16 {
    app.get("/api/v1/namnder", token).status().await
}

async fn jwks_url_is_cached_and_reloaded_once_per_unknown_kid(backend: Backend) {
    let (key_a, jwk_a) = es256_key("a");
    let (key_b, jwk_b) = es256_key("b");
    let idp = KeyServer::start(200, json!({"keys": [jwk_a.clone()]}).to_string());
    let (app, _) = spawn_with_jwks_url(backend, &idp.url).await;
    let token_a = es256_token(&key_a, "a", &idp_claims());
    for _ in 0..3 {
        assert_eq!(status_with(&app, &token_a).await, 200);
    }
    assert_eq!(idp.hits(), 1, "fetched at start, then the cache");

    // Rotation: a burst of tokens with the new kid causes one fetch.
    idp.serve(200, json!({"keys": [jwk_a, jwk_b]}).to_string());
    let token_b = es256_token(&key_b, "b", &idp_claims());
    let burst: Vec<_> = (0..8)
        .map(|_| {
            let request = app.get("/api/v1/namnder", &token_b);
            tokio::spawn(async move { request.status().await })
        })
        .collect();
    for request in burst {
        assert_eq!(request.await.unwrap(), 200);
    }
    assert_eq!(idp.hits(), 2, "one shared reload for the burst");

    // Another unknown kid within the minute: refused without a fetch.
    let token_c = es256_token(&key_b, "c", &idp_claims());
    assert_eq!(refusal(&app, &token_c).await, refused_body());
    assert_eq!(idp.hits(), 2, "reloads are at most once a minute");
    assert_eq!(status_with(&app, &token_a).await, 200);
}
both_databases!(jwks_url_is_cached_and_reloaded_once_per_unknown_kid);

async fn a_jwks_url_down_at_start_is_retried_on_demand(backend: Backend) {
    let (key, jwk) = es256_key("a");
    // The identity provider is down when the service starts: it starts anyway.
    let idp = KeyServer::start(503, "down".into());
    let (app, _) = spawn_with_jwks_url(backend, &idp.url).await;
    assert_eq!(idp.hits(), 1, "tried at start");
    idp.serve(200, json!({"keys": [jwk]}).to_string());
    let token = es256_token(&key, "a", &idp_claims());
    assert_eq!(status_with(&app, &token).await, 200);
    assert_eq!(status_with(&app, &token).await, 200);
    assert_eq!(idp.hits(), 2, "fetched for the first token, then cached");
}
both_databases!(a_jwks_url_down_at_start_is_retried_on_demand);

async fn a_jwks_url_serving_no_key_set_is_refused_gracefully(backend: Backend) {
    let (key, _) = es256_key("a");
    let idp = KeyServer::start(200, "<html>sign in</html>".into());
    let (app, hs) = spawn_with_jwks_url(backend, &idp.url).await;
    let token = es256_token(&key, "a", &idp_claims());
    for _ in 0..3 {
        assert_eq!(refusal(&app, &token).await, refused_body());
    }
    assert_eq!(
        idp.hits(),
        2,
        "at start, then one retry for the first token"
    );
    // HS256 tokens are not affected.
    let lasare = hs
        .issue("l", Role::Lasare, "0483", &[], Duration::from_secs(60))
        .unwrap();
    assert_eq!(status_with(&app, &lasare).await, 200);
}
both_databases!(a_jwks_url_serving_no_key_set_is_refused_gracefully);

async fn import_csv(app: &TestApp, token: &str, csv: &str) -> u16 {
    app.upload(
        "/api/v1/imports/flat",
        token,
        "text/csv; charset=utf-8",
        csv.to_string(),
    )
    .status()
    .await
}

async fn line_codes(app: &TestApp, namnd: &str) -> Vec<String> {
    let (_, list) = app
        .get(
            &format!("/api/v1/budget-lines?namnd={namnd}&limit=500"),
            &app.token(Role::Admin),
        )
        .reply()
        .await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["code"].as_str().map(String::from))
        .collect()
}

async fn an_integration_naming_namnder_writes_only_their_figures(backend: Backend) {
    let app = demo_app(backend).await;
    let header = "namnd;line;month;measure;amount\r\n";
    let row = |namnd: &str, line: &str| format!("{namnd};{line};2025-01;budget;-100\r\n");

    let von_feed = app.token_in("0483", Role::Integration, &["VON"]);
    assert_eq!(
        import_csv(&app, &von_feed, &format!("{header}{}", row("VON", "feed"))).await,
        200
    );
    assert_eq!(
        import_csv(&app, &von_feed, &format!("{header}{}", row("SOCN", "feed"))).await,
        403
    );
    // One other nämnd's row refuses the whole file: nothing of it is stored.
    let mixed = format!("{header}{}{}", row("VON", "mixed"), row("SOCN", "mixed"));
    assert_eq!(import_csv(&app, &von_feed, &mixed).await, 403);
    assert!(line_codes(&app, "VON").await.contains(&"feed".to_string()));
    assert!(!line_codes(&app, "VON").await.contains(&"mixed".to_string()));
    // Indicator values are the kommun's: a narrowed integration still imports them.
    let kolada = json!({"values": [{"kpi": "U21468", "municipality": "0483", "period": 2024,
        "values": [{"gender": "T", "value": 83.0, "status": "", "count": 1}]}], "count": 1});
    assert_eq!(
        app.post("/api/v1/imports/kolada?dry_run=true", &von_feed, &kolada)
            .status()
            .await,
        200
    );

    // Without the claim an integration writes every nämnd's figures.
    let kommun_wide = app.token_in("0483", Role::Integration, &[]);
    assert_eq!(import_csv(&app, &kommun_wide, &mixed).await, 200);
    assert!(
        line_codes(&app, "SOCN")
            .await
            .contains(&"mixed".to_string())
    );
}
both_databases!(an_integration_naming_namnder_writes_only_their_figures);

/// A subject of 200 characters (the most a token's sub may have: longer
/// ones are refused like any bad token, see above) writes and is recorded
/// whole; the token command refuses to issue a longer one.
async fn a_subject_fits_the_record(backend: Backend) {
    let app = spawn_app(backend).await;
    app.katrineholm().await;
    let issue = |subject: &str| {
        let ttl = Duration::from_secs(600);
        app.tokens.issue(subject, Role::Admin, "0483", &[], ttl)
    };
    let longest = "å".repeat(200);
    let token = issue(&longest).unwrap();
    let body = json!({"code": "LONG", "name": "Test", "kind": "namnd"});
    app.post("/api/v1/namnder", &token, &body)
        .returns(201)
        .await;
    let audit = app
        .get("/api/v1/audit?limit=500", &token)
        .returns(200)
        .await;
    let newest = audit["items"].as_array().unwrap().last().unwrap();
    assert_eq!(newest["principal"], longest.as_str());
    let refused = issue(&"å".repeat(201)).unwrap_err();
    assert_eq!(
        refused,
        "--sub: the token's sub is longer than 200 characters"
    );
}
both_databases!(a_subject_fits_the_record);
