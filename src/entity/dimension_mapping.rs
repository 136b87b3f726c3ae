use sea_orm::entity::prelude::*;

super::versioned_entity! {
    #[sea_orm(table_name = "dimension_mapping")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub name: String,
        pub description: Option<String>,
        pub sie_ansvar_dim: Option<i32>,
        pub sie_verksamhet_dim: Option<i32>,
        /// The ordered rules as JSON (see `service::dimension_mappings`).
        pub rules: String,
    }
}
