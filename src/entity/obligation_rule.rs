use sea_orm::entity::prelude::*;

super::versioned_entity! {
    /// A kommun's rule that makes an åtgärdsplan due (see `domain::process`).
    #[sea_orm(table_name = "obligation_rule")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub name: String,
        /// A decimal as text, e.g. "5" for −5 % of the full-year budget.
        pub min_deviation_percent: Option<String>,
        /// Whole kronor, e.g. 500000 for −500 000 kr.
        pub min_deviation_kr: Option<i64>,
        pub within_days: i32,
    }
}
