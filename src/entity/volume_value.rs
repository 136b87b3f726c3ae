use sea_orm::entity::prelude::*;

use crate::domain::structure::VolumeValueKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "volume_value")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub measure_id: Uuid,
    pub kind: VolumeValueKind,
    pub from_month: i32,
    pub to_month: i32,
    pub value: String,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
