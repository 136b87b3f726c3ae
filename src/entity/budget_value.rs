use sea_orm::entity::prelude::*;

use crate::domain::Measure;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "budget_value")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub line_id: Uuid,
    pub measure: Measure,
    pub from_month: i32,
    pub to_month: i32,
    pub amount_ore: i64,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
