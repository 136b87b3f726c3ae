//! `budget_value_total`: each nämnd's utfall and budget summed per kind and
//! month range, and `budget_prognos_step`: each nämnd's helårsprognos as
//! steps over the months its prognoser were made in. Both are kept in step
//! with `budget_value` in the transaction of every value write so the
//! consolidated views read sums instead of the ledger (issues 8 and 21). A
//! total row exists exactly while `entries > 0`: a sum of 0 kr from real
//! entries is a figure, no row is no figure.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Statement,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use crate::{
    domain::{BudgetLineKind, Measure},
    entity::{budget_line, budget_prognos_step, budget_value, budget_value_total},
    service::error::ServiceError,
};

/// Rows per upsert statement (8 parameters each).
const CHUNK: usize = 500;

/// Lines per query when their prognoser are read back.
const LINES_PER_QUERY: usize = 1000;

type TotalKey = (Uuid, BudgetLineKind, Measure, i32, i32);

/// A line's prognoser changed in this write: per month made, the change of
/// their sum and of their number.
struct PrognosChange {
    namnd_id: Uuid,
    kind: BudgetLineKind,
    by_made: BTreeMap<i32, (i64, i32)>,
}

/// Changes to the totals collected while values are written, applied once
/// with [`TotalsDelta::apply`] before the transaction commits, after the
/// values themselves are written (the prognos steps are worked out from the
/// ledger as it stands then).
#[derive(Default)]
pub struct TotalsDelta {
    changes: HashMap<TotalKey, (i64, i32)>,
    prognoser: HashMap<Uuid, PrognosChange>,
}

impl TotalsDelta {
    /// Records that `amount_ore` was added to (`entries` 1), removed from
    /// (`entries` -1, amount negated) or changed within (`entries` 0) the
    /// values of `line`.
    pub fn add(
        &mut self,
        line: &budget_line::Model,
        (measure, from_month, to_month): (Measure, i32, i32),
        amount_ore: i64,
        entries: i32,
    ) -> Result<(), ServiceError> {
        let change = if measure == Measure::Prognos {
            self.prognoser
                .entry(line.id)
                .or_insert_with(|| PrognosChange {
                    namnd_id: line.namnd_id,
                    kind: line.kind,
                    by_made: BTreeMap::new(),
                })
                .by_made
                .entry(to_month)
                .or_default()
        } else {
            let key = (line.namnd_id, line.kind, measure, from_month, to_month);
            self.changes.entry(key).or_default()
        };
        change.0 = change.0.checked_add(amount_ore).ok_or_else(overflow)?;
        change.1 += entries;
        Ok(())
    }

    /// Adds the collected changes to the stored totals and prognos steps
    /// (inserting missing rows) and removes the rows left empty. Call it
    /// after the values are written, in the same transaction.
    pub async fn apply(
        self,
        db: &impl ConnectionTrait,
        kommun_id: Uuid,
    ) -> Result<(), ServiceError> {
        if !self.prognoser.is_empty() {
            apply_prognos_steps(db, kommun_id, self.prognoser).await?;
        }
        let mut emptied: Vec<Uuid> = Vec::new();
        let rows: Vec<budget_value_total::ActiveModel> = self
            .changes
            .into_iter()
            .filter(|(_, (amount, entries))| *amount != 0 || *entries != 0)
            .map(|((namnd_id, kind, measure, from, to), (amount, entries))| {
                if entries < 0 && !emptied.contains(&namnd_id) {
                    emptied.push(namnd_id);
                }
                budget_value_total::ActiveModel {
                    kommun_id: Set(kommun_id),
                    namnd_id: Set(namnd_id),
                    kind: Set(kind),
                    measure: Set(measure),
                    from_month: Set(from),
                    to_month: Set(to),
                    amount_ore: Set(amount),
                    entries: Set(entries),
                }
            })
            .collect();
        use budget_value_total::Column as T;
        upsert_adding::<budget_value_total::Entity>(
            db,
            rows,
            [T::NamndId, T::Kind, T::Measure, T::FromMonth, T::ToMonth],
            [T::AmountOre, T::Entries],
        )
        .await?;
        if !emptied.is_empty() {
            budget_value_total::Entity::delete_many()
                .filter(budget_value_total::Column::NamndId.is_in(emptied))
                .filter(budget_value_total::Column::Entries.lte(0))
                .exec(db)
                .await?;
        }
        Ok(())
    }
}

