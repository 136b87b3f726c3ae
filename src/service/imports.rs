//! Integration imports and exports: Kolada v2 indicator values and flat
//! budget rows (Hypergene-style planning exports and ledgers). Every import
//! runs in one transaction, all or nothing; a dry run runs the same steps
//! and rolls back, so it reports exactly what an apply would change.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

pub use super::flat_import::{CreatedLine, FlatChange, FlatOutcome, FlatRow, FlatRows, MAX_LISTED};
pub use super::import_readers::RowIssue;
use super::write::audited;
use super::{
    audit::Actor,
    budget_lines::{self},
    flat_import,
    import_stage::{self, Stage},
    indicators::{self, KoladaSaid, ValueWrite as IndicatorValueWrite},
};
use crate::{
    domain::{BudgetLineKind, Gender, Measure, ValueSource},
    entity::{indicator, namnd},
    service::error::ServiceError,
};

/// Why an import was refused: row errors, or anything else.
#[derive(Debug)]
pub enum ImportError {
    Rows(Vec<RowIssue>),
    Other(ServiceError),
}

impl From<ServiceError> for ImportError {
    fn from(e: ServiceError) -> Self {
        ImportError::Other(e)
    }
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(e: sea_orm::DbErr) -> Self {
        ImportError::Other(e.into())
    }
}

// ---------------------------------------------------------------------------
// Kolada

/// One value of a Kolada entry (already checked).
#[derive(Debug, Clone)]
pub struct KoladaValue {
    pub gender: Gender,
    pub value: Option<Decimal>,
    /// Kolada's status; an empty status is `None`.
    pub status: Option<String>,
    /// Kolada removed the value (`isdeleted`): the stored one is removed
    /// (its history keeps it).
    pub deleted: bool,
}

/// One entry of a Kolada file for the caller's kommun.
#[derive(Debug, Clone)]
pub struct KoladaEntry {
    pub index: usize,
    pub kpi: String,
    pub year: i32,
    pub values: Vec<KoladaValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KoladaChange {
    pub kpi: String,
    pub indicator_id: Uuid,
    pub year: i32,
    pub gender: Gender,
    pub before: Option<Decimal>,
    pub after: Option<Decimal>,
    pub status: Option<String>,
    /// The value was removed because Kolada deleted it.
    pub removed: bool,
}

/// How a Kolada import treats the values: where they come from and
/// whether a manual value may be overwritten.
#[derive(Debug, Clone)]
pub struct KoladaImportOptions {
    /// `Kolada` when fetched, `Import` for an uploaded file.
    pub source: ValueSource,
    /// When the values were fetched (a fetch or sync).
    pub fetched_at: Option<DateTime<Utc>>,
    /// Overwrite (or remove) values a person wrote; otherwise they are kept
    /// and reported in `kept_manual`.
    pub overwrite_manual: bool,
}

#[derive(Debug, Default)]
pub struct KoladaOutcome {
    pub changes: Vec<KoladaChange>,
    /// Manual values Kolada disagrees with, kept as they are.
    pub kept_manual: Vec<KoladaChange>,
    pub unchanged: usize,
    /// (index, reason) of entries that were not applied.
    pub skipped: Vec<(usize, String)>,
}

/// Indicators of the kommun by Kolada id, in position order.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn indicators_by_kpi(
    db: &impl sea_orm::ConnectionTrait,
    kommun_id: Uuid,
    kpis: Option<Vec<String>>,
) -> Result<Vec<indicator::Model>, ServiceError> {
    let mut query = indicator::Entity::find()
        .filter(indicator::Column::KommunId.eq(kommun_id))
        .filter(indicator::Column::KoladaId.is_not_null());
    if let Some(kpis) = kpis {
        query = query.filter(indicator::Column::KoladaId.is_in(kpis));
    }
    Ok(query
        .order_by_asc(indicator::Column::Position)
        .order_by_asc(indicator::Column::Id)
        .all(db)
        .await?)
}

/// Compares `entries` with the stored values of the indicators with their
/// Kolada ids and, when `apply`, writes the differences in one transaction.
/// A value that is null with an empty status ("no data") leaves ours as it
/// is; notes written in the service are kept.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn import_kolada(
    db: &DatabaseConnection,
    actor: &Actor,
    entries: &[KoladaEntry],
    options: &KoladaImportOptions,
    apply: bool,
) -> Result<KoladaOutcome, ServiceError> {
    audited(db, actor, async |w| {
        let outcome = write_kolada(w, entries, options).await?;
        if !apply || outcome.changes.is_empty() && outcome.kept_manual.is_empty() {
            w.discard();
        }
        Ok(outcome)
    })
    .await
}

