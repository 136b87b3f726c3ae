use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::domain::structure::AssignmentStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "assignment_status")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub report_id: Uuid,
    pub assignment_id: Uuid,
    pub status: Option<AssignmentStatus>,
    #[sea_orm(column_type = "Text")]
    pub comment: Option<String>,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
