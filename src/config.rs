//! Typed settings read from the environment. Secrets are never printed.

use std::fmt;

/// Development signing secret; accepted only with a loud warning.
pub const DEV_JWT_SECRET: &str = "kommunrapport-development-secret-do-not-use-in-production";

/// Default embedded database: an SQLite file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/kommunrapport.db?mode=rwc";
/// Rows of a flat import from which PostgreSQL receives its values by
/// `COPY` (below, multi-row statements pay better).
pub const DEFAULT_IMPORT_COPY_FROM_ROWS: usize = 5000;

#[derive(Clone)]
pub struct JwtSettings {
    pub secret: String,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// True when the development default secret is in use.
    pub is_dev_default: bool,
    /// A JWKS file with the identity provider's public keys (RS256, ES256).
    pub jwks_file: Option<String>,
    /// Or the URL the identity provider publishes them at (https, or http on
    /// a loopback address).
    pub jwks_url: Option<String>,
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
            .field("jwks_url", &self.jwks_url.as_deref().map(redacted_url))
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
    /// From this many rows on, a flat import on PostgreSQL sends its values
    /// with `COPY` through a staging table (`IMPORT_COPY_FROM_ROWS`).
    pub import_copy_from_rows: usize,
    /// Bytes of computed answers (whole reports, tables, views, documents)
    /// kept until their kommun changes (`READ_CACHE_BYTES`); 0: none kept.
    pub read_cache_bytes: usize,
    /// Requests per minute one principal (kommun and token subject) may make;
    /// 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Where `POST /imports/kolada/fetch` and the Kolada sync fetch Kolada
    /// v3 data from (no trailing slash): the real Kolada or a compatible
    /// mirror.
    pub kolada_base_url: String,
    /// How often the background Kolada sync runs for every kommun with
    /// Kolada ids (`KOLADA_SYNC_INTERVAL_SECS`); None (the default, or 0):
    /// never, only `POST /imports/kolada/sync`.
    pub kolada_sync_interval: Option<std::time::Duration>,
    /// How webhook deliveries are sent and retried.
    pub webhooks: WebhookSettings,
}

/// Delivery of webhooks (see `service::webhooks`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Whether this instance runs the delivery worker.
    pub deliver: bool,
    /// How often the worker looks for due deliveries when no commit wakes it.
    pub poll_ms: u64,
    /// The wait after the first failed attempt; doubled after each further one.
    pub retry_base_ms: u64,
    /// The longest wait between two attempts.
    pub retry_max_ms: u64,
    /// A subscription failing for this long (seconds) is disabled.
    pub disable_after_secs: u64,
    /// How long one attempt may take (and a claim lasts, doubled).
    pub timeout_ms: u64,
    /// Whether webhooks may go to loopback and private addresses
    /// (`WEBHOOK_ALLOW_PRIVATE`): a relay on the same machine or network,
    /// tests. Off, a webhook is sent only to public addresses.
    pub allow_private: bool,
    /// How often the process scheduler looks for deadlines that passed and
    /// obligations that came into being (`PROCESS_EVENTS_INTERVAL_MS`);
    /// 0: never (another instance announces them).
    pub process_events_ms: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            deliver: true,
            poll_ms: 1000,
            retry_base_ms: 5000,
            retry_max_ms: 3_600_000,
            disable_after_secs: 5 * 86_400,
            timeout_ms: 10_000,
            allow_private: false,
            process_events_ms: 60_000,
        }
    }
}

fn env_u64(name: &str, default: u64) -> Result<u64, String> {
    match env_opt(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name}: expected a whole number, got {v:?}")),
    }
}

impl WebhookSettings {
    fn from_env() -> Result<Self, String> {
        let d = WebhookSettings::default();
        Ok(WebhookSettings {
            deliver: env_bool("WEBHOOK_DELIVERY", d.deliver)?,
            poll_ms: env_u64("WEBHOOK_POLL_MS", d.poll_ms)?.max(10),
            retry_base_ms: env_u64("WEBHOOK_RETRY_BASE_MS", d.retry_base_ms)?,
            retry_max_ms: env_u64("WEBHOOK_RETRY_MAX_MS", d.retry_max_ms)?,
            disable_after_secs: env_u64("WEBHOOK_DISABLE_AFTER_DAYS", 5)?.saturating_mul(86_400),
            timeout_ms: env_u64("WEBHOOK_TIMEOUT_MS", d.timeout_ms)?.max(100),
            allow_private: env_bool("WEBHOOK_ALLOW_PRIVATE", d.allow_private)?,
            process_events_ms: match env_u64("PROCESS_EVENTS_INTERVAL_MS", d.process_events_ms)? {
                0 => 0,
                ms => ms.max(10),
            },
        })
    }
}

/// Kolada's public API.
pub const DEFAULT_KOLADA_BASE_URL: &str = "https://api.kolada.se/v3";

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

