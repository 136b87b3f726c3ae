use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::{Gender, ValueSource};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "indicator_value")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub indicator_id: Uuid,
    pub year: i32,
    pub gender: Gender,
    pub value: Option<String>,
    pub status: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    pub updated_at: ChronoDateTimeUtc,
    pub source: ValueSource,
    /// When the value was last fetched from Kolada (source `kolada`).
    pub fetched_at: Option<ChronoDateTimeUtc>,
    /// What Kolada said at `fetched_at` (also when a manual value was kept).
    pub kolada_value: Option<String>,
    pub kolada_status: Option<String>,
}

super::no_relations!();
