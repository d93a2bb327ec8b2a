//! The deployment worker: claims queued and due scheduled deployments and runs them.
//!
//! On PostgreSQL several processes share the work: a claim takes the row with
//! `FOR UPDATE SKIP LOCKED`, and the claiming connection holds a session advisory lock on the
//! deployment until it has run. A deployment left `in_progress` whose lock nobody holds belongs
//! to a process that died, and is queued again. On SQLite one process writes, so at start every
//! `in_progress` deployment is such a leftover.

use std::time::Duration;

use actix_web::web;

use crate::db::{claims, now, write_transaction, DbConn};
use crate::error::AppResult;
use crate::runtime::{db, AppState, Effects};
use crate::service::deployments::{self as svc, DeploymentView};
use crate::shutdown::Shutdown;

/// Claims the next queued or due deployment, marking it `in_progress`; nothing once `shutdown`
/// has begun. On PostgreSQL the connection keeps the deployment's advisory lock until `release`.
pub(crate) fn claim_next(conn: &mut DbConn, shutdown: &Shutdown) -> AppResult<Option<DeploymentView>> {
    let mut locked: Option<String> = None;
    let claimed = write_transaction(conn, |conn| {
        // Checked under the lock: on SQLite a claim can wait for it through a whole running
        // deployment, and must not claim what was queued after the shutdown began.
        if shutdown.has_begun() {
            return Ok(None);
        }
        let Some(id) = claims::next_due(conn, now())? else { return Ok(None) };
        if !claims::try_lock(conn, &id)? {
            // A recovery check holds it for a moment: leave the deployment for the next round.
            return Ok(None);
        }
        locked = Some(id.clone());
        claims::start(conn, &id, now())?;
        // W2: `deployment.started` commits with the claim.
        svc::announce(conn, &id).map(Some)
    });
    if let (Err(_), Some(id)) = (&claimed, &locked) {
        // The session lock outlives the failed transaction: give it back.
        let _ = release(conn, id);
    }
    claimed
}

/// Gives up the advisory lock `claim_next` took (PostgreSQL only).
pub fn release(conn: &mut DbConn, id: &str) -> AppResult<()> {
    Ok(claims::unlock(conn, id)?)
}

/// L5: queues again every `in_progress` deployment that no live process is running. On SQLite
/// call it only at start, before the worker runs.
pub fn recover(conn: &mut DbConn) -> AppResult<usize> {
    let mut requeued = 0;
    for id in claims::in_progress(conn)? {
        // Free lock: its process is gone (on SQLite every one is a leftover).
        if claims::try_lock(conn, &id)? {
            requeued += svc::requeue(conn, &id)?;
            release(conn, &id)?;
        }
    }
    if requeued > 0 {
        tracing::warn!(requeued, "queued again deployments left in progress by a stopped process");
    }
    Ok(requeued)
}

/// How often a PostgreSQL worker looks for orphans of dead processes. Short because the check at
/// start can miss one: a killed process's database session keeps the deployment's advisory lock
/// until the statement it was running ends, which can be after the new process has started.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Claims and runs one deployment if one is due and `shutdown` has not begun, `page` keys at a
/// time; whether it ran one. Its start and end (each once committed) and its progress go to
/// `effects` (S1, S2).
pub fn run_one(conn: &mut DbConn, shutdown: &Shutdown, effects: &Effects, page: i64) -> AppResult<bool> {
    let Some(claimed) = claim_next(conn, shutdown)? else { return Ok(false) };
    effects.deployment(&claimed);
    let id = claimed.row.id;
    let started = std::time::Instant::now();
    let result = svc::run(conn, &id, page, &|done, total| effects.progress(&id, done, total));
    release(conn, &id)?;
    effects.deployment(&result?);
    metrics::histogram!(crate::telemetry::DEPLOYMENT_DURATION).record(started.elapsed().as_secs_f64());
    Ok(true)
}

/// Runs the worker loop until the state's shutdown begins: run what is due, else sleep until woken or
/// `poll` has passed. With PostgreSQL it also looks for orphans of dead processes (`SWEEP_EVERY`).
pub async fn run(state: web::Data<AppState>, poll: Duration) {
    let shutdown = state.shutdown.clone();
    let mut last_sweep = std::time::Instant::now();
    while !shutdown.has_begun() {
        let sweep = last_sweep.elapsed() > SWEEP_EVERY;
        let stopping = shutdown.clone();
        let effects = state.effects.clone();
        let page = state.settings.deploy_page;
        let outcome = db(&state, move |conn| {
            if sweep && matches!(*conn, DbConn::Pg(_)) {
                recover(conn)?;
            }
            run_one(conn, &stopping, &effects, page)
        })
        .await;
        if sweep {
            last_sweep = std::time::Instant::now();
        }
        match outcome {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "worker could not run a deployment"),
        }
        tokio::select! {
            _ = state.effects.queued() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.begun() => {}
        }
    }
}
