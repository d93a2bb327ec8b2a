//! Running a claimed deployment (L5): plan and apply it a page of keys at a time under the
//! environment's lock, every item in one transaction, or none and end `failed`; and handing it
//! back to the queue.

use super::super::{holds, releases, users, webhooks};
use super::plan::{Pages, Work};
use super::views::{row, view, views, DeploymentView};
use crate::db::deployment_writes::{apply_page, high_after, record_page, DeploymentWrite};
use crate::db::deployments::{self as rows, PlanTally};
use crate::db::plan_keys::ItemKeys;
use crate::db::publish::lock_environment;
use crate::db::rows::{DeploymentRow, EnvironmentRow};
use crate::db::{now, write_transaction, DbConn};
use crate::domain::{conflict, references, ConflictPolicy, Counts, DeploymentStatus, PlannedItem};
use crate::error::{AppError, AppResult, ProblemCode};
use crate::telemetry::{self, ItemTally};
use chrono::NaiveDateTime;

/// W2: writes the webhook messages of the deployment's status as it now stands; call it in the
/// transaction that changed the status. Answers the deployment as announced.
pub fn announce(conn: &mut DbConn, id: &str) -> AppResult<DeploymentView> {
    let view = view(conn, id)?;
    webhooks::announce(conn, &view)?;
    Ok(view)
}

/// Queues an `in_progress` deployment again, to be claimed anew; how many rows changed (0 or 1).
pub(crate) fn requeue(conn: &mut DbConn, id: &str) -> AppResult<usize> {
    Ok(rows::requeue(conn, id)?)
}

/// How a deployment's transaction ended when it ran.
enum Ran {
    /// The plan was applied: its counts, its tally by outcome, and the deployment as it ended.
    Applied(Counts, ItemTally, DeploymentView),
    /// C1 refused the plan: how many keys conflicted, and the deployment as it ended.
    Refused(usize, DeploymentView),
    /// L9: its deployer may no longer deploy there; it ended `failed` and wrote nothing.
    Forbidden(DeploymentView),
    /// The deployment was not (or no longer) `in_progress`: nothing was done.
    NotRunning,
}

/// W2: announces the deployment's new status, in the transaction that set it, from the row the
/// status change answered (no read of it again).
fn ended(conn: &mut DbConn, row: DeploymentRow, env: &EnvironmentRow) -> AppResult<DeploymentView> {
    let release_name = super::views::release_name(conn, &row)?;
    let view = DeploymentView { row, environment: env.name.clone(), held: false, release_name };
    webhooks::announce(conn, &view)?;
    Ok(view)
}

/// What the deployment `d` writes for a page of its plan whose items have `keys`.
fn write<'a>(
    d: &'a DeploymentRow,
    env: &'a EnvironmentRow,
    keys: &'a ItemKeys,
    at: NaiveDateTime,
) -> DeploymentWrite<'a> {
    DeploymentWrite { deployment_id: &d.id, environment_key: env.key, item_keys: keys, actor: &d.deployed_by, at }
}

/// What a deployment's pages add up to.
#[derive(Default)]
struct Totals {
    tally: PlanTally,
    counts: Counts,
    items: ItemTally,
}

impl Totals {
    fn add(&mut self, page: &[PlannedItem]) {
        self.tally.total += page.len() as i32;
        self.tally.warned += references::warned_items(page) as i32;
        self.counts.add(page);
        self.items.add(page);
    }
}

