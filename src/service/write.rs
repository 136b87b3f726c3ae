//! The one write path. Every change to the kommun's data runs inside
//! [`audited`]: it opens the transaction, runs the change, writes one audit
//! entry per changed resource (its state before and after, in one shape: the
//! resource's stored fields as [`serde`] names them) and the change feed,
//! and commits. Nothing else in the service opens a transaction for a
//! write, so a change without its record cannot exist, and whatever later
//! hangs on a write (decided versions, period locks, webhooks) has one
//! place to hang on. The webhook outbox is written here too, from the same
//! entries, just before the commit (see [`super::outbox`]).
//!
//! Audit entries are collected while the change runs and written just
//! before the commit. That keeps the change feed's counter row (see
//! [`super::changes`]) locked only for the commit itself, and lets two
//! records of one resource in one transaction fold into one entry.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use std::sync::{
    Mutex,
    atomic::{AtomicBool, Ordering},
};
use uuid::Uuid;

use super::{
    audit::Actor,
    changes,
    crud::{self, TenantEntity},
    error::ServiceError,
    outbox,
};
use crate::{
    domain::YearMonth,
    entity::{audit_log, period},
};

/// A resource as the audit log and the change feed name it.
pub trait Resource: Serialize {
    /// Its type in `/audit` and `/changes` (`namnd`, `budget_line`, …).
    const TYPE: &'static str;
    fn resource_id(&self) -> Uuid;
}

/// One changed resource, folded over the transaction.
#[derive(Debug)]
struct Entry {
    resource_type: &'static str,
    resource_id: Option<Uuid>,
    action: &'static str,
    /// JSON text: an import records tens of thousands of entries, and
    /// text takes a fraction of the memory of a `serde_json::Value`.
    before: Option<String>,
    after: Option<String>,
    version: Option<i32>,
}

/// The entries of a write, with the position of each resource's entry
/// (an import records tens of thousands: no search through them).
#[derive(Default)]
struct Entries {
    list: Vec<Entry>,
    of: std::collections::HashMap<(&'static str, Uuid), usize>,
}

/// A write in progress: the transaction and what it has changed so far.
/// Shared (`&Write`) by the change's code, so a statement on [`Write::db`]
/// and a record may interleave freely.
pub struct Write<'a> {
    txn: DatabaseTransaction,
    actor: &'a Actor,
    entries: Mutex<Entries>,
    discard: AtomicBool,
    /// The kommun's closed periods, read once per write when a value is.
    closed: Mutex<Option<Vec<ClosedPeriod>>>,
}

/// A closed period (bokslut): `yyyymm` of its first and last month.
#[derive(Debug, Clone)]
struct ClosedPeriod {
    first: i32,
    last: i32,
    label: String,
    closed_at: chrono::DateTime<chrono::Utc>,
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, ServiceError> {
    serde_json::to_value(value).map_err(|e| ServiceError::Unexpected(format!("audit json: {e}")))
}

impl<'a> Write<'a> {
    /// The transaction every statement of the change runs in.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn actor(&self) -> &'a Actor {
        self.actor
    }

    pub fn kommun_id(&self) -> Uuid {
        self.actor.kommun_id
    }

    /// Refuses (409, naming the month and the period) a value in the months
    /// `from..=to` when any of them lies in a closed period of the kommun.
    /// Every value write checks this, so no endpoint or import writes into
    /// a closed month.
    pub async fn ensure_open(&self, from: YearMonth, to: YearMonth) -> Result<(), ServiceError> {
        self.ensure_open_months(month_key(from), month_key(to))
            .await
    }

