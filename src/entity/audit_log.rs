use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub occurred_at: ChronoDateTimeUtc,
    pub principal: String,
    pub role: String,
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    pub action: String,
    #[sea_orm(column_type = "Text")]
    pub before_json: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub after_json: Option<String>,
    pub request_id: Option<String>,
}

super::no_relations!();
