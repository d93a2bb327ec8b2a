//! The process's background tasks: the deployment feed's watcher (S1, S2), the deployment
//! workers (L5, L7) and the webhook delivery loops (W3). `serve` and the tests start them through
//! [`start`], the same way, all stopping with the state's shutdown.

use std::time::Duration;

use actix_web::rt::task::JoinHandle;
use actix_web::web;

use crate::runtime::{watcher, AppState};
use crate::{deployment_worker, webhook_delivery};

/// How many of each loop to run, and how often an idle one looks for work.
#[derive(Debug, Clone, Copy)]
pub struct Loops {
    /// Deployment workers.
    pub workers: usize,
    /// Webhook delivery loops.
    pub webhook_workers: usize,
    /// How long an idle loop sleeps before it looks again.
    pub poll: Duration,
}

/// Starts the watcher, the deployment workers and the webhook loops; answers the workers and the
/// loops, which a stopping process waits for (a running deployment, and an attempt under way,
/// finish within the grace).
pub fn start(state: &web::Data<AppState>, loops: Loops) -> Vec<JoinHandle<()>> {
    actix_web::rt::spawn(watcher::watch(state.clone()));
    let deliveries =
        (0..loops.webhook_workers).map(|_| actix_web::rt::spawn(webhook_delivery::run(state.clone(), loops.poll)));
    let workers = (0..loops.workers).map(|_| actix_web::rt::spawn(deployment_worker::run(state.clone(), loops.poll)));
    workers.chain(deliveries).collect()
}
