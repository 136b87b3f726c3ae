//! Signing (for local use: `kommunrapport token`) and validation of bearer
//! tokens: HS256 with the shared secret, and RS256/ES256 from an identity
//! provider whose public keys are in a JWKS file or at a JWKS URL (see
//! [`super::jwks`]).
//!
//! Every refusal looks the same from outside: one 401 body, and comparable
//! work (a token whose header cannot be read or whose `kid` is unknown is
//! still put through a signature check). Why a token was refused is logged
//! at debug level only, never with the token.

use std::{
    sync::{Arc, LazyLock},
    time::Duration,
};

use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};

use super::{
    claims::{Claims, Role, subject_problem},
    jwks::{Jwks, KeySource},
};
use crate::{
    config::{ClaimMapping, JwtSettings},
    domain::structure::KommunKod,
};

/// The one answer to every bad token.
pub const REFUSED: &str = "the bearer token is missing, expired or not valid";

/// A refused bearer token (missing, malformed, expired, badly signed):
/// one answer for every reason, [`REFUSED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", REFUSED)]
pub struct Refused;

/// Keys no token is signed with, to spend a verification on tokens that are
/// refused before their signature is looked at. Their results are discarded.
struct DummyKeys {
    hmac: DecodingKey,
    rsa: Option<DecodingKey>,
    ec: Option<DecodingKey>,
}

/// A 2048-bit RSA modulus and a P-256 point whose private keys were thrown away.
const DUMMY_RSA_N: &str = concat!(
    "0jE9rHP6JA74gxlhJRaQZBFArN-5e8FG250M6wq0gougRrbuiJqVCgDFGszVFkeQ",
    "B7_PW5CXmbgecrlcoyAw8R_O3U8EZ7aTkgHZ-cenJCxe1CBbqUI1AqBG9K3Jwh8v",
    "klUtTnXBavv7jnwDSRSYdBTLLwPgV8QUiD1kMQqTdjVGJemGOOWF8Nj5bOra0Ysn",
    "z-gr-ryAuQalfp7Wx04TroJq4eQ6_daGQLaqFGth1ACtGGfFHSSYrA2iIGiL-Iqb",
    "FzlvBG6tbHd1Ypew15ajRu8FYrLu9wTa6izZu150EMJio2yi04QJuqkqVKofzBFN",
    "d2Frwssw1JqflA4XVQYvgw",
);
const DUMMY_EC_X: &str = "35WHma-q14cb99gWd8QKOXbZLlU76rGuYfZzOVkAxLI";
const DUMMY_EC_Y: &str = "8W7WnUN_lRUSYh_SvqdAxXmPvlZzuwIArT_xenZkOUc";

static DUMMY: LazyLock<DummyKeys> = LazyLock::new(|| DummyKeys {
    hmac: DecodingKey::from_secret(b"kommunrapport-dummy-key-that-verifies-nothing"),
    rsa: DecodingKey::from_rsa_components(DUMMY_RSA_N, "AQAB").ok(),
    ec: DecodingKey::from_ec_components(DUMMY_EC_X, DUMMY_EC_Y).ok(),
});

/// Spends about what checking the signature of `token` would cost: an HMAC
/// over the token for tokens refused before verification.
fn spend_hmac(token: &str) {
    let _ = jsonwebtoken::crypto::verify("", token.as_bytes(), &DUMMY.hmac, Algorithm::HS256);
}

#[derive(Clone)]
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
    jwks: Option<Arc<Jwks>>,
    claims: ClaimMapping,
}

impl TokenService {
    /// Like [`TokenService::new`], with the identity provider's keys when a
    /// JWKS file or URL is configured. An unreadable file stops the start (a
    /// configuration error); an unreachable URL is logged and retried when
    /// the first identity-provider token arrives.
    pub async fn with_jwks(settings: &JwtSettings) -> Result<Self, String> {
        let mut service = Self::new(settings);
        let source = match (&settings.jwks_file, &settings.jwks_url) {
            (Some(_), Some(_)) => return Err("set JWKS_FILE or JWKS_URL, not both".into()),
            (Some(path), None) => KeySource::File(path.clone()),
            (None, Some(url)) => KeySource::url(url)?,
            (None, None) => return Ok(service),
        };
        // An identity provider signs tokens for many applications: without
        // both checks a token meant for another one would be accepted here.
        if settings.issuer.is_none() || settings.audience.is_none() {
            return Err(
                "JWKS_FILE and JWKS_URL need JWT_ISSUER and JWT_AUDIENCE: the identity \
                 provider's tokens must be checked for who issued them and whom they are for"
                    .into(),
            );
        }
        let is_file = matches!(source, KeySource::File(_));
        let jwks = Jwks::new(source);
        match jwks.load().await {
            Ok(count) => tracing::info!(keys = count, "JWKS loaded"),
            Err(e) if is_file => return Err(e),
            Err(e) => tracing::warn!(
                error = %e,
                "JWKS not available at start; identity-provider tokens are refused until it is"
            ),
        }
        service.jwks = Some(Arc::new(jwks));
        Ok(service)
    }

