use sea_orm::entity::prelude::*;

super::versioned_entity! {
    #[sea_orm(table_name = "kommun")]
    pub struct Model {
        pub code: String,
        pub name: String,
    }
}
