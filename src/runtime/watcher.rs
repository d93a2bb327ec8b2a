//! S1, S2: the feed's watcher, which finds the changes of deployments made by other processes
//! sharing the database (see [`super::feed`]).

use std::time::Instant;

use super::feed::{IDLE_POLL, POLL, RECENT};
use super::{db, AppState};
use crate::db::now;
use crate::error::AppResult;
use crate::service::deployments::{self, DeploymentView};

/// The watcher: every round, sends the progress noted and what the database shows changed,
/// until the process shuts down.
pub async fn watch(state: actix_web::web::Data<AppState>) {
    let feed = state.feed().clone();
    while !state.shutdown.has_begun() {
        let wait = if feed.listeners() > 0 { POLL } else { IDLE_POLL };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = feed.wake.notified() => {}
            _ = state.shutdown.begun() => break,
        }
        feed.send_progress();
        let active = feed.active();
        let since = now() - chrono::Duration::from_std(RECENT).unwrap_or_default();
        let read_at = Instant::now();
        let found =
            db(&state, move |c| -> AppResult<Vec<DeploymentView>> { deployments::recently_changed(c, &active, since) })
                .await;
        match found {
            Ok(views) => views.into_iter().for_each(|v| feed.send(v, None, Some(read_at))),
            Err(e) => tracing::debug!(error = %e, "deployment feed could not read the database"),
        }
        feed.forget_old();
    }
}
