use sea_orm::entity::prelude::*;

super::versioned_entity! {
    #[sea_orm(table_name = "goal_area")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub plan: String,
        pub name: String,
        pub from_year: Option<i32>,
        pub to_year: Option<i32>,
        pub position: i32,
    }
}