    /// [`Write::ensure_open`] for months as stored (`yyyymm`).
    pub async fn ensure_open_months(&self, first: i32, last: i32) -> Result<(), ServiceError> {
        let poisoned = || ServiceError::Unexpected("closed periods poisoned".into());
        // Imports call this per changed row: no allocation once loaded.
        if let Some(closed) = self.closed.lock().map_err(|_| poisoned())?.as_deref() {
            return refuse_closed(closed, first, last);
        }
        let closed = closed_periods(&self.txn, self.kommun_id()).await?;
        let answer = refuse_closed(&closed, first, last);
        *self.closed.lock().map_err(|_| poisoned())? = Some(closed);
        answer
    }

    /// [`Write::ensure_open`] for a yearly figure (staff figures): it belongs
    /// to the year's bokslut, so it is refused once December of `year` is in
    /// a closed period. Indicator values are not checked: their statistics
    /// are revised after the decision (seed 000, line 1135), and the decided
    /// version keeps what was decided.
    pub async fn ensure_open_year(&self, year: i32) -> Result<(), ServiceError> {
        let december = year.saturating_mul(100).saturating_add(12);
        self.ensure_open_months(december, december).await
    }

    /// Roll the whole change back at the end instead of committing (a dry
    /// run, or row errors found after writing began). Nothing is recorded.
    pub fn discard(&self) {
        self.discard.store(true, Ordering::Relaxed);
    }

