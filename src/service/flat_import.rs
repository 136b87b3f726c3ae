//! The write path of flat imports, built for files of a million rows:
//! checked rows are held compactly (each nämnd code, line code and name
//! stored once), lines are created and values upserted with multi-row
//! statements, and the stored values are read per batch of lines, never one
//! query per row. Same rules as [`super::budget_lines::put_table`]: no month
//! counted twice per line, totals kept, one audit entry per nämnd and kind.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Instant,
};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    sea_query::OnConflict,
};
use uuid::Uuid;

use super::write::Write;
use super::{
    budget_lines::{self, ValueKey, ValueWrite, key_of},
    budget_totals::TotalsDelta,
    import_readers::RowIssue,
    import_stage::{Op, Stage},
};
use crate::{
    domain::{BudgetLineKind, Measure},
    entity::{budget_line, budget_value, namnd},
    service::error::{ServiceError, unique_violation},
};

/// One checked flat row: a value of a budget line of a nämnd.
#[derive(Debug, Clone)]
pub struct FlatRow {
    pub index: usize,
    pub namnd: String,
    pub kind: BudgetLineKind,
    pub line: String,
    /// Name for a new line (or a new name for an existing one).
    pub name: Option<String>,
    pub write: ValueWrite,
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

/// Rows per multi-row INSERT (8–12 parameters each, well under the limits
/// of both databases).
const CHUNK: usize = 1000;
/// Line ids per `IN (…)` when reading stored values.
const LINES_PER_READ: usize = 500;

/// Each distinct text once, by number.
#[derive(Default)]
struct Texts {
    ids: HashMap<Arc<str>, u32>,
    texts: Vec<Arc<str>>,
}

impl Texts {
    fn id(&mut self, text: String) -> u32 {
        if let Some(&id) = self.ids.get(text.as_str()) {
            return id;
        }
        let id = self.texts.len() as u32;
        let text: Arc<str> = text.into();
        self.texts.push(text.clone());
        self.ids.insert(text, id);
        id
    }

    fn get(&self, id: u32) -> &str {
        &self.texts[id as usize]
    }
}

/// A line the rows name: nämnd code, kind and line code.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct LineRef {
    namnd: u32,
    kind: BudgetLineKind,
    code: u32,
}

struct LineSlot {
    line: LineRef,
    /// The last name a row gives the line.
    name: Option<u32>,
}

/// A checked row in 32 bytes (a million of them are held at once): its
/// value's key spread out, the amount apart from whether there is one.
struct PackedRow {
    index: u32,
    slot: u32,
    from: i32,
    to: i32,
    amount_ore: i64,
    measure: Measure,
    /// False when the row removes the value (then `amount_ore` is 0).
    has_amount: bool,
}

impl PackedRow {
    fn new(index: usize, slot: u32, write: &ValueWrite) -> Self {
        let (measure, from, to) = key_of(write.measure, write.period);
        PackedRow {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            slot,
            from,
            to,
            amount_ore: write.amount_ore.unwrap_or(0),
            measure,
            has_amount: write.amount_ore.is_some(),
        }
    }

    fn index(&self) -> usize {
        self.index as usize
    }

    fn key(&self) -> ValueKey {
        (self.measure, self.from, self.to)
    }

    fn amount_ore(&self) -> Option<i64> {
        self.has_amount.then_some(self.amount_ore)
    }
}

/// Checked flat rows in file order, compact enough for a million.
#[derive(Default)]
pub struct FlatRows {
    texts: Texts,
    slots: Vec<LineSlot>,
    slot_of: HashMap<LineRef, u32>,
    rows: Vec<PackedRow>,
}

