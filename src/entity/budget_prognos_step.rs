use sea_orm::entity::prelude::*;

use crate::domain::BudgetLineKind;

/// The change of one nämnd's helårsprognos (its lines of one kind) in the
/// month the prognoser were made; kept by `service::budget_totals`. See the
/// migration `m20261204_000016_prognos_steps` for the reading.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_prognos_step")]
pub struct Model {
    pub kommun_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub namnd_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: BudgetLineKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub made_month: i32,
    /// Sum of the lines' changes of their prognos in this month.
    pub amount_ore: i64,
    /// Lines whose first prognos of the year was made in this month.
    pub lines: i32,
}

super::no_relations!();