/// `url` for the log: without user, password, query or fragment, which may
/// carry credentials.
pub fn redacted_url(text: &str) -> String {
    match reqwest::Url::parse(text) {
        Ok(mut url) => {
            // Only URLs that cannot be a base refuse these, and those have no
            // credentials to hide.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => "<not a URL>".into(),
    }
}

/// A JWKS URL as given, when it is one the keys may be trusted from: https,
/// or plain http only to this machine (a local proxy, tests).
pub fn trusted_jwks_url(text: &str) -> Result<String, String> {
    let shown = redacted_url(text);
    let url = reqwest::Url::parse(text).map_err(|e| format!("JWKS_URL {shown}: {e}"))?;
    let host = url.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok(text.to_string()),
        "http" if loopback => Ok(text.to_string()),
        _ => Err(format!(
            "JWKS_URL {shown}: must be https (plain http only to localhost)"
        )),
    }
}

/// An http(s) URL without a trailing slash, or why not.
fn kolada_base_url(text: String) -> Result<String, String> {
    let url = reqwest::Url::parse(text.trim())
        .map_err(|e| format!("KOLADA_BASE_URL: not a URL ({e}): {text:?}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(format!(
            "KOLADA_BASE_URL: expected an http or https URL such as {DEFAULT_KOLADA_BASE_URL}, got {text:?}"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
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
        let import_copy_from_rows = match env_opt("IMPORT_COPY_FROM_ROWS") {
            None => DEFAULT_IMPORT_COPY_FROM_ROWS,
            Some(v) => v
                .parse()
                .map_err(|_| format!("IMPORT_COPY_FROM_ROWS: expected a number, got {v:?}"))?,
        };
        let read_cache_bytes = env_bytes("READ_CACHE_BYTES", 256 * 1024 * 1024)?;
        let rate_limit_per_minute = match env_opt("RATE_LIMIT_PER_MINUTE") {
            None => 1200,
            Some(v) => v
                .parse()
                .map_err(|_| format!("RATE_LIMIT_PER_MINUTE: expected a number, got {v:?}"))?,
        };
        let kolada_base_url = kolada_base_url(
            env_opt("KOLADA_BASE_URL").unwrap_or_else(|| DEFAULT_KOLADA_BASE_URL.into()),
        )?;
        let kolada_sync_interval = match env_opt("KOLADA_SYNC_INTERVAL_SECS") {
            None => None,
            Some(v) => match v.parse::<u64>() {
                Ok(0) => None,
                Ok(secs) if secs >= 60 => Some(std::time::Duration::from_secs(secs)),
                _ => {
                    return Err(format!(
                        "KOLADA_SYNC_INTERVAL_SECS: expected 0 (off) or a number of seconds of at least 60, got {v:?}"
                    ));
                }
            },
        };
        Ok(Settings {
            rate_limit_per_minute,
            kolada_base_url,
            kolada_sync_interval,
            database_url: env_opt("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            bind_address: env_opt("BIND_ADDRESS").unwrap_or_else(|| "127.0.0.1:8080".into()),
            jwt: JwtSettings {
                secret,
                issuer: env_opt("JWT_ISSUER"),
                audience: env_opt("JWT_AUDIENCE"),
                is_dev_default,
                jwks_file: env_opt("JWKS_FILE"),
                jwks_url: env_opt("JWKS_URL")
                    .map(|u| trusted_jwks_url(&u))
                    .transpose()?,
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
            import_copy_from_rows,
            read_cache_bytes,
            webhooks: WebhookSettings::from_env()?,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_urls_must_be_https_or_local() {
        for ok in [
            "https://login.example/keys",
            "http://127.0.0.1:9000/jwks",
            "http://localhost/jwks",
            "http://[::1]:8000/jwks",
        ] {
            assert_eq!(trusted_jwks_url(ok).as_deref(), Ok(ok));
        }
        for bad in ["http://login.example/keys", "ftp://x/keys", "not a url"] {
            assert!(trusted_jwks_url(bad).is_err(), "{bad}");
        }
        let secret = "http://user:pw@idp.example/keys?token=abc#x";
        assert_eq!(redacted_url(secret), "http://idp.example/keys");
        let refused = trusted_jwks_url(secret).unwrap_err();
        assert!(
            !refused.contains("pw") && !refused.contains("abc"),
            "{refused}"
        );
    }

    #[test]
    fn kolada_base_url_is_an_http_url_without_trailing_slash() {
        assert_eq!(
            kolada_base_url("https://api.kolada.se/v3/".into()).as_deref(),
            Ok("https://api.kolada.se/v3")
        );
        assert!(DEFAULT_KOLADA_BASE_URL.ends_with("/v3"));
        assert_eq!(
            kolada_base_url("http://127.0.0.1:8099".into()).as_deref(),
            Ok("http://127.0.0.1:8099")
        );
        assert!(kolada_base_url("ftp://example.org".into()).is_err());
        assert!(kolada_base_url("api.kolada.se".into()).is_err());
    }
}
