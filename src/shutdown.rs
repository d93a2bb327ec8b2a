//! Stopping: on SIGTERM the process stops claiming work, and everything that waits (workers,
//! webhook delivery, the deployment feed and its streams) ends within the grace.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Tells the workers to stop claiming deployments and the streams to end (on SIGTERM); cloned
/// wherever something must stop.
#[derive(Debug, Clone, Default)]
pub struct Shutdown(Arc<ShutdownState>);

#[derive(Debug, Default)]
struct ShutdownState {
    begun: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Shutdown {
    /// From now on no worker claims another deployment; idle workers end at once.
    pub fn begin(&self) {
        self.0.begun.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether `begin` has been called.
    pub fn has_begun(&self) -> bool {
        self.0.begun.load(Ordering::SeqCst)
    }

    /// Resolves once `begin` has been called (at once if it has been).
    pub async fn begun(&self) {
        // Created before the check, so a `begin` in between still wakes it.
        let notified = self.0.notify.notified();
        if !self.has_begun() {
            notified.await;
        }
    }
}
