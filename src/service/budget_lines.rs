//! Budget lines (verksamhetsområden and huvudprojekt) of a nämnd, their
//! values per month or whole period, and the figures a report shows for
//! them, computed by `domain::line_figures` and `domain::roll_up`.

use super::write::{Write, audited};
use crate::service::search::in_byte_order;
use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::audit::Actor;
use crate::{
    domain::money::{MAX_LINES_PER_KIND, from_ore, to_ore},
    domain::{
        self, Amount, BudgetLine, BudgetLineKind, EntryPeriod, LineEntry, LineFigures, Measure,
        ReportPeriod, RolledUpLine, YearMonth,
    },
    entity::{budget_line, budget_value, namnd},
    service::error::{FieldError, ServiceError, UniqueKey, unique_violation},
    service::{budget_totals::TotalsDelta, crud, crud::PageRequest},
};

super::write::tenant_entity!(budget_line, "budget line", "budget_line");

pub const UQ_CODE: UniqueKey = UniqueKey {
    name: "uq_budget_line_namnd_kind_code",
    table: "budget_line",
    columns: &["namnd_id", "kind", "code"],
};

/// `yyyymm` as stored.
pub fn month_key(ym: YearMonth) -> i32 {
    ym.year() * 100 + ym.month() as i32
}

fn month_of(key: i32) -> Result<YearMonth, ServiceError> {
    YearMonth::new(key / 100, (key % 100) as u32)
        .map_err(|e| ServiceError::Unexpected(format!("stored month {key}: {e}")))
}

/// One value to write: `amount` None deletes it.
#[derive(Debug, Clone, Copy)]
pub struct ValueWrite {
    pub measure: Measure,
    pub period: EntryPeriod,
    pub amount_ore: Option<i64>,
}

/// A stored value as the domain sees it.
pub fn entry_of(v: &budget_value::Model) -> Result<LineEntry, ServiceError> {
    stored_entry(v.measure, v.from_month, v.to_month, v.amount_ore)
}

/// A stored (measure, from, to, amount) as the domain sees it.
pub fn stored_entry(
    measure: Measure,
    from_month: i32,
    to_month: i32,
    amount_ore: i64,
) -> Result<LineEntry, ServiceError> {
    let period = EntryPeriod::range(month_of(from_month)?, month_of(to_month)?)
        .map_err(|e| ServiceError::Unexpected(format!("stored value period: {e}")))?;
    Ok(LineEntry::new(
        period,
        measure,
        Amount(from_ore(amount_ore)),
    ))
}

/// (measure, from_month, to_month) of a stored value.
pub type ValueKey = (Measure, i32, i32);

pub fn key_of(measure: Measure, period: EntryPeriod) -> ValueKey {
    (measure, month_key(period.from()), month_key(period.to()))
}

/// The new value set of one line after `writes`, checked by the domain
/// (no month counted twice). Errors name `field`.
fn merged_values(
    existing: &[budget_value::Model],
    writes: &[ValueWrite],
    field: &str,
) -> Result<BTreeMap<ValueKey, i64>, ServiceError> {
    let mut values = BTreeMap::new();
    for v in existing {
        let e = entry_of(v)?;
        values.insert(key_of(e.measure, e.period), v.amount_ore);
    }
    for w in writes {
        let key = key_of(w.measure, w.period);
        match w.amount_ore {
            Some(amount) => values.insert(key, amount),
            None => values.remove(&key),
        };
    }
    check_entries(&values, field)?;
    Ok(values)
}

/// Checks a line's complete value set with the domain: no month counted
/// twice (a month may sit inside a whole-period value, never cross one). The error names `field`.
pub fn check_entries(values: &BTreeMap<ValueKey, i64>, field: &str) -> Result<(), ServiceError> {
    let entries: Vec<LineEntry> = values
        .iter()
        .map(|(&(measure, from, to), &ore)| {
            let period = EntryPeriod::range(month_of(from)?, month_of(to)?)
                .map_err(|e| ServiceError::validation(field, e.to_string()))?;
            Ok(LineEntry::new(period, measure, Amount(from_ore(ore))))
        })
        .collect::<Result<_, ServiceError>>()?;
    domain::validate_entries(&entries).map_err(|e| {
        ServiceError::validation(field, format!("{e}: values of one measure may share months only when one period lies wholly inside the other (a month beside its whole year), never when they cross or repeat"))
    })
}

