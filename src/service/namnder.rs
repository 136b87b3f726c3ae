use super::write::{Columns, NewRow, RowChanges};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::{
    domain::structure::{NamndCode, NamndKind},
    entity::namnd,
    service::crud::PageRequest,
    service::{
        error::{ServiceError, Taken, UniqueKey},
        write::Write,
    },
};

super::write::tenant_entity!(namnd, "nämnd", "namnd");

const CODE_TAKEN: Taken = Taken {
    key: UniqueKey {
        name: "uq_namnd_kommun_code",
        table: "namnd",
        columns: &["kommun_id", "code"],
    },
    field: "code",
    message: "another nämnd of this kommun already has this code",
};

pub struct NewNamnd {
    pub code: NamndCode,
    pub name: String,
    pub kind: NamndKind,
}

#[derive(Default)]
pub struct NamndChanges {
    pub code: Option<NamndCode>,
    pub name: Option<String>,
    pub kind: Option<NamndKind>,
}

#[derive(Default)]
pub struct NamndFilter {
    pub code: Option<String>,
    pub kind: Option<NamndKind>,
}

impl NewRow for NewNamnd {
    type Entity = namnd::Entity;

    async fn insert(self, w: &Write<'_>) -> Result<namnd::Model, ServiceError> {
        let model = namnd::ActiveModel {
            code: Set(self.code.as_str().to_string()),
            name: Set(self.name),
            kind: Set(self.kind),
            ..Default::default()
        };
        w.insert(model, &CODE_TAKEN).await
    }
}

impl RowChanges for NamndChanges {
    type Entity = namnd::Entity;
    const TAKEN: Option<&'static Taken> = Some(&CODE_TAKEN);

    async fn columns(self, _: &Write<'_>, _: &namnd::Model) -> Columns<Self> {
        let set = |v: Option<String>| v.map(Set).unwrap_or(NotSet);
        Ok(namnd::ActiveModel {
            code: set(self.code.map(|c| c.as_str().to_string())),
            name: set(self.name),
            kind: self.kind.map(Set).unwrap_or(NotSet),
            ..Default::default()
        })
    }
}

/// Every nämnd of the kommun, by code (in byte order on both databases):
/// the rows of the consolidated views.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all_by_code(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
) -> Result<Vec<namnd::Model>, ServiceError> {
    let by_code = super::search::in_byte_order(db, namnd::Column::Code);
    Ok(namnd::Entity::find()
        .filter(namnd::Column::KommunId.eq(kommun_id))
        .order_by_asc(by_code)
        .all(db)
        .await?)
}

/// Every nämnd of the kommun by id (a kommun has tens of them).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn by_id(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
) -> Result<std::collections::HashMap<Uuid, namnd::Model>, ServiceError> {
    Ok(namnd::Entity::find()
        .filter(namnd::Column::KommunId.eq(kommun_id))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    kommun_id: Uuid,
    filter: &NamndFilter,
    page: &PageRequest,
) -> Result<(Vec<namnd::Model>, Option<Uuid>), ServiceError> {
    let mut condition = Condition::all();
    if let Some(code) = &filter.code {
        condition = condition.add(namnd::Column::Code.eq(code.as_str()));
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(namnd::Column::Kind.eq(kind));
    }
    super::crud::list::<namnd::Entity>(db, kommun_id, condition, page).await
}
