use sea_orm::entity::prelude::*;

use crate::domain::GoalKind;

super::versioned_entity! {
    #[sea_orm(table_name = "goal")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub kind: GoalKind,
        pub goal_area_id: Option<Uuid>,
        #[sea_orm(column_type = "Text")]
        pub title: String,
        #[sea_orm(column_type = "Text")]
        pub description: Option<String>,
        pub huvudansvar_id: Option<Uuid>,
        pub alla_namnder: bool,
        pub agenda2030: String,
        pub bar_pa_goal_id: Option<Uuid>,
        #[sea_orm(column_type = "Text")]
        pub bar_pa: Option<String>,
        pub target_year: Option<i32>,
        pub target_value: Option<String>,
        pub target_text: Option<String>,
        pub position: i32,
    }
}
