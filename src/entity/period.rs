use sea_orm::entity::prelude::*;

use crate::domain::structure::PeriodKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "period")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub kind: PeriodKind,
    pub year: i32,
    /// Month 1–12, tertial 1–3, halvår 1–2; 0 for delår and helår.
    pub number: i32,
    pub start_date: Date,
    pub end_date: Date,
    /// Set when the period is closed (bokslut): no value in its months may be written.
    pub closed_at: Option<ChronoDateTimeUtc>,
    pub closed_by: Option<String>,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
