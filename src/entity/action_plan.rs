use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "action_plan")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub report_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub avvikelse: String,
    #[sea_orm(column_type = "Text")]
    pub atgard: String,
    #[sea_orm(column_type = "Text")]
    pub ekonomisk_effekt: String,
    #[sea_orm(column_type = "Text")]
    pub verksamhetseffekt: String,
    pub position: i32,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
