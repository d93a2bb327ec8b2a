//! rewind: the release and rollback backend of a headless CMS.
//!
//! The library is the `rewind` binary's, the benchmark's and the tests' own: what one of them
//! uses is public (with the reason beside it); the rest stays inside the crate.

/// The routes, wired once, for `serve` and for the tests that speak HTTP to the app.
pub mod app;
/// The background loops, started the same way by `serve` and by the tests.
pub mod background;
/// The command-line client, which `main` runs for every client command.
pub mod client;
/// The command line `main` parses (and the CLI test walks).
pub mod config;
/// The console's headers, which the tests hold its pages and the docs to.
pub mod console;
/// The connection, pool and migrations `main` opens, and the rows the tests seed and check.
pub mod db;
/// The deployment worker: `main` recovers with it at start, the benchmark and the model test
/// run deployments with it.
pub mod deployment_worker;
/// The rules, whose types the tests and the benchmark build their cases from.
pub mod domain;
/// The one error type, which the service-level tests match on.
pub mod error;
/// The runtime's state, which the tests build their app from.
pub mod runtime;
/// The use cases, which the model test, the benchmark and `main`'s local commands call.
pub mod service;
/// The settings, which `main` fills from the command line and the tests vary.
pub mod settings;
/// The metrics, which the observability test reads.
pub mod telemetry;

pub(crate) mod api;
pub(crate) mod deployment_document;
pub(crate) mod failpoint;
/// The hold document: a hold as the API answers it and as an `environment.held` or
/// `environment.released` message carries it (H1, H5).
pub(crate) mod hold_document;
pub(crate) mod http;
pub(crate) mod request_span;
pub(crate) mod shutdown;
pub(crate) mod webhook_delivery;
