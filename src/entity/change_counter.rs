use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_counter")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kommun_id: Uuid,
    pub seq: i64,
}

super::no_relations!();
