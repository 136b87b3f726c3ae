//! The change feed: every change the audit log records, numbered per kommun
//! in commit order, for clients that keep a copy in sync.
//!
//! A number is taken in the same transaction as the change it numbers (by
//! [`super::audit::record`], the one place every write passes). Taking it
//! is an upsert of the kommun's `change_counter` row, whose row lock is held
//! until the transaction commits or rolls back. So no other writer of the
//! kommun gets the next number before this one has committed: numbers
//! become visible in the order they were given out, a reader that has seen
//! number n has seen every number below it, and a rollback hands its number
//! back. An autoincrement id or a timestamp would not do: on PostgreSQL a
//! transaction holding a lower id can commit after one holding a higher id,
//! and a reader that had already passed the higher one would skip it.
//!
//! The price is that writers of one kommun are serialised from their first
//! recorded change to their commit. Services record a change right after
//! the write it describes, at the end of the transaction, so the window is
//! the commit itself for single changes and the rest of the transaction for
//! imports that record many. Writers of different kommuner never wait for
//! each other. (SQLite has one writer anyway; the same code runs there.)
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
    pub kommun_id: Uuid,
    pub audit_id: Uuid,
    pub resource_type: &'a str,
    pub resource_id: Option<Uuid>,
    pub action: &'a str,
    pub version: Option<i32>,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

/// The kommun's next change number; locks its counter until the
/// transaction ends.
async fn next_seq(db: &impl ConnectionTrait, kommun_id: Uuid) -> Result<i64, ServiceError> {
    use change_counter::{Column, Entity};
    let first = change_counter::ActiveModel {
        kommun_id: Set(kommun_id),
        seq: Set(1),
    };
    let counter = Entity::insert(first)
        .on_conflict(
            OnConflict::column(Column::KommunId)
                .value(Column::Seq, Expr::col((Entity, Column::Seq)).add(1))
                .to_owned(),
        )
        .exec_with_returning(db)
        .await?;
    Ok(counter.seq)
}

/// Appends `change` to the feed with the kommun's next number.
pub async fn append(db: &impl ConnectionTrait, change: Change<'_>) -> Result<i64, ServiceError> {
    let seq = next_seq(db, change.kommun_id).await?;
    let row = change_feed::ActiveModel {
        kommun_id: Set(change.kommun_id),
        seq: Set(seq),
        audit_id: Set(change.audit_id),
        resource_type: Set(change.resource_type.to_string()),
        resource_id: Set(change.resource_id),
        action: Set(change.action.to_string()),
        version: Set(change.version),
        occurred_at: Set(change.occurred_at),
    };
    change_feed::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(seq)
}

/// Up to `limit` changes of the kommun after number `after`, oldest first,
/// optionally of one resource type.
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
