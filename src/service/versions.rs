//! Decided report versions. Approving a report stores, in the same
//! transaction, everything the report shows as one canonical JSON document
//! with its SHA-256 and the previous version's hash (a chain per report).
//! Nothing updates or deletes a version: a reopen and a new approval make
//! version n+1. Reads of an approved report serve its latest version.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use super::{error::ServiceError, write::Write};
use crate::{
    domain::structure::{ReportStatus, ReportType},
    entity::{report, report_version},
};

/// The nämnd's decision that approves a report.
#[derive(Debug, Clone)]
pub struct Decision {
    pub beslut_datum: NaiveDate,
    pub beslut_paragraf: String,
    pub diarienummer: Option<String>,
}

/// `value` as canonical JSON: object members in code-point order of their
/// names, no insignificant white space, numbers and strings as serialised.
/// The same document always gives the same bytes, whatever order it was
/// built in.
pub fn canonical(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                write_canonical(member, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Stores `document` as the next decided version of `report`, chained to
/// the previous one, inside the approving write.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn freeze(
    w: &Write<'_>,
    report: &report::Model,
    decision: &Decision,
    document: &serde_json::Value,
) -> Result<report_version::Model, ServiceError> {
    let previous = latest(w.db(), report.id).await?;
    let version = next_version(
        report,
        previous.as_ref(),
        decision,
        document,
        (crate::service::clock::now(), w.actor().principal.clone()),
    );
    report_version::Entity::insert(version.clone().into_active_model())
        .exec_without_returning(w.db())
        .await?;
    w.record(
        "report_version",
        Some(version.id),
        "create",
        None::<&()>,
        Some(&version),
    )?;
    Ok(version)
}

/// The version after `previous` (the first when none) of `report`: the
/// canonical text of `document` with its hash, chained to `previous`,
/// decided as `decision` at the time and by whom `decided` says.
pub fn next_version(
    report: &report::Model,
    previous: Option<&report_version::Model>,
    decision: &Decision,
    document: &serde_json::Value,
    (decided_at, decided_by): (DateTime<Utc>, String),
) -> report_version::Model {
    let text = canonical(document);
    report_version::Model {
        id: Uuid::now_v7(),
        kommun_id: report.kommun_id,
        report_id: report.id,
        number: previous.map_or(1, |p| p.number + 1),
        sha256: sha256_hex(text.as_bytes()),
        document: text,
        prev_sha256: previous.map(|p| p.sha256.clone()),
        beslut_datum: decision.beslut_datum,
        beslut_paragraf: decision.beslut_paragraf.clone(),
        diarienummer: decision.diarienummer.clone(),
        decided_at,
        decided_by,
    }
}

/// The latest decided version of a report, if it was ever approved.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn latest(
    db: &impl ConnectionTrait,
    report_id: Uuid,
) -> Result<Option<report_version::Model>, ServiceError> {
    Ok(report_version::Entity::find()
        .filter(report_version::Column::ReportId.eq(report_id))
        .order_by_desc(report_version::Column::Number)
        .one(db)
        .await?)
}

/// A decided version without its document: what a read needs to know
/// which document it serves and to say so.
#[derive(Debug, Clone, FromQueryResult)]
pub struct VersionMeta {
    pub id: Uuid,
    pub report_id: Uuid,
    pub number: i32,
    pub sha256: String,
    pub prev_sha256: Option<String>,
    pub beslut_datum: NaiveDate,
    pub beslut_paragraf: String,
    pub diarienummer: Option<String>,
    pub decided_at: DateTime<Utc>,
    pub decided_by: String,
    /// The kommun's change number as of this read (see `changes::current`),
    /// read in the same statement, so a read that asks whether the live
    /// figures moved since needs no second round trip.
    pub kommun_seq: Option<i64>,
}

/// [`latest`] without the document (which a read takes from the cache).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn latest_meta(
    db: &impl ConnectionTrait,
    report_id: Uuid,
) -> Result<Option<VersionMeta>, ServiceError> {
    Ok(meta_select()
        .filter(report_version::Column::ReportId.eq(report_id))
        .order_by_desc(report_version::Column::Number)
        .into_model::<VersionMeta>()
        .one(db)
        .await?)
}

