use sea_orm::entity::prelude::*;

super::versioned_entity! {
    #[sea_orm(table_name = "assignment")]
    pub struct Model {
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
    }
}
