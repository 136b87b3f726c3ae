use sea_orm::entity::prelude::*;

use crate::domain::structure::NamndKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "namnd")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: NamndKind,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
