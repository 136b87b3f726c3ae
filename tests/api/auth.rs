use std::time::Duration;

use jsonwebtoken::{EncodingKey, Header, encode};
use kommunrapport::auth::{Claims, Role};
use serde_json::{Value, json};

use crate::{both_databases, helpers::*};

fn claims(kommun: &str, role: Role, exp_offset: i64) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: "x".into(),
        kommun: kommun.into(),
        role,
        namnder: vec![],
        exp: now + exp_offset,
        nbf: None,
        iat: Some(now),
        iss: None,
        aud: None,
    }
}

async fn bad_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.katrineholm().await;
    let path = "/api/v1/namnder";

    let no_token = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
    problem(no_token, 401).await;

    let expired = encode(
        &Header::default(),
        &claims("0483", Role::Admin, -3600),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let forged = encode(
        &Header::default(),
        &claims("0483", Role::Admin, 3600),
        &EncodingKey::from_secret(b"another-secret-another-secret-another"),
    )
    .unwrap();
    let unsigned = {
        // alg "none": header {"alg":"none","typ":"JWT"}, the claims, no signature.
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims("0483", Role::Admin, 3600)).unwrap());
        format!("{header}.{body}.")
    };
    for (what, token) in [
        ("expired", expired),
        ("forged", forged),
        ("alg none", unsigned),
        ("garbage", "abc.def.ghi".to_string()),
    ] {
        let response = app.get(path, &token).send().await.unwrap();
        let p = problem(response, 401).await;
        assert!(!p["detail"].as_str().unwrap().is_empty(), "{what}");
    }
    let basic = app
        .client
        .get(app.url(path))
        .header("Authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    problem(basic, 401).await;
}
both_databases!(bad_tokens_are_refused);

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
        let response = app.get("/api/v1/namnder", &token).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{role} reads");
    }
}
both_databases!(writes_need_admin_or_kommunledning);

async fn no_token_crosses_kommun(backend: Backend) {
    let app = spawn_app(backend).await;
    let katrineholm = app.katrineholm().await;
    let askersund = app.create_kommun("1882", "Askersunds kommun").await;
    let von = app.create_namnd(&katrineholm, "VON", "namnd").await;
    let id = von["id"].as_str().unwrap();

    // Askersund's admin neither sees nor touches Katrineholm's nämnd.
    problem(
        app.get(&format!("/api/v1/namnder/{id}"), &askersund)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let list: serde_json::Value = app
        .get("/api/v1/namnder", &askersund)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    problem(
        app.delete(&format!("/api/v1/namnder/{id}"), &askersund)
            .header("If-Match", "*")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    // Nor Katrineholm's kommun record.
    let kommuner: serde_json::Value = app
        .get("/api/v1/kommuner", &askersund)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(kommuner["items"].as_array().unwrap().len(), 1);
    assert_eq!(kommuner["items"][0]["code"], "1882");

    // Still intact for its owner.
    let (status, body) = body(
        app.get(&format!("/api/v1/namnder/{id}"), &katrineholm)
            .send()
            .await
            .unwrap(),
    )
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
    let url = fresh_database(Backend::Sqlite).await;
    let mut settings = test_settings(url);
    settings.rate_limit_per_minute = 5;
    let app = spawn_with_settings(Backend::Sqlite, settings).await;
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
    assert_eq!(
        app.get("/api/v1/namnder", &other)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
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
    let jwks_path = std::env::temp_dir().join(format!("jwks-{}.json", uuid::Uuid::now_v7()));
    std::fs::write(&jwks_path, json!({"keys": [jwk]}).to_string()).unwrap();
    let mut settings = test_settings(fresh_database(backend).await);
    settings.jwt.jwks_file = Some(jwks_path.display().to_string());
    settings.jwt.audience = Some("api://kommunrapport".into());
    settings.jwt.issuer = Some("https://login.example/tenant".into());
    // Entra ID style: roles in an array, kommun and nämnder in custom claims.
    settings.jwt.claims = kommunrapport::config::ClaimMapping {
        role: "roles".into(),
        kommun: "extn.kommun".into(),
        namnder: "extn.namnder".into(),
    };
    let mut hs_settings = settings.clone();
    hs_settings.jwt.jwks_file = None;
    let app = spawn_with_settings(backend, settings).await;
    // HS256 tokens keep working beside the identity provider's (with its iss and aud).
    let hs = kommunrapport::auth::TokenService::new(&hs_settings.jwt);
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
    assert_eq!(
        app.get("/api/v1/namnder", &good)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Kommunledning from the roles array may write structure.
    let created = app
        .post(
            "/api/v1/namnder",
            &good,
            &json!({"code": "VON", "name": "V", "kind": "namnd"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    // Key rotation: a key added to the JWKS is picked up when a token first names it.
    std::fs::write(
        &jwks_path,
        json!({"keys": [jwk_for_rotation, other_jwk]}).to_string(),
    )
    .unwrap();
    let rotated = app
        .get(
            "/api/v1/namnder",
            &es256_token(&other_key, "idp-2", &claims("api://kommunrapport")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), 200, "reloaded once for the unknown kid");

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
        let response = app.get("/api/v1/namnder", &token).send().await.unwrap();
        assert_eq!(response.status(), 401, "{what}");
    }
    // A token without a known role is refused.
    let mut no_role = claims("api://kommunrapport");
    no_role["roles"] = json!(["Other.Role"]);
    assert_eq!(
        app.get("/api/v1/namnder", &es256_token(&key, "idp-1", &no_role))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
both_databases!(identity_provider_tokens);
