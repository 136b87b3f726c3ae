use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "dimension_mapping")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub sie_ansvar_dim: Option<i32>,
    pub sie_verksamhet_dim: Option<i32>,
    /// The ordered rules as JSON (see `service::dimension_mappings`).
    pub rules: String,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