/// Writes the difference between the stored values of `line` and `target`,
/// and records it in `totals` (which the caller applies in the same
/// transaction).
async fn apply_values(
    w: &Write<'_>,
    line: &budget_line::Model,
    existing: &[budget_value::Model],
    target: &BTreeMap<ValueKey, i64>,
    totals: &mut TotalsDelta,
) -> Result<usize, ServiceError> {
    let db = w.db();
    let now = crate::service::clock::now();
    let mut changed = 0;
    let mut kept: HashMap<ValueKey, &budget_value::Model> = HashMap::new();
    for v in existing {
        let e = entry_of(v)?;
        kept.insert(key_of(e.measure, e.period), v);
    }
    let mut stale: Vec<Uuid> = Vec::new();
    for (&key, v) in &kept {
        if !target.contains_key(&key) {
            w.ensure_open_months(key.1, key.2).await?;
            stale.push(v.id);
            totals.add(line, key, -v.amount_ore, -1)?;
        }
    }
    if !stale.is_empty() {
        changed += stale.len();
        budget_value::Entity::delete_many()
            .filter(budget_value::Column::Id.is_in(stale))
            .exec(db)
            .await?;
    }
    let mut inserts = Vec::new();
    for (&(measure, from, to), &amount) in target {
        match kept.get(&(measure, from, to)) {
            Some(v) if v.amount_ore == amount => {}
            Some(v) => {
                w.ensure_open_months(from, to).await?;
                changed += 1;
                totals.add(line, (measure, from, to), amount - v.amount_ore, 0)?;
                budget_value::Entity::update_many()
                    .set(budget_value::ActiveModel {
                        amount_ore: Set(amount),
                        updated_at: Set(now),
                        ..Default::default()
                    })
                    .filter(budget_value::Column::Id.eq(v.id))
                    .exec(db)
                    .await?;
            }
            None => {
                w.ensure_open_months(from, to).await?;
                changed += 1;
                totals.add(line, (measure, from, to), amount, 1)?;
                inserts.push(new_value(line, (measure, from, to), amount, now));
            }
        }
    }
    for chunk in inserts.chunks(500) {
        budget_value::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(changed)
}

/// A value of `line` to insert.
pub fn new_value(
    line: &budget_line::Model,
    (measure, from, to): ValueKey,
    amount_ore: i64,
    now: chrono::DateTime<Utc>,
) -> budget_value::ActiveModel {
    budget_value::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun_id: Set(line.kommun_id),
        line_id: Set(line.id),
        measure: Set(measure),
        from_month: Set(from),
        to_month: Set(to),
        amount_ore: Set(amount_ore),
        updated_at: Set(now),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn values_of(
    db: &impl ConnectionTrait,
    line_ids: &[Uuid],
) -> Result<Vec<budget_value::Model>, ServiceError> {
    if line_ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(budget_value::Entity::find()
        .filter(budget_value::Column::LineId.is_in(line_ids.to_vec()))
        .order_by_asc(budget_value::Column::LineId)
        .order_by_asc(budget_value::Column::Measure)
        .order_by_asc(budget_value::Column::FromMonth)
        .order_by_asc(budget_value::Column::ToMonth)
        .all(db)
        .await?)
}

/// Whose values [`value_tuples`] reads.
pub enum ValuesOf {
    /// These lines'.
    Lines(Vec<Uuid>),
    /// The lines of a nämnd's table of one kind. Joined on the lines rather
    /// than asked for by a list of their ids: without statistics (straight
    /// after a bulk load) PostgreSQL reads a list of 300 ids with a scan of
    /// the whole table, and the join with an index walk of the lines it
    /// needs (52 ms against 6 ms for a nämnd of the bench kommun).
    Table(Uuid, BudgetLineKind),
}

/// A stored value as the figures read it: (line_id, measure, from_month,
/// to_month, amount_ore).
pub type ValueTuple = (Uuid, Measure, i32, i32, i64);

/// The [`ValueTuple`]s of the values of `of`; with `report_year`, only those a report of that year reads.
/// Only the columns the figures need, read by position: a large nämnd has
/// tens of thousands of values, and decoding whole rows (ids, timestamps)
/// costs more than the query.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn value_tuples(
    db: &impl ConnectionTrait,
    of: ValuesOf,
    report_year: Option<i32>,
) -> Result<Vec<ValueTuple>, ServiceError> {
    use budget_value::Column as C;
    use sea_orm::{JoinType, QuerySelect};
    let mut query = budget_value::Entity::find().select_only().columns([
        C::LineId,
        C::Measure,
        C::FromMonth,
        C::ToMonth,
        C::AmountOre,
    ]);
    query = match of {
        ValuesOf::Lines(ids) => query.filter(C::LineId.is_in(ids)),
        ValuesOf::Table(namnd_id, kind) => query
            .join(
                JoinType::InnerJoin,
                budget_value::Entity::belongs_to(budget_line::Entity)
                    .from(C::LineId)
                    .to(budget_line::Column::Id)
                    .into(),
            )
            .filter(budget_line::Column::NamndId.eq(namnd_id))
            .filter(budget_line::Column::Kind.eq(kind)),
    };
    if let Some(year) = report_year {
        // What a report of `year` reads (see `domain::line_figures`): every
        // measure of the year, and the year before only for its utfall
        // (the föregående år columns). A third fewer rows than both years'.
        let last_years_utfall = sea_orm::Condition::all()
            .add(C::Measure.eq(Measure::Utfall))
            .add(C::FromMonth.gte((year - 1) * 100 + 1));
        query = query
            .filter(
                sea_orm::Condition::any()
                    .add(C::FromMonth.gte(year * 100 + 1))
                    .add(last_years_utfall),
            )
            .filter(C::ToMonth.lte(year * 100 + 12));
    }
    Ok(query.into_tuple().all(db).await?)
}

/// Upserts values of one line, all or nothing. Returns how many changed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_values(
    db: &DatabaseConnection,
    actor: &Actor,
    line: &budget_line::Model,
    writes: &[ValueWrite],
) -> Result<usize, ServiceError> {
    audited(db, actor, async |w| {
        let txn = w.db();
        let existing = values_of(txn, &[line.id]).await?;
        let target = merged_values(&existing, writes, "values")?;
        let mut totals = TotalsDelta::default();
        let changed = apply_values(w, line, &existing, &target, &mut totals).await?;
        totals.apply(txn, actor.kommun_id).await?;
        if changed > 0 {
            let after = values_of(txn, &[line.id]).await?;
            w.record(
                "budget_line_values",
                Some(line.id),
                "put",
                Some(&existing),
                Some(&after),
            )?;
        }
        Ok(changed)
    })
    .await
}