/// The columns of [`VersionMeta`]: every column but the document.
fn meta_select() -> sea_orm::Select<report_version::Entity> {
    use report_version::Column as C;
    report_version::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::ReportId,
            C::Number,
            C::Sha256,
            C::PrevSha256,
            C::BeslutDatum,
            C::BeslutParagraf,
            C::Diarienummer,
            C::DecidedAt,
            C::DecidedBy,
        ])
        .expr_as(
            sea_orm::sea_query::Expr::cust(
                "(SELECT c.seq FROM change_counter c WHERE c.kommun_id = report_version.kommun_id)",
            ),
            "kommun_seq",
        )
}

/// A decided document split into its parts, each kept as serialised JSON,
/// so that a read copies bytes instead of parsing and serialising the whole
/// report. `drift` and `investering` are kept per unit (`drift.tkr`).
#[derive(Debug)]
pub struct ParsedVersion {
    /// The stored canonical JSON, as hashed.
    pub canonical: String,
    parts: HashMap<String, Box<RawValue>>,
    /// The `total` of each table part (`drift.kr`, …): what the kommun's
    /// views show of a decided report, without parsing its lines.
    totals: HashMap<String, Box<RawValue>>,
}

impl ParsedVersion {
    pub fn parse(canonical: String) -> Result<Self, ServiceError> {
        let broken =
            |e: serde_json::Error| ServiceError::Unexpected(format!("stored version: {e}"));
        let serde_json::Value::Object(document) = read_document(&canonical)? else {
            return Err(ServiceError::Unexpected(
                "stored version: not an object".into(),
            ));
        };
        let raw = |value: &serde_json::Value| -> Result<Box<RawValue>, ServiceError> {
            let text = serde_json::to_string(value).map_err(broken)?;
            RawValue::from_string(text).map_err(broken)
        };
        let mut parts = HashMap::new();
        let mut totals = HashMap::new();
        for (key, value) in &document {
            match value {
                serde_json::Value::Object(units) if key == "drift" || key == "investering" => {
                    for (unit, table) in units {
                        let key = format!("{key}.{unit}");
                        if let Some(total) = table.get("total") {
                            totals.insert(key.clone(), raw(total)?);
                        }
                        parts.insert(key, raw(table)?);
                    }
                }
                _ => {
                    parts.insert(key.clone(), raw(value)?);
                }
            }
        }
        Ok(ParsedVersion {
            canonical,
            parts,
            totals,
        })
    }

    /// The bytes this parsed version holds: its canonical text and the
    /// serialised parts and totals with their keys.
    pub fn bytes(&self) -> usize {
        let raw = |map: &HashMap<String, Box<RawValue>>| {
            map.iter()
                .map(|(k, v)| k.len() + v.get().len())
                .sum::<usize>()
        };
        self.canonical.len() + raw(&self.parts) + raw(&self.totals)
    }

    /// Whether the version holds the document part `key` (`drift` when it
    /// holds `drift.kr`).
    pub fn has_part(&self, key: &str) -> bool {
        self.parts.contains_key(key)
            || self.parts.keys().any(|p| {
                p.strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with('.'))
            })
    }

    /// A part as serialised JSON (`report`, `sections`, `drift.tkr`, …);
    /// `null` when the version has no such part.
    pub fn part(&self, key: &str) -> &RawValue {
        self.parts.get(key).map_or(RawValue::NULL, |p| p.as_ref())
    }

    /// The total row of the table part `key` (`drift.kr`, `investering.tkr`)
    /// as serialised JSON; `null` when the version has no such table.
    pub fn total(&self, key: &str) -> &RawValue {
        self.totals.get(key).map_or(RawValue::NULL, |p| p.as_ref())
    }
}

/// Names a decided document had before the API's vocabulary was made one
/// (CHANGELOG, "One vocabulary"), and the names they have now. A version is
/// stored and hashed as it was decided; it is read under today's names.
const RENAMED: [(&str, &str); 10] = [
    ("volymer", "volume_measures"),
    ("nyckeltal", "key_figures"),
    ("indicator_appendix", "indicators"),
    ("period_start", "start_date"),
    ("period_end", "end_date"),
    ("planned_start", "start_date"),
    ("slutdatum", "end_date"),
    ("same_period_last_year", "samma_period_foregaende_ar"),
    ("last_year", "foregaende_ar"),
    ("kalla", "source"),
];

