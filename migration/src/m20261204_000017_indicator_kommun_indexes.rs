//! Indexes leading with `kommun_id` on an indicator's values, riktvärden
//! and overrides: the views over many indicators (the goal matrix, the
//! indicator overview) read them as all of the kommun's rather than by a
//! list of hundreds of ids, and with many kommuner on one database that
//! read must walk only the kommun's part (issue 21).

use sea_orm_migration::prelude::*;

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str); 3] = [
    ("ix_indicator_value_kommun", "indicator_value"),
    ("ix_indicator_riktvarde_kommun", "indicator_riktvarde"),
    ("ix_indicator_override_kommun", "indicator_override"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in INDEXES {
            m.create_index(index(name, table, &["kommun_id", "indicator_id"]))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in INDEXES {
            m.drop_index(Index::drop().name(name).table(a(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