/// A new line or changes to one.
#[derive(Debug, Clone)]
pub struct LineWrite {
    pub code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub planned_completion: Option<YearMonth>,
    pub position: Option<i32>,
}

/// Checks that `parent_id` is a line of the same nämnd and kind and that no
/// cycle would arise.
async fn check_parent(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    namnd_id: Uuid,
    kind: BudgetLineKind,
    line_id: Option<Uuid>,
    parent_id: Option<Uuid>,
    field: &str,
) -> Result<(), ServiceError> {
    let mut next = parent_id;
    let mut depth = 0;
    while let Some(id) = next {
        if Some(id) == line_id {
            return Err(ServiceError::validation(
                field,
                "would make the line its own ancestor",
            ));
        }
        let parent = crud::get_named::<budget_line::Entity>(db, kommun_id, id, field).await?;
        if parent.namnd_id != namnd_id || parent.kind != kind {
            return Err(ServiceError::validation(
                field,
                "must be a line of the same nämnd and kind",
            ));
        }
        depth += 1;
        if depth > domain::MAX_ROLLUP_DEPTH {
            return Err(ServiceError::validation(field, "lines are nested too deep"));
        }
        next = parent.parent_id;
    }
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    namnd_id: Uuid,
    kind: BudgetLineKind,
    write: LineWrite,
) -> Result<budget_line::Model, ServiceError> {
    audited(db, actor, async |w| {
        let txn = w.db();
        check_parent(
            txn,
            actor.kommun_id,
            namnd_id,
            kind,
            None,
            write.parent_id,
            "parent_id",
        )
        .await?;
        ensure_room(txn, namnd_id, kind, 1).await?;
        let created = insert_line(txn, actor.kommun_id, namnd_id, kind, write).await?;
        w.created(&created)?;
        Ok(created)
    })
    .await
}