    /// Records a change of one resource: `action` is `create`, `update`,
    /// `delete`, `put` (a collection replaced) or a workflow step. A resource
    /// recorded twice in one write keeps one entry: its first `before`, its
    /// last `after`. The change feed's version is the `version` of `after`.
    pub fn record<B: Serialize + ?Sized, A: Serialize + ?Sized>(
        &self,
        resource_type: &'static str,
        resource_id: Option<Uuid>,
        action: &'static str,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<(), ServiceError> {
        let before = before.map(to_json).transpose()?;
        let after = after.map(to_json).transpose()?;
        let version = after
            .as_ref()
            .and_then(|a| a.get("version"))
            .and_then(serde_json::Value::as_i64)
            .and_then(|v| i32::try_from(v).ok());
        let before = before.map(|v| v.to_string());
        let after = after.map(|v| v.to_string());
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| ServiceError::Unexpected("audit entries poisoned".into()))?;
        let Entries { list, of } = &mut *entries;
        let earlier = resource_id
            .and_then(|id| of.get(&(resource_type, id)))
            .and_then(|&i| list.get_mut(i));
        match earlier {
            Some(entry) => {
                entry.action = fold(entry.action, action);
                entry.after = after;
                entry.version = version.or(entry.version);
                if entry.before.is_none() && entry.action != "create" {
                    entry.before = before;
                }
            }
            None => {
                if let Some(id) = resource_id {
                    of.insert((resource_type, id), list.len());
                }
                list.push(Entry {
                    resource_type,
                    resource_id,
                    action,
                    before,
                    after,
                    version,
                });
            }
        }
        Ok(())
    }

    /// Records that `after` was created.
    pub fn created<R: Resource>(&self, after: &R) -> Result<(), ServiceError> {
        self.record(
            R::TYPE,
            Some(after.resource_id()),
            "create",
            None::<&()>,
            Some(after),
        )
    }

    /// Records that `before` became `after`.
    pub fn updated<R: Resource>(&self, before: &R, after: &R) -> Result<(), ServiceError> {
        self.record(
            R::TYPE,
            Some(after.resource_id()),
            "update",
            Some(before),
            Some(after),
        )
    }

    /// Records a workflow step that took `before` to `after`.
    pub fn stepped<R: Resource>(
        &self,
        step: &'static str,
        before: &R,
        after: &R,
    ) -> Result<(), ServiceError> {
        self.record(
            R::TYPE,
            Some(after.resource_id()),
            step,
            Some(before),
            Some(after),
        )
    }

    /// Records that `before` was deleted.
    pub fn deleted<R: Resource>(&self, before: &R) -> Result<(), ServiceError> {
        self.record(
            R::TYPE,
            Some(before.resource_id()),
            "delete",
            Some(before),
            None::<&()>,
        )
    }

    /// Inserts `model`, a new row of the kommun that says only its own
    /// columns ([`crud::new_row`] adds the id, the kommun, the version and
    /// the timestamps), and records it as created; a violation of `taken`'s
    /// key is [`super::error::ServiceError::Taken`] naming its field.
    pub async fn insert<A>(
        &self,
        model: A,
        taken: &super::error::Taken,
    ) -> Result<<A::Entity as sea_orm::EntityTrait>::Model, ServiceError>
    where
        A: sea_orm::ActiveModelTrait + Send,
        A::Entity: TenantEntity,
        <A::Entity as sea_orm::EntityTrait>::Model: Resource + IntoActiveModel<A>,
    {
        self.insert_mapped(model, |e| taken.db(e)).await
    }

    /// Inserts `model`, whose unique keys the client cannot break, and
    /// records it as created.
    pub async fn insert_new<A>(
        &self,
        model: A,
    ) -> Result<<A::Entity as sea_orm::EntityTrait>::Model, ServiceError>
    where
        A: sea_orm::ActiveModelTrait + Send,
        A::Entity: TenantEntity,
        <A::Entity as sea_orm::EntityTrait>::Model: Resource + IntoActiveModel<A>,
    {
        self.insert_mapped(model, ServiceError::from).await
    }

    /// Inserts `model`, a row the client names by its parent and key (an
    /// assessment of a goal in a report, a status of an assignment), and
    /// records it as created; the same key inserted by someone else at the
    /// same time is a 409 naming the `noun`.
    pub async fn insert_keyed<A>(
        &self,
        model: A,
        key: &super::error::UniqueKey,
        noun: &str,
    ) -> Result<<A::Entity as sea_orm::EntityTrait>::Model, ServiceError>
    where
        A: sea_orm::ActiveModelTrait + Send,
        A::Entity: TenantEntity,
        <A::Entity as sea_orm::EntityTrait>::Model: Resource + IntoActiveModel<A>,
    {
        self.insert_mapped(model, |e| {
            match super::error::unique_violation(e, key, "", "") {
                ServiceError::Taken(_) => ServiceError::Conflict(format!(
                    "the {noun} was created by someone else at the same time; retry"
                )),
                other => other,
            }
        })
        .await
    }

    /// The `PUT` of a row under its natural key (the assessment of a goal
    /// in a report, the status of an assignment): changes the kommun's row
    /// that `find` selects to `columns`, or inserts `columns` with the key
    /// `keyed` adds (or refuses) when there is none yet, reading what it needs. If-Match (`expected_version`) is
    /// optional; given, it must name the existing row's version. The row,
    /// and whether it was created.
    pub async fn put_keyed<A>(
        &self,
        find: sea_orm::Condition,
        expected_version: Option<i32>,
        (key, noun): (&super::error::UniqueKey, &str),
        columns: A,
        keyed: impl AsyncFnOnce(A) -> Result<A, ServiceError>,
    ) -> Result<(<A::Entity as sea_orm::EntityTrait>::Model, bool), ServiceError>
    where
        A: sea_orm::ActiveModelTrait + Send,
        A::Entity: TenantEntity,
        <A::Entity as sea_orm::EntityTrait>::Model: Resource + IntoActiveModel<A>,
    {
        // Locked until the write commits (PostgreSQL; SQLite writes one at
        // a time already): a `PUT` without `If-Match` overwrites, so one
        // that arrives while another changes the row waits for it and then
        // writes over it, instead of finding its version gone (412 to a
        // client that named no version).
        let existing = <A::Entity as sea_orm::EntityTrait>::find()
            .filter(<A::Entity as TenantEntity>::kommun_column().eq(self.kommun_id()))
            .filter(find)
            .lock_exclusive()
            .one(&self.txn)
            .await?;
        match existing {
            Some(current) => {
                let version = <A::Entity as TenantEntity>::version_of(&current);
                check_version(noun, version, expected_version)?;
                let changes = crud::touched(columns)?;
                let after = self
                    .update::<A::Entity, A>(&current, version, changes)
                    .await?;
                Ok((after, false))
            }
            None => {
                check_none_yet(noun, expected_version)?;
                Ok((
                    self.insert_keyed(keyed(columns).await?, key, noun).await?,
                    true,
                ))
            }
        }
    }

    async fn insert_mapped<A>(
        &self,
        model: A,
        error: impl FnOnce(sea_orm::DbErr) -> ServiceError,
    ) -> Result<<A::Entity as sea_orm::EntityTrait>::Model, ServiceError>
    where
        A: sea_orm::ActiveModelTrait + Send,
        A::Entity: TenantEntity,
        <A::Entity as sea_orm::EntityTrait>::Model: Resource + IntoActiveModel<A>,
    {
        let model = crud::new_row(model, self.kommun_id())?;
        let created = <A::Entity as sea_orm::EntityTrait>::insert(model)
            .exec_with_returning(&self.txn)
            .await
            .map_err(error)?;
        self.created(&created)?;
        Ok(created)
    }

    /// Writes `changes` to `current` if it is still at the version the
    /// caller read (412 otherwise) and records the change.
    pub async fn update<E, A>(
        &self,
        current: &E::Model,
        expected_version: i32,
        changes: A,
    ) -> Result<E::Model, ServiceError>
    where
        E: TenantEntity,
        E::Model: Resource + IntoActiveModel<A>,
        A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    {
        let after = crud::update_versioned::<E, A>(
            &self.txn,
            self.kommun_id(),
            E::id_of(current),
            expected_version,
            changes,
        )
        .await?;
        self.updated(current, &after)?;
        Ok(after)
    }

    /// Deletes `current` if it is still at the version the caller read and
    /// records it.
    pub async fn delete<E>(
        &self,
        current: &E::Model,
        expected_version: i32,
    ) -> Result<(), ServiceError>
    where
        E: TenantEntity,
        E::Model: Resource,
    {
        crud::delete_versioned::<E>(
            &self.txn,
            self.kommun_id(),
            E::id_of(current),
            expected_version,
        )
        .await?;
        self.deleted(current)
    }

    /// [`Write::delete`] of a resource shown with more than its row (a goal
    /// with its links): deletes its row of `E` if still at the version the
    /// caller read and records all of `current`.
    pub async fn delete_whole<E, R>(
        &self,
        current: &R,
        expected_version: i32,
    ) -> Result<(), ServiceError>
    where
        E: TenantEntity,
        R: Resource,
    {
        let id = current.resource_id();
        crud::delete_versioned::<E>(&self.txn, self.kommun_id(), id, expected_version).await?;
        self.deleted(current)
    }

    /// Writes the audit entries and the change feed, then commits.
    async fn finish(self) -> Result<(), ServiceError> {
        if self.discard.into_inner() {
            self.txn.rollback().await?;
            return Ok(());
        }
        let entries = self
            .entries
            .into_inner()
            .map_err(|_| ServiceError::Unexpected("audit entries poisoned".into()))?
            .list;
        let deliveries = write_entries(&self.txn, self.actor, entries).await?;
        self.txn.commit().await?;
        if deliveries {
            outbox::wake();
        }
        Ok(())
    }
}

