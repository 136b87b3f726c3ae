use sea_orm::entity::prelude::*;

super::versioned_entity! {
    #[sea_orm(table_name = "action_plan")]
    pub struct Model {
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
    }
}
