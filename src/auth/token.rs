//! Signing (for local use: `kommunrapport token`) and validation of bearer
//! tokens: HS256 with the shared secret, and RS256/ES256 from an identity
//! provider whose public keys are in a JWKS file (reloaded, at most once a
//! minute, when a token names an unknown `kid`).

use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
    jwk::JwkSet,
};

use super::claims::{Claims, Role};
use crate::{
    config::{ClaimMapping, JwtSettings},
    domain::structure::KommunKod,
    error::ApiError,
};

/// The identity provider's keys, from a JWKS file.
struct Jwks {
    path: String,
    /// The keys and when the file was last reloaded for an unknown `kid`.
    keys: RwLock<(JwkSet, Option<Instant>)>,
}

impl Jwks {
    fn read(path: &str) -> Result<JwkSet, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("JWKS_FILE {path}: {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("JWKS_FILE {path}: {e}"))
    }

    /// The key for `kid`, reloading the file once (rate-limited) when unknown.
    fn key(&self, kid: &str) -> Option<DecodingKey> {
        let find = |set: &JwkSet| {
            set.find(kid)
                .and_then(|jwk| DecodingKey::from_jwk(jwk).ok())
        };
        if let Some(key) = self.keys.read().ok().and_then(|k| find(&k.0)) {
            return Some(key);
        }
        let mut guard = self.keys.write().ok()?;
        if guard
            .1
            .is_some_and(|at| at.elapsed() < Duration::from_secs(60))
        {
            return find(&guard.0);
        }
        match Self::read(&self.path) {
            Ok(set) => *guard = (set, Some(Instant::now())),
            Err(e) => {
                tracing::warn!(error = %e, "JWKS reload failed");
                guard.1 = Some(Instant::now());
            }
        }
        find(&guard.0)
    }
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
    /// Like [`TokenService::new`], and reads the JWKS file if one is configured.
    pub fn with_jwks(settings: &JwtSettings) -> Result<Self, String> {
        let mut service = Self::new(settings);
        if let Some(path) = &settings.jwks_file {
            let set = Jwks::read(path)?;
            service.jwks = Some(Arc::new(Jwks {
                path: path.clone(),
                keys: RwLock::new((set, None)),
            }));
        }
        Ok(service)
    }

    pub fn new(settings: &JwtSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_nbf = true;
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub"]);
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

    /// Validates signature, algorithm, exp, nbf and (when configured) iss and aud.
    pub fn validate(&self, token: &str) -> Result<Claims, ApiError> {
        let header = decode_header(token)
            .map_err(|_| ApiError::Unauthorized("the token is invalid".into()))?;
        match header.alg {
            Algorithm::HS256 => decode::<Claims>(token, &self.decoding, &self.validation)
                .map(|data| data.claims)
                .map_err(reject),
            Algorithm::RS256 | Algorithm::ES256 => self.validate_external(token, header),
            _ => Err(ApiError::Unauthorized(
                "the token's algorithm is not accepted".into(),
            )),
        }
    }

    /// A token of the identity provider: key by `kid`, claims mapped.
    fn validate_external(&self, token: &str, header: Header) -> Result<Claims, ApiError> {
        let unknown = || ApiError::Unauthorized("the token's signing key is not known".into());
        let jwks = self.jwks.as_ref().ok_or_else(unknown)?;
        let kid = header.kid.as_deref().ok_or_else(unknown)?;
        let key = jwks.key(kid).ok_or_else(unknown)?;
        let mut validation = self.validation.clone();
        validation.algorithms = vec![header.alg];
        let data = decode::<serde_json::Value>(token, &key, &validation).map_err(reject)?;
        map_claims(&data.claims, &self.claims)
    }
}

fn reject(e: jsonwebtoken::errors::Error) -> ApiError {
    use jsonwebtoken::errors::ErrorKind;
    let reason = match e.kind() {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet",
        ErrorKind::InvalidIssuer => "the token has the wrong issuer",
        ErrorKind::InvalidAudience => "the token has the wrong audience",
        ErrorKind::Json(_) | ErrorKind::MissingRequiredClaim(_) => {
            "the token's claims are incomplete or invalid"
        }
        _ => "the token is invalid",
    };
    ApiError::Unauthorized(reason.into())
}

/// An identity provider's claims as ours: role may be one string or an array
/// (the first known role counts); nämnder an array or a space-separated string.
fn map_claims(claims: &serde_json::Value, mapping: &ClaimMapping) -> Result<Claims, ApiError> {
    let invalid = |what: &str| {
        ApiError::Unauthorized(format!("the token's {what} claim is missing or invalid"))
    };
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
    .ok_or_else(|| invalid("role"))?;
    let namnder = match claims.get(&mapping.namnder) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let kommun = text(&mapping.kommun).ok_or_else(|| invalid("kommun"))?;
    KommunKod::parse(&kommun).map_err(|_| invalid("kommun"))?;
    Ok(Claims {
        sub: text("sub").ok_or_else(|| invalid("sub"))?,
        kommun,
        role,
        namnder,
        exp: claims
            .get("exp")
            .and_then(|v| v.as_i64())
            .ok_or_else(|| invalid("exp"))?,
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
            claims: Default::default(),
        })
    }

    #[test]
    fn issued_token_validates() {
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
        let claims = s.validate(&token).unwrap();
        assert_eq!(claims.role, Role::Redaktor);
        assert_eq!(claims.namnder, vec!["VON".to_string()]);
    }

    #[test]
    fn other_secret_is_refused() {
        let token = service()
            .issue("anna", Role::Admin, "0483", &[], Duration::from_secs(60))
            .unwrap();
        let other = TokenService::new(&JwtSettings {
            secret: "y".repeat(40),
            issuer: Some("kommunrapport".into()),
            audience: Some("api".into()),
            is_dev_default: false,
            jwks_file: None,
            claims: Default::default(),
        });
        assert!(matches!(
            other.validate(&token),
            Err(ApiError::Unauthorized(_))
        ));
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