/// Runs a claimed (`in_progress`) deployment: plans it under the environment's lock and applies
/// every item in one transaction (L5), `page` keys at a time ([`Pages`]), so that what it holds
/// in memory is a page. On any error nothing is applied and it ends `failed`. `progress(done,
/// total)` hears how far the transaction has got (S1), before it commits. The deployment's row
/// is read once, at the start; each status change answers the row it left.
pub fn run(conn: &mut DbConn, id: &str, page: i64, progress: &dyn Fn(i32, i32)) -> AppResult<DeploymentView> {
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
        if let Some(why) = users::deployer_refusal(conn, &d.deployed_by, &env.id, &env.name)? {
            let Some(failed) =
                rows::mark_failed(conn, &d.id, now(), &failure(ProblemCode::Forbidden.as_str(), &why), None)?
            else {
                return Ok(Ran::NotRunning);
            };
            return Ok(Ran::Forbidden(ended(conn, failed, &env)?));
        }
        let work = Work::of(conn, &d)?;
        let at = now();
        // C1 decides on the whole plan before anything is applied: with `fail`, a first pass counts.
        let mut conflicts = 0;
        if d.on_conflict == ConflictPolicy::Fail {
            let mut pages = Pages::new(&work, &env, page);
            while let Some(p) = pages.next(conn)? {
                conflicts += conflict::conflicts(&p.items);
            }
        }
        if let Some(n) = conflict::refused(d.on_conflict, conflicts) {
            // Nothing is applied; the items record the plan, so `?outcome=skipped` shows exactly
            // which keys conflicted.
            let (mut pages, mut totals) = (Pages::new(&work, &env, page), Totals::default());
            while let Some(p) = pages.next(conn)? {
                record_page(conn, &write(&d, &env, &p.keys, at), &p.items, totals.tally.total as usize)?;
                totals.add(&p.items);
            }
            let error = failure(
                conflict::ROLLBACK_CONFLICT,
                &format!("{n} keys were changed after the deployment being rolled back"),
            );
            let Some(failed) = rows::mark_failed(conn, &d.id, at, &error, Some(totals.tally))? else {
                return Ok(Ran::NotRunning);
            };
            return Ok(Ran::Refused(n, ended(conn, failed, &env)?));
        }
        let (mut pages, mut totals, mut high) = (Pages::new(&work, &env, page), Totals::default(), None);
        let mut total = work.keys();
        while let Some(p) = pages.next(conn)? {
            let first = totals.tally.total as usize;
            let all = *total.get_or_insert(p.items.len() as i64) as i32;
            if first == 0 {
                progress(0, all);
            }
            let done = &mut |n: usize| progress((first + n) as i32, all);
            high = apply_page(conn, &write(&d, &env, &p.keys, at), &p.items, first, done)?.or(high);
            totals.add(&p.items);
        }
        let high = high_after(conn, env.key, high)?;
        let succeeded = rows::mark_succeeded(conn, &d.id, at, totals.tally, &totals.counts, high)?;
        if let Some(original) = work.rolls_back() {
            // H2: the hold commits with the rollback's success, or neither does.
            let name = original.map(|id| releases::row(conn, id)).transpose()?.map(|r| r.name);
            holds::after_rollback(conn, &d, &env, name.as_deref())?;
        }
        let view = ended(conn, succeeded, &env)?;
        crate::failpoint::hold("deployment_before_commit");
        Ok(Ran::Applied(totals.counts, totals.items, view))
    });
    if matches!(result, Ok(Ran::Applied(..) | Ran::Refused(..))) {
        crate::failpoint::hold("deployment_after_commit");
    }
    let (view, items) = match result {
        Ok(Ran::Refused(conflicts, view)) => {
            tracing::info!(conflicts, "rollback refused: keys changed after the deployment (on_conflict: fail)");
            (view, None)
        }
        Ok(Ran::Forbidden(view)) => {
            tracing::warn!(error = view.row.error.as_deref(), "deployment refused: its deployer may no longer deploy");
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
        Err(e @ (AppError::Unavailable | AppError::ConnectionLost)) => {
            // Nothing was applied and the database may answer again: queue it for another try.
            requeue(conn, id)?;
            return Err(e);
        }
        Err(e) => {
            tracing::warn!(error = %e, "deployment failed");
            // The failure and its message (W2) commit together.
            let failed = write_transaction(conn, |conn| -> AppResult<Option<DeploymentView>> {
                match rows::mark_failed(conn, id, now(), &failure(e.code().as_str(), &e.to_string()), None)? {
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

/// A failed deployment's `error`: its code (a problem code, or C1's `rollback_conflict`), then
/// what happened, so that a client can match on the code.
fn failure(code: &str, detail: &str) -> String {
    format!("{code}: {detail}")
}
