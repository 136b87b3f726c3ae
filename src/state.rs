//! What every request shares: the database, the token service, the
//! settings, the kommun-id cache and the rate-limit window.

use std::{
    collections::HashMap,
    sync::{Mutex, RwLock},
};

use actix_web::{http::header::HeaderName, web::Bytes};

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    auth::TokenService,
    config::Settings,
    error::ApiError,
    service::{kommuner, versions::VersionCache},
};

/// Shared by every request.
pub struct AppState {
    pub db: DatabaseConnection,
    pub tokens: TokenService,
    pub settings: Settings,
    /// Kommunkod → id. Codes never change once created, so entries never go stale.
    kommun_ids: RwLock<HashMap<String, Uuid>>,
    /// Requests per principal in the current minute.
    rate: std::sync::Mutex<RateWindow>,
    /// Whether an approved report's live figures differ from its decided
    /// version, as of a change number of its kommun.
    pub decided_checks: DecidedChecks,
    /// Decided versions read lately, parsed into their parts.
    pub versions: VersionCache,
    /// Computed answers (whole reports, tables, views, documents) as of a
    /// change number of their kommun.
    pub read_cache: ReadCache,
}

/// (report, version) → (the kommun's change number when checked, whether
/// the live figures differed). An answer holds until the kommun changes.
#[derive(Default)]
pub struct DecidedChecks(std::sync::Mutex<HashMap<(Uuid, i32), (i64, bool)>>);

impl DecidedChecks {
    pub fn get(&self, key: (Uuid, i32), seq: i64) -> Option<bool> {
        let map = self.0.lock().ok()?;
        map.get(&key).filter(|(at, _)| *at == seq).map(|(_, c)| *c)
    }

    pub fn put(&self, key: (Uuid, i32), seq: i64, changed: bool) {
        if let Ok(mut map) = self.0.lock() {
            // Bounded: a kommun has a few hundred approved reports at most.
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(key, (seq, changed));
        }
    }
}

/// A computed answer, kept with the change number of its kommun it was
/// made at (see `api::read_cache`).
#[derive(Clone)]
pub struct Kept {
    pub seq: i64,
    pub content_type: &'static str,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Bytes,
    pub etag: String,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<(Uuid, String), (Kept, u64)>,
    bytes: usize,
    clock: u64,
}

/// Computed answers per (kommun, key), each with the change number it was
/// computed at. Bounded in bytes (`READ_CACHE_BYTES`, over all kommuner:
/// whole reports are ~75 KB, kommun views up to a few hundred KB, PDFs a
/// few MB); the least recently used go first.
pub struct ReadCache {
    inner: Mutex<Inner>,
    budget: usize,
}

impl ReadCache {
    pub fn new(budget_bytes: usize) -> Self {
        ReadCache {
            inner: Mutex::default(),
            budget: budget_bytes,
        }
    }

    pub fn get(&self, kommun_id: Uuid, key: &str, seq: i64) -> Option<Kept> {
        let mut inner = self.inner.lock().ok()?;
        inner.clock += 1;
        let now = inner.clock;
        // The lookup needs an owned key; its cost is small beside the answer.
        let (entry, last_used) = inner.entries.get_mut(&(kommun_id, key.to_string()))?;
        if entry.seq != seq {
            return None;
        }
        *last_used = now;
        Some(entry.clone())
    }

    pub fn put(&self, kommun_id: Uuid, key: String, entry: Kept) {
        let key_len = key.len();
        let size = entry.body.len() + key_len;
        // An answer over an eighth of the budget would push out many others.
        if size > self.budget / 8 {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        // A slow request's older answer does not replace a newer one.
        let key = (kommun_id, key);
        if inner
            .entries
            .get(&key)
            .is_some_and(|(e, _)| e.seq > entry.seq)
        {
            return;
        }
        inner.clock += 1;
        let now = inner.clock;
        if let Some((old, _)) = inner.entries.insert(key, (entry, now)) {
            inner.bytes -= old.body.len() + key_len;
        }
        inner.bytes += size;
        while inner.bytes > self.budget {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((gone, _)) = inner.entries.remove(&oldest) {
                inner.bytes -= gone.body.len() + oldest.1.len();
            }
        }
    }

    /// Answers kept and their bytes (for tests and diagnostics).
    pub fn usage(&self) -> (usize, usize) {
        self.inner
            .lock()
            .map(|i| (i.entries.len(), i.bytes))
            .unwrap_or_default()
    }
}

/// A fixed one-minute window of request counts per principal.
#[derive(Default)]
pub struct RateWindow {
    minute: u64,
    counts: HashMap<String, u32>,
}

impl AppState {
    pub async fn new(db: DatabaseConnection, settings: Settings) -> Result<Self, String> {
        Ok(AppState {
            tokens: TokenService::with_jwks(&settings.jwt).await?,
            read_cache: ReadCache::new(settings.read_cache_bytes),
            db,
            settings,
            kommun_ids: RwLock::new(HashMap::new()),
            rate: std::sync::Mutex::new(RateWindow::default()),
            decided_checks: DecidedChecks::default(),
            versions: VersionCache::default(),
        })
    }

