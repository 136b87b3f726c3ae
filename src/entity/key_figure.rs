use sea_orm::entity::prelude::*;

use crate::domain::structure::KeyFigureUnit;

super::versioned_entity! {
    #[sea_orm(table_name = "key_figure")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub namnd_id: Uuid,
        pub name: String,
        pub unit: KeyFigureUnit,
        pub year: i32,
        pub measured: String,
        pub value_t: Option<String>,
        pub value_k: Option<String>,
        pub value_m: Option<String>,
        pub position: i32,
    }
}
