//! Decided report versions and period locks.
//!
//! `report_version`: what a report showed when its nämnd decided it, one
//! row per approval, never changed: the canonical JSON document, its
//! SHA-256 and the previous version's hash (a chain per report). A report
//! with versions cannot be deleted (the foreign key has no cascade).
//!
//! `period.closed_at`/`closed_by`: a closed period (bokslut) refuses every
//! write of a value in its months. `report.diarienummer`: the decision's
//! optional registration number.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut version = child_table("report_version");
        version
            .col(uuid(a("report_id")))
            .col(integer(a("number")))
            .col(text(a("document")))
            .col(string_len(a("sha256"), 64))
            .col(string_len_null(a("prev_sha256"), 64))
            .col(date(a("beslut_datum")))
            .col(string_len(a("beslut_paragraf"), 50))
            .col(string_len_null(a("diarienummer"), 50))
            .col(timestamp_with_time_zone(a("decided_at")))
            .col(string_len(a("decided_by"), 200))
            .foreign_key(&mut fk("report_version", "report_id", "report", false));
        m.create_table(version).await?;
        m.create_index(unique(
            "uq_report_version_report_number",
            "report_version",
            &["report_id", "number"],
        ))
        .await?;
        m.create_index(index(
            "ix_report_version_kommun_report",
            "report_version",
            &["kommun_id", "report_id"],
        ))
        .await?;
        // SQLite alters one column per statement.
        for column in [
            ColumnDef::new(a("closed_at"))
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(a("closed_by"))
                .string_len(200)
                .null()
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(a("period"))
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(a("report"))
                .add_column(ColumnDef::new(a("diarienummer")).string_len(50).null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("report_version")).to_owned())
            .await?;
        for (table, column) in [
            ("period", "closed_at"),
            ("period", "closed_by"),
            ("report", "diarienummer"),
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