fn overflow() -> ServiceError {
    ServiceError::Unexpected("budget total overflows".into())
}

/// A line's prognoser of one year as (month made, sum made that month), in
/// month order.
type Series = Vec<(i32, i64)>;

/// The steps of a line's helårsprognos over a year: (month made, change of
/// the value, 1 for the line's first prognos of the year else 0).
fn steps(series: &Series) -> Result<Vec<(i32, i64, i32)>, ServiceError> {
    let mut previous: Option<i64> = None;
    series
        .iter()
        .map(|&(made, amount)| {
            let step = match previous {
                None => (made, amount, 1),
                Some(p) => (made, amount.checked_sub(p).ok_or_else(overflow)?, 0),
            };
            previous = Some(amount);
            Ok(step)
        })
        .collect()
}

/// The year's series before a write: the series after it with the write's
/// changes taken back. Months left without prognoser drop out.
fn series_before(
    after: &BTreeMap<i32, (i64, i32)>,
    changes: &BTreeMap<i32, (i64, i32)>,
) -> Result<Series, ServiceError> {
    let mut before = after.clone();
    for (&made, &(amount, entries)) in changes {
        let month = before.entry(made).or_default();
        month.0 = month.0.checked_sub(amount).ok_or_else(overflow)?;
        month.1 -= entries;
    }
    Ok(present(&before))
}

fn present(by_made: &BTreeMap<i32, (i64, i32)>) -> Series {
    by_made
        .iter()
        .filter(|(_, (_, entries))| *entries > 0)
        .map(|(&made, &(amount, _))| (made, amount))
        .collect()
}

