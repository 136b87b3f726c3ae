use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "indicator_riktvarde")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub indicator_id: Uuid,
    pub year: i32,
    pub value: Option<String>,
    pub text: Option<String>,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
