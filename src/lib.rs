//! rewind: the release and rollback backend of a headless CMS.

pub mod api;
pub mod app;
pub mod client;
pub mod config;
pub mod console;
pub mod db;
pub mod deployment_document;
pub mod deployment_feed;
pub mod deployment_worker;
pub mod domain;
pub mod error;
pub mod failpoint;
pub mod request_span;
pub mod service;
pub mod shutdown;
pub mod state;
pub mod telemetry;
pub mod webhook_delivery;
