//! Typed settings read from the environment. Secrets are never printed.

use std::fmt;

/// Development signing secret; accepted only with a loud warning.
pub const DEV_JWT_SECRET: &str = "kommunrapport-development-secret-do-not-use-in-production";

/// Default embedded database: an SQLite file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/kommunrapport.db?mode=rwc";

#[derive(Clone)]
pub struct JwtSettings {
    pub secret: String,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// True when the development default secret is in use.
    pub is_dev_default: bool,
    /// A JWKS file with the identity provider's public keys (RS256, ES256).
    pub jwks_file: Option<String>,
    /// Where the identity provider puts role, kommun and nämnder.
    pub claims: ClaimMapping,
}

/// Names of the claims that carry role, kommun and nämnder in tokens from an
/// identity provider (e.g. Entra ID puts roles in `roles`, an array).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimMapping {
    pub role: String,
    pub kommun: String,
    pub namnder: String,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        ClaimMapping {
            role: "role".into(),
            kommun: "kommun".into(),
            namnder: "namnder".into(),
        }
    }
}

impl fmt::Debug for JwtSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtSettings")
            .field("secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("is_dev_default", &self.is_dev_default)
            .field("jwks_file", &self.jwks_file)
            .field("claims", &self.claims)
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub bind_address: String,
    pub jwt: JwtSettings,
    pub run_migrations: bool,
    /// Load the demo data when `serve` starts on an empty embedded database.
    pub auto_seed_demo: bool,
    pub log_format: LogFormat,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Largest accepted file on the import endpoints (`/imports/...`), read
    /// incrementally; above it 413.
    pub max_import_bytes: usize,
    /// Requests per minute one principal (kommun and token subject) may make;
    /// 0 turns the limit off.
    pub rate_limit_per_minute: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

fn env_opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_bool(name: &str, default: bool) -> Result<bool, String> {
    match env_opt(name).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(format!("{name}: expected true or false, got {other:?}")),
    }
}

fn env_bytes(name: &str, default: usize) -> Result<usize, String> {
    match env_opt(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name}: expected a number of bytes, got {v:?}")),
    }
}

impl Settings {
    /// Reads every setting from the environment, with the documented defaults.
    pub fn from_env() -> Result<Self, String> {
        let (secret, is_dev_default) = match env_opt("JWT_SECRET") {
            Some(secret) if secret.len() < 32 => {
                return Err("JWT_SECRET must be at least 32 bytes long".into());
            }
            Some(secret) => (secret, false),
            None => (DEV_JWT_SECRET.to_string(), true),
        };
        let log_format = match env_opt("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(format!("LOG_FORMAT: expected text or json, got {other:?}")),
        };
        let max_body_bytes = env_bytes("MAX_BODY_BYTES", 4 * 1024 * 1024)?;
        let max_import_bytes = env_bytes("MAX_IMPORT_BYTES", 512 * 1024 * 1024)?;
        let rate_limit_per_minute = match env_opt("RATE_LIMIT_PER_MINUTE") {
            None => 1200,
            Some(v) => v
                .parse()
                .map_err(|_| format!("RATE_LIMIT_PER_MINUTE: expected a number, got {v:?}"))?,
        };
        Ok(Settings {
            rate_limit_per_minute,
            database_url: env_opt("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            bind_address: env_opt("BIND_ADDRESS").unwrap_or_else(|| "127.0.0.1:8080".into()),
            jwt: JwtSettings {
                secret,
                issuer: env_opt("JWT_ISSUER"),
                audience: env_opt("JWT_AUDIENCE"),
                is_dev_default,
                jwks_file: env_opt("JWKS_FILE"),
                claims: ClaimMapping {
                    role: env_opt("JWT_ROLE_CLAIM").unwrap_or_else(|| "role".into()),
                    kommun: env_opt("JWT_KOMMUN_CLAIM").unwrap_or_else(|| "kommun".into()),
                    namnder: env_opt("JWT_NAMNDER_CLAIM").unwrap_or_else(|| "namnder".into()),
                },
            },
            run_migrations: env_bool("RUN_MIGRATIONS", true)?,
            auto_seed_demo: env_bool("AUTO_SEED_DEMO", true)?,
            log_format,
            max_body_bytes,
            max_import_bytes,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}