/// A stored decided document under today's member names.
pub fn read_document(canonical: &str) -> Result<serde_json::Value, ServiceError> {
    let mut value: serde_json::Value = serde_json::from_str(canonical)
        .map_err(|e| ServiceError::Unexpected(format!("stored version: {e}")))?;
    rename_members(&mut value);
    Ok(value)
}

fn rename_members(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (old, new) in RENAMED {
                if !map.contains_key(new)
                    && let Some(v) = map.remove(old)
                {
                    map.insert(new.to_string(), v);
                }
            }
            map.values_mut().for_each(rename_members);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(rename_members),
        _ => {}
    }
}

/// The parsed documents of versions read lately, by version id. A version
/// never changes, so an entry never goes stale; the cache only bounds its
/// size, in bytes: a version of a large nämnd holds a megabyte (its
/// canonical text and its parts), one of the demo's a few hundred kB.
#[derive(Default)]
pub struct VersionCache(Mutex<KeptVersions>);

#[derive(Default)]
struct KeptVersions {
    /// Each version with when it was last used (`clock`).
    versions: HashMap<Uuid, (Arc<ParsedVersion>, u64)>,
    bytes: usize,
    /// Counts uses: the least recently used version goes first.
    clock: u64,
}

impl KeptVersions {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Drops the least recently used versions until `size` more bytes fit.
    fn make_room(&mut self, size: usize) {
        while self.bytes + size > CACHED_VERSION_BYTES {
            let Some(oldest) = self
                .versions
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| *id)
            else {
                return;
            };
            if let Some((old, _)) = self.versions.remove(&oldest) {
                self.bytes -= old.bytes();
            }
        }
    }
}

/// At most this many bytes of parsed versions are kept: the decided
/// reports of a few periods of a large kommun (the bench kommun's 25
/// nämnder hold about 25 MB a period).
const CACHED_VERSION_BYTES: usize = 128 << 20;

impl VersionCache {
    fn get(&self, id: Uuid) -> Option<Arc<ParsedVersion>> {
        let mut kept = self.0.lock().ok()?;
        let now = kept.tick();
        let (parsed, used) = kept.versions.get_mut(&id)?;
        *used = now;
        Some(parsed.clone())
    }

    /// Keeps `parsed`; when it would pass the bound, the least recently
    /// used versions go first (the versions of the period being read stay).
    /// A version larger than the bound is not kept.
    fn put(&self, id: Uuid, parsed: Arc<ParsedVersion>) {
        let size = parsed.bytes();
        if size > CACHED_VERSION_BYTES {
            return;
        }
        if let Ok(mut kept) = self.0.lock() {
            if let Some((old, _)) = kept.versions.remove(&id) {
                kept.bytes -= old.bytes();
            }
            kept.make_room(size);
            let now = kept.tick();
            kept.versions.insert(id, (parsed, now));
            kept.bytes += size;
        }
    }

    /// Bytes kept now.
    #[cfg(test)]
    fn kept_bytes(&self) -> usize {
        self.0.lock().map_or(0, |kept| kept.bytes)
    }
}

/// The parsed document of `version`, from the cache or read once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn parsed(
    db: &impl ConnectionTrait,
    cache: &VersionCache,
    version: &VersionMeta,
) -> Result<Arc<ParsedVersion>, ServiceError> {
    parsed_all(db, cache, [version])
        .await?
        .remove(&version.id)
        .ok_or_else(|| ServiceError::NotFound("the decided version is gone".into()))
}

/// How many stored documents one query reads when several are missing
/// from the cache: a bound on what is held unparsed at once.
const READ_AT_ONCE: usize = 8;