/// [`import_kolada`] as part of a larger write (the sync): compares and
/// writes the differences.
#[tracing::instrument(level = "debug", skip_all)]
pub(crate) async fn write_kolada(
    w: &super::write::Write<'_>,
    entries: &[KoladaEntry],
    options: &KoladaImportOptions,
) -> Result<KoladaOutcome, ServiceError> {
    {
        let txn = w.db();
        let kommun_id = w.kommun_id();
        let mut kpis: Vec<String> = entries.iter().map(|e| e.kpi.clone()).collect();
        kpis.sort();
        kpis.dedup();
        let models = indicators_by_kpi(txn, kommun_id, Some(kpis)).await?;
        let data = indicators::load_data(txn, kommun_id, models).await?;
        let mut by_kpi: HashMap<&str, Vec<&indicators::IndicatorData>> = HashMap::new();
        for d in &data {
            if let Some(k) = d.model.kolada_id.as_deref() {
                by_kpi.entry(k).or_default().push(d);
            }
        }
        let mut outcome = KoladaOutcome::default();
        let mut writes: BTreeMap<Uuid, Vec<IndicatorValueWrite>> = BTreeMap::new();
        for entry in entries {
            let Some(targets) = by_kpi.get(entry.kpi.as_str()) else {
                outcome.skipped.push((
                    entry.index,
                    format!("no indicator with Kolada id {:?} in your kommun", entry.kpi),
                ));
                continue;
            };
            for target in targets {
                for v in &entry.values {
                    let stored = target
                        .values
                        .iter()
                        .find(|s| s.year == entry.year && s.gender == v.gender);
                    let (after, status) = if v.deleted {
                        (None, None)
                    } else {
                        (v.value, v.status.clone())
                    };
                    let no_data = !v.deleted && v.value.is_none() && v.status.is_none();
                    let same = match stored {
                        Some(s) => s.value == after && s.status == status,
                        None => v.deleted,
                    };
                    if no_data || same {
                        outcome.unchanged += 1;
                        continue;
                    }
                    let change = KoladaChange {
                        kpi: entry.kpi.clone(),
                        indicator_id: target.model.id,
                        year: entry.year,
                        gender: v.gender,
                        before: stored.and_then(|s| s.value),
                        after,
                        status: status.clone(),
                        removed: v.deleted,
                    };
                    let said = options.fetched_at.map(|fetched_at| KoladaSaid {
                        fetched_at,
                        value: after,
                        status: status.clone(),
                    });
                    let writes = writes.entry(target.model.id).or_default();
                    match stored {
                        Some(s) if s.source == ValueSource::Manual && !options.overwrite_manual => {
                            // Kept; only what Kolada said is recorded.
                            if let Some(said) = said
                                && (s.kolada_value != said.value || s.kolada_status != said.status)
                            {
                                writes.push(IndicatorValueWrite {
                                    year: entry.year,
                                    gender: v.gender,
                                    value: s.value,
                                    status: s.status.clone(),
                                    note: s.note.clone(),
                                    source: ValueSource::Manual,
                                    kolada: Some(said),
                                });
                            }
                            outcome.kept_manual.push(change);
                        }
                        _ => {
                            writes.push(IndicatorValueWrite {
                                year: entry.year,
                                gender: v.gender,
                                value: after,
                                status,
                                note: stored.and_then(|s| s.note.clone()),
                                source: options.source,
                                kolada: said,
                            });
                            outcome.changes.push(change);
                        }
                    }
                }
            }
        }
        writes.retain(|_, values| !values.is_empty());
        for (id, values) in writes {
            indicators::write_values(w, id, None, values).await?;
        }
        Ok(outcome)
    }
}

/// One Kolada entry of an export: an indicator's values of one year.
#[derive(Debug, Clone)]
pub struct KoladaExportEntry {
    pub kpi: String,
    pub year: i32,
    pub values: Vec<indicators::StoredValue>,
}