/// Refuses a write that would give a nämnd more than [`MAX_LINES_PER_KIND`]
/// lines of `kind` by adding `added` new ones: 409, nothing written. The
/// bound keeps the nämnd's totals exact. The lines are counted with the
/// nämnd's row locked, so writes that add lines to one nämnd take turns
/// and cannot pass the bound together.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn ensure_room(
    db: &impl ConnectionTrait,
    namnd_id: Uuid,
    kind: BudgetLineKind,
    added: usize,
) -> Result<(), ServiceError> {
    if added == 0 {
        return Ok(());
    }
    namnd::Entity::find_by_id(namnd_id)
        .lock_exclusive()
        .one(db)
        .await?;
    let existing = budget_line::Entity::find()
        .filter(budget_line::Column::NamndId.eq(namnd_id))
        .filter(budget_line::Column::Kind.eq(kind))
        .count(db)
        .await?;
    let total = usize::try_from(existing)
        .unwrap_or(usize::MAX)
        .saturating_add(added);
    if total > MAX_LINES_PER_KIND {
        return Err(ServiceError::Conflict(format!(
            "the nämnd would have {total} {kind} lines; a nämnd has at most \
             {MAX_LINES_PER_KIND} lines of one kind"
        )));
    }
    Ok(())
}

async fn insert_line(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    namnd_id: Uuid,
    kind: BudgetLineKind,
    write: LineWrite,
) -> Result<budget_line::Model, ServiceError> {
    let now = crate::service::clock::now();
    let position = write.position.unwrap_or(0);
    let model = budget_line::ActiveModel {
        id: Set(Uuid::now_v7()),
        kommun_id: Set(kommun_id),
        namnd_id: Set(namnd_id),
        kind: Set(kind),
        code: Set(write.code),
        name: Set(write.name),
        parent_id: Set(write.parent_id),
        planned_completion: Set(write.planned_completion.map(month_key)),
        position: Set(position),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    budget_line::Entity::insert(model)
        .exec_with_returning(db)
        .await
        .map_err(|e| {
            unique_violation(
                e,
                &UQ_CODE,
                "code",
                "the nämnd already has a line of this kind with this code",
            )
        })
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    current: &budget_line::Model,
    write: LineWrite,
) -> Result<budget_line::Model, ServiceError> {
    audited(db, actor, async |w| {
        let txn = w.db();
        check_parent(
            txn,
            actor.kommun_id,
            current.namnd_id,
            current.kind,
            Some(current.id),
            write.parent_id,
            "parent_id",
        )
        .await?;
        let changes = budget_line::ActiveModel {
            code: Set(write.code),
            name: Set(write.name),
            parent_id: Set(write.parent_id),
            planned_completion: Set(write.planned_completion.map(month_key)),
            position: write.position.map(Set).unwrap_or_default(),
            updated_at: Set(crate::service::clock::now()),
            ..Default::default()
        };
        w.update::<budget_line::Entity, _>(current, current.version, changes)
            .await
            .map_err(|e| match e {
                ServiceError::Db(err) => unique_violation(
                    err,
                    &UQ_CODE,
                    "code",
                    "the nämnd already has a line of this kind with this code",
                ),
                other => other,
            })
    })
    .await
}

/// Deletes the line; its values go with it (cascade), so they are first
/// subtracted from the nämnd's totals in the same transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    current: &budget_line::Model,
) -> Result<(), ServiceError> {
    audited(db, actor, async |w| {
        let txn = w.db();
        let mut totals = TotalsDelta::default();
        for v in values_of(txn, &[current.id]).await? {
            w.ensure_open_months(v.from_month, v.to_month).await?;
            let e = entry_of(&v)?;
            totals.add(current, key_of(e.measure, e.period), -v.amount_ore, -1)?;
        }
        // The line's values go with it (cascade); the totals are applied
        // after, as the ledger then stands.
        w.delete::<budget_line::Entity>(current, current.version)
            .await?;
        totals.apply(txn, actor.kommun_id).await
    })
    .await
}

#[derive(Default)]
pub struct LineFilter {
    pub namnd_id: Option<Uuid>,
    pub kind: Option<BudgetLineKind>,
    pub code: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: &LineFilter,
    page: &PageRequest,
) -> Result<(Vec<budget_line::Model>, Option<Uuid>), ServiceError> {
    let mut condition = Condition::all();
    if let Some(id) = filter.namnd_id {
        condition = condition.add(budget_line::Column::NamndId.eq(id));
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(budget_line::Column::Kind.eq(kind));
    }
    if let Some(code) = &filter.code {
        condition = condition.add(budget_line::Column::Code.eq(code.as_str()));
    }
    crud::list::<budget_line::Entity>(db, kommun_id, condition, page).await
}

/// The lines of one nämnd and kind, in report order (position, then code).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn lines_of(
    db: &impl ConnectionTrait,
    namnd_id: Uuid,
    kind: BudgetLineKind,
) -> Result<Vec<budget_line::Model>, ServiceError> {
    Ok(budget_line::Entity::find()
        .filter(budget_line::Column::NamndId.eq(namnd_id))
        .filter(budget_line::Column::Kind.eq(kind))
        .order_by_asc(budget_line::Column::Position)
        .order_by_asc(in_byte_order(db, budget_line::Column::Code))
        .all(db)
        .await?)
}

