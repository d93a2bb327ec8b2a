//! The test harness: each test gets a database of its own (a temporary SQLite file, or a
//! PostgreSQL database created for it and dropped after) and speaks HTTP to the app built by the
//! same `configure` as `main`, with the deployment worker running. One module a job: the
//! database, the app and its requests, the scenarios' shared steps, streams, assertions, and
//! for the webhook tests a real receiver and the tables of addresses.
#![allow(dead_code)]

pub mod addresses;
mod app;
mod assertions;
mod database;
mod scenarios;
mod sse;
pub mod webhook_receiver;

// Each test binary uses some of these.
#[allow(unused_imports)]
pub use app::{spawn, spawn_delivering, spawn_with, TestApp, ADMIN, SETTLE_WITHIN};
#[allow(unused_imports)]
pub use assertions::{assert_problem, outcomes};
#[allow(unused_imports)]
pub use database::{backend, migrate_before, pg_admin_url, revert_through, TestDb};
#[allow(unused_imports)]
pub use sse::{Sse, SseReader};