impl FlatRows {
    /// Adds the next row of the file.
    pub fn push(&mut self, row: FlatRow) {
        let line = LineRef {
            namnd: self.texts.id(row.namnd),
            kind: row.kind,
            code: self.texts.id(row.line),
        };
        let slot = match self.slot_of.get(&line) {
            Some(&slot) => slot,
            None => {
                let slot = self.slots.len() as u32;
                self.slots.push(LineSlot { line, name: None });
                self.slot_of.insert(line, slot);
                slot
            }
        };
        if let Some(name) = row.name {
            let name = self.texts.id(name);
            self.slots[slot as usize].name = Some(name);
        }
        self.rows.push(PackedRow::new(row.index, slot, &row.write));
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl FromIterator<FlatRow> for FlatRows {
    fn from_iter<I: IntoIterator<Item = FlatRow>>(iter: I) -> Self {
        let mut rows = FlatRows::default();
        for row in iter {
            rows.push(row);
        }
        rows
    }
}

/// The lines of one nämnd and kind that the file names, in order of first
/// appearance, as the groups are written (by nämnd code, then kind).
fn groups(rows: &FlatRows) -> BTreeMap<(&str, BudgetLineKind), Vec<u32>> {
    let mut groups: BTreeMap<(&str, BudgetLineKind), Vec<u32>> = BTreeMap::new();
    for (slot, s) in rows.slots.iter().enumerate() {
        groups
            .entry((rows.texts.get(s.line.namnd), s.line.kind))
            .or_default()
            .push(slot as u32);
    }
    groups
}

/// The rows of every line together, lines in group order, rows in file order.
fn rows_by_line(rows: &FlatRows, rank: &[u32]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..rows.rows.len() as u32).collect();
    // (rank, row) is unique: the unstable sort keeps file order per line.
    order.sort_unstable_by_key(|&r| (rank[rows.rows[r as usize].slot as usize], r));
    order
}

/// A second value for the same line, measure and months.
fn repeated_values(rows: &FlatRows, order: &[u32]) -> Vec<RowIssue> {
    let mut issues = Vec::new();
    for line_rows in
        order.chunk_by(|&a, &b| rows.rows[a as usize].slot == rows.rows[b as usize].slot)
    {
        let mut first_of: HashMap<ValueKey, usize> = HashMap::new();
        for &r in line_rows {
            let row = &rows.rows[r as usize];
            let key = row.key();
            if let Some(&first) = first_of.get(&key) {
                issues.push(RowIssue::new(
                    row.index(),
                    "month",
                    format!("repeats the value of row {}", first + 1),
                ));
            } else {
                first_of.insert(key, row.index());
            }
        }
    }
    issues
}

/// Every stored value of the lines in `line_slots` (line id → slot), grouped
/// by slot.
async fn stored_values(
    txn: &DatabaseTransaction,
    line_slots: &HashMap<Uuid, u32>,
) -> Result<HashMap<u32, Vec<(ValueKey, i64)>>, ServiceError> {
    let ids: Vec<Uuid> = line_slots.keys().copied().collect();
    let mut stored: HashMap<u32, Vec<(ValueKey, i64)>> = HashMap::new();
    for batch in ids.chunks(LINES_PER_READ) {
        let rows =
            budget_lines::value_tuples(txn, budget_lines::ValuesOf::Lines(batch.to_vec()), None)
                .await?;
        for (line_id, measure, from, to, amount_ore) in rows {
            let Some(&slot) = line_slots.get(&line_id) else {
                continue;
            };
            stored
                .entry(slot)
                .or_default()
                .push(((measure, from, to), amount_ore));
        }
    }
    Ok(stored)
}

/// Where the values go: multi-row statements in the transaction, or (a
/// large import on PostgreSQL) a staging table filled by `COPY` and moved in
/// by three statements at the end.
enum Values<'s> {
    Statements(ValueWriter),
    Staged(&'s mut Stage),
}

impl Values<'_> {
    async fn insert(
        &mut self,
        txn: &DatabaseTransaction,
        line: &budget_line::Model,
        key: ValueKey,
        amount_ore: i64,
    ) -> Result<(), ServiceError> {
        match self {
            Values::Statements(w) => w.set(txn, line, key, amount_ore).await,
            Values::Staged(s) => {
                s.push(
                    Op::Insert,
                    Some(Uuid::now_v7()),
                    line.id,
                    key,
                    Some(amount_ore),
                )
                .await
            }
        }
    }