/// 409 when the months `first..=last` (`yyyymm`) meet a closed period.
fn refuse_closed(closed: &[ClosedPeriod], first: i32, last: i32) -> Result<(), ServiceError> {
    match closed.iter().find(|p| p.first <= last && first <= p.last) {
        None => Ok(()),
        Some(p) => {
            let month = first.max(p.first);
            Err(ServiceError::Conflict(format!(
                "{}-{:02} lies in the closed period {} (closed {}); nothing was written; \
                 an admin or kommunledning reopens the period with POST /periods/{{id}}/reopen",
                month / 100,
                month % 100,
                p.label,
                p.closed_at.format("%Y-%m-%d"),
            )))
        }
    }
}

fn month_key(ym: YearMonth) -> i32 {
    ym.year() * 100 + ym.month() as i32
}

async fn closed_periods(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
) -> Result<Vec<ClosedPeriod>, ServiceError> {
    use chrono::Datelike;
    use sea_orm::{ColumnTrait, QueryFilter};
    let rows = period::Entity::find()
        .filter(period::Column::KommunId.eq(kommun_id))
        .filter(period::Column::ClosedAt.is_not_null())
        .all(db)
        .await?;
    rows.into_iter()
        .map(|p| {
            let spec = p.spec().map_err(ServiceError::Unexpected)?;
            Ok(ClosedPeriod {
                first: p.start_date.year() * 100 + p.start_date.month() as i32,
                last: p.end_date.year() * 100 + p.end_date.month() as i32,
                label: spec.label(),
                closed_at: p.closed_at.unwrap_or_default(),
            })
        })
        .collect()
}

