//! Stored responses of writes sent with an `Idempotency-Key`, so a retried
//! create or import is answered with the first response instead of running twice.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKey {
    Table,
    Id,
    Scope,
    Key,
    RequestHash,
    Status,
    ContentType,
    Location,
    Etag,
    Body,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(IdempotencyKey::Table)
                .col(uuid(IdempotencyKey::Id).primary_key())
                .col(string_len(IdempotencyKey::Scope, 300))
                .col(string_len(IdempotencyKey::Key, 255))
                .col(string_len(IdempotencyKey::RequestHash, 64))
                .col(integer(IdempotencyKey::Status))
                .col(string_len_null(IdempotencyKey::ContentType, 100))
                .col(string_len_null(IdempotencyKey::Location, 500))
                .col(string_len_null(IdempotencyKey::Etag, 100))
                .col(text(IdempotencyKey::Body))
                .col(timestamp_with_time_zone(IdempotencyKey::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_idempotency_scope_key")
                .table(IdempotencyKey::Table)
                .col(IdempotencyKey::Scope)
                .col(IdempotencyKey::Key)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(IdempotencyKey::Table).to_owned())
            .await
    }
}
