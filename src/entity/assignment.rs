use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "assignment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub plan: Option<String>,
    pub goal_area_id: Option<Uuid>,
    pub goal_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub huvudansvar_id: Option<Uuid>,
    pub alla_namnder: bool,
    pub planned_start: Option<Date>,
    pub slutdatum: Option<Date>,
    pub sarskilt: bool,
    pub position: i32,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
