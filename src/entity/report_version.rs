use sea_orm::entity::prelude::*;

/// What a report showed when its nämnd decided it. Written once at each
/// approval, never changed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "report_version")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub report_id: Uuid,
    /// 1 for the first approval, n+1 after each reopen and approval.
    pub number: i32,
    /// The canonical JSON of everything the report showed.
    #[sea_orm(column_type = "Text")]
    #[serde(skip)]
    pub document: String,
    /// SHA-256 of `document`, lowercase hex.
    pub sha256: String,
    /// The previous version's `sha256`; none for version 1.
    pub prev_sha256: Option<String>,
    pub beslut_datum: Date,
    pub beslut_paragraf: String,
    pub diarienummer: Option<String>,
    pub decided_at: ChronoDateTimeUtc,
    pub decided_by: String,
}

super::no_relations!();
