use sea_orm::entity::prelude::*;

use crate::domain::BudgetLineKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "budget_line")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    pub namnd_id: Uuid,
    pub kind: BudgetLineKind,
    pub code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub planned_completion: Option<i32>,
    pub position: i32,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

super::no_relations!();
