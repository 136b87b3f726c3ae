//! The identity provider's public keys (RS256, ES256), from a JWKS file or
//! URL. The set is loaded at start and cached; a token naming an unknown
//! `kid` triggers one reload, at most once a minute, and concurrent requests
//! wait for that one reload instead of starting their own.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{AlgorithmParameters, Jwk, PublicKeyUse},
};

/// The shortest time between two reloads caused by unknown `kid`s.
const MIN_RELOAD_INTERVAL: Duration = Duration::from_secs(60);
/// Largest key set accepted from a URL; real ones are a few kilobytes.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Where the key set comes from.
pub enum KeySource {
    File(String),
    Url {
        url: String,
        client: reqwest::Client,
    },
}

impl KeySource {
    /// A source for a URL, with an HTTP client that gives up quickly: a slow
    /// identity provider must not hold requests for long.
    pub fn url(url: &str) -> Result<Self, String> {
        crate::config::trusted_jwks_url(url)?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5))
            // The keys come from where they are configured to, not from
            // wherever a redirect points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("kommunrapport/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("JWKS_URL: cannot build the HTTP client: {e}"))?;
        Ok(KeySource::Url {
            url: url.to_string(),
            client,
        })
    }

    fn describe(&self) -> String {
        match self {
            KeySource::File(path) => format!("JWKS_FILE {path}"),
            KeySource::Url { url, .. } => {
                format!("JWKS_URL {}", crate::config::redacted_url(url))
            }
        }
    }

    async fn fetch(&self) -> Result<Vec<u8>, String> {
        match self {
            KeySource::File(path) => std::fs::read(path).map_err(|e| e.to_string()),
            KeySource::Url { url, client } => fetch_url(client, url).await,
        }
    }
}

