use sea_orm::entity::prelude::*;

use crate::domain::Aggregation;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "volume_measure")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub namnd_id: Uuid,
    pub name: String,
    pub unit: String,
    pub aggregation: Aggregation,
    pub position: i32,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
