use sea_orm::entity::prelude::*;

use crate::domain::structure::{PeriodKind, PeriodSpec};

super::versioned_entity! {
    #[sea_orm(table_name = "period")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub kind: PeriodKind,
        pub year: i32,
        /// Month 1–12, tertial 1–3, halvår 1–2; 0 for delår and helår.
        pub number: i32,
        pub start_date: Date,
        pub end_date: Date,
        /// Set when the period is closed (bokslut): no value in its months may be written.
        pub closed_at: Option<ChronoDateTimeUtc>,
        pub closed_by: Option<String>,
    }
}

impl Model {
    /// The period's kind, year and number as the domain type; the error
    /// says which stored column does not fit.
    pub fn spec(&self) -> Result<PeriodSpec, String> {
        let number = u32::try_from(self.number).ok().filter(|n| *n > 0);
        PeriodSpec::new(self.kind, self.year, number)
            .map_err(|(field, e)| format!("stored period {field}: {e}"))
    }
}
