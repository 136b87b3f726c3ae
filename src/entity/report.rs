use sea_orm::entity::prelude::*;

use crate::domain::structure::{ReportStatus, ReportType};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub namnd_id: Uuid,
    pub period_id: Uuid,
    pub report_type: ReportType,
    pub status: ReportStatus,
    pub beslut_datum: Option<Date>,
    pub beslut_paragraf: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub status_reason: Option<String>,
    pub submitted_at: Option<ChronoDateTimeUtc>,
    pub approved_at: Option<ChronoDateTimeUtc>,
    /// The decision's registration number, when the nämnd gives one.
    pub diarienummer: Option<String>,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::namnd::Entity",
        from = "Column::NamndId",
        to = "super::namnd::Column::Id"
    )]
    Namnd,
    #[sea_orm(
        belongs_to = "super::period::Entity",
        from = "Column::PeriodId",
        to = "super::period::Column::Id"
    )]
    Period,
}

impl Related<super::namnd::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Namnd.def()
    }
}

impl Related<super::period::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Period.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
