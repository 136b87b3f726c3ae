use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    domain::structure::KommunKod,
    entity::kommun,
    service::error::{ServiceError, UniqueKey, unique_violation},
};

super::crud::tenant_entity!(kommun, "kommun");

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

pub async fn find_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<kommun::Model>, ServiceError> {
    Ok(kommun::Entity::find()
        .filter(kommun::Column::Code.eq(code))
        .one(db)
        .await?)
}

pub async fn create(
    db: &impl ConnectionTrait,
    code: &KommunKod,
    name: &str,
) -> Result<kommun::Model, ServiceError> {
    let now = Utc::now();
    let model = kommun::ActiveModel {
        id: Set(Uuid::now_v7()),
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

pub async fn rename(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected_version: i32,
    name: &str,
) -> Result<kommun::Model, ServiceError> {
    let changes = kommun::ActiveModel {
        name: Set(name.to_string()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    super::crud::update_versioned::<kommun::Entity, _>(db, id, id, expected_version, changes).await
}
