use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::Bedomning;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "assessment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub report_id: Uuid,
    pub goal_id: Uuid,
    pub bedomning: Bedomning,
    #[sea_orm(column_type = "Text")]
    pub comment: String,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
