use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A webhook subscription. Its audit shape leaves the secret out.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "webhook")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// The event types as a JSON list of strings.
    pub event_types: String,
    /// `whsec_…`; never in the audit log or a response after creation.
    #[serde(skip_serializing)]
    pub secret: String,
    pub enabled: bool,
    pub failing_since: Option<ChronoDateTimeUtc>,
    pub disabled_reason: Option<String>,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
