//! One integration-test binary: every module starts the real application on
//! a random port against SQLite and PostgreSQL.

mod helpers;

mod auth;
mod health;
mod kommuner;
mod namnder;
mod openapi;
mod periods;
