use super::write::Write;
use super::write::{Columns, RowChanges};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use crate::{
    domain::structure::KommunKod,
    entity::kommun,
    service::{
        audit::Actor,
        error::{ServiceError, UniqueKey, unique_violation},
        write::audited,
    },
};

super::write::tenant_entity!(kommun, "kommun", "kommun");

// A kommun is its own tenant: its id is its kommun id.
impl kommun::Column {
    #[allow(non_upper_case_globals)]
    pub const KommunId: kommun::Column = kommun::Column::Id;
}

const UQ_CODE: UniqueKey = UniqueKey {
    name: "uq_kommun_code",
    table: "kommun",
    columns: &["code"],
};

#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<kommun::Model>, ServiceError> {
    Ok(kommun::Entity::find()
        .filter(kommun::Column::Code.eq(code))
        .one(db)
        .await?)
}

/// Creates the kommun of `actor` (whose `kommun_id` is the new kommun's id).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    code: &KommunKod,
    name: &str,
) -> Result<kommun::Model, ServiceError> {
    audited(db, actor, async |w| {
        let created = insert(w.db(), actor.kommun_id, code, name).await?;
        w.created(&created)?;
        Ok(created)
    })
    .await
}

async fn insert(
    db: &impl ConnectionTrait,
    id: Uuid,
    code: &KommunKod,
    name: &str,
) -> Result<kommun::Model, ServiceError> {
    let now = crate::service::clock::now();
    let model = kommun::ActiveModel {
        id: Set(id),
        code: Set(code.as_str().to_string()),
        name: Set(name.to_string()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    kommun::Entity::insert(model)
        .exec_with_returning(db)
        .await
        .map_err(|e| {
            unique_violation(
                e,
                &UQ_CODE,
                "code",
                "a kommun with this code already exists",
            )
        })
}

/// A new name for the kommun (its code never changes).
pub struct KommunChanges {
    pub name: String,
}

impl RowChanges for KommunChanges {
    type Entity = kommun::Entity;

    async fn columns(self, _: &Write<'_>, _: &kommun::Model) -> Columns<Self> {
        Ok(kommun::ActiveModel {
            name: Set(self.name),
            ..Default::default()
        })
    }
}
