//! The runtime under the three faces: what every handler, the console, the worker and the
//! webhook loop share (the pool, the settings, the deployment feed, the worker's wake-up, the
//! token cache, the shutdown), the one way to run database work on the blocking pool, and the one
//! place that applies what a use case changed after its commit ([`change`]). Nothing here knows a
//! face: `api/` and `console/` are built on it, never the other way round.

pub mod feed;
pub mod known_tokens;
pub mod watcher;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use tokio::sync::{Notify, Semaphore};

use crate::db::deployments::DeploymentView;
use crate::db::{DbConn, Pool};
use crate::domain::DeploymentStatus;
use crate::error::{AppError, AppResult};
use crate::service::effects::{Changed, Effect};
use crate::service::{tokens, Caller};
use crate::settings::Settings;
use crate::shutdown::Shutdown;
use feed::DeploymentFeed;
use known_tokens::KnownTokens;

/// What every handler and the worker share.
pub struct AppState {
    pub pool: Pool,
    /// One turn per connection of the pool, handed out in the order asked ([`db_waiting`]).
    turns: Arc<Semaphore>,
    pub settings: Settings,
    /// The post-commit side of the process: the feed, the worker's wake-up, the token cache.
    pub effects: Effects,
    /// Begun on SIGTERM: workers stop claiming, streams end.
    pub shutdown: Shutdown,
}

impl AppState {
    /// The state of a service on `pool` with `settings`.
    pub fn new(pool: Pool, settings: Settings) -> AppState {
        let turns = Arc::new(Semaphore::new(pool.max_size() as usize));
        AppState { pool, turns, settings, effects: Effects::default(), shutdown: Shutdown::default() }
    }

    /// S1, S2: the process's deployment feed.
    pub(crate) fn feed(&self) -> &Arc<DeploymentFeed> {
        &self.effects.feed
    }
}

/// What applies a use case's effects, and the process state they reach. Cheap to clone, so that
/// a blocking task (the worker's run) can apply effects between its own commits.
#[derive(Clone, Default)]
pub struct Effects {
    /// S1, S2: every change of a deployment, for the streams.
    feed: Arc<DeploymentFeed>,
    /// Wakes the worker when a deployment is queued.
    wake: Arc<Notify>,
    /// The callers of tokens seen lately (authentication without the database).
    tokens: Arc<KnownTokens>,
}

impl Effects {
    /// Applies what a committed use case changed: the one place this is done, for every face.
    pub fn apply(&self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Deployments(views) => {
                    self.feed.publish_all(&views);
                    if views.iter().any(|v| v.row.status == DeploymentStatus::Queued) {
                        self.wake.notify_one();
                    }
                }
                Effect::Released(views) => {
                    self.feed.publish_all(&views);
                    if !views.is_empty() {
                        self.wake.notify_one();
                    }
                }
                Effect::TokenRevoked(hash) => self.tokens.forget(&hash),
                Effect::UserDeactivated(user) => self.tokens.forget_user(&user),
            }
        }
    }

    /// Applies a deployment's change (the worker's claim and end).
    pub fn deployment(&self, view: &DeploymentView) {
        self.feed.publish(view);
    }

    /// Notes the progress of a deployment this process runs (S1; sent within the feed's poll).
    pub fn progress(&self, id: &str, done: i32, total: i32) {
        self.feed.progress(id, done, total);
    }

    /// Waits until a deployment is queued in this process.
    pub async fn queued(&self) {
        self.wake.notified().await
    }
}

/// Runs blocking database work on actix's thread pool with a connection from the pool: the one
/// way the handlers, the console, the worker and the webhook loop reach the database.
pub async fn db<T, F>(state: &AppState, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
{
    db_waiting(state, None, f).await
}

/// [`db`], waiting for a connection at most `wait` instead of the pool's own timeout (503
/// `unavailable` after it).
///
/// Work waits for its turn here, first come first served, before it takes a thread and a
/// connection: one turn per connection, so that the pool always has one for a task that got its
/// turn. r2d2's own wait is not fair: a returned connection goes to whichever thread locks the
/// pool first, often a newcomer, and a thread that lost goes to the back of the queue again. With
/// 256 connections of load on a pool of 16 (PostgreSQL, `GET /v1/environments/{env}`, p50 120 ms
/// either way), that made the p99 283 ms; in turns it is 166 ms (2026-12-07).
pub(crate) async fn db_waiting<T, F>(state: &AppState, wait: Option<Duration>, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
{
    let wait = wait.unwrap_or_else(|| state.pool.connection_timeout());
    let deadline = Instant::now() + wait;
    let turn = match tokio::time::timeout(wait, state.turns.clone().acquire_owned()).await {
        Ok(Ok(turn)) => turn,
        _ => {
            tracing::warn!(waited_ms = wait.as_millis() as u64, "no database connection: every one is in use");
            return Err(AppError::Unavailable);
        }
    };
    let pool = state.pool.clone();
    web::block(move || {
        let _turn = turn;
        let mut conn = pool.get_timeout(deadline.saturating_duration_since(Instant::now()))?;
        let result = f(&mut conn);
        if let Err(AppError::ConnectionLost) = result {
            crate::db::connection_failed();
        }
        result
    })
    .await?
}

/// Runs a use case that changes something (as [`db`]) and, once it has committed, applies its
/// effects: the feed, the worker's wake-up, the token cache.
pub async fn change<T, F>(state: &AppState, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> AppResult<Changed<T>> + Send + 'static,
{
    let (value, effects) = db(state, f).await?.into_parts();
    state.effects.apply(effects);
    Ok(value)
}

/// T1: the caller of a bearer token. Reads (`from_cache`) may take it from the per-process cache;
/// writes always read the token and its user from the database, so that a token revoked or a user
/// deactivated by any process never writes.
pub async fn authenticate(state: &AppState, token: &str, from_cache: bool) -> AppResult<Caller> {
    let hash = tokens::hash_token(token);
    let cache = &state.effects.tokens;
    if from_cache {
        if let Some(caller) = cache.get(&hash, crate::db::now()) {
            return Ok(caller);
        }
    }
    let epoch = cache.epoch();
    let (caller, expires_at) = db(state, {
        let hash = hash.clone();
        move |c| tokens::authenticate_hash(c, &hash)
    })
    .await?;
    cache.remember(hash, caller.clone(), expires_at, epoch);
    Ok(caller)
}
