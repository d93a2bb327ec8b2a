//! rewind: the release and rollback backend of a headless CMS.

pub mod api;
pub mod app;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod failpoint;
pub mod service;
pub mod state;
pub mod telemetry;
pub mod webhook_delivery;
pub mod worker;
