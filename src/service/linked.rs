//! Plan resources written as their row and the rows that link it to
//! others: a goal with its medansvariga nämnder and indicators, an
//! assignment with its medansvariga. Creating, changing and deleting one is
//! one audited write of the row and its links together, recorded as the
//! whole resource (so the audit log and the change feed show the links a
//! change made).

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{
    audit::Actor,
    crud::{self, Positioned, TenantEntity},
    error::ServiceError,
    write::{Resource, audited},
};

type Row<L> = <<L as Linked>::Entity as EntityTrait>::Model;
type Columns<L> = <<L as Linked>::Entity as EntityTrait>::ActiveModel;

/// A resource shown as its row of `Entity` with its links, written from a
/// `Spec` (the whole resource as the client gives it).
#[allow(async_fn_in_trait)]
pub trait Linked: Resource + Sized {
    type Entity: Positioned<ActiveModel: Send, Model: sea_orm::IntoActiveModel<Columns<Self>>>;
    type Spec;

    /// The rows with their links, in the rows' order.
    async fn with_links(
        db: &impl ConnectionTrait,
        kommun_id: Uuid,
        rows: Vec<Row<Self>>,
    ) -> Result<Vec<Self>, ServiceError>;

    /// 422 naming each reference in `spec` that is not a row of the kommun
    /// (`id`: the resource being changed; None when it is being created).
    async fn check_refs(
        db: &DatabaseTransaction,
        kommun_id: Uuid,
        id: Option<Uuid>,
        spec: &Self::Spec,
    ) -> Result<(), ServiceError>;

    /// The row's own columns from `spec`, without its position.
    fn columns(spec: &Self::Spec) -> Result<Columns<Self>, ServiceError>;

    /// The position `spec` asks for; None places a new one last and leaves
    /// a changed one where it is.
    fn position(spec: &Self::Spec) -> Option<i32>;

    /// Replaces the links of row `id` with those of `spec`.
    async fn write_links(
        db: &DatabaseTransaction,
        kommun_id: Uuid,
        id: Uuid,
        spec: &Self::Spec,
    ) -> Result<(), ServiceError>;
}

/// Resource `id` of the kommun with its links.
#[tracing::instrument(level = "debug", skip_all, fields(resource = L::TYPE))]
pub async fn get<L: Linked>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    id: Uuid,
) -> Result<L, ServiceError> {
    let row = crud::get::<L::Entity>(db, kommun_id, id).await?;
    L::with_links(db, kommun_id, vec![row])
        .await?
        .pop()
        .ok_or_else(|| crud::not_found::<L::Entity>(id))
}

/// Creates the resource `spec` describes, last unless it asks for a
/// position.
#[tracing::instrument(level = "debug", skip_all, fields(resource = L::TYPE))]
pub async fn create<L: Linked>(
    db: &DatabaseConnection,
    actor: &Actor,
    spec: L::Spec,
) -> Result<L, ServiceError> {
    let kommun_id = actor.kommun_id;
    audited(db, actor, async |w| {
        let txn = w.db();
        L::check_refs(txn, kommun_id, None, &spec).await?;
        let position =
            crud::next_position::<L::Entity>(txn, kommun_id, Condition::all(), L::position(&spec))
                .await?;
        let id = Uuid::now_v7();
        let mut row = L::columns(&spec)?;
        row.try_set(<L::Entity as TenantEntity>::id_column(), id.into())?;
        row.try_set(L::Entity::position_column(), position.into())?;
        L::Entity::insert(crud::new_row(row, kommun_id)?)
            .exec_without_returning(txn)
            .await?;
        L::write_links(txn, kommun_id, id, &spec).await?;
        let after = get::<L>(txn, kommun_id, id).await?;
        w.created(&after)?;
        Ok(after)
    })
    .await
}

/// Replaces resource `id` with `spec` if it is still at
/// `expected_version` (the caller merged its changes into the current
/// resource and checked the result).
#[tracing::instrument(level = "debug", skip_all, fields(resource = L::TYPE))]
pub async fn update<L: Linked>(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
    spec: L::Spec,
) -> Result<L, ServiceError> {
    let kommun_id = actor.kommun_id;
    audited(db, actor, async |w| {
        let txn = w.db();
        let before = get::<L>(txn, kommun_id, id).await?;
        L::check_refs(txn, kommun_id, Some(id), &spec).await?;
        let mut row = L::columns(&spec)?;
        if let Some(position) = L::position(&spec) {
            row.try_set(L::Entity::position_column(), position.into())?;
        }
        let row = crud::touched(row)?;
        crud::update_versioned::<L::Entity, _>(txn, kommun_id, id, expected_version, row).await?;
        L::write_links(txn, kommun_id, id, &spec).await?;
        let after = get::<L>(txn, kommun_id, id).await?;
        w.updated(&before, &after)?;
        Ok(after)
    })
    .await
}

