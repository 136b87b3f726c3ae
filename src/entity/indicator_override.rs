use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::OverrideKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "indicator_override")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub indicator_id: Uuid,
    pub year: i32,
    pub kind: OverrideKind,
    pub value: String,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