    pub fn new(settings: &JwtSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_nbf = true;
        validation.leeway = 30;
        // A configured issuer or audience must be in the token: the library
        // checks them only when present.
        let mut required = vec!["exp", "sub"];
        required.extend(settings.issuer.as_ref().map(|_| "iss"));
        required.extend(settings.audience.as_ref().map(|_| "aud"));
        validation.set_required_spec_claims(&required);
        match &settings.issuer {
            Some(iss) => validation.set_issuer(&[iss]),
            None => validation.iss = None,
        }
        match &settings.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        TokenService {
            encoding: EncodingKey::from_secret(settings.secret.as_bytes()),
            decoding: DecodingKey::from_secret(settings.secret.as_bytes()),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            jwks: None,
            claims: settings.claims.clone(),
        }
    }

    /// Issues a token, for local use and tests.
    pub fn issue(
        &self,
        subject: &str,
        role: Role,
        kommun: &str,
        namnder: &[String],
        ttl: Duration,
    ) -> Result<String, String> {
        KommunKod::parse(kommun).map_err(|e| format!("--kommun: {e}"))?;
        if let Some(problem) = subject_problem(subject) {
            return Err(format!("--sub: {problem}"));
        }
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).map_err(|_| "ttl too long".to_string())?;
        let claims = Claims {
            sub: subject.into(),
            kommun: kommun.into(),
            role,
            namnder: namnder.to_vec(),
            exp: now.saturating_add(ttl),
            nbf: Some(now),
            iat: Some(now),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// Validates signature, algorithm, exp, nbf and (when configured) iss and
    /// aud. Every refusal is the same 401; the reason goes to the debug log.
    pub async fn validate(&self, token: &str) -> Result<Claims, Refused> {
        let checked = self.check(token).await.and_then(|claims| {
            // Every token, ours or the identity provider's: the record keeps
            // the kommun and the subject, so they must fit it.
            if KommunKod::parse(&claims.kommun).is_err() {
                return Err("the token's kommun is not a kommunkod");
            }
            subject_problem(&claims.sub).map_or(Ok(claims), Err)
        });
        checked.map_err(|reason| {
            tracing::debug!(reason, "bearer token refused");
            Refused
        })
    }

    async fn check(&self, token: &str) -> Result<Claims, &'static str> {
        let Ok(header) = decode_header(token) else {
            spend_hmac(token);
            return Err("the token's header is not readable");
        };
        match header.alg {
            Algorithm::HS256 => decode::<Claims>(token, &self.decoding, &self.validation)
                .map(|data| data.claims)
                .map_err(reason),
            Algorithm::RS256 | Algorithm::ES256 => self.check_external(token, header).await,
            _ => {
                spend_hmac(token);
                Err("the token's algorithm is not accepted")
            }
        }
    }

    /// A token of the identity provider: key by `kid`, claims mapped. An
    /// unknown `kid` is still verified, against another key, so it takes as
    /// long as a bad signature.
    async fn check_external(&self, token: &str, header: Header) -> Result<Claims, &'static str> {
        let alg = header.alg;
        let mut validation = self.validation.clone();
        validation.algorithms = vec![alg];
        let key = match (&self.jwks, header.kid.as_deref()) {
            (Some(jwks), Some(kid)) => jwks.key(kid, alg).await,
            _ => None,
        };
        let Some(key) = key else {
            let stand_in = self.jwks.as_ref().and_then(|j| j.any_for(alg));
            let dummy = match alg {
                Algorithm::RS256 => DUMMY.rsa.as_ref(),
                _ => DUMMY.ec.as_ref(),
            };
            if let Some(key) = stand_in.as_ref().map(|k| &k.key).or(dummy) {
                let _ = decode::<serde_json::Value>(token, key, &validation);
            }
            return Err("the token's signing key is not known");
        };
        let data = decode::<serde_json::Value>(token, &key.key, &validation).map_err(reason)?;
        map_claims(&data.claims, &self.claims)
    }
}

