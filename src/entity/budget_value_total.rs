use sea_orm::entity::prelude::*;

use crate::domain::{BudgetLineKind, Measure};

/// Utfall or budget of one nämnd and kind summed per month range; kept by
/// `service::budget_totals`. Present only while `entries > 0`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_value_total")]
pub struct Model {
    pub kommun_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub namnd_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: BudgetLineKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub measure: Measure,
    #[sea_orm(primary_key, auto_increment = false)]
    pub from_month: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub to_month: i32,
    pub amount_ore: i64,
    pub entries: i32,
}

super::no_relations!();
