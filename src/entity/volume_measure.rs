use sea_orm::entity::prelude::*;

use crate::domain::Aggregation;

super::versioned_entity! {
    #[sea_orm(table_name = "volume_measure")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub namnd_id: Uuid,
        pub name: String,
        pub unit: String,
        pub aggregation: Aggregation,
        pub position: i32,
    }
}
