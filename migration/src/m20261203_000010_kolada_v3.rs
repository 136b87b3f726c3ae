//! Kolada v3: provenance and revisions of indicator values, the state of
//! the incremental sync per kommun, indicators created from Kolada, and
//! comparison values.
//!
//! `indicator_value.source` (`kolada`, `import`, `manual`; existing rows are
//! `manual`, which a sync never overwrites unasked), `fetched_at` and what
//! Kolada said (`kolada_value`, `kolada_status`). `indicator_value_history`:
//! every earlier version of a value, written when the value is revised or
//! removed (a Kolada row marked `isdeleted`).
//!
//! `kolada_sync`: one row per kommun: the last successful `from_date`, the
//! last run and its outcome, the lease (`lease_holder`, `lease_until`) that
//! lets one instance at a time sync the kommun, and the municipality group
//! the kommun compares itself with.
//!
//! `indicator.description` and `indicator.polarity_confirmed` (false for an
//! indicator created from Kolada until a person sets its polarity).
//! `indicator_comparison`: the country's and the group's value per year and
//! gender.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite alters one column per statement.
async fn add_columns(
    m: &SchemaManager<'_>,
    table: &str,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    for column in columns {
        m.alter_table(Table::alter().table(a(table)).add_column(column).to_owned())
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            m,
            "indicator_value",
            vec![
                ColumnDef::new(a("source"))
                    .string_len(10)
                    .not_null()
                    .default("manual")
                    .to_owned(),
                ColumnDef::new(a("fetched_at"))
                    .timestamp_with_time_zone()
                    .null()
                    .to_owned(),
                ColumnDef::new(a("kolada_value"))
                    .string_len(40)
                    .null()
                    .to_owned(),
                ColumnDef::new(a("kolada_status"))
                    .string_len(40)
                    .null()
                    .to_owned(),
            ],
        )
        .await?;

        let mut history = child_table("indicator_value_history");
        history
            .col(uuid(a("indicator_id")))
            .col(integer(a("year")))
            .col(string_len(a("gender"), 1))
            .col(string_len_null(a("value"), 40))
            .col(string_len_null(a("status"), 40))
            .col(text_null(a("note")))
            .col(string_len(a("source"), 10))
            .col(timestamp_with_time_zone_null(a("fetched_at")))
            .col(string_len_null(a("kolada_value"), 40))
            .col(string_len_null(a("kolada_status"), 40))
            .col(timestamp_with_time_zone(a("valid_from")))
            .col(timestamp_with_time_zone(a("valid_to")))
            .col(string_len(a("ended_by"), 10))
            .col(string_len(a("changed_by"), 200))
            .foreign_key(&mut fk(
                "indicator_value_history",
                "indicator_id",
                "indicator",
                true,
            ));
        m.create_table(history).await?;
        m.create_index(index(
            "ix_indicator_value_history_kommun_indicator",
            "indicator_value_history",
            &["kommun_id", "indicator_id", "year", "gender", "valid_to"],
        ))
        .await?;

        let mut sync = child_table("kolada_sync");
        sync.col(date_null(a("last_from_date")))
            .col(timestamp_with_time_zone_null(a("last_started_at")))
            .col(timestamp_with_time_zone_null(a("last_finished_at")))
            .col(timestamp_with_time_zone_null(a("last_success_at")))
            .col(integer(a("last_rows_changed")).default(0))
            .col(integer(a("last_pages")).default(0))
            .col(integer(a("last_retries")).default(0))
            .col(text_null(a("last_error")))
            .col(integer(a("runs")).default(0))
            .col(integer(a("failures")).default(0))
            .col(string_len_null(a("lease_holder"), 100))
            .col(timestamp_with_time_zone_null(a("lease_until")))
            .col(string_len_null(a("comparison_group_id"), 20))
            .col(string_len_null(a("comparison_group_name"), 200));
        m.create_table(sync).await?;
        m.create_index(unique(
            "uq_kolada_sync_kommun",
            "kolada_sync",
            &["kommun_id"],
        ))
        .await?;

        add_columns(
            m,
            "indicator",
            vec![
                ColumnDef::new(a("description")).text().null().to_owned(),
                ColumnDef::new(a("polarity_confirmed"))
                    .boolean()
                    .not_null()
                    .default(true)
                    .to_owned(),
            ],
        )
        .await?;

        let mut comparison = child_table("indicator_comparison");
        comparison
            .col(uuid(a("indicator_id")))
            .col(string_len(a("municipality"), 20))
            .col(string_len(a("name"), 200))
            .col(integer(a("year")))
            .col(string_len(a("gender"), 1))
            .col(string_len_null(a("value"), 40))
            .col(timestamp_with_time_zone(a("fetched_at")))
            .foreign_key(&mut fk(
                "indicator_comparison",
                "indicator_id",
                "indicator",
                true,
            ));
        m.create_table(comparison).await?;
        m.create_index(unique(
            "uq_indicator_comparison",
            "indicator_comparison",
            &[
                "kommun_id",
                "indicator_id",
                "municipality",
                "year",
                "gender",
            ],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "indicator_comparison",
            "kolada_sync",
            "indicator_value_history",
        ] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        for (table, column) in [
            ("indicator", "description"),
            ("indicator", "polarity_confirmed"),
            ("indicator_value", "source"),
            ("indicator_value", "fetched_at"),
            ("indicator_value", "kolada_value"),
            ("indicator_value", "kolada_status"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(a(table))
                    .drop_column(a(column))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