/// Why the library refused a token, for the debug log.
fn reason(e: jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet",
        ErrorKind::InvalidIssuer => "the token has the wrong issuer",
        ErrorKind::InvalidAudience => "the token has the wrong audience",
        ErrorKind::InvalidSignature => "the token's signature is not valid",
        ErrorKind::InvalidAlgorithm => "the token's algorithm does not fit its key",
        ErrorKind::Json(_) | ErrorKind::MissingRequiredClaim(_) => {
            "the token's claims are incomplete or invalid"
        }
        _ => "the token is malformed",
    }
}

/// An identity provider's claims as ours: role may be one string or an array
/// (the first known role counts); nämnder an array or a space-separated string.
fn map_claims(claims: &serde_json::Value, mapping: &ClaimMapping) -> Result<Claims, &'static str> {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let role = match claims.get(&mapping.role) {
        Some(serde_json::Value::String(s)) => s.parse::<Role>().ok(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .find_map(|s| s.parse::<Role>().ok()),
        _ => None,
    }
    .ok_or("the token has no known role")?;
    let namnder = match claims.get(&mapping.namnder) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let kommun = text(&mapping.kommun).ok_or("the token has no kommun")?;
    Ok(Claims {
        sub: text("sub").ok_or("the token has no sub")?,
        kommun,
        role,
        namnder,
        exp: claims
            .get("exp")
            .and_then(|v| v.as_i64())
            .ok_or("the token has no exp")?,
        nbf: claims.get("nbf").and_then(|v| v.as_i64()),
        iat: claims.get("iat").and_then(|v| v.as_i64()),
        iss: text("iss"),
        aud: text("aud"),
    })
}

/// Parses `8h`, `30m`, `2d`, `3600s` or a bare number of seconds.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("invalid ttl {text:?}; use e.g. 8h, 30m, 2d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86400),
        _ => return Err(format!("invalid ttl unit in {text:?}; use s, m, h or d")),
    };
    if secs == 0 {
        return Err("ttl must be positive".into());
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> TokenService {
        TokenService::new(&JwtSettings {
            secret: "x".repeat(40),
            issuer: Some("kommunrapport".into()),
            audience: Some("api".into()),
            is_dev_default: false,
            jwks_file: None,
            jwks_url: None,
            claims: Default::default(),
        })
    }

    #[tokio::test]
    async fn identity_provider_keys_need_issuer_and_audience() {
        let mut settings = JwtSettings {
            secret: "x".repeat(40),
            issuer: None,
            audience: Some("api".into()),
            is_dev_default: false,
            jwks_file: None,
            jwks_url: Some("http://127.0.0.1:9/jwks".into()),
            claims: Default::default(),
        };
        assert!(TokenService::with_jwks(&settings).await.is_err());
        settings.issuer = Some("https://idp.test".into());
        // Port 9 refuses: logged, and the service still starts.
        assert!(TokenService::with_jwks(&settings).await.is_ok());
        settings.jwks_file = Some("/nonexistent/jwks.json".into());
        assert!(
            TokenService::with_jwks(&settings).await.is_err(),
            "both set"
        );
        settings.jwks_url = None;
        assert!(TokenService::with_jwks(&settings).await.is_err(), "no file");
    }

    #[test]
    fn the_dummy_keys_are_usable() {
        assert!(DUMMY.rsa.is_some() && DUMMY.ec.is_some());
    }

    #[tokio::test]
    async fn issued_token_validates() {
        let s = service();
        let token = s
            .issue(
                "anna",
                Role::Redaktor,
                "0483",
                &["VON".into()],
                Duration::from_secs(60),
            )
            .unwrap();
        let claims = s.validate(&token).await.unwrap();
        assert_eq!(claims.role, Role::Redaktor);
        assert_eq!(claims.namnder, vec!["VON".to_string()]);
    }

    #[tokio::test]
    async fn other_secret_is_refused() {
        let token = service()
            .issue("anna", Role::Admin, "0483", &[], Duration::from_secs(60))
            .unwrap();
        let other = TokenService::new(&JwtSettings {
            secret: "y".repeat(40),
            issuer: Some("kommunrapport".into()),
            audience: Some("api".into()),
            is_dev_default: false,
            jwks_file: None,
            jwks_url: None,
            claims: Default::default(),
        });
        assert!(matches!(other.validate(&token).await, Err(Refused)));
    }

    #[test]
    fn ttl_parsing() {
        assert_eq!(parse_ttl("8h").unwrap().as_secs(), 28800);
        assert_eq!(parse_ttl("90").unwrap().as_secs(), 90);
        assert!(parse_ttl("8x").is_err());
        assert!(parse_ttl("0h").is_err());
        assert!(parse_ttl("").is_err());
    }
}