/// The parsed documents of `versions` by id: those the cache holds, the rest
/// read a few per query (a kommun view needs every nämnd's, and one query
/// per version was a round trip each).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn parsed_all<'a>(
    db: &impl ConnectionTrait,
    cache: &VersionCache,
    versions: impl IntoIterator<Item = &'a VersionMeta>,
) -> Result<HashMap<Uuid, Arc<ParsedVersion>>, ServiceError> {
    let mut found = HashMap::new();
    let mut missing = Vec::new();
    for version in versions {
        match cache.get(version.id) {
            Some(parsed) => {
                found.insert(version.id, parsed);
            }
            None => missing.push(version.id),
        }
    }
    for ids in missing.chunks(READ_AT_ONCE) {
        let stored = report_version::Entity::find()
            .filter(report_version::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        for row in stored {
            let parsed = Arc::new(ParsedVersion::parse(row.document)?);
            cache.put(row.id, parsed.clone());
            found.insert(row.id, parsed);
        }
    }
    if missing.iter().any(|id| !found.contains_key(id)) {
        return Err(ServiceError::NotFound("the decided version is gone".into()));
    }
    Ok(found)
}

/// Version `number` of a report of the kommun.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    report_id: Uuid,
    number: i32,
) -> Result<report_version::Model, ServiceError> {
    report_version::Entity::find()
        .filter(report_version::Column::KommunId.eq(kommun_id))
        .filter(report_version::Column::ReportId.eq(report_id))
        .filter(report_version::Column::Number.eq(number))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("the report has no version {number}")))
}

/// Every version of a report, oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    report_id: Uuid,
) -> Result<Vec<VersionMeta>, ServiceError> {
    Ok(meta_select()
        .filter(report_version::Column::KommunId.eq(kommun_id))
        .filter(report_version::Column::ReportId.eq(report_id))
        .order_by_asc(report_version::Column::Number)
        .into_model::<VersionMeta>()
        .all(db)
        .await?)
}

/// The latest decided version (without its document) of each approved
/// report of `report_type` in the period, by nämnd.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn decided_for_period(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    period_id: Uuid,
    report_type: ReportType,
) -> Result<HashMap<Uuid, VersionMeta>, ServiceError> {
    let reports: HashMap<Uuid, Uuid> = report::Entity::find()
        .filter(report::Column::KommunId.eq(kommun_id))
        .filter(report::Column::PeriodId.eq(period_id))
        .filter(report::Column::ReportType.eq(report_type))
        .filter(report::Column::Status.eq(ReportStatus::Godkand))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.namnd_id))
        .collect();
    if reports.is_empty() {
        return Ok(HashMap::new());
    }
    let mut latest: HashMap<Uuid, VersionMeta> = HashMap::new();
    for v in meta_select()
        .filter(report_version::Column::KommunId.eq(kommun_id))
        .filter(report_version::Column::ReportId.is_in(reports.keys().copied()))
        .order_by_asc(report_version::Column::Number)
        .into_model::<VersionMeta>()
        .all(db)
        .await?
    {
        if let Some(namnd) = reports.get(&v.report_id) {
            latest.insert(*namnd, v);
        }
    }
    Ok(latest)
}

/// A version whose stored hash or chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub report_id: Uuid,
    pub number: i32,
    pub problem: String,
}