/// One row of a whole-table upsert (a report's driftredovisning).
#[derive(Debug, Clone)]
pub struct TableRow {
    pub code: String,
    pub name: Option<String>,
    pub parent_code: Option<String>,
    pub planned_completion: Option<YearMonth>,
    pub values: Vec<ValueWrite>,
}

/// Upserts a whole table of lines with their values for one nämnd, in one
/// transaction: every row's errors are collected (`lines[i].field`) and
/// nothing is written unless all rows are valid. Returns (lines created,
/// values changed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn put_table(
    db: &DatabaseConnection,
    actor: &Actor,
    namnd_id: Uuid,
    kind: BudgetLineKind,
    rows: &[TableRow],
) -> Result<(usize, usize), ServiceError> {
    audited(db, actor, async |w| {
        let txn = w.db();
        let mut lines: HashMap<String, budget_line::Model> = lines_of(txn, namnd_id, kind)
            .await?
            .into_iter()
            .map(|l| (l.code.clone(), l))
            .collect();
        let mut errors = Vec::new();
        let mut seen = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            if let Some(first) = seen.insert(row.code.as_str(), i) {
                errors.push(FieldError::new(
                    format!("lines[{i}].code"),
                    format!("repeats the code of lines[{first}]"),
                ));
            }
            if !lines.contains_key(&row.code) && row.name.is_none() {
                errors.push(FieldError::new(
                    format!("lines[{i}].name"),
                    "is required for a new line",
                ));
            }
            if let Some(parent) = &row.parent_code
                && !lines.contains_key(parent)
                && !rows.iter().any(|r| &r.code == parent)
            {
                errors.push(FieldError::new(
                    format!("lines[{i}].parent_code"),
                    format!("no line with code {parent:?}"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let added = seen
            .keys()
            .filter(|code| !lines.contains_key(**code))
            .count();
        ensure_room(txn, namnd_id, kind, added).await?;
        // Create or rename lines: parents before children.
        let mut created = 0;
        let mut pending: Vec<&TableRow> = rows.iter().collect();
        let last = lines.values().map(|l| l.position).max();
        let positions: HashMap<&str, i32> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.as_str(), crud::position_after(last, i)))
            .collect();
        while !pending.is_empty() {
            let before = pending.len();
            let mut rest = Vec::new();
            for row in pending {
                let parent_id = match &row.parent_code {
                    None => None,
                    Some(code) => match lines.get(code) {
                        Some(p) => Some(p.id),
                        None => {
                            rest.push(row);
                            continue;
                        }
                    },
                };
                match lines.get(&row.code) {
                    Some(existing) => {
                        let name = row.name.clone().unwrap_or_else(|| existing.name.clone());
                        let parent_changed =
                            row.parent_code.is_some() && existing.parent_id != parent_id;
                        if name != existing.name
                            || parent_changed
                            || (row.planned_completion.is_some()
                                && existing.planned_completion
                                    != row.planned_completion.map(month_key))
                        {
                            let changes = budget_line::ActiveModel {
                                name: Set(name),
                                parent_id: if parent_changed {
                                    Set(parent_id)
                                } else {
                                    Default::default()
                                },
                                planned_completion: row
                                    .planned_completion
                                    .map(|m| Set(Some(month_key(m))))
                                    .unwrap_or_default(),
                                updated_at: Set(crate::service::clock::now()),
                                ..Default::default()
                            };
                            let after = w
                                .update::<budget_line::Entity, _>(
                                    existing,
                                    existing.version,
                                    changes,
                                )
                                .await?;
                            lines.insert(row.code.clone(), after);
                        }
                    }
                    None => {
                        let write = LineWrite {
                            code: row.code.clone(),
                            name: row.name.clone().unwrap_or_default(),
                            parent_id,
                            planned_completion: row.planned_completion,
                            position: positions.get(row.code.as_str()).copied(),
                        };
                        let line = insert_line(txn, actor.kommun_id, namnd_id, kind, write).await?;
                        w.created(&line)?;
                        created += 1;
                        lines.insert(row.code.clone(), line);
                    }
                }
            }
            if rest.len() == before {
                return Err(ServiceError::validation(
                    "lines",
                    "the parent_code links form a cycle",
                ));
            }
            pending = rest;
        }
        let ids: Vec<Uuid> = rows
            .iter()
            .filter_map(|r| lines.get(&r.code).map(|l| l.id))
            .collect();
        let mut existing: HashMap<Uuid, Vec<budget_value::Model>> = HashMap::new();
        for v in values_of(txn, &ids).await? {
            existing.entry(v.line_id).or_default().push(v);
        }
        let mut targets = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let Some(line) = lines.get(&row.code) else {
                continue;
            };
            let current = existing.remove(&line.id).unwrap_or_default();
            match merged_values(&current, &row.values, &format!("lines[{i}].values")) {
                Ok(target) => targets.push((line, current, target)),
                Err(ServiceError::Validation(mut e)) => errors.append(&mut e),
                Err(other) => return Err(other),
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Validation(errors));
        }
        let mut changed = 0;
        let mut totals = TotalsDelta::default();
        for (line, current, target) in &targets {
            changed += apply_values(w, line, current, target, &mut totals).await?;
        }
        totals.apply(txn, actor.kommun_id).await?;
        audit_table(w, namnd_id, kind, rows.len(), created, changed)?;
        Ok((created, changed))
    })
    .await
}

/// Records a whole-table write of a nämnd's lines of `kind` in the audit log
/// (as a summary: a table can hold thousands of values), unless nothing
/// changed.
pub fn audit_table(
    w: &Write<'_>,
    namnd_id: Uuid,
    kind: BudgetLineKind,
    lines: usize,
    created: usize,
    changed: usize,
) -> Result<(), ServiceError> {
    if changed == 0 && created == 0 {
        return Ok(());
    }
    #[derive(Serialize)]
    struct TableSnapshot<'a> {
        kind: &'a str,
        lines: usize,
        lines_created: usize,
        values_changed: usize,
    }
    let summary = TableSnapshot {
        kind: kind.as_str(),
        lines,
        lines_created: created,
        values_changed: changed,
    };
    w.record(
        "budget_table",
        Some(namnd_id),
        "put",
        None::<&()>,
        Some(&summary),
    )
}