    /// Counts a request of `principal`; 429 with the seconds until the next
    /// window when the per-minute limit is used up.
    pub fn check_rate(&self, principal: &str) -> Result<(), ApiError> {
        let limit = self.settings.rate_limit_per_minute;
        if limit == 0 {
            return Ok(());
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let Ok(mut window) = self.rate.lock() else {
            return Ok(());
        };
        if window.minute != now / 60 {
            window.minute = now / 60;
            window.counts.clear();
        }
        let count = window.counts.entry(principal.to_string()).or_insert(0);
        *count = count.saturating_add(1);
        if *count > limit {
            return Err(ApiError::TooManyRequests {
                retry_after_secs: 60 - now % 60,
            });
        }
        Ok(())
    }

    /// The id of the kommun with this code, if it exists.
    pub async fn kommun_id(&self, code: &str) -> Result<Option<Uuid>, ApiError> {
        if let Some(id) = self
            .kommun_ids
            .read()
            .ok()
            .and_then(|m| m.get(code).copied())
        {
            return Ok(Some(id));
        }
        let found = kommuner::find_by_code(&self.db, code).await?.map(|k| k.id);
        if let (Some(id), Ok(mut cache)) = (found, self.kommun_ids.write()) {
            cache.insert(code.to_string(), id);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(seq: i64, bytes: usize) -> Kept {
        Kept {
            seq,
            content_type: "application/json",
            headers: Vec::new(),
            body: Bytes::from(vec![b'x'; bytes]),
            etag: format!("\"{seq}\""),
        }
    }

    #[test]
    fn an_answer_holds_for_its_change_number_only() {
        let cache = ReadCache::new(1 << 20);
        let kommun = Uuid::now_v7();
        cache.put(kommun, "a".into(), kept(5, 10));
        assert_eq!(
            cache.get(kommun, "a", 5).map(|k| k.etag),
            Some("\"5\"".into())
        );
        assert!(cache.get(kommun, "a", 6).is_none(), "the kommun changed");
        assert!(
            cache.get(Uuid::now_v7(), "a", 5).is_none(),
            "another kommun"
        );
        // An older answer arriving late does not replace the newer one.
        cache.put(kommun, "a".into(), kept(7, 10));
        cache.put(kommun, "a".into(), kept(6, 10));
        assert!(cache.get(kommun, "a", 7).is_some());
        assert_eq!(cache.usage(), (1, 11));
    }

    #[test]
    fn the_least_recently_used_go_first_within_the_budget() {
        let cache = ReadCache::new(8 * 100);
        let kommun = Uuid::now_v7();
        for key in ["a", "b", "c"] {
            cache.put(kommun, key.into(), kept(1, 99));
        }
        cache.get(kommun, "a", 1);
        // 8 × 100 bytes hold 8 answers of 100 bytes (99 + the key).
        for i in 0..6 {
            cache.put(kommun, format!("{i}"), kept(1, 99));
        }
        assert!(cache.get(kommun, "a", 1).is_some(), "used lately");
        assert!(cache.get(kommun, "b", 1).is_none(), "the oldest");
        assert_eq!(cache.usage(), (8, 800));
        // Too large for the budget: not kept, nothing pushed out.
        cache.put(kommun, "big".into(), kept(1, 101));
        assert!(cache.get(kommun, "big", 1).is_none());
        assert_eq!(cache.usage(), (8, 800));
        // No budget: nothing is kept.
        let none = ReadCache::new(0);
        none.put(kommun, "a".into(), kept(1, 1));
        assert_eq!(none.usage(), (0, 0));
    }
}
