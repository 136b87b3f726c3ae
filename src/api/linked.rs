//! The create and `/{id}` handlers of a plan resource written through
//! [`crate::service::linked`] (goals, assignments): loaded, created, changed and
//! deleted the same way. A resource says only how it is shown ([`Shown`])
//! and how its request bodies become its spec ([`NewSpec`], [`SpecChange`]);
//! `item_routes!` takes `LinkedItem<ItsType>`.

use std::{collections::HashMap, marker::PhantomData};

use sea_orm::ConnectionTrait;
use serde::Serialize;
use uuid::Uuid;

use super::resource::{Create, Ctx, Delete, Item, Patch, plan_target};
use crate::{
    auth::Action,
    entity::namnd,
    error::{ApiError, FieldError, ServiceError},
    service::{
        goals,
        linked::{self, Linked},
    },
};

/// How the api shows a linked resource.
pub trait Shown: Linked {
    type Dto: Serialize;
    /// The nämnder it names: its huvudansvar and medansvariga.
    fn namnder(&self) -> impl Iterator<Item = Uuid>;
    /// It as the api shows it, with the nämnder it names (by id).
    fn dto(&self, namnder: &HashMap<Uuid, namnd::Model>) -> Result<Self::Dto, ApiError>;
    fn version(&self) -> i32;
    /// The resource as a spec, for a change to be merged into.
    fn current_spec(&self) -> Result<Self::Spec, ServiceError>;
}

/// `rows` as the api shows them, in their order, with one read of the
/// nämnder they name.
pub async fn dtos<L: Shown>(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    rows: &[L],
) -> Result<Vec<L::Dto>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().flat_map(L::namnder).collect();
    let namnder = goals::namnder_by_id(db, kommun_id, ids).await?;
    rows.iter().map(|row| row.dto(&namnder)).collect()
}

/// A create body: the new resource's spec, or what is wrong with it.
pub trait NewSpec<L: Linked> {
    fn spec(&self) -> Result<L::Spec, Vec<FieldError>>;
}

/// A change body: the spec with the change merged in, or what is wrong
/// with the result.
pub trait SpecChange<L: Linked> {
    fn merge(self, current: L::Spec) -> Result<L::Spec, Vec<FieldError>>;
}

/// The handlers' resource type for a linked resource `L`.
pub struct LinkedItem<L>(PhantomData<L>);

impl<L: Shown> Item for LinkedItem<L> {
    type Current = L;
    type Dto = L::Dto;
    async fn load(cx: &Ctx, id: Uuid, action: Action) -> Result<L, ApiError> {
        let kommun_id = cx.authorized(action, plan_target)?;
        Ok(linked::get::<L>(cx.db(), kommun_id, id).await?)
    }
    fn id(current: &L) -> Uuid {
        current.resource_id()
    }
    fn version(current: &L) -> i32 {
        current.version()
    }
    async fn dto(cx: &Ctx, current: L) -> Result<L::Dto, ApiError> {
        let kommun_id = cx.principal.require_kommun()?;
        let namnder = goals::namnder_by_id(cx.db(), kommun_id, current.namnder()).await?;
        current.dto(&namnder)
    }
}

impl<L: Shown, B: NewSpec<L>> Create<B> for LinkedItem<L> {
    async fn create(cx: &Ctx, body: B) -> Result<L, ApiError> {
        cx.authorized(Action::Create, plan_target)?;
        let spec = body.spec().map_err(ServiceError::Validation)?;
        Ok(linked::create::<L>(cx.db(), &cx.actor()?, spec).await?)
    }
}

impl<L: Shown, B: SpecChange<L>> Patch<B> for LinkedItem<L> {
    async fn patch(cx: &Ctx, current: L, body: B) -> Result<L, ApiError> {
        let spec = body
            .merge(current.current_spec()?)
            .map_err(ServiceError::Validation)?;
        let (id, version) = (current.resource_id(), current.version());
        Ok(linked::update::<L>(cx.db(), &cx.actor()?, id, version, spec).await?)
    }
}

impl<L: Shown> Delete for LinkedItem<L> {
    async fn delete(cx: &Ctx, current: L) -> Result<(), ApiError> {
        let (id, version) = (current.resource_id(), current.version());
        Ok(linked::delete::<L>(cx.db(), &cx.actor()?, id, version).await?)
    }
}
