use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::Polarity;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "indicator")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub name: String,
    pub unit: String,
    pub polarity: Polarity,
    pub trend_threshold: String,
    #[sea_orm(column_type = "Text")]
    pub source: Option<String>,
    pub kolada_id: Option<String>,
    pub divided_by_gender: bool,
    pub position: i32,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    /// False for an indicator created from Kolada until a person sets its
    /// polarity; no bedömning is computed before.
    pub polarity_confirmed: bool,
}

super::no_relations!();
