//! Integration imports and exports: Kolada v2 indicator values and flat
//! budget rows (Hypergene-style planning exports and ledgers). Every import
//! runs in one transaction, all or nothing; a dry run runs the same steps
//! and rolls back, so it reports exactly what an apply would change.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use super::{
    audit::Actor,
    budget_lines::{self, TableRow, ValueWrite as LineValueWrite, month_key},
    indicators::{self, ValueWrite as IndicatorValueWrite},
};
use crate::{
    domain::{BudgetLineKind, Gender, Measure},
    entity::{budget_line, indicator, namnd},
    error::{ApiError, FieldError},
};

/// A problem with one row of an imported file: `index` is the row's
/// position among the file's data rows (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub index: usize,
    pub field: String,
    pub message: String,
}

impl RowIssue {
    pub fn new(index: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        RowIssue {
            index,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why an import was refused: row errors, or anything else.
#[derive(Debug)]
pub enum ImportError {
    Rows(Vec<RowIssue>),
    Other(ApiError),
}

impl From<ApiError> for ImportError {
    fn from(e: ApiError) -> Self {
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
}

#[derive(Debug, Default)]
pub struct KoladaOutcome {
    pub changes: Vec<KoladaChange>,
    pub unchanged: usize,
    /// (index, reason) of entries that were not applied.
    pub skipped: Vec<(usize, String)>,
}

/// Indicators of the kommun by Kolada id, in position order.
pub(crate) async fn indicators_by_kpi(
    db: &impl sea_orm::ConnectionTrait,
    kommun_id: Uuid,
    kpis: Option<Vec<String>>,
) -> Result<Vec<indicator::Model>, ApiError> {
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
pub async fn import_kolada(
    db: &DatabaseConnection,
    actor: &Actor,
    entries: &[KoladaEntry],
    apply: bool,
) -> Result<KoladaOutcome, ApiError> {
    let txn = db.begin().await?;
    let mut kpis: Vec<String> = entries.iter().map(|e| e.kpi.clone()).collect();
    kpis.sort();
    kpis.dedup();
    let models = indicators_by_kpi(&txn, actor.kommun_id, Some(kpis)).await?;
    let data = indicators::load_data(&txn, actor.kommun_id, models).await?;
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
                let no_data = v.value.is_none() && v.status.is_none();
                let same = stored.is_some_and(|s| s.value == v.value && s.status == v.status);
                if no_data || same {
                    outcome.unchanged += 1;
                    continue;
                }
                outcome.changes.push(KoladaChange {
                    kpi: entry.kpi.clone(),
                    indicator_id: target.model.id,
                    year: entry.year,
                    gender: v.gender,
                    before: stored.and_then(|s| s.value),
                    after: v.value,
                    status: v.status.clone(),
                });
                writes
                    .entry(target.model.id)
                    .or_default()
                    .push(IndicatorValueWrite {
                        year: entry.year,
                        gender: v.gender,
                        value: v.value,
                        status: v.status.clone(),
                        note: stored.and_then(|s| s.note.clone()),
                    });
            }
        }
    }
    if apply && !writes.is_empty() {
        for (id, w) in writes {
            indicators::put_values(&txn, actor, id, None, w).await?;
        }
        txn.commit().await?;
    } else {
        txn.rollback().await?;
    }
    Ok(outcome)
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
pub async fn export_kolada(
    db: &DatabaseConnection,
    kommun_id: Uuid,
    year: Option<i32>,
) -> Result<Vec<KoladaExportEntry>, ApiError> {
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

/// One checked flat row: a value of a budget line of a nämnd.
#[derive(Debug, Clone)]
pub struct FlatRow {
    pub index: usize,
    pub namnd: String,
    pub kind: BudgetLineKind,
    pub line: String,
    /// Name for a new line (or a new name for an existing one).
    pub name: Option<String>,
    pub write: LineValueWrite,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedLine {
    pub namnd: String,
    pub kind: BudgetLineKind,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatChange {
    pub index: usize,
    pub namnd: String,
    pub kind: BudgetLineKind,
    pub line: String,
    pub measure: Measure,
    pub from: i32,
    pub to: i32,
    pub before_ore: Option<i64>,
    pub after_ore: Option<i64>,
}

#[derive(Debug, Default)]
pub struct FlatOutcome {
    pub lines_created: Vec<CreatedLine>,
    pub values_changed: usize,
    /// The first [`MAX_LISTED`] changed values.
    pub changes: Vec<FlatChange>,
    pub unchanged: usize,
}

/// How many changed values a report lists (the count covers all).
pub const MAX_LISTED: usize = 1000;

type ValueKey = (Measure, i32, i32);

fn value_key(w: &LineValueWrite) -> ValueKey {
    (
        w.measure,
        month_key(w.period.from()),
        month_key(w.period.to()),
    )
}

/// Writes `rows` (nämnd codes already checked to be in `namnder`) through
/// [`budget_lines::put_table`], one call per nämnd and kind, all in one
/// transaction. With `apply` false everything is rolled back.
pub async fn import_flat(
    db: &DatabaseConnection,
    actor: &Actor,
    namnder: &HashMap<String, namnd::Model>,
    rows: &[FlatRow],
    apply: bool,
) -> Result<FlatOutcome, ImportError> {
    // Group per nämnd and kind, and per line in order of appearance.
    type Group<'a> = Vec<(&'a str, Vec<&'a FlatRow>)>;
    let mut groups: BTreeMap<(&str, BudgetLineKind), Group<'_>> = BTreeMap::new();
    let mut issues = Vec::new();
    let mut first_of: HashMap<(&str, BudgetLineKind, &str, ValueKey), usize> = HashMap::new();
    for row in rows {
        if let Some(first) = first_of.insert(
            (&row.namnd, row.kind, &row.line, value_key(&row.write)),
            row.index,
        ) {
            issues.push(RowIssue::new(
                row.index,
                "month",
                format!("repeats the value of row {}", first + 1),
            ));
            continue;
        }
        let group = groups.entry((&row.namnd, row.kind)).or_default();
        match group.iter_mut().find(|(code, _)| *code == row.line) {
            Some((_, list)) => list.push(row),
            None => group.push((&row.line, vec![row])),
        }
    }
    if !issues.is_empty() {
        return Err(ImportError::Rows(issues));
    }
    let txn = db.begin().await?;
    let mut outcome = FlatOutcome::default();
    for ((namnd_code, kind), lines) in &groups {
        let Some(namnd) = namnder.get(*namnd_code) else {
            return Err(ApiError::Unexpected(format!("nämnd {namnd_code} not resolved")).into());
        };
        let existing: HashMap<String, budget_line::Model> =
            budget_lines::lines_of(&txn, namnd.id, *kind)
                .await?
                .into_iter()
                .map(|l| (l.code.clone(), l))
                .collect();
        let ids: Vec<Uuid> = existing.values().map(|l| l.id).collect();
        let mut stored: HashMap<(Uuid, ValueKey), i64> = HashMap::new();
        for v in budget_lines::values_of(&txn, &ids).await? {
            let Some(measure) = budget_lines::parse_measure(&v.measure) else {
                continue;
            };
            stored.insert(
                (v.line_id, (measure, v.from_month, v.to_month)),
                v.amount_ore,
            );
        }
        let mut table = Vec::with_capacity(lines.len());
        for (code, line_rows) in lines {
            let given = line_rows.iter().rev().find_map(|r| r.name.clone());
            let line = existing.get(*code);
            let name = match line {
                Some(_) => given,
                None => {
                    let name = given.unwrap_or_else(|| code.to_string());
                    outcome.lines_created.push(CreatedLine {
                        namnd: namnd_code.to_string(),
                        kind: *kind,
                        code: code.to_string(),
                        name: name.clone(),
                    });
                    Some(name)
                }
            };
            for r in line_rows {
                let key = value_key(&r.write);
                let before = line.and_then(|l| stored.get(&(l.id, key)).copied());
                if before == r.write.amount_ore {
                    outcome.unchanged += 1;
                } else if outcome.changes.len() < MAX_LISTED {
                    outcome.changes.push(FlatChange {
                        index: r.index,
                        namnd: namnd_code.to_string(),
                        kind: *kind,
                        line: code.to_string(),
                        measure: r.write.measure,
                        from: key.1,
                        to: key.2,
                        before_ore: before,
                        after_ore: r.write.amount_ore,
                    });
                }
            }
            table.push(TableRow {
                code: code.to_string(),
                name,
                parent_code: None,
                planned_completion: None,
                values: line_rows.iter().map(|r| r.write).collect(),
            });
        }
        match budget_lines::put_table(&txn, actor, namnd.id, *kind, &table).await {
            Ok((_, changed)) => outcome.values_changed += changed,
            Err(ApiError::Validation(errors)) => {
                issues.extend(errors.into_iter().map(|e| row_issue(e, lines)));
            }
            Err(other) => return Err(other.into()),
        }
    }
    if !issues.is_empty() {
        txn.rollback().await?;
        issues.sort_by_key(|i| i.index);
        return Err(ImportError::Rows(issues));
    }
    if apply {
        txn.commit().await?;
    } else {
        txn.rollback().await?;
    }
    Ok(outcome)
}

/// A field error of `put_table` (`lines[i].values`) as an issue of the first
/// source row of that line.
fn row_issue(e: FieldError, lines: &[(&str, Vec<&FlatRow>)]) -> RowIssue {
    let index = e
        .field
        .strip_prefix("lines[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| lines.get(i))
        .and_then(|(_, rows)| rows.first())
        .map_or(0, |r| r.index);
    let field = if e.field.ends_with(".name") {
        "name"
    } else if e.field.ends_with(".code") {
        "line"
    } else {
        "month"
    };
    RowIssue::new(index, field, e.message)
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
pub async fn export_flat(
    db: &DatabaseConnection,
    namnder: &[namnd::Model],
    kind: Option<BudgetLineKind>,
    year: Option<i32>,
) -> Result<Vec<FlatExportRow>, ApiError> {
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
                vs.sort_by_key(|v| {
                    let measure = budget_lines::parse_measure(&v.measure);
                    (v.from_month, measure, v.to_month)
                });
                for v in vs {
                    let Some(measure) = budget_lines::parse_measure(&v.measure) else {
                        continue;
                    };
                    out.push(FlatExportRow {
                        namnd: n.code.clone(),
                        kind,
                        line: line.code.clone(),
                        name: line.name.clone(),
                        measure,
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
