use sea_orm::entity::prelude::*;

use crate::domain::{process::DeadlineKind, structure::ReportType};

/// A date of the follow-up process.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "deadline")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub period_id: Uuid,
    pub report_type: ReportType,
    pub kind: DeadlineKind,
    pub due_date: Date,
    /// For one nämnd only; null: for every nämnd.
    pub namnd_id: Option<Uuid>,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
