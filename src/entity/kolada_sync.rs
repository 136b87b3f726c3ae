//! The Kolada sync of one kommun: its last run, the `from_date` of the last
//! successful one, the lease that lets one instance at a time run it, and
//! the municipality group it compares itself with.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "kolada_sync")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kommun_id: Uuid,
    /// The date the last successful sync started (the next one asks for
    /// values updated since).
    pub last_from_date: Option<Date>,
    pub last_started_at: Option<ChronoDateTimeUtc>,
    pub last_finished_at: Option<ChronoDateTimeUtc>,
    pub last_success_at: Option<ChronoDateTimeUtc>,
    pub last_rows_changed: i32,
    pub last_pages: i32,
    pub last_retries: i32,
    #[sea_orm(column_type = "Text")]
    pub last_error: Option<String>,
    pub runs: i32,
    pub failures: i32,
    pub lease_holder: Option<String>,
    pub lease_until: Option<ChronoDateTimeUtc>,
    pub comparison_group_id: Option<String>,
    pub comparison_group_name: Option<String>,
}

super::no_relations!();
