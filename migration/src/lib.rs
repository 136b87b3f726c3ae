//! Database migrations. Run for real on SQLite and PostgreSQL by the tests
//! and at service start (unless disabled).

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_reports;
mod m20261123_000003_plan;
mod m20261123_000004_idempotency;
mod m20261202_000005_budget_totals;
mod m20261202_000006_change_feed;
mod m20261202_000007_dimension_mappings;
mod m20261203_000008_decided_versions;
mod m20261203_000010_kolada_v3;
mod m20261203_000013_process_and_webhooks;
mod m20261204_000015_calendar_feeds;
mod m20261204_000016_prognos_steps;
mod m20261204_000017_indicator_kommun_indexes;
mod m20261204_000018_budget_value_covering;
mod tables;

/// Numbers the audit log into an empty change feed (what the migration
/// does to existing rows); public so a test can run it on real data.
pub use m20261202_000006_change_feed::backfill as backfill_change_feed;
/// The statement that derives `budget_prognos_step` from the ledger.
pub use m20261204_000016_prognos_steps::prognos_steps_from_ledger;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_reports::Migration),
            Box::new(m20261123_000003_plan::Migration),
            Box::new(m20261123_000004_idempotency::Migration),
            Box::new(m20261202_000005_budget_totals::Migration),
            Box::new(m20261202_000006_change_feed::Migration),
            Box::new(m20261202_000007_dimension_mappings::Migration),
            Box::new(m20261203_000008_decided_versions::Migration),
            Box::new(m20261203_000010_kolada_v3::Migration),
            Box::new(m20261203_000013_process_and_webhooks::Migration),
            Box::new(m20261204_000015_calendar_feeds::Migration),
            Box::new(m20261204_000016_prognos_steps::Migration),
            Box::new(m20261204_000017_indicator_kommun_indexes::Migration),
            Box::new(m20261204_000018_budget_value_covering::Migration),
        ]
    }
}
