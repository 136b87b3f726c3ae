//! Signing (for local use: `kommunrapport token`) and validation of HS256
//! bearer tokens.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};

use super::claims::{Claims, Role};
use crate::{config::JwtSettings, domain::structure::KommunKod, error::ApiError};

#[derive(Clone)]
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
}

impl TokenService {
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
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
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
            })
    }
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
