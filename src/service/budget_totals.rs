//! `budget_value_total`: each nämnd's utfall and budget summed per kind and
//! month range, kept in step with `budget_value` in the transaction of every
//! value write so the consolidated views read sums instead of the ledger
//! (issue 8). A row exists exactly while `entries > 0`: a sum of 0 kr from
//! real entries is a figure, no row is no figure.

use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use crate::{
    domain::{BudgetLineKind, Measure},
    entity::{budget_line, budget_value_total},
    service::error::ServiceError,
};

/// Rows per upsert statement (8 parameters each).
const CHUNK: usize = 500;

type TotalKey = (Uuid, BudgetLineKind, Measure, i32, i32);

/// Changes to the totals collected while values are written, applied once
/// with [`TotalsDelta::apply`] before the transaction commits.
#[derive(Default)]
pub struct TotalsDelta {
    changes: HashMap<TotalKey, (i64, i32)>,
}

impl TotalsDelta {
    /// Records that `amount_ore` was added to (`entries` 1), removed from
    /// (`entries` -1, amount negated) or changed within (`entries` 0) the
    /// values of `line`. Prognoser are not summed.
    pub fn add(
        &mut self,
        line: &budget_line::Model,
        (measure, from_month, to_month): (Measure, i32, i32),
        amount_ore: i64,
        entries: i32,
    ) -> Result<(), ServiceError> {
        if measure == Measure::Prognos {
            return Ok(());
        }
        let key = (line.namnd_id, line.kind, measure, from_month, to_month);
        let change = self.changes.entry(key).or_default();
        change.0 = change
            .0
            .checked_add(amount_ore)
            .ok_or_else(|| ServiceError::Unexpected("budget total overflows".into()))?;
        change.1 += entries;
        Ok(())
    }

    /// Adds the collected changes to the stored totals (inserting missing
    /// rows) and removes the rows left without entries.
    pub async fn apply(
        self,
        db: &impl ConnectionTrait,
        kommun_id: Uuid,
    ) -> Result<(), ServiceError> {
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
        for chunk in rows.chunks(CHUNK) {
            upsert_adding(db, chunk.to_vec()).await?;
        }
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

/// INSERT … ON CONFLICT DO UPDATE adding the new amounts and entries to the
/// stored ones (both databases support `excluded`).
async fn upsert_adding(
    db: &impl ConnectionTrait,
    rows: Vec<budget_value_total::ActiveModel>,
) -> Result<(), ServiceError> {
    use budget_value_total::Column as C;
    let mut on_conflict =
        OnConflict::columns([C::NamndId, C::Kind, C::Measure, C::FromMonth, C::ToMonth]);
    on_conflict
        .value(
            C::AmountOre,
            Expr::cust("budget_value_total.amount_ore + excluded.amount_ore"),
        )
        .value(
            C::Entries,
            Expr::cust("budget_value_total.entries + excluded.entries"),
        );
    budget_value_total::Entity::insert_many(rows)
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Recomputes the totals of one kommun from its ledger: for tooling that
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
    Ok(())
}
