//! A comparison value of an indicator with a Kolada id: the country's
//! (`0000`, "Riket") or a municipality group's (`G…`) value for a year and
//! gender, fetched with the kommun's own values.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::Gender;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "indicator_comparison")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub indicator_id: Uuid,
    /// `0000` (the country) or a municipality group id.
    pub municipality: String,
    pub name: String,
    pub year: i32,
    pub gender: Gender,
    pub value: Option<String>,
    pub fetched_at: ChronoDateTimeUtc,
}

super::no_relations!();
