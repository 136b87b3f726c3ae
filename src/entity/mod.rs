//! sea-orm entities, one per table. Plain data: rules live in `domain`,
//! queries in `service`.

pub mod action_plan;
pub mod assessment;
pub mod assignment;
pub mod assignment_namnd;
pub mod assignment_status;
pub mod audit_log;
pub mod budget_line;
pub mod budget_value;
pub mod budget_value_total;
pub mod change_counter;
pub mod change_feed;
pub mod dimension_mapping;
pub mod goal;
pub mod goal_area;
pub mod goal_indicator;
pub mod goal_namnd;
pub mod idempotency_key;
pub mod indicator;
pub mod indicator_override;
pub mod indicator_riktvarde;
pub mod indicator_value;
pub mod key_figure;
pub mod kommun;
pub mod namnd;
pub mod period;
pub mod report;
pub mod report_section;
pub mod report_version;
pub mod volume_measure;
pub mod volume_value;