/// The values of the kommun's indicators that have a Kolada id (the first
/// indicator by position when several share one), per Kolada id and year.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn export_kolada(
    db: &DatabaseConnection,
    kommun_id: Uuid,
    year: Option<i32>,
) -> Result<Vec<KoladaExportEntry>, ServiceError> {
    let mut models = indicators_by_kpi(db, kommun_id, None).await?;
    let mut seen = std::collections::HashSet::new();
    models.retain(|m| m.kolada_id.as_ref().is_some_and(|k| seen.insert(k.clone())));
    let data = indicators::load_data(db, kommun_id, models).await?;
    let mut entries: BTreeMap<(String, i32), Vec<indicators::StoredValue>> = BTreeMap::new();
    for d in data {
        let Some(kpi) = d.model.kolada_id.clone() else {
            continue;
        };
        for v in d.values {
            if year.is_none_or(|y| y == v.year) {
                entries.entry((kpi.clone(), v.year)).or_default().push(v);
            }
        }
    }
    Ok(entries
        .into_iter()
        .map(|((kpi, year), mut values)| {
            values.sort_by_key(|v| v.gender);
            KoladaExportEntry { kpi, year, values }
        })
        .collect())
}

// ---------------------------------------------------------------------------
// Flat rows

/// Writes `rows` (nämnd codes already checked to be in `namnder`) in one
/// transaction, all or nothing (see [`flat_import::write_rows`]). With
/// `apply` false everything is rolled back, so a dry run reports exactly
/// what an apply would change. From `copy_from` rows on, PostgreSQL
/// receives the values through `COPY` (see [`super::import_stage`]).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn import_flat(
    db: &DatabaseConnection,
    actor: &Actor,
    namnder: &HashMap<String, namnd::Model>,
    rows: &FlatRows,
    apply: bool,
    copy_from: usize,
) -> Result<FlatOutcome, ImportError> {
    // A large import on PostgreSQL streams its values with COPY into a
    // staging table, dropped here once the transaction has ended.
    let mut stage = if rows.len() >= copy_from {
        Stage::on(db)
    } else {
        None
    };
    let written = audited(db, actor, async |w| {
        let written = flat_import::write_rows(w, namnder, rows, stage.as_mut()).await?;
        if !apply || written.is_err() {
            w.discard();
        }
        Ok(written)
    })
    .await;
    let bulk = matches!(written, Ok(Ok(_))) && apply && stage.as_ref().is_some_and(Stage::is_used);
    if let Some(stage) = stage {
        stage.close().await;
    }
    if bulk {
        // The rows are committed: statistics and visibility follow without
        // keeping the importer waiting (reads meanwhile plan as before the
        // load, and read the table beside the index).
        let db = db.clone();
        tokio::spawn(async move { import_stage::vacuum_values(&db).await });
    }
    written?.map_err(ImportError::Rows)
}

/// One value of an export.
#[derive(Debug, Clone)]
pub struct FlatExportRow {
    pub namnd: String,
    pub kind: BudgetLineKind,
    pub line: String,
    pub name: String,
    pub measure: Measure,
    pub from: i32,
    pub to: i32,
    pub amount_ore: i64,
}

/// Every value of `namnder`' lines (optionally of one kind) that lies in
/// `year` (all years when None), by nämnd code, kind, line order, measure
/// and month.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn export_flat(
    db: &DatabaseConnection,
    namnder: &[namnd::Model],
    kind: Option<BudgetLineKind>,
    year: Option<i32>,
) -> Result<Vec<FlatExportRow>, ServiceError> {
    let mut out = Vec::new();
    let mut namnder: Vec<&namnd::Model> = namnder.iter().collect();
    namnder.sort_by(|a, b| a.code.cmp(&b.code));
    let kinds = match kind {
        Some(k) => vec![k],
        None => vec![BudgetLineKind::Drift, BudgetLineKind::Investering],
    };
    for n in namnder {
        for &kind in &kinds {
            let lines = budget_lines::lines_of(db, n.id, kind).await?;
            let ids: Vec<Uuid> = lines.iter().map(|l| l.id).collect();
            let mut values: HashMap<Uuid, Vec<_>> = HashMap::new();
            for v in budget_lines::values_of(db, &ids).await? {
                if year.is_none_or(|y| v.from_month / 100 == y) {
                    values.entry(v.line_id).or_default().push(v);
                }
            }
            for line in &lines {
                let Some(mut vs) = values.remove(&line.id) else {
                    continue;
                };
                vs.sort_by_key(|v| (v.from_month, v.measure, v.to_month));
                for v in vs {
                    out.push(FlatExportRow {
                        namnd: n.code.clone(),
                        kind,
                        line: line.code.clone(),
                        name: line.name.clone(),
                        measure: v.measure,
                        from: v.from_month,
                        to: v.to_month,
                        amount_ore: v.amount_ore,
                    });
                }
            }
        }
    }
    Ok(out)
}