/// The action of two changes of one resource in one write.
fn fold(first: &'static str, then: &'static str) -> &'static str {
    match (first, then) {
        (_, "delete") => "delete",
        ("create", _) => "create",
        (_, later) => later,
    }
}

async fn write_entries(
    db: &impl ConnectionTrait,
    actor: &Actor,
    entries: Vec<Entry>,
) -> Result<bool, ServiceError> {
    if entries.is_empty() {
        return Ok(false);
    }
    let occurred_at = crate::service::clock::now();
    let mut rows = Vec::with_capacity(entries.len());
    let mut feed = Vec::with_capacity(entries.len());
    // What a webhook event carries besides the ids: the event itself, for
    // the process events that have no resource to fetch.
    let mut details = Vec::with_capacity(entries.len());
    for entry in entries {
        let id = Uuid::now_v7();
        let detail = match &entry.after {
            Some(text)
                if crate::domain::webhook::carries_detail(entry.resource_type, entry.action) =>
            {
                Some(
                    serde_json::from_str(text)
                        .map_err(|e| ServiceError::Unexpected(format!("audit json: {e}")))?,
                )
            }
            _ => None,
        };
        details.push(detail);
        feed.push(changes::Change {
            audit_id: id,
            resource_type: entry.resource_type,
            resource_id: entry.resource_id,
            action: entry.action,
            version: entry.version,
            occurred_at,
        });
        rows.push(audit_log::ActiveModel {
            id: Set(id),
            kommun_id: Set(actor.kommun_id),
            occurred_at: Set(occurred_at),
            principal: Set(actor.principal.clone()),
            role: Set(actor.role.clone()),
            resource_type: Set(entry.resource_type.to_string()),
            resource_id: Set(entry.resource_id),
            action: Set(entry.action.to_string()),
            before_json: Set(entry.before),
            after_json: Set(entry.after),
            request_id: Set(actor.request_id.clone()),
        });
    }
    // Bounded statements: PostgreSQL takes at most 65 535 parameters.
    for chunk in rows.chunks(1000) {
        audit_log::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    let first = changes::append(db, actor.kommun_id, &feed).await?;
    // The webhook outbox, from the same entries and numbers, in the same
    // transaction: nothing is sent for a rollback, nothing lost on a commit.
    outbox::enqueue(db, actor.kommun_id, &feed, &details, first).await
}

/// 412 when the client's optional If-Match (`expected`) is not the
/// `current` version of the `noun`; nothing to check without one.
fn check_version(noun: &str, current: i32, expected: Option<i32>) -> Result<(), ServiceError> {
    match expected {
        Some(v) if v != current => Err(ServiceError::PreconditionFailed(format!(
            "the {noun} has changed (now version {current}); read it again and retry"
        ))),
        _ => Ok(()),
    }
}

/// 412 when the client sent If-Match (`expected`) for a `noun` that does
/// not exist yet.
fn check_none_yet(noun: &str, expected: Option<i32>) -> Result<(), ServiceError> {
    match expected {
        Some(_) => Err(ServiceError::PreconditionFailed(format!(
            "there is no {noun} yet to match If-Match against"
        ))),
        None => Ok(()),
    }
}

/// Runs `change` as one audited write: all of it and its records, or
/// nothing. The transaction rolls back when `change` fails (or calls
/// [`Write::discard`]).
#[tracing::instrument(name = "write", skip_all, fields(kommun_id = %actor.kommun_id))]
pub async fn audited<T>(
    db: &DatabaseConnection,
    actor: &Actor,
    change: impl AsyncFnOnce(&Write<'_>) -> Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    // On SQLite a write transaction starts as one (IMMEDIATE): it waits
    // its turn behind another connection's write (the busy timeout)
    // instead of failing when its first read would have to become a write
    // (two instances on one file, a seed beside the service). PostgreSQL
    // ignores the mode.
    let immediate = sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let txn = db.begin_with_options(immediate).await?;
    let write = Write {
        txn,
        actor,
        entries: Mutex::new(Entries::default()),
        discard: AtomicBool::new(false),
        closed: Mutex::new(None),
    };
    let out = change(&write).await?;
    write.finish().await?;
    Ok(out)
}

/// Implements [`Resource`] for an entity's model with an `id` column.
macro_rules! versioned_resource {
    ($module:ident, $type:literal) => {
        impl $crate::service::write::Resource for $crate::entity::$module::Model {
            const TYPE: &'static str = $type;
            fn resource_id(&self) -> uuid::Uuid {
                self.id
            }
        }
    };
}
pub(crate) use versioned_resource;

/// What [`delete`] checks or removes before a row goes, inside the write
/// (a closed year, a delivery log); most rows need nothing.
#[allow(async_fn_in_trait)]
pub trait BeforeDelete: TenantEntity {
    async fn before_delete(w: &Write<'_>, current: &Self::Model) -> Result<(), ServiceError> {
        let _ = (w, current);
        Ok(())
    }
}

/// Deletes row `id` of the writer's kommun if it is still at
/// `expected_version` (412 otherwise), after its
/// [`BeforeDelete::before_delete`], as one audited write.
#[tracing::instrument(level = "debug", skip_all, fields(resource = E::NOUN))]
pub async fn delete<E>(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
) -> Result<(), ServiceError>
where
    E: BeforeDelete,
    E::Model: Resource,
{
    audited(db, actor, async |w| {
        let current = crud::get::<E>(w.db(), w.kommun_id(), id).await?;
        E::before_delete(w, &current).await?;
        w.delete::<E>(&current, expected_version).await
    })
    .await
}

/// What a new row of [`NewRow::Entity`] is made from: the counterpart of
/// [`RowChanges`] for a `POST`, written by [`create`].
#[allow(async_fn_in_trait)]
pub trait NewRow {
    type Entity: TenantEntity;
    /// Makes the checks the row needs (references, closed periods, its
    /// place among its siblings) and inserts it, inside the write's
    /// transaction.
    async fn insert(
        self,
        w: &Write<'_>,
    ) -> Result<<Self::Entity as EntityTrait>::Model, ServiceError>;
}

/// Creates one row from `new` as one audited write.
#[tracing::instrument(level = "debug", skip_all, fields(resource = <N::Entity as TenantEntity>::NOUN))]
pub async fn create<N: NewRow>(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    new: N,
) -> Result<<N::Entity as EntityTrait>::Model, ServiceError> {
    audited(db, actor, async |w| new.insert(w).await).await
}

/// What a `PATCH` of one row of a versioned resource writes: the changes
/// a client asked for, turned into columns by [`RowChanges::columns`] and
/// written by [`patch`].
#[allow(async_fn_in_trait)]
pub trait RowChanges {
    type Entity: TenantEntity;
    /// The unique key a change can collide with (a 409 naming its field).
    const TAKEN: Option<&'static super::error::Taken> = None;
    /// The columns to write over `current` (`updated_at` is set by
    /// [`patch`]), which is read in the write's transaction: checks that need the row or the database (closed
    /// periods, references) are made here, and refuse the whole write.
    async fn columns(
        self,
        w: &Write<'_>,
        current: &<Self::Entity as EntityTrait>::Model,
    ) -> Columns<Self>;
}

/// What [`RowChanges::columns`] gives: the columns to write, or why not.
pub type Columns<C> = Result<<<C as RowChanges>::Entity as EntityTrait>::ActiveModel, ServiceError>;

/// Writes `changes` to row `id` of the caller's kommun if it is still at
/// `expected_version` (412 otherwise), as one audited write.
#[tracing::instrument(level = "debug", skip_all, fields(resource = <C::Entity as TenantEntity>::NOUN))]
pub async fn patch<C: RowChanges>(
    db: &sea_orm::DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    changes: C,
) -> Result<<C::Entity as EntityTrait>::Model, ServiceError>
where
    <C::Entity as EntityTrait>::Model:
        Resource + IntoActiveModel<<C::Entity as EntityTrait>::ActiveModel>,
    <C::Entity as EntityTrait>::ActiveModel: sea_orm::ActiveModelTrait<Entity = C::Entity> + Send,
{
    audited(db, actor, async |w| {
        let current = crud::get::<C::Entity>(w.db(), w.kommun_id(), id).await?;
        let columns = crud::touched(changes.columns(w, &current).await?)?;
        w.update::<C::Entity, _>(&current, expected_version, columns)
            .await
    })
    .await
    .map_err(|e| match C::TAKEN {
        Some(taken) => taken.service(e),
        None => e,
    })
}

/// Implements [`crud::TenantEntity`] and [`BeforeDelete`] for an entity module
/// with the standard columns, and [`Resource`] for its model: `$noun` names it
/// in messages, `$type` in the audit log and the change feed; with
/// `before_delete = f`, [`delete`] awaits `f(w, current)` first.
macro_rules! tenant_entity {
    ($module:ident, $noun:literal, $type:literal $(, before_delete = $hook:path)?) => {
        $crate::service::write::versioned_resource!($module, $type);
        impl $crate::service::crud::TenantEntity for $crate::entity::$module::Entity {
            const NOUN: &'static str = $noun;
            fn id_column() -> Self::Column {
                $crate::entity::$module::Column::Id
            }
            fn kommun_column() -> Self::Column {
                $crate::entity::$module::Column::KommunId
            }
            fn version_column() -> Self::Column {
                $crate::entity::$module::Column::Version
            }
            fn created_column() -> Self::Column {
                $crate::entity::$module::Column::CreatedAt
            }
            fn updated_column() -> Self::Column {
                $crate::entity::$module::Column::UpdatedAt
            }
            fn id_of(model: &Self::Model) -> uuid::Uuid {
                model.id
            }
            fn version_of(model: &Self::Model) -> i32 {
                model.version
            }
        }
        impl $crate::service::write::BeforeDelete for $crate::entity::$module::Entity {
            $(
                async fn before_delete(
                    w: &$crate::service::write::Write<'_>,
                    current: &Self::Model,
                ) -> Result<(), $crate::service::error::ServiceError> {
                    $hook(w, current).await
                }
            )?
        }
    };
}
pub(crate) use tenant_entity;

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn two_changes_of_one_resource_fold_into_one() {
        assert_eq!(fold("create", "update"), "create");
        assert_eq!(fold("update", "update"), "update");
        assert_eq!(fold("create", "delete"), "delete");
        assert_eq!(fold("update", "approve"), "approve");
    }
}
