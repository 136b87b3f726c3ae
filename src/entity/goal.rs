use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::GoalKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "goal")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub kind: GoalKind,
    pub goal_area_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub huvudansvar_id: Option<Uuid>,
    pub alla_namnder: bool,
    pub agenda2030: String,
    pub bar_pa_goal_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub bar_pa: Option<String>,
    pub target_year: Option<i32>,
    pub target_value: Option<String>,
    pub target_text: Option<String>,
    pub position: i32,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
