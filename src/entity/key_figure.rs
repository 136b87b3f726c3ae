use sea_orm::entity::prelude::*;

use crate::domain::structure::KeyFigureUnit;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "key_figure")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub namnd_id: Uuid,
    pub name: String,
    pub unit: KeyFigureUnit,
    pub year: i32,
    pub measured: String,
    pub value_t: Option<String>,
    pub value_k: Option<String>,
    pub value_m: Option<String>,
    pub position: i32,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