/// Recomputes every version's hash and checks each chain: numbers 1, 2, …
/// without gaps, each `prev_sha256` the hash of the version before. Returns
/// how many versions were read and what does not hold.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify(db: &impl ConnectionTrait) -> Result<(usize, Vec<BrokenLink>), ServiceError> {
    let versions = report_version::Entity::find()
        .order_by_asc(report_version::Column::ReportId)
        .order_by_asc(report_version::Column::Number)
        .all(db)
        .await?;
    let mut broken = Vec::new();
    let mut previous: Option<&report_version::Model> = None;
    for v in &versions {
        let mut problem = |text: String| {
            broken.push(BrokenLink {
                report_id: v.report_id,
                number: v.number,
                problem: text,
            })
        };
        let actual = sha256_hex(v.document.as_bytes());
        if actual != v.sha256 {
            problem(format!(
                "the document's SHA-256 is {actual}, the stored hash {}",
                v.sha256
            ));
        }
        let before = previous.filter(|p| p.report_id == v.report_id);
        let expected_number = before.map_or(1, |p| p.number + 1);
        if v.number != expected_number {
            problem(format!("version {expected_number} is missing before it"));
        }
        let expected_prev = before.map(|p| sha256_hex(p.document.as_bytes()));
        if v.prev_sha256 != expected_prev {
            problem(format!(
                "prev_sha256 is {:?}, the previous document hashes to {:?}",
                v.prev_sha256, expected_prev
            ));
        }
        previous = Some(v);
    }
    Ok((versions.len(), broken))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_members_and_drops_white_space() {
        let a = json!({"b": [1, {"y": "å", "x": null}], "a": -450});
        assert_eq!(canonical(&a), r#"{"a":-450,"b":[1,{"x":null,"y":"å"}]}"#);
    }

    #[test]
    fn parsed_versions_keep_each_part_and_each_unit() {
        // As stored: numbers keep their digits (1.50 stays 1.50).
        let text = r#"{"drift":{"kr":[1.50],"tkr":[2]},"report":{"id":1},"sections":[]}"#;
        let text = text.to_string();
        let parsed = ParsedVersion::parse(text.clone()).unwrap();
        assert_eq!(parsed.canonical, text);
        assert_eq!(parsed.part("report").get(), r#"{"id":1}"#);
        assert_eq!(parsed.part("drift.kr").get(), "[1.50]");
        assert_eq!(parsed.part("drift.tkr").get(), "[2]");
        assert_eq!(parsed.part("sections").get(), "[]");
        assert_eq!(parsed.part("volume_measures").get(), "null");
    }

    #[test]
    fn versions_decided_under_old_names_are_read_under_todays() {
        let text = r#"{"volymer":[{"last_year":1,"same_period_last_year":2}],"report":{"period_start":"2024-01-01"},"indicator_appendix":{"year":2024}}"#;
        let parsed = ParsedVersion::parse(text.to_string()).unwrap();
        assert_eq!(parsed.canonical, text);
        assert_eq!(
            parsed.part("volume_measures").get(),
            r#"[{"foregaende_ar":1,"samma_period_foregaende_ar":2}]"#
        );
        assert_eq!(
            parsed.part("report").get(),
            r#"{"start_date":"2024-01-01"}"#
        );
        assert_eq!(parsed.part("indicators").get(), r#"{"year":2024}"#);
        assert_eq!(parsed.part("volymer").get(), "null");
    }

    /// A version whose canonical text is `len` bytes long.
    fn version_of(len: usize) -> Arc<ParsedVersion> {
        let filler = "x".repeat(len.saturating_sub(r#"{"report":""}"#.len()));
        let text = format!(r#"{{"report":"{filler}"}}"#);
        Arc::new(ParsedVersion::parse(text).unwrap())
    }

    #[test]
    fn the_version_cache_is_bounded_in_bytes_and_drops_the_least_recently_used() {
        let cache = VersionCache::default();
        let mb = version_of(1 << 20);
        // Canonical text and the part: about twice the text.
        assert!(mb.bytes().abs_diff(2 << 20) < 100, "{}", mb.bytes());
        let ids: Vec<Uuid> = (0..200).map(|_| Uuid::now_v7()).collect();
        for id in &ids {
            cache.put(*id, mb.clone());
            assert!(cache.kept_bytes() <= CACHED_VERSION_BYTES);
        }
        // The latest are kept, as many as fit; the first went.
        let kept = cache.0.lock().unwrap().versions.len();
        assert_eq!(kept, CACHED_VERSION_BYTES / mb.bytes());
        assert!(ids[200 - kept..].iter().all(|id| cache.get(*id).is_some()));
        assert!(ids[..200 - kept].iter().all(|id| cache.get(*id).is_none()));
        assert_eq!(cache.kept_bytes(), kept * mb.bytes());
        // A version read is kept over those read before it: the oldest
        // kept, once read, stays when the next one comes.
        let oldest = ids[200 - kept];
        assert!(cache.get(oldest).is_some());
        cache.put(Uuid::now_v7(), mb.clone());
        assert!(cache.get(oldest).is_some());
        assert!(cache.get(ids[200 - kept + 1]).is_none());
        // The same version again counts once.
        let before = cache.kept_bytes();
        cache.put(ids[199], mb.clone());
        assert_eq!(cache.kept_bytes(), before);
        // A version larger than the bound is not kept.
        let huge = Uuid::now_v7();
        cache.put(huge, version_of(CACHED_VERSION_BYTES));
        assert!(cache.get(huge).is_none());
    }

    #[test]
    fn sha256_of_the_empty_string() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
