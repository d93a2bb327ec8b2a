//! rewind: the release and rollback backend of a headless CMS.

pub mod api;
pub mod app;
pub mod background;
pub mod client;
pub mod config;
pub mod console;
pub mod db;
pub mod deployment_document;
pub mod deployment_worker;
pub mod domain;
pub mod error;
pub mod failpoint;
pub mod http;
pub mod request_span;
pub mod runtime;
pub mod service;
pub mod settings;
pub mod shutdown;
pub mod telemetry;
pub mod webhook_delivery;