/// Moves the prognos steps of the nämnder of the changed lines from the
/// lines' series before the write to their series after it. The series
/// after are read back from the ledger (only the changed lines' prognoser),
/// the series before are those less the write's changes.
async fn apply_prognos_steps(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    changed: HashMap<Uuid, PrognosChange>,
) -> Result<(), ServiceError> {
    let line_ids: Vec<Uuid> = changed.keys().copied().collect();
    let mut after: HashMap<Uuid, BTreeMap<i32, (i64, i32)>> = HashMap::new();
    for ids in line_ids.chunks(LINES_PER_QUERY) {
        use budget_value::Column as C;
        let rows: Vec<(Uuid, i32, i64)> = budget_value::Entity::find()
            .select_only()
            .columns([C::LineId, C::ToMonth, C::AmountOre])
            .filter(C::Measure.eq(Measure::Prognos))
            .filter(C::LineId.is_in(ids.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        for (line_id, made, amount) in rows {
            let month = after.entry(line_id).or_default().entry(made).or_default();
            month.0 = month.0.checked_add(amount).ok_or_else(overflow)?;
            month.1 += 1;
        }
    }
    let mut moved: HashMap<(Uuid, BudgetLineKind, i32), (i64, i32)> = HashMap::new();
    let empty = BTreeMap::new();
    for (line_id, change) in &changed {
        let line_after = after.get(line_id).unwrap_or(&empty);
        let mut years: Vec<i32> = change.by_made.keys().map(|m| m / 100).collect();
        years.dedup();
        for year in years {
            let in_year = |m: &BTreeMap<i32, (i64, i32)>| -> BTreeMap<i32, (i64, i32)> {
                m.range(year * 100..=year * 100 + 99)
                    .map(|(k, v)| (*k, *v))
                    .collect()
            };
            let now = in_year(line_after);
            let before = series_before(&now, &in_year(&change.by_made))?;
            // Take the series before out, put the series after in.
            for (taken_out, series) in [(true, before), (false, present(&now))] {
                for (made, amount, first) in steps(&series)? {
                    let step = moved
                        .entry((change.namnd_id, change.kind, made))
                        .or_default();
                    let (sum, lines) = if taken_out {
                        (step.0.checked_sub(amount), step.1 - first)
                    } else {
                        (step.0.checked_add(amount), step.1 + first)
                    };
                    *step = (sum.ok_or_else(overflow)?, lines);
                }
            }
        }
    }
    let rows: Vec<budget_prognos_step::ActiveModel> = moved
        .into_iter()
        .filter(|(_, (amount, lines))| *amount != 0 || *lines != 0)
        .map(
            |((namnd_id, kind, made_month), (amount, lines))| budget_prognos_step::ActiveModel {
                kommun_id: Set(kommun_id),
                namnd_id: Set(namnd_id),
                kind: Set(kind),
                made_month: Set(made_month),
                amount_ore: Set(amount),
                lines: Set(lines),
            },
        )
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let mut namnder: Vec<Uuid> = changed.values().map(|c| c.namnd_id).collect();
    namnder.sort_unstable();
    namnder.dedup();
    use budget_prognos_step::Column as S;
    upsert_adding::<budget_prognos_step::Entity>(
        db,
        rows,
        [S::NamndId, S::Kind, S::MadeMonth],
        [S::AmountOre, S::Lines],
    )
    .await?;
    budget_prognos_step::Entity::delete_many()
        .filter(budget_prognos_step::Column::NamndId.is_in(namnder))
        .filter(budget_prognos_step::Column::AmountOre.eq(0))
        .filter(budget_prognos_step::Column::Lines.eq(0))
        .exec(db)
        .await?;
    Ok(())
}

/// INSERT … ON CONFLICT (`key`) DO UPDATE adding the new values of the
/// `added` columns to the stored ones (both databases support `excluded`),
/// in statements of [`CHUNK`] rows.
async fn upsert_adding<E: EntityTrait>(
    db: &impl ConnectionTrait,
    rows: Vec<E::ActiveModel>,
    key: impl IntoIterator<Item = E::Column>,
    added: [E::Column; 2],
) -> Result<(), ServiceError>
where
    E::ActiveModel: Clone,
{
    use sea_orm::IdenStatic;
    let mut on_conflict = OnConflict::columns(key);
    let table = E::default().table_name().to_owned();
    for column in added {
        let name = column.as_str();
        on_conflict.value(
            column,
            Expr::cust(format!("{table}.{name} + excluded.{name}")),
        );
    }
    for chunk in rows.chunks(CHUNK) {
        E::insert_many(chunk.to_vec())
            .on_conflict(on_conflict.clone())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Recomputes the totals and prognos steps of one kommun from its ledger: for tooling that
/// writes `budget_value` in bulk (the benchmark generator).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rebuild_kommun(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
) -> Result<(), sea_orm::DbErr> {
    budget_value_total::Entity::delete_many()
        .filter(budget_value_total::Column::KommunId.eq(kommun_id))
        .exec(db)
        .await?;
    let backend = db.get_database_backend();
    let param = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let sql = format!(
        "INSERT INTO budget_value_total \
         (kommun_id, namnd_id, kind, measure, from_month, to_month, amount_ore, entries) \
         SELECT l.kommun_id, l.namnd_id, l.kind, v.measure, v.from_month, v.to_month, \
         CAST(SUM(v.amount_ore) AS BIGINT), CAST(COUNT(*) AS INTEGER) \
         FROM budget_value v INNER JOIN budget_line l ON l.id = v.line_id \
         WHERE v.kommun_id = {param} AND v.measure IN ('utfall', 'budget') \
         GROUP BY l.kommun_id, l.namnd_id, l.kind, v.measure, v.from_month, v.to_month"
    );
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [kommun_id.into()],
    ))
    .await?;
    budget_prognos_step::Entity::delete_many()
        .filter(budget_prognos_step::Column::KommunId.eq(kommun_id))
        .exec(db)
        .await?;
    let steps = migration::prognos_steps_from_ledger(&format!("AND kommun_id = {param}"));
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        steps,
        [kommun_id.into()],
    ))
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_steps_from_its_first_prognos() {
        let series = vec![(202403, -100), (202406, -250), (202409, -250)];
        assert_eq!(
            steps(&series).unwrap(),
            vec![(202403, -100, 1), (202406, -150, 0), (202409, 0, 0)]
        );
        assert!(steps(&vec![]).unwrap().is_empty());
    }

    #[test]
    fn the_series_before_a_write_takes_its_changes_back() {
        // After: March −150 (changed from −100), June removed (was −200),
        // December added (−40).
        let after = BTreeMap::from([(202403, (-150, 1)), (202412, (-40, 1))]);
        let changes = BTreeMap::from([(202403, (-50, 0)), (202406, (200, -1)), (202412, (-40, 1))]);
        assert_eq!(
            series_before(&after, &changes).unwrap(),
            vec![(202403, -100), (202406, -200)]
        );
        assert_eq!(present(&after), vec![(202403, -150), (202412, -40)]);
    }

    #[test]
    fn an_overflowing_step_is_an_error_not_a_wrap() {
        assert!(steps(&vec![(202401, i64::MIN), (202402, i64::MAX)]).is_err());
    }
}
