//! Get, list and versioned update shared by every tenant-owned table, so
//! each resource writes only what is particular to it.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::service::error::ServiceError;

/// Which page of a list: at most `limit` rows after the row `after`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u64,
    pub after: Option<Uuid>,
}

/// A table whose rows belong to one kommun and carry an optimistic-locking
/// `version`.
pub trait TenantEntity: EntityTrait {
    /// Name used in messages ("nämnd", "period").
    const NOUN: &'static str;
    fn id_column() -> Self::Column;
    fn kommun_column() -> Self::Column;
    fn version_column() -> Self::Column;
    fn created_column() -> Self::Column;
    fn updated_column() -> Self::Column;
    fn id_of(model: &Self::Model) -> Uuid;
    fn version_of(model: &Self::Model) -> i32;
}

/// `model` with its `updated_at` now (a change of an existing row).
pub fn touched<A>(mut model: A) -> Result<A, ServiceError>
where
    A: sea_orm::ActiveModelTrait,
    A::Entity: TenantEntity,
{
    let now = crate::service::clock::now();
    model.try_set(<A::Entity as TenantEntity>::updated_column(), now.into())?;
    Ok(model)
}

/// `model`, a new row of kommun `kommun_id` that says its own columns,
/// with the columns every row has: a new id (unless it has one already),
/// the kommun, version 1 and both timestamps now.
pub fn new_row<A>(mut model: A, kommun_id: Uuid) -> Result<A, ServiceError>
where
    A: sea_orm::ActiveModelTrait,
    A::Entity: TenantEntity,
{
    type E<A> = <A as sea_orm::ActiveModelTrait>::Entity;
    let now = crate::service::clock::now();
    if model.is_not_set(E::<A>::id_column()) {
        model.try_set(E::<A>::id_column(), Uuid::now_v7().into())?;
    }
    model.try_set(E::<A>::kommun_column(), kommun_id.into())?;
    model.try_set(E::<A>::version_column(), 1i32.into())?;
    model.try_set(E::<A>::created_column(), now.into())?;
    model.try_set(E::<A>::updated_column(), now.into())?;
    Ok(model)
}

pub fn not_found<E: TenantEntity>(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("no {} with id {id}", E::NOUN))
}

/// One row of the kommun, or 404 (also for another kommun's ids).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get<E: TenantEntity>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    id: Uuid,
) -> Result<E::Model, ServiceError> {
    find::<E>(db, kommun_id, id)
        .await?
        .ok_or_else(|| not_found::<E>(id))
}

/// One row of the kommun, if there is one (None also for another kommun's
/// ids); a failure to read is an error, never "none".
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find<E: TenantEntity>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    id: Uuid,
) -> Result<Option<E::Model>, ServiceError> {
    Ok(E::find()
        .filter(E::id_column().eq(id))
        .filter(E::kommun_column().eq(kommun_id))
        .one(db)
        .await?)
}

/// One row a request names by `field`: one that does not exist (or is
/// another kommun's) is the request's error, 422 naming `field`, not a
/// missing resource (404); other errors stay what they are.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_named<E: TenantEntity>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    id: Uuid,
    field: &str,
) -> Result<E::Model, ServiceError> {
    get::<E>(db, kommun_id, id).await.map_err(|e| match e {
        ServiceError::NotFound(_) => {
            ServiceError::validation(field, format!("no {} with this id in your kommun", E::NOUN))
        }
        other => other,
    })
}

/// [`get`] inside a write, locked until the write commits (`FOR UPDATE` on
/// PostgreSQL; SQLite writes one at a time already): a write that depends
/// on what it read waits for one in progress on the same row.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_locked<E: TenantEntity>(
    txn: &sea_orm::DatabaseTransaction,
    kommun_id: Uuid,
    id: Uuid,
) -> Result<E::Model, ServiceError> {
    use sea_orm::QuerySelect;
    E::find()
        .filter(E::id_column().eq(id))
        .filter(E::kommun_column().eq(kommun_id))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| not_found::<E>(id))
}

/// One page in id order (UUIDv7: creation order), filtered by `condition`.
/// Returns the rows and whether more follow.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list<E: TenantEntity>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    condition: Condition,
    page: &PageRequest,
) -> Result<(Vec<E::Model>, Option<Uuid>), ServiceError> {
    let query = E::find()
        .filter(E::kommun_column().eq(kommun_id))
        .filter(condition);
    page_in_id_order(db, query, E::id_column(), E::id_of, page).await
}