/// The figures of a nämnd's lines of `kind` for a report period: each line
/// with its children nested (parents include their children) and the total.
pub struct ReportTable {
    pub lines: HashMap<Uuid, budget_line::Model>,
    pub rows: Vec<RolledUpLine<Uuid>>,
    pub total: LineFigures,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn report_table(
    db: &impl ConnectionTrait,
    namnd_id: Uuid,
    kind: BudgetLineKind,
    period: ReportPeriod,
) -> Result<ReportTable, ServiceError> {
    let lines = lines_of(db, namnd_id, kind).await?;
    let values = if lines.is_empty() {
        vec![]
    } else {
        value_tuples(db, ValuesOf::Table(namnd_id, kind), Some(period.year())).await?
    };
    let mut entries: HashMap<Uuid, Vec<LineEntry>> = HashMap::new();
    for (line_id, measure, from_month, to_month, amount_ore) in values {
        entries
            .entry(line_id)
            .or_default()
            .push(stored_entry(measure, from_month, to_month, amount_ore)?);
    }
    let overflow = |e: domain::DomainError| ServiceError::Unexpected(format!("figures: {e}"));
    let budget_lines = lines
        .iter()
        .map(|l| {
            let figures =
                domain::line_figures(entries.get(&l.id).map(Vec::as_slice).unwrap_or(&[]), period)
                    .map_err(overflow)?;
            Ok(BudgetLine {
                id: l.id,
                parent: l.parent_id,
                figures,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    let rows = domain::roll_up(&budget_lines)
        .map_err(|e| ServiceError::Unexpected(format!("roll-up: {e}")))?;
    let total = domain::summa(rows.iter().map(|r| &r.figures)).map_err(overflow)?;
    Ok(ReportTable {
        lines: lines.into_iter().map(|l| (l.id, l)).collect(),
        rows,
        total,
    })
}

/// The value of `amount` in kronor as öre, or a field error.
pub fn amount_to_ore(
    amount: rust_decimal::Decimal,
    costs_positive: bool,
    measure: Measure,
    field: &str,
) -> Result<i64, FieldError> {
    // Sources that write costs as positive numbers: utfall, budget and
    // prognos are all turned into the result convention on the way in.
    let _ = measure;
    let value = if costs_positive {
        Amount::from_cost_positive(amount).0
    } else {
        amount
    };
    to_ore(value).map_err(|e| FieldError::new(field, e))
}
