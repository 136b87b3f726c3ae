use sea_orm::entity::prelude::*;

super::versioned_entity! {
    #[sea_orm(table_name = "report_section")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub report_id: Uuid,
        pub key: String,
        pub title: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        pub position: i32,
    }
}
