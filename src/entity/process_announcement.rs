use sea_orm::entity::prelude::*;
use serde::Serialize;

/// That a process event (a deadline passed, an obligation created) was
/// announced; at most one per kommun, kind and subject.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "process_announcement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    /// `deadline_pass` or `obligation_create`.
    pub kind: String,
    /// The deadline's id, or `<report id>/<rule id>` of an obligation.
    pub subject_key: String,
    pub announced_at: ChronoDateTimeUtc,
}

super::no_relations!();
