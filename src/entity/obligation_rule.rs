use sea_orm::entity::prelude::*;

/// A kommun's rule that makes an åtgärdsplan due (see `domain::process`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "obligation_rule")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub name: String,
    /// A decimal as text, e.g. "5" for −5 % of the full-year budget.
    pub min_deviation_percent: Option<String>,
    /// Whole kronor, e.g. 500000 for −500 000 kr.
    pub min_deviation_kr: Option<i64>,
    pub within_days: i32,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
