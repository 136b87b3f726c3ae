//! Async functions on a connection or transaction that return domain
//! results. Every query is scoped to the caller's kommun.

pub mod assessments;
pub mod assignments;
pub mod audit;
pub mod budget_lines;
pub mod budget_totals;
pub mod changes;
pub mod consolidation;
pub mod crud;
pub mod deadlines;
pub mod dimension_mappings;
pub mod error;
pub mod flat_import;
pub mod goals;
pub mod import_readers;
pub mod imports;
pub mod indicators;
pub mod key_figures;
pub mod kolada_comparisons;
pub mod kolada_fetch;
pub mod kolada_indicators;
pub mod kolada_sync;
pub mod kommun_views;
pub mod kommuner;
pub mod line_input;
pub mod mapped_imports;
pub mod namnder;
pub mod obligations;
pub mod periods;
pub mod reports;
pub mod search;
pub mod versions;
pub mod volumes;
pub mod webhooks;
pub mod write;