/// Deletes resource `id` with its links if it is still at
/// `expected_version`.
#[tracing::instrument(level = "debug", skip_all, fields(resource = L::TYPE))]
pub async fn delete<L: Linked>(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: i32,
) -> Result<(), ServiceError> {
    audited(db, actor, async |w| {
        let before = get::<L>(w.db(), w.kommun_id(), id).await?;
        w.delete_whole::<L::Entity, _>(&before, expected_version)
            .await
    })
    .await
}

/// A table of links from an owner row (a goal, an assignment) to target
/// rows (nämnder, indicators), kept in the order the client gave them.
pub trait LinkTable: EntityTrait {
    fn kommun_column() -> Self::Column;
    fn owner_column() -> Self::Column;
    fn target_column() -> Self::Column;
    fn position_column() -> Self::Column;
    /// The owner and the target a link joins.
    fn ends(link: &Self::Model) -> (Uuid, Uuid);
    /// A new link of `owner` to `target` at `position`.
    fn link(kommun_id: Uuid, owner: Uuid, target: Uuid, position: i32) -> Self::ActiveModel;
}

/// Implements [`LinkTable`] for entity `$module`, whose owner column is
/// `$owner` (`$Owner` as a column) and target column `$target` (`$Target`).
macro_rules! link_table {
    ($module:ident, $Owner:ident => $owner:ident, $Target:ident => $target:ident) => {
        impl $crate::service::linked::LinkTable for $crate::entity::$module::Entity {
            fn kommun_column() -> Self::Column {
                $crate::entity::$module::Column::KommunId
            }
            fn owner_column() -> Self::Column {
                $crate::entity::$module::Column::$Owner
            }
            fn target_column() -> Self::Column {
                $crate::entity::$module::Column::$Target
            }
            fn position_column() -> Self::Column {
                $crate::entity::$module::Column::Position
            }
            fn ends(link: &Self::Model) -> (Uuid, Uuid) {
                (link.$owner, link.$target)
            }
            fn link(
                kommun_id: Uuid,
                owner: Uuid,
                target: Uuid,
                position: i32,
            ) -> Self::ActiveModel {
                $crate::entity::$module::ActiveModel {
                    id: sea_orm::Set(Uuid::now_v7()),
                    kommun_id: sea_orm::Set(kommun_id),
                    $owner: sea_orm::Set(owner),
                    $target: sea_orm::Set(target),
                    position: sea_orm::Set(position),
                }
            }
        }
    };
}
pub(crate) use link_table;

/// The targets each of `owners` links to in `T`, in their order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn read_links<T: LinkTable>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    owners: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, ServiceError> {
    let mut links: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if owners.is_empty() {
        return Ok(links);
    }
    for link in T::find()
        .filter(T::kommun_column().eq(kommun_id))
        .filter(T::owner_column().is_in(owners.iter().copied()))
        .order_by_asc(T::position_column())
        .all(db)
        .await?
    {
        let (owner, target) = T::ends(&link);
        links.entry(owner).or_default().push(target);
    }
    Ok(links)
}

/// The owners that link to `target` in `T` (the goals a nämnd is
/// medansvarig for, the goals an indicator measures).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn owners_linking_to<T: LinkTable>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    target: Uuid,
) -> Result<Vec<Uuid>, ServiceError> {
    let links = T::find()
        .filter(T::kommun_column().eq(kommun_id))
        .filter(T::target_column().eq(target))
        .all(db)
        .await?;
    Ok(links.iter().map(|link| T::ends(link).0).collect())
}

/// The rows nämnd `namnd_id` answers for, given the columns of a goal or
/// an assignment (`[huvudansvar, alla_namnder, id]`) and the link table of
/// its medansvariga: as huvudansvarig, with all nämnder, or as medansvarig.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn answered_by<T: LinkTable, C: ColumnTrait>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    [huvudansvar, alla_namnder, id]: [C; 3],
    namnd_id: Uuid,
) -> Result<Condition, ServiceError> {
    let medansvar = owners_linking_to::<T>(db, kommun_id, namnd_id).await?;
    Ok(Condition::any()
        .add(huvudansvar.eq(namnd_id))
        .add(alla_namnder.eq(true))
        .add(id.is_in(medansvar)))
}

/// Replaces the links of `owner` in `T` with `targets`, in their order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn replace_links<T: LinkTable>(
    db: &DatabaseTransaction,
    kommun_id: Uuid,
    owner: Uuid,
    targets: &[Uuid],
) -> Result<(), ServiceError>
where
    T::ActiveModel: ActiveModelTrait<Entity = T> + Send,
{
    T::delete_many()
        .filter(T::owner_column().eq(owner))
        .exec(db)
        .await?;
    let links: Vec<T::ActiveModel> = targets
        .iter()
        .enumerate()
        .map(|(i, target)| {
            T::link(
                kommun_id,
                owner,
                *target,
                i32::try_from(i).unwrap_or(i32::MAX),
            )
        })
        .collect();
    if !links.is_empty() {
        T::insert_many(links).exec(db).await?;
    }
    Ok(())
}
