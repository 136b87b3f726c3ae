use sea_orm::entity::prelude::*;

use crate::domain::BudgetLineKind;

super::versioned_entity! {
    #[sea_orm(table_name = "budget_line")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub namnd_id: Uuid,
        pub kind: BudgetLineKind,
        pub code: String,
        pub name: String,
        pub parent_id: Option<Uuid>,
        pub planned_completion: Option<i32>,
        pub position: i32,
    }
}
