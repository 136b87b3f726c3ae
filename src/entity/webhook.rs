use sea_orm::entity::prelude::*;

super::versioned_entity! {
    /// A webhook subscription. Its audit shape leaves the secret out.
    #[sea_orm(table_name = "webhook")]
    pub struct Model {
        pub kommun_id: Uuid,
        pub url: String,
        pub description: Option<String>,
        /// The event types as a JSON list of strings.
        pub event_types: String,
        /// `whsec_…`; never in the audit log or a response after creation.
        #[serde(skip_serializing)]
        pub secret: String,
        pub enabled: bool,
        pub failing_since: Option<ChronoDateTimeUtc>,
        pub disabled_reason: Option<String>,
    }
}
