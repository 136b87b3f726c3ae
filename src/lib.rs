//! kommunrapport: the system of record for Swedish municipal follow-up
//! reporting. The binary in `main.rs` is a thin command line over this crate.

pub mod api;
pub mod auth;
pub mod benchgen;
pub mod benchimport;
pub mod cli;
pub mod config;
pub mod demo;
pub mod document;
pub mod domain;
pub mod entity;
pub mod error;
pub mod memory;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;

#[cfg(test)]
mod layering_tests;
