//! sea-orm entities, one per table. Plain data: rules live in `domain`,
//! queries in `service`.

pub mod action_plan;
pub mod audit_log;
pub mod budget_line;
pub mod budget_value;
pub mod key_figure;
pub mod kommun;
pub mod namnd;
pub mod period;
pub mod report;
pub mod report_section;
pub mod volume_measure;
pub mod volume_value;
