//! What every request shares: the database, the token service, the
//! settings, the kommun-id cache and the rate-limit window.

use std::{collections::HashMap, sync::RwLock};

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
