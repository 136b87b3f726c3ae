use sea_orm::entity::prelude::*;

use crate::domain::structure::NamndKind;

super::versioned_entity! {
    #[sea_orm(table_name = "namnd")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub code: String,
        pub name: String,
        pub kind: NamndKind,
    }
}
