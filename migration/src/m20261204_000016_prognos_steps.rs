//! `budget_prognos_step`: each nämnd's helårsprognos as steps over the
//! months it was made in, so the kommun's consolidated views read a few rows
//! per nämnd instead of every line's prognoser (issue 21).
//!
//! A line's helårsprognos for period month `m` of year `Y` is its latest
//! prognos made in `Y` no later than `m` (several made in that month
//! summed). Over the months of a year that is a step function per line; a
//! row here holds, per nämnd, kind and month made, the sum of its lines'
//! steps in that month (`amount_ore`: new value − previous value, the whole
//! value for a line's first prognos of the year) and how many lines made
//! their first prognos of the year then (`lines`). A nämnd's helårsprognos
//! for `m` is then the sum of its rows made from January of `Y` to `m`, and
//! it has one exactly when the `lines` of those rows sum above zero.
//! The service keeps it in step with `budget_value` in the transaction of
//! every write, as it does `budget_value_total`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "budget_prognos_step";

/// The steps of the ledger's prognoser, for every kommun or (with a
/// `filter` such as `AND kommun_id = $1`) some: the same statement builds
/// the table in the migration and rebuilds one kommun after a bulk load.
/// Both databases have window functions and integer division of integers.
pub fn prognos_steps_from_ledger(filter: &str) -> String {
    format!(
        "INSERT INTO budget_prognos_step \
         (kommun_id, namnd_id, kind, made_month, amount_ore, lines) \
         SELECT kommun_id, namnd_id, kind, made, CAST(SUM(step) AS BIGINT), \
                CAST(SUM(first) AS INTEGER) \
         FROM (SELECT l.kommun_id, l.namnd_id, l.kind, p.made, \
                      p.amount - COALESCE(LAG(p.amount) OVER w, 0) AS step, \
                      CASE WHEN LAG(p.made) OVER w IS NULL THEN 1 ELSE 0 END AS first \
               FROM (SELECT line_id, to_month AS made, SUM(amount_ore) AS amount \
                     FROM budget_value WHERE measure = 'prognos' {filter} \
                     GROUP BY line_id, to_month) p \
               INNER JOIN budget_line l ON l.id = p.line_id \
               WINDOW w AS (PARTITION BY p.line_id, p.made / 100 ORDER BY p.made)) s \
         GROUP BY kommun_id, namnd_id, kind, made \
         HAVING SUM(step) <> 0 OR SUM(first) <> 0"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut step = Table::create();
        step.table(a(TABLE))
            .col(uuid(a("kommun_id")))
            .col(uuid(a("namnd_id")))
            .col(string_len(a("kind"), 20))
            .col(integer(a("made_month")))
            .col(big_integer(a("amount_ore")))
            .col(integer(a("lines")))
            .primary_key(
                Index::create()
                    .name("pk_budget_prognos_step")
                    .col(a("namnd_id"))
                    .col(a("kind"))
                    .col(a("made_month")),
            )
            .foreign_key(&mut fk(TABLE, "kommun_id", "kommun", false))
            .foreign_key(&mut fk(TABLE, "namnd_id", "namnd", false));
        m.create_table(step).await?;
        m.create_index(index(
            "ix_budget_prognos_step_kommun_kind_made",
            TABLE,
            &["kommun_id", "kind", "made_month"],
        ))
        .await?;
        m.get_connection()
            .execute_unprepared(&prognos_steps_from_ledger(""))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a(TABLE)).to_owned()).await
    }
}
