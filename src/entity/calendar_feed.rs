use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A user's calendar feed. Its audit shape leaves the secret's hash out.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "calendar_feed")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
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
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