/// The page of `query` after `page.after` in the order of its UUIDv7 `id`
/// column (creation order), and the id to continue after when more follow.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn page_in_id_order<E: EntityTrait>(
    db: &impl ConnectionTrait,
    mut query: sea_orm::Select<E>,
    id: E::Column,
    id_of: impl Fn(&E::Model) -> Uuid,
    page: &PageRequest,
) -> Result<(Vec<E::Model>, Option<Uuid>), ServiceError> {
    if let Some(after) = page.after {
        query = query.filter(id.gt(after));
    }
    let mut rows = query.order_by_asc(id).limit(page.limit + 1).all(db).await?;
    let more = rows.len() as u64 > page.limit;
    rows.truncate(page.limit as usize);
    let next = if more { rows.last().map(id_of) } else { None };
    Ok((rows, next))
}

/// `given`, or the position after the last row of the kommun matching
/// `condition` (1 for the first): where a new row goes when the client
/// does not place it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn next_position<E: Positioned>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    condition: Condition,
    given: Option<i32>,
) -> Result<i32, ServiceError> {
    if let Some(p) = given {
        return Ok(p);
    }
    let last = E::find()
        .filter(E::kommun_column().eq(kommun_id))
        .filter(condition)
        .order_by_desc(E::position_column())
        .one(db)
        .await?
        .map(|m| E::position_of(&m));
    Ok(position_after(last, 0))
}

/// The position of the `n`th (from 0) of new rows placed after `last`, the
/// highest position there is (1, 2, … when there is none). A client may
/// place a row at `i32::MAX`; rows after it stay there rather than wrap.
pub fn position_after(last: Option<i32>, n: usize) -> i32 {
    let step = i32::try_from(n).unwrap_or(i32::MAX).saturating_add(1);
    last.unwrap_or(0).saturating_add(step)
}

/// An entity whose rows the client orders by their `position` column.
pub trait Positioned: TenantEntity {
    fn position_column() -> Self::Column;
    fn position_of(model: &Self::Model) -> i32;
}

/// Implements [`Positioned`] for the entities of these modules.
macro_rules! positioned {
    ($($module:ident),+ $(,)?) => {$(
        impl Positioned for crate::entity::$module::Entity {
            fn position_column() -> Self::Column {
                crate::entity::$module::Column::Position
            }
            fn position_of(model: &Self::Model) -> i32 {
                model.position
            }
        }
    )+};
}
positioned!(goal_area, goal, assignment, key_figure, volume_measure);

/// Writes `changes` to the row if it is still at `expected_version`, bumping
/// the version; 412 when someone else changed it first.
pub(super) async fn update_versioned<E, A>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    id: Uuid,
    expected_version: i32,
    changes: A,
) -> Result<E::Model, ServiceError>
where
    E: TenantEntity,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    E::Model: IntoActiveModel<A>,
{
    let result = E::update_many()
        .set(changes)
        .col_expr(E::version_column(), Expr::col(E::version_column()).add(1))
        .filter(E::id_column().eq(id))
        .filter(E::kommun_column().eq(kommun_id))
        .filter(E::version_column().eq(expected_version))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        get::<E>(db, kommun_id, id).await?;
        return Err(ServiceError::PreconditionFailed(format!(
            "the {} was changed by someone else; read it again and retry",
            E::NOUN
        )));
    }
    get::<E>(db, kommun_id, id).await
}

/// Deletes the row if still at `expected_version`; 409 when other data
/// refers to it.
pub(super) async fn delete_versioned<E: TenantEntity>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    id: Uuid,
    expected_version: i32,
) -> Result<(), ServiceError> {
    let result = E::delete_many()
        .filter(E::id_column().eq(id))
        .filter(E::kommun_column().eq(kommun_id))
        .filter(E::version_column().eq(expected_version))
        .exec(db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
                ServiceError::Conflict(format!(
                    "the {} is still referred to by other data; remove that first",
                    E::NOUN
                ))
            }
            _ => ServiceError::from(e),
        })?;
    if result.rows_affected == 0 {
        get::<E>(db, kommun_id, id).await?;
        return Err(ServiceError::PreconditionFailed(format!(
            "the {} was changed by someone else; read it again and retry",
            E::NOUN
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::position_after;

    #[test]
    fn new_rows_go_after_the_last_and_stop_at_the_top() {
        assert_eq!(position_after(None, 0), 1);
        assert_eq!(position_after(None, 2), 3);
        assert_eq!(position_after(Some(7), 0), 8);
        assert_eq!(position_after(Some(-5), 1), -3);
        assert_eq!(position_after(Some(i32::MAX), 0), i32::MAX);
        assert_eq!(position_after(Some(i32::MAX - 1), 3), i32::MAX);
        assert_eq!(position_after(Some(0), usize::MAX), i32::MAX);
    }
}
