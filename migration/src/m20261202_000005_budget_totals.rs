//! `budget_value_total`: utfall and budget summed per nämnd, kind, measure
//! and month range, so the kommun's consolidated drift and investering views
//! read a few rows per nämnd instead of every value of the kommun (issue 8).
//! A row exists exactly when at least one value is summed into it
//! (`entries > 0`), so "no entry" stays distinct from 0 kr. The service keeps
//! it in step with `budget_value` in the same transaction as every write.
//!
//! Also an index for reading one kommun's prognoser by month.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "budget_value_total";

/// Sums the existing ledger. Prognoser are not summed: a nämnd's
/// helårsprognos is each line's latest forecast, read per line.
const BACKFILL: &str = "INSERT INTO budget_value_total \
    (kommun_id, namnd_id, kind, measure, from_month, to_month, amount_ore, entries) \
    SELECT l.kommun_id, l.namnd_id, l.kind, v.measure, v.from_month, v.to_month, \
    CAST(SUM(v.amount_ore) AS BIGINT), CAST(COUNT(*) AS INTEGER) \
    FROM budget_value v INNER JOIN budget_line l ON l.id = v.line_id \
    WHERE v.measure IN ('utfall', 'budget') \
    GROUP BY l.kommun_id, l.namnd_id, l.kind, v.measure, v.from_month, v.to_month";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut total = Table::create();
        total
            .table(a(TABLE))
            .col(uuid(a("kommun_id")))
            .col(uuid(a("namnd_id")))
            .col(string_len(a("kind"), 20))
            .col(string_len(a("measure"), 10))
            .col(integer(a("from_month")))
            .col(integer(a("to_month")))
            .col(big_integer(a("amount_ore")))
            .col(integer(a("entries")))
            .primary_key(
                Index::create()
                    .name("pk_budget_value_total")
                    .col(a("namnd_id"))
                    .col(a("kind"))
                    .col(a("measure"))
                    .col(a("from_month"))
                    .col(a("to_month")),
            )
            .foreign_key(&mut fk(TABLE, "kommun_id", "kommun", false))
            .foreign_key(&mut fk(TABLE, "namnd_id", "namnd", false));
        m.create_table(total).await?;
        m.create_index(index(
            "ix_budget_value_total_kommun_kind_months",
            TABLE,
            &["kommun_id", "kind", "from_month"],
        ))
        .await?;
        m.create_index(index(
            "ix_budget_value_kommun_measure_months",
            "budget_value",
            &["kommun_id", "measure", "from_month"],
        ))
        .await?;
        m.get_connection().execute_unprepared(BACKFILL).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_budget_value_kommun_measure_months")
                .table(a("budget_value"))
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(a(TABLE)).to_owned()).await
    }
}
