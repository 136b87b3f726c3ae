//! One integration-test binary: every module starts the real application on
//! a random port against SQLite and PostgreSQL.

mod helpers;

mod access_matrix;
mod assessments;
mod assignments;
mod auth;
mod calendar;
mod changes;
mod cleanup;
mod conformance;
mod deadlines;
mod decided;
mod demo;
mod dimension_mappings;
mod documents;
mod goals;
mod health;
mod idempotency;
mod imports;
mod indicators;
mod key_figures;
mod kolada_fetch;
mod kommun_views;
mod kommuner;
mod namnder;
mod obligations;
mod openapi;
mod periods;
mod read_cache;
mod reliability;
mod reports;
mod request_limits;
mod seeds;
mod sie;
mod volumes;
mod webhooks;
mod write_walk;
