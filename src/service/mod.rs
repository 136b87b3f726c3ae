//! Async functions on a connection or transaction that return domain
//! results. Every query is scoped to the caller's kommun.

pub mod crud;
pub mod kommuner;
pub mod namnder;
pub mod periods;