    async fn update(
        &mut self,
        txn: &DatabaseTransaction,
        line: &budget_line::Model,
        key: ValueKey,
        amount_ore: i64,
    ) -> Result<(), ServiceError> {
        match self {
            Values::Statements(w) => w.set(txn, line, key, amount_ore).await,
            Values::Staged(s) => {
                s.push(Op::Update, None, line.id, key, Some(amount_ore))
                    .await
            }
        }
    }

    async fn delete(
        &mut self,
        line: &budget_line::Model,
        key: ValueKey,
    ) -> Result<(), ServiceError> {
        match self {
            Values::Statements(w) => {
                w.deleted.push((line.id, key));
                Ok(())
            }
            Values::Staged(s) => s.push(Op::Delete, None, line.id, key, None).await,
        }
    }

    async fn finish(self, txn: &DatabaseTransaction, kommun_id: Uuid) -> Result<(), ServiceError> {
        match self {
            Values::Statements(w) => w.finish(txn).await,
            Values::Staged(s) => s.apply(txn, kommun_id, crate::service::clock::now()).await,
        }
    }
}

/// Upserts values in multi-row statements as they are added.
struct ValueWriter {
    pending: Vec<budget_value::ActiveModel>,
    deleted: Vec<(Uuid, ValueKey)>,
}

impl ValueWriter {
    fn new() -> Self {
        ValueWriter {
            pending: Vec::with_capacity(CHUNK),
            deleted: Vec::new(),
        }
    }

