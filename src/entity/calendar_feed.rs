use sea_orm::entity::prelude::*;

super::versioned_entity! {
    /// A user's calendar feed. Its audit shape leaves the secret's hash out.
    #[sea_orm(table_name = "calendar_feed")]
    pub struct Model {
        pub kommun_id: Uuid,
        /// The `sub` of the token that created it: its owner.
        pub subject: String,
        /// The role of that token.
        pub role: String,
        pub name: Option<String>,
        /// The nämnd codes it shows, as a JSON list; null: the whole kommun.
        pub namnder: Option<String>,
        /// SHA-256 of the secret in the feed's URL, hex.
        #[serde(skip_serializing)]
        pub secret_hash: String,
    }
}
