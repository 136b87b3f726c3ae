//! Tenants (kommuner), their nämnder and reporting periods.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Kommun {
    Table,
    Id,
    Code,
    Name,
}

#[derive(DeriveIden)]
enum Namnd {
    Table,
    Id,
    KommunId,
    Code,
    Name,
    Kind,
}

#[derive(DeriveIden)]
enum Period {
    Table,
    Id,
    KommunId,
    Kind,
    Year,
    Number,
    StartDate,
    EndDate,
}

/// Columns every versioned resource carries.
fn bookkeeping(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(integer(Alias::new("version")).default(1))
        .col(timestamp_with_time_zone(Alias::new("created_at")))
        .col(timestamp_with_time_zone(Alias::new("updated_at")))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut kommun = Table::create();
        kommun
            .table(Kommun::Table)
            .col(uuid(Kommun::Id).primary_key())
            .col(string_len(Kommun::Code, 4))
            .col(string_len(Kommun::Name, 200));
        manager
            .create_table(bookkeeping(&mut kommun).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_kommun_code")
                    .table(Kommun::Table)
                    .col(Kommun::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;

        let mut namnd = Table::create();
        namnd
            .table(Namnd::Table)
            .col(uuid(Namnd::Id).primary_key())
            .col(uuid(Namnd::KommunId))
            .col(string_len(Namnd::Code, 20))
            .col(string_len(Namnd::Name, 200))
            .col(string_len(Namnd::Kind, 20))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_namnd_kommun")
                    .from(Namnd::Table, Namnd::KommunId)
                    .to(Kommun::Table, Kommun::Id),
            );
        manager
            .create_table(bookkeeping(&mut namnd).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_namnd_kommun_code")
                    .table(Namnd::Table)
                    .col(Namnd::KommunId)
                    .col(Namnd::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;

        let mut period = Table::create();
        period
            .table(Period::Table)
            .col(uuid(Period::Id).primary_key())
            .col(uuid(Period::KommunId))
            .col(string_len(Period::Kind, 20))
            .col(integer(Period::Year))
            .col(integer(Period::Number))
            .col(date(Period::StartDate))
            .col(date(Period::EndDate))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_period_kommun")
                    .from(Period::Table, Period::KommunId)
                    .to(Kommun::Table, Kommun::Id),
            );
        manager
            .create_table(bookkeeping(&mut period).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_period_kommun_kind_year_number")
                    .table(Period::Table)
                    .col(Period::KommunId)
                    .col(Period::Kind)
                    .col(Period::Year)
                    .col(Period::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Period::Table.into_iden(),
            Namnd::Table.into_iden(),
            Kommun::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
