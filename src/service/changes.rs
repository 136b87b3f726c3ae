//! The change feed: every change the audit log records, numbered per kommun
//! in commit order, for clients that keep a copy in sync.
//!
//! A number is taken in the same transaction as the change it numbers (by
//! [`super::write::audited`], the one place every write passes). Taking it
//! is an upsert of the kommun's `change_counter` row, whose row lock is held
//! until the transaction commits or rolls back. So no other writer of the
//! kommun gets the next number before this one has committed: numbers
//! become visible in the order they were given out, a reader that has seen
//! number n has seen every number below it, and a rollback hands its number
//! back. An autoincrement id or a timestamp would not do: on PostgreSQL a
//! transaction holding a lower id can commit after one holding a higher id,
//! and a reader that had already passed the higher one would skip it.
//!
//! The price is that writers of one kommun are serialised from the moment
//! the numbers are taken to their commit. The write path takes them last,
//! just before the commit, for all of a transaction's changes at once, so
//! the window is the commit itself. Writers of different kommuner never
//! wait for each other. (SQLite has one writer anyway; the same code runs there.)
//!
//! Two such transactions can deadlock on PostgreSQL (each holding a row the
//! other needs next). The database then aborts one, which answers 503 with
//! `Retry-After: 1` and changes nothing ([`crate::error::ServiceError::Contended`]).

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use crate::{
    entity::{change_counter, change_feed},
    service::error::ServiceError,
};

/// One change, as the feed shows it.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub audit_id: Uuid,
    pub resource_type: &'a str,
    pub resource_id: Option<Uuid>,
    pub action: &'a str,
    pub version: Option<i32>,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

/// Takes the kommun's next `count` change numbers and returns the last;
/// locks its counter until the transaction ends.
async fn take_numbers(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    count: i64,
) -> Result<i64, ServiceError> {
    use change_counter::{Column, Entity};
    let first = change_counter::ActiveModel {
        kommun_id: Set(kommun_id),
        seq: Set(count),
    };
    let counter = Entity::insert(first)
        .on_conflict(
            OnConflict::column(Column::KommunId)
                .value(Column::Seq, Expr::col((Entity, Column::Seq)).add(count))
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?;
    Ok(counter.seq)
}

/// Appends `changes` (all of one kommun) to its feed, numbered in order;
/// returns the number of the first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn append(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    changes: &[Change<'_>],
) -> Result<i64, ServiceError> {
    if changes.is_empty() {
        return Ok(0);
    }
    let count = changes.len() as i64;
    let last = take_numbers(db, kommun_id, count).await?;
    let rows: Vec<change_feed::ActiveModel> = changes
        .iter()
        .enumerate()
        .map(|(i, change)| change_feed::ActiveModel {
            kommun_id: Set(kommun_id),
            seq: Set(last - count + 1 + i as i64),
            audit_id: Set(change.audit_id),
            resource_type: Set(change.resource_type.to_string()),
            resource_id: Set(change.resource_id),
            action: Set(change.action.to_string()),
            version: Set(change.version),
            occurred_at: Set(change.occurred_at),
        })
        .collect();
    for chunk in rows.chunks(1000) {
        change_feed::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(last - count + 1)
}

/// The kommun's latest change number (0 before its first change): moves
/// whenever anything of the kommun changes.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn current(db: &impl ConnectionTrait, kommun_id: Uuid) -> Result<i64, ServiceError> {
    Ok(change_counter::Entity::find_by_id(kommun_id)
        .one(db)
        .await?
        .map_or(0, |c| c.seq))
}

/// Up to `limit` changes of the kommun after number `after`, oldest first,
/// optionally of one resource type.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    after: i64,
    resource_type: Option<&str>,
    limit: u64,
) -> Result<Vec<change_feed::Model>, ServiceError> {
    let mut condition = Condition::all()
        .add(change_feed::Column::KommunId.eq(kommun_id))
        .add(change_feed::Column::Seq.gt(after));
    if let Some(t) = resource_type {
        condition = condition.add(change_feed::Column::ResourceType.eq(t));
    }
    Ok(change_feed::Entity::find()
        .filter(condition)
        .order_by_asc(change_feed::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}
