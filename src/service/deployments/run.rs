//! Running a claimed deployment (L5): plan under the environment's lock, then apply every item
//! in one transaction, or none and end `failed`; and handing it back to the queue.

use super::super::{releases, webhooks};
use super::plan::{plan, Work};
use super::views::{row, view, views, DeploymentView};
use crate::db::deployments::{self as rows, PlanTally};
use crate::db::publish::{apply_plan, lock_environment, record_plan, DeploymentWrite};
use crate::db::rows::{DeploymentRow, EnvironmentRow};
use crate::db::{now, write_transaction, DbConn};
use crate::domain::{conflict, references, Counts, DeploymentStatus, PlannedItem};
use crate::error::{AppError, AppResult};
use crate::telemetry::{self, ItemTally};

/// W2: writes the webhook messages of the deployment's status as it now stands; call it in the
/// transaction that changed the status. Answers the deployment as announced.
pub fn announce(conn: &mut DbConn, id: &str) -> AppResult<DeploymentView> {
    let view = view(conn, id)?;
    webhooks::announce(conn, &view)?;
    Ok(view)
}

/// Queues an `in_progress` deployment again, to be claimed anew; how many rows changed (0 or 1).
pub fn requeue(conn: &mut DbConn, id: &str) -> AppResult<usize> {
    Ok(rows::requeue(conn, id)?)
}

/// How a deployment's transaction ended when it ran.
enum Ran {
    /// The plan was applied: its counts, its tally by outcome, and the deployment as it ended.
    Applied(Counts, ItemTally, DeploymentView),
    /// C1 refused the plan: how many keys conflicted, and the deployment as it ended.
    Refused(usize, DeploymentView),
    /// The deployment was not (or no longer) `in_progress`: nothing was done.
    NotRunning,
}

fn tally(plan: &[PlannedItem]) -> PlanTally {
    PlanTally { total: plan.len() as i32, warned: references::warned_items(plan) as i32 }
}

/// W2: announces the deployment's new status, in the transaction that set it, from the row the
/// status change answered (no read of it again).
fn ended(conn: &mut DbConn, row: DeploymentRow, env: &EnvironmentRow) -> AppResult<DeploymentView> {
    let view = DeploymentView { row, environment: env.name.clone() };
    webhooks::announce(conn, &view)?;
    Ok(view)
}

/// Runs a claimed (`in_progress`) deployment: plans it under the environment's lock and applies
/// every item in one transaction (L5). On any error nothing is applied and it ends `failed`.
/// `progress(done, total)` hears how far the transaction has got (S1), before it commits. The
/// deployment's row is read once, at the start; each status change answers the row it left.
pub fn run(conn: &mut DbConn, id: &str, progress: &dyn Fn(i32, i32)) -> AppResult<DeploymentView> {
    let span = tracing::info_span!("deployment", deployment_id = %id);
    let _enter = span.enter();
    let result = write_transaction(conn, |conn| -> AppResult<Ran> {
        let d = row(conn, id)?;
        if d.status != DeploymentStatus::InProgress {
            return Ok(Ran::NotRunning);
        }
        if let Some(release_id) = &d.release_id {
            releases::lock(conn, release_id)?;
        }
        let env = crate::db::environments::by_id(conn, &d.environment_id)?;
        lock_environment(conn, &env.id)?;
        let work = Work::of(conn, &d)?;
        let super::plan::Plan { items: plan, keys } = plan(conn, &work, &env)?;
        let at = now();
        let write = DeploymentWrite {
            deployment_id: &d.id,
            environment_id: &env.id,
            environment_key: env.key,
            item_keys: &keys,
            actor: &d.deployed_by,
            at,
        };
        if let Some(n) = conflict::refused(d.on_conflict, &plan) {
            // C1: nothing is applied; the items record the plan, so `?outcome=skipped` shows
            // exactly which keys conflicted.
            record_plan(conn, &write, &plan)?;
            let error = format!("rollback_conflict: {n} keys were changed after the deployment being rolled back");
            let Some(failed) = rows::mark_failed(conn, &d.id, at, &error, Some(tally(&plan)))? else {
                return Ok(Ran::NotRunning);
            };
            return Ok(Ran::Refused(n, ended(conn, failed, &env)?));
        }
        let total = plan.len() as i32;
        progress(0, total);
        let high = apply_plan(conn, &write, &plan, &mut |done| progress(done as i32, total))?;
        let counts = Counts::of(&plan);
        let succeeded = rows::mark_succeeded(conn, &d.id, at, tally(&plan), &counts, high)?;
        let view = ended(conn, succeeded, &env)?;
        crate::failpoint::hold("deployment_before_commit");
        Ok(Ran::Applied(counts, ItemTally::of(&plan), view))
    });
    if matches!(result, Ok(Ran::Applied(..) | Ran::Refused(..))) {
        crate::failpoint::hold("deployment_after_commit");
    }
    let (view, items) = match result {
        Ok(Ran::Refused(conflicts, view)) => {
            tracing::info!(conflicts, "rollback refused: keys changed after the deployment (on_conflict: fail)");
            (view, None)
        }
        Ok(Ran::Applied(counts, items, view)) => {
            tracing::info!(
                published = counts.published,
                unpublished = counts.unpublished,
                skipped = counts.skipped,
                "deployment succeeded"
            );
            (view, Some(items))
        }
        Ok(Ran::NotRunning) => return view(conn, id),
        Err(AppError::Unavailable) => {
            // Nothing was applied and the database may answer again: queue it for another try.
            requeue(conn, id)?;
            return Err(AppError::Unavailable);
        }
        Err(e) => {
            tracing::warn!(error = %e, "deployment failed");
            // The failure and its message (W2) commit together.
            let failed = write_transaction(conn, |conn| -> AppResult<Option<DeploymentView>> {
                match rows::mark_failed(conn, id, now(), &e.to_string(), None)? {
                    Some(row) => {
                        let view = views(conn, vec![row])?.remove(0);
                        webhooks::announce(conn, &view)?;
                        Ok(Some(view))
                    }
                    None => Ok(None),
                }
            })?;
            match failed {
                Some(view) => (view, None),
                None => return view(conn, id),
            }
        }
    };
    telemetry::deployment_ended(&view.row, items.as_ref());
    Ok(view)
}