/// The body of a successful GET, refused when larger than [`MAX_JWKS_BYTES`].
async fn fetch_url(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        // The URL is in the caller's message already, redacted.
        .map_err(|e| e.without_url().to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP status {}", response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err(format!("larger than {MAX_JWKS_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A verification key, ready for use.
#[derive(Clone)]
pub struct PublicKey {
    pub key: DecodingKey,
    /// The key's `alg`, when the set names one: then only that algorithm.
    alg: Option<Algorithm>,
    family: Family,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Rsa,
    Ec,
}

impl PublicKey {
    pub fn accepts(&self, alg: Algorithm) -> bool {
        let family = match alg {
            Algorithm::RS256 => Family::Rsa,
            Algorithm::ES256 => Family::Ec,
            _ => return false,
        };
        self.family == family && self.alg.is_none_or(|a| a == alg)
    }
}

/// The usable signing keys of a JWKS document by `kid`. Keys that are not
/// RSA or EC signing keys, or lack a `kid`, are skipped; a document that is
/// not JSON, has no `keys` array or no usable key is refused.
pub fn parse_key_set(bytes: &[u8]) -> Result<HashMap<String, PublicKey>, String> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document = serde_json::from_slice(bytes)
        .map_err(|e| format!("not a JWKS document (JSON with a \"keys\" array): {e}"))?;
    let mut keys = HashMap::new();
    for value in document.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        if let Some((kid, key)) = usable_key(&jwk) {
            keys.insert(kid, key);
        }
    }
    if keys.is_empty() {
        return Err("the key set has no usable RSA or EC signing key with a kid".into());
    }
    Ok(keys)
}

fn usable_key(jwk: &Jwk) -> Option<(String, PublicKey)> {
    let kid = jwk.common.key_id.clone()?;
    if matches!(
        jwk.common.public_key_use,
        Some(ref u) if *u != PublicKeyUse::Signature
    ) {
        return None;
    }
    let family = match jwk.algorithm {
        AlgorithmParameters::RSA(_) => Family::Rsa,
        AlgorithmParameters::EllipticCurve(_) => Family::Ec,
        _ => return None,
    };
    let alg = match jwk.common.key_algorithm {
        Some(a) => Some(Algorithm::try_from(a).ok()?),
        None => None,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((kid, PublicKey { key, alg, family }))
}

/// The cached key set and its reloading.
pub struct Jwks {
    source: KeySource,
    keys: RwLock<Arc<HashMap<String, PublicKey>>>,
    /// When a reload for an unknown `kid` last started; the lock makes
    /// concurrent requests share one reload.
    last_reload: tokio::sync::Mutex<Option<Instant>>,
}

impl Jwks {
    pub fn new(source: KeySource) -> Self {
        Jwks {
            source,
            keys: RwLock::new(Arc::new(HashMap::new())),
            last_reload: tokio::sync::Mutex::new(None),
        }
    }

    /// Reads the source and, when it holds a usable key set, replaces the
    /// cached one. A failed read keeps the keys there were.
    pub async fn load(&self) -> Result<usize, String> {
        let describe = || self.source.describe();
        let bytes = self
            .source
            .fetch()
            .await
            .map_err(|e| format!("{}: {e}", describe()))?;
        let keys = parse_key_set(&bytes).map_err(|e| format!("{}: {e}", describe()))?;
        let count = keys.len();
        if let Ok(mut cached) = self.keys.write() {
            *cached = Arc::new(keys);
        }
        Ok(count)
    }

    fn cached(&self) -> Arc<HashMap<String, PublicKey>> {
        self.keys.read().map(|k| Arc::clone(&k)).unwrap_or_default()
    }

    fn find(&self, kid: &str, alg: Algorithm) -> Option<PublicKey> {
        self.cached().get(kid).filter(|k| k.accepts(alg)).cloned()
    }

    /// Any cached key for `alg`: verifying against it when the `kid` is
    /// unknown costs what a real verification costs.
    pub fn any_for(&self, alg: Algorithm) -> Option<PublicKey> {
        self.cached().values().find(|k| k.accepts(alg)).cloned()
    }

    /// The key for `kid`, reloading the set once (rate-limited, shared by
    /// concurrent callers) when the `kid` is unknown.
    pub async fn key(&self, kid: &str, alg: Algorithm) -> Option<PublicKey> {
        if let Some(key) = self.find(kid, alg) {
            return Some(key);
        }
        let mut last = self.last_reload.lock().await;
        // Another request may have reloaded while this one waited.
        if let Some(key) = self.find(kid, alg) {
            return Some(key);
        }
        if last.is_some_and(|at| at.elapsed() < MIN_RELOAD_INTERVAL) {
            return None;
        }
        *last = Some(Instant::now());
        match self.load().await {
            Ok(count) => tracing::info!(keys = count, "JWKS reloaded for an unknown kid"),
            Err(e) => tracing::warn!(error = %e, "JWKS reload failed; keeping the keys there were"),
        }
        self.find(kid, alg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC_KEY: &str = r#"{"kty": "EC", "crv": "P-256", "kid": "ec", "alg": "ES256",
        "x": "35WHma-q14cb99gWd8QKOXbZLlU76rGuYfZzOVkAxLI",
        "y": "8W7WnUN_lRUSYh_SvqdAxXmPvlZzuwIArT_xenZkOUc"}"#;

    #[tokio::test]
    async fn a_bad_reload_keeps_the_keys_there_were() {
        let path = std::env::temp_dir().join(format!("jwks-{}.json", uuid::Uuid::now_v7()));
        std::fs::write(&path, format!(r#"{{"keys": [{EC_KEY}]}}"#)).unwrap();
        let jwks = Jwks::new(KeySource::File(path.display().to_string()));
        assert_eq!(jwks.load().await, Ok(1));
        std::fs::write(&path, "<html>").unwrap();
        assert!(jwks.key("other", Algorithm::ES256).await.is_none());
        assert!(jwks.key("ec", Algorithm::ES256).await.is_some());
        assert!(jwks.key("ec", Algorithm::RS256).await.is_none());
        std::fs::remove_file(&path).ok();
    }

    #[test]
    fn unusable_documents_are_refused() {
        for bad in [
            &b"<html>not json</html>"[..],
            b"{}",
            b"{\"keys\": 3}",
            b"{\"keys\": []}",
            // An HMAC key must never verify identity-provider tokens.
            b"{\"keys\": [{\"kty\": \"oct\", \"k\": \"c2VjcmV0\", \"kid\": \"a\"}]}",
            b"{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", \"kid\": \"a\"}]}",
        ] {
            assert!(
                parse_key_set(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn usable_keys_are_kept_and_others_skipped() {
        let set = format!(
            r#"{{"keys": [
            {EC_KEY},
            {without_kid},
            {encryption},
            {{"kty": "weird", "kid": "w"}}
        ]}}"#,
            without_kid = EC_KEY.replace(r#""kid": "ec","#, ""),
            encryption = EC_KEY.replace(r#""kid": "ec""#, r#""kid": "enc", "use": "enc""#),
        );
        let keys = parse_key_set(set.as_bytes()).unwrap();
        assert_eq!(keys.len(), 1);
        assert!(keys["ec"].accepts(Algorithm::ES256));
        assert!(!keys["ec"].accepts(Algorithm::RS256));
    }
}