    async fn set(
        &mut self,
        txn: &DatabaseTransaction,
        line: &budget_line::Model,
        key: ValueKey,
        amount_ore: i64,
    ) -> Result<(), ServiceError> {
        self.pending.push(budget_lines::new_value(
            line,
            key,
            amount_ore,
            crate::service::clock::now(),
        ));
        if self.pending.len() >= CHUNK {
            self.flush(txn).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, txn: &DatabaseTransaction) -> Result<(), ServiceError> {
        use budget_value::Column as C;
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        budget_value::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([C::LineId, C::Measure, C::FromMonth, C::ToMonth])
                    .update_columns([C::AmountOre, C::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        Ok(())
    }

    async fn finish(mut self, txn: &DatabaseTransaction) -> Result<(), ServiceError> {
        use budget_value::Column as C;
        self.flush(txn).await?;
        for batch in self.deleted.chunks(CHUNK) {
            for (line_id, (measure, from, to)) in batch {
                budget_value::Entity::delete_many()
                    .filter(C::LineId.eq(*line_id))
                    .filter(C::Measure.eq(*measure))
                    .filter(C::FromMonth.eq(*from))
                    .filter(C::ToMonth.eq(*to))
                    .exec(txn)
                    .await?;
            }
        }
        Ok(())
    }
}

/// What the walk over one nämnd and kind changed, for its audit entry.
#[derive(Default)]
struct GroupCount {
    lines: usize,
    created: usize,
    changed: usize,
}

/// The file's lines as stored: existing ones (renamed when a row gives
/// another name) and new ones inserted in multi-row statements (their ids
/// also returned apart).
async fn resolve_lines(
    w: &Write<'_>,
    namnder: &HashMap<String, namnd::Model>,
    rows: &FlatRows,
    groups: &BTreeMap<(&str, BudgetLineKind), Vec<u32>>,
    outcome: &mut FlatOutcome,
) -> Result<
    (
        Vec<Option<budget_line::Model>>,
        HashMap<(Uuid, BudgetLineKind), GroupCount>,
        Vec<Uuid>,
    ),
    ServiceError,
> {
    let (txn, actor) = (w.db(), w.actor());
    let mut lines: Vec<Option<budget_line::Model>> = vec![None; rows.slots.len()];
    let mut counts: HashMap<(Uuid, BudgetLineKind), GroupCount> = HashMap::new();
    let mut new_lines = Vec::new();
    let now = crate::service::clock::now();
    for ((namnd_code, kind), slots) in groups {
        let Some(namnd) = namnder.get(*namnd_code) else {
            return Err(ServiceError::Unexpected(format!(
                "nämnd {namnd_code} not resolved"
            )));
        };
        let existing: HashMap<String, budget_line::Model> =
            budget_lines::lines_of(txn, namnd.id, *kind)
                .await?
                .into_iter()
                .map(|l| (l.code.clone(), l))
                .collect();
        let added = slots
            .iter()
            .map(|&slot| rows.texts.get(rows.slots[slot as usize].line.code))
            .filter(|code| !existing.contains_key(*code))
            .count();
        budget_lines::ensure_room(txn, namnd.id, *kind, added).await?;
        let last = existing.values().map(|l| l.position).max();
        let count = counts.entry((namnd.id, *kind)).or_default();
        count.lines = slots.len();
        for (i, &slot) in slots.iter().enumerate() {
            let s = &rows.slots[slot as usize];
            let code = rows.texts.get(s.line.code);
            let given = s.name.map(|n| rows.texts.get(n).to_string());
            let line = match existing.get(code) {
                Some(line) => match given {
                    Some(name) if name != line.name => {
                        let changes = budget_line::ActiveModel {
                            name: Set(name),
                            updated_at: Set(now),
                            ..Default::default()
                        };
                        w.update::<budget_line::Entity, _>(line, line.version, changes)
                            .await?
                    }
                    _ => line.clone(),
                },
                None => {
                    let name = given.unwrap_or_else(|| code.to_string());
                    outcome.lines_created.push(CreatedLine {
                        namnd: namnd_code.to_string(),
                        kind: *kind,
                        code: code.to_string(),
                        name: name.clone(),
                    });
                    count.created += 1;
                    let line = budget_line::Model {
                        id: Uuid::now_v7(),
                        kommun_id: actor.kommun_id,
                        namnd_id: namnd.id,
                        kind: *kind,
                        code: code.to_string(),
                        name,
                        parent_id: None,
                        planned_completion: None,
                        position: super::crud::position_after(last, i),
                        version: 1,
                        created_at: now,
                        updated_at: now,
                    };
                    w.created(&line)?;
                    new_lines.push(line.clone().into_active_model());
                    line
                }
            };
            lines[slot as usize] = Some(line);
        }
    }
    for batch in new_lines.chunks(CHUNK) {
        budget_line::Entity::insert_many(batch.to_vec())
            .exec_without_returning(txn)
            .await
            .map_err(|e| {
                unique_violation(
                    e,
                    &budget_lines::UQ_CODE,
                    "line",
                    "another import created this line at the same time; retry",
                )
            })?;
    }
    let created = new_lines
        .iter()
        .filter_map(|l| l.id.try_as_ref().copied())
        .collect();
    Ok((lines, counts, created))
}

/// Writes `rows` (nämnd codes already checked to be in `namnder`) in the
/// caller's transaction: creates the missing lines, upserts every value that
/// differs from the stored one and keeps the totals. Row errors (a repeated
/// value, a month counted twice on a line) are returned after checking every
/// row; then nothing must be committed. With a `stage` the values go
/// through it (the caller drops it once the transaction has ended).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn write_rows(
    w: &Write<'_>,
    namnder: &HashMap<String, namnd::Model>,
    rows: &FlatRows,
    stage: Option<&mut Stage>,
) -> Result<Result<FlatOutcome, Vec<RowIssue>>, ServiceError> {
    let started = Instant::now();
    let groups = groups(rows);
    let mut rank = vec![0u32; rows.slots.len()];
    for (i, &slot) in groups.values().flatten().enumerate() {
        rank[slot as usize] = i as u32;
    }
    let order = rows_by_line(rows, &rank);
    let issues = repeated_values(rows, &order);
    if !issues.is_empty() {
        return Ok(Err(issues));
    }
    let (txn, actor) = (w.db(), w.actor());
    let mut outcome = FlatOutcome::default();
    let checked = started.elapsed();
    let (lines, mut counts, created) =
        resolve_lines(w, namnder, rows, &groups, &mut outcome).await?;
    let resolved = started.elapsed();
    let line_slots: HashMap<Uuid, u32> = lines
        .iter()
        .enumerate()
        .filter_map(|(slot, l)| l.as_ref().map(|l| (l.id, slot as u32)))
        .collect();
    let mut stored = stored_values(txn, &line_slots).await?;
    let read = started.elapsed();
    let mut issues = Vec::new();
    let mut writer = match stage {
        Some(stage) => {
            created.into_iter().for_each(|id| stage.made_here(id));
            Values::Staged(stage)
        }
        None => Values::Statements(ValueWriter::new()),
    };
    let mut totals = TotalsDelta::default();
    for line_rows in
        order.chunk_by(|&a, &b| rows.rows[a as usize].slot == rows.rows[b as usize].slot)
    {
        let slot = rows.rows[line_rows[0] as usize].slot;
        let Some(line) = &lines[slot as usize] else {
            return Err(ServiceError::Unexpected("line not resolved".into()));
        };
        let before: HashMap<ValueKey, i64> = stored
            .remove(&slot)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut merged: BTreeMap<ValueKey, i64> = before.iter().map(|(k, v)| (*k, *v)).collect();
        for &r in line_rows {
            let row = &rows.rows[r as usize];
            match row.amount_ore() {
                Some(amount) => merged.insert(row.key(), amount),
                None => merged.remove(&row.key()),
            };
        }
        if let Err(ServiceError::Validation(errors)) = budget_lines::check_entries(&merged, "month")
        {
            let first = rows.rows[line_rows[0] as usize].index();
            issues.extend(
                errors
                    .into_iter()
                    .map(|e| RowIssue::new(first, "month", e.message)),
            );
            continue;
        }
        let Some(count) = counts.get_mut(&(line.namnd_id, rows.slots[slot as usize].line.kind))
        else {
            return Err(ServiceError::Unexpected("group not counted".into()));
        };
        for &r in line_rows {
            let row = &rows.rows[r as usize];
            let key = row.key();
            let old = before.get(&key).copied();
            let new = row.amount_ore();
            if old == new {
                outcome.unchanged += 1;
                continue;
            }
            count.changed += 1;
            outcome.values_changed += 1;
            if outcome.changes.len() < MAX_LISTED {
                let s = &rows.slots[slot as usize];
                outcome.changes.push(FlatChange {
                    index: row.index(),
                    namnd: rows.texts.get(s.line.namnd).to_string(),
                    kind: s.line.kind,
                    line: rows.texts.get(s.line.code).to_string(),
                    measure: row.measure,
                    from: key.1,
                    to: key.2,
                    before_ore: old,
                    after_ore: new,
                });
            }
            if old != new {
                w.ensure_open_months(key.1, key.2).await?;
            }
            if !issues.is_empty() {
                continue;
            }
            match (old, new) {
                (Some(old), Some(new)) => {
                    totals.add(line, key, new - old, 0)?;
                    writer.update(txn, line, key, new).await?;
                }
                (None, Some(new)) => {
                    totals.add(line, key, new, 1)?;
                    writer.insert(txn, line, key, new).await?;
                }
                (Some(old), None) => {
                    totals.add(line, key, -old, -1)?;
                    writer.delete(line, key).await?;
                }
                (None, None) => {}
            }
        }
    }
    if !issues.is_empty() {
        issues.sort_by_key(|i| i.index);
        return Ok(Err(issues));
    }
    let walked = started.elapsed();
    writer.finish(txn, actor.kommun_id).await?;
    let values_written = started.elapsed();
    totals.apply(txn, actor.kommun_id).await?;
    tracing::debug!(
        rows = rows.len(),
        checked_ms = checked.as_millis() as u64,
        lines_ms = (resolved - checked).as_millis() as u64,
        stored_ms = (read - resolved).as_millis() as u64,
        walk_ms = (walked - read).as_millis() as u64,
        values_ms = (values_written - walked).as_millis() as u64,
        totals_ms = (started.elapsed() - values_written).as_millis() as u64,
        "flat rows written"
    );
    for (namnd_code, kind) in groups.keys() {
        let Some(namnd) = namnder.get(*namnd_code) else {
            continue;
        };
        if let Some(c) = counts.remove(&(namnd.id, *kind)) {
            budget_lines::audit_table(w, namnd.id, *kind, c.lines, c.created, c.changed)?;
        }
    }
    Ok(Ok(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A million checked rows are held at once while an import is written.
    #[test]
    fn a_checked_row_takes_32_bytes() {
        assert_eq!(std::mem::size_of::<PackedRow>(), 32);
    }
}
