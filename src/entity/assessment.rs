use sea_orm::entity::prelude::*;

use crate::domain::Bedomning;

super::versioned_entity! {
    #[sea_orm(table_name = "assessment")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub report_id: Uuid,
        pub goal_id: Uuid,
        pub bedomning: Bedomning,
        #[sea_orm(column_type = "Text")]
        pub comment: String,
    }
}
