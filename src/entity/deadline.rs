use sea_orm::entity::prelude::*;

use crate::domain::{process::DeadlineKind, structure::ReportType};

super::versioned_entity! {
    /// A date of the follow-up process.
    #[sea_orm(table_name = "deadline")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub period_id: Uuid,
        pub report_type: ReportType,
        pub kind: DeadlineKind,
        pub due_date: Date,
        /// For one nämnd only; null: for every nämnd.
        pub namnd_id: Option<Uuid>,
    }
}
