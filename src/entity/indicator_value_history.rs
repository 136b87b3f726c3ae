//! An earlier version of an indicator value: what the row held from
//! `valid_from` until `valid_to`, when a write revised it (`ended_by`
//! `update`) or removed it (`delete`).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::{Gender, ValueSource};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "indicator_value_history")]
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
    pub source: ValueSource,
    pub fetched_at: Option<ChronoDateTimeUtc>,
    pub kolada_value: Option<String>,
    pub kolada_status: Option<String>,
    pub valid_from: ChronoDateTimeUtc,
    pub valid_to: ChronoDateTimeUtc,
    /// `update` or `delete`.
    pub ended_by: String,
    /// The actor of the write that ended this version.
    pub changed_by: String,
}

super::no_relations!();
