//! Dimension mappings: a kommun's stored rules from ledger codes (ansvar,
//! verksamhet, konto) to nämnd and budget-line codes, reused by every flat
//! and SIE import. The ordered rules are one canonical JSON text: they are
//! always read and written as a whole.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut mapping = versioned_table("dimension_mapping");
        mapping
            .col(string_len(a("name"), 200))
            .col(text_null(a("description")))
            .col(integer_null(a("sie_ansvar_dim")))
            .col(integer_null(a("sie_verksamhet_dim")))
            .col(text(a("rules")));
        m.create_table(mapping).await?;
        m.create_index(unique(
            "uq_dimension_mapping_kommun_name",
            "dimension_mapping",
            &["kommun_id", "name"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("dimension_mapping")).to_owned())
            .await
    }
}
