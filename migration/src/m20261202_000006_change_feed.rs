//! The change feed: every audited change once more, slim (resource type,
//! id, action, version, time), numbered per kommun in commit order so a
//! client that keeps a copy in sync can follow it with a cursor.
//!
//! `change_counter` holds the last number given out per kommun. A writer
//! takes the next one with an upsert that locks the kommun's counter row
//! until its transaction ends, so numbers are given out (and become
//! visible) in commit order and a rolled-back change returns its number.
//! Existing audit rows are numbered in the order they were recorded.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tables::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut feed = Table::create();
        feed.table(a("change_feed"))
            .col(uuid(a("kommun_id")))
            .col(big_integer(a("seq")))
            .col(uuid(a("audit_id")))
            .col(string_len(a("resource_type"), 40))
            .col(uuid_null(a("resource_id")))
            .col(string_len(a("action"), 40))
            .col(integer_null(a("version")))
            .col(timestamp_with_time_zone(a("occurred_at")))
            .primary_key(Index::create().col(a("kommun_id")).col(a("seq")));
        m.create_table(feed).await?;
        m.create_index(index(
            "ix_change_feed_kommun_type_seq",
            "change_feed",
            &["kommun_id", "resource_type", "seq"],
        ))
        .await?;

        let mut counter = Table::create();
        counter
            .table(a("change_counter"))
            .col(uuid(a("kommun_id")).primary_key())
            .col(big_integer(a("seq")));
        m.create_table(counter).await?;

        backfill(m.get_connection()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["change_counter", "change_feed"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}

/// Numbers the audit log as it stands, per kommun in the order it was
/// recorded (its commit order is not known any more), and sets each
/// kommun's counter to its last number. Expects both tables empty.
pub async fn backfill<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    // `version` of the `after` document when it is an integer.
    let version = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "CASE WHEN jsonb_typeof(after_json::jsonb -> 'version') = 'number' \
             THEN (after_json::jsonb ->> 'version')::integer END"
        }
        _ => {
            "CASE WHEN json_type(after_json, '$.version') = 'integer' \
             THEN json_extract(after_json, '$.version') END"
        }
    };
    db.execute_unprepared(&format!(
        "INSERT INTO change_feed \
         (kommun_id, seq, audit_id, resource_type, resource_id, action, version, occurred_at) \
         SELECT kommun_id, ROW_NUMBER() OVER (PARTITION BY kommun_id ORDER BY occurred_at, id), \
         id, resource_type, resource_id, action, {version}, occurred_at FROM audit_log"
    ))
    .await?;
    db.execute_unprepared(
        "INSERT INTO change_counter (kommun_id, seq) \
         SELECT kommun_id, MAX(seq) FROM change_feed GROUP BY kommun_id",
    )
    .await?;
    Ok(())
}
