use sea_orm::entity::prelude::*;

use crate::domain::structure::AssignmentStatus;

super::versioned_entity! {
    #[sea_orm(table_name = "assignment_status")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub report_id: Uuid,
        pub assignment_id: Uuid,
        pub status: Option<AssignmentStatus>,
        #[sea_orm(column_type = "Text")]
        pub comment: Option<String>,
    }
}
