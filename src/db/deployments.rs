//! Deployment rows and their items: lookups, the lists (each read through an index in its own
//! order), inserts and the status changes of a deployment's life.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::QueryResult;

use super::approvals::ApprovalState;
use super::page::{in_written_order, newest_first, Page};
use super::rows::{DeploymentItemRow, DeploymentRow};
use super::schema::{deployment_items, deployments, items, versions};
use super::DbConn;
use crate::domain::environment_rollback::Deployed;
use crate::domain::{validate, Counts, DeploymentStatus, Outcome};

impl Deployed for DeploymentRow {
    fn environment_id(&self) -> &str {
        &self.environment_id
    }
    fn status(&self) -> DeploymentStatus {
        self.status
    }
}

/// A deployment with the name of its environment, as the API shows it.
#[derive(Debug, Clone)]
pub struct DeploymentView {
    pub row: DeploymentRow,
    pub environment: String,
    /// H3: a standard release's scheduled or queued deployment to an environment that is held
    /// or in an open freeze window now.
    pub held: bool,
    /// A2: the approvals it needs and has, and its rejection.
    pub approval: ApprovalState,
    /// U6: its release's name (none for an environment rollback).
    pub release_name: Option<String>,
}

impl DeploymentView {
    /// Whether the deployment has reached an end (succeeded, failed or cancelled).
    pub fn is_finished(&self) -> bool {
        self.row.status.is_final()
    }
}

/// A deployment by id, if there is one.
pub(crate) fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<DeploymentRow>> {
    deployments::table.find(id).first(conn).optional()
}

/// The deployments of these ids that exist, in no particular order.
pub(crate) fn by_ids(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<DeploymentRow>> {
    deployments::table.filter(deployments::id.eq_any(ids)).load(conn)
}

/// The environment's succeeded deployments, newest first (the first is the active one).
pub(crate) fn succeeded_in(conn: &mut DbConn, environment_id: &str, limit: i64) -> QueryResult<Vec<DeploymentRow>> {
    deployments::table
        .filter(deployments::environment_id.eq(environment_id))
        .filter(deployments::status.eq(DeploymentStatus::Succeeded))
        .order((deployments::finished_at.desc(), deployments::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Whose deployments a list shows.
#[derive(Debug, Clone, Copy)]
pub enum DeploymentsOf<'a> {
    /// An environment's (by id).
    Environment(&'a str),
    /// A release's (by id).
    Release(&'a str),
}

/// Up to `limit` deployments of `of`, newest first, below the id `before` if given; read on
/// the `deployments_{environment,release}_recent` index.
pub fn page(
    conn: &mut DbConn,
    of: DeploymentsOf,
    before: Option<String>,
    limit: i64,
) -> QueryResult<Page<DeploymentRow>> {
    let q = match of {
        DeploymentsOf::Environment(id) => {
            deployments::table.filter(deployments::environment_id.eq(id.to_string())).into_boxed()
        }
        DeploymentsOf::Release(id) => {
            deployments::table.filter(deployments::release_id.eq(id.to_string())).into_boxed()
        }
    };
    newest_first(conn, q, deployments::id, before, limit, |d: &DeploymentRow| d.id.clone())
}

/// Up to `limit` items of a deployment in release order, after the position `after` if given,
/// optionally only one outcome, each with its item's id: read on the primary key, or with an
/// outcome on `deployment_items_outcome (deployment_id, outcome, position)`.
pub fn items_page(
    conn: &mut DbConn,
    deployment_id: &str,
    outcome: Option<Outcome>,
    after: Option<i32>,
    limit: i64,
) -> QueryResult<Page<DeploymentItemRow>> {
    let mut q = deployment_items::table
        .inner_join(items::table.on(items::key.eq(deployment_items::item_key)))
        .left_join(
            versions::table.on(versions::item_id
                .eq(items::id)
                .and(versions::locale.eq(deployment_items::locale))
                .and(versions::version.nullable().eq(deployment_items::version))),
        )
        .filter(deployment_items::deployment_id.eq(deployment_id.to_string()))
        .select((
            deployment_items::deployment_id,
            deployment_items::position,
            items::id,
            deployment_items::locale,
            deployment_items::action,
            deployment_items::version,
            deployment_items::prior_version,
            deployment_items::outcome,
            deployment_items::skip_reason,
            deployment_items::event_id,
            deployment_items::warnings,
            versions::title.nullable(),
            items::title,
        ))
        .into_boxed();
    if let Some(o) = outcome {
        q = q.filter(deployment_items::outcome.eq(o.as_str()));
    }
    in_written_order(conn, q, deployment_items::position, after, limit, |i: &DeploymentItemRow| i.position.to_string())
}

/// A deployment's item as B7 reads it back: its position, its key (by the item's integer key),
/// the version it replaced (the state before the first deployment) and the event it wrote
/// (whether it is still the latest).
pub(crate) type WrittenItem = (i32, i64, String, Option<i32>, Option<i64>);

/// B11: the succeeded deployments of a release to an environment, by id.
pub(crate) fn succeeded_of_release(
    conn: &mut DbConn,
    release_id: &str,
    environment_id: &str,
) -> QueryResult<Vec<String>> {
    deployments::table
        .filter(deployments::release_id.eq(release_id))
        .filter(deployments::environment_id.eq(environment_id))
        .filter(deployments::status.eq(DeploymentStatus::Succeeded))
        .select(deployments::id)
        .load(conn)
}

/// The columns of a [`WrittenItem`].
const WRITTEN: (
    deployment_items::position,
    deployment_items::item_key,
    deployment_items::locale,
    deployment_items::prior_version,
    deployment_items::event_id,
) = (
    deployment_items::position,
    deployment_items::item_key,
    deployment_items::locale,
    deployment_items::prior_version,
    deployment_items::event_id,
);

/// Up to `limit` items of a deployment after the position `after`, in position order: a range
/// of its primary key, with no join.
pub(crate) fn written_items(
    conn: &mut DbConn,
    deployment_id: &str,
    after: i32,
    limit: i64,
) -> QueryResult<Vec<WrittenItem>> {
    deployment_items::table
        .filter(deployment_items::deployment_id.eq(deployment_id))
        .filter(deployment_items::position.gt(after))
        .order(deployment_items::position)
        .limit(limit)
        .select(WRITTEN)
        .load(conn)
}

/// A deployment's items of these items (by integer key), in any locale.
pub(crate) fn written_items_of(
    conn: &mut DbConn,
    deployment_id: &str,
    item_keys: &[i64],
) -> QueryResult<Vec<WrittenItem>> {
    deployment_items::table
        .filter(deployment_items::deployment_id.eq(deployment_id))
        .filter(deployment_items::item_key.eq_any(item_keys))
        .select(WRITTEN)
        .load(conn)
}

/// The smallest UUID v7 made at or after `at`: ids at or above it were created since.
fn first_id_since(at: NaiveDateTime) -> String {
    let ms = at.and_utc().timestamp_millis().max(0) as u64;
    format!("{:08x}-{:04x}-0000-0000-000000000000", ms >> 16, ms & 0xffff)
}

/// S1, S2: the deployments that may have changed lately: awaiting approval, queued or running,
/// among `ids` (those the feed watches), created at or after `since`, or ended at or after it.
/// The ids are asked for a thousand at a time (the feed may watch many deployments awaiting
/// approval); a deployment found twice is answered once.
pub(crate) fn recently_changed(
    conn: &mut DbConn,
    ids: &[String],
    since: NaiveDateTime,
) -> QueryResult<Vec<DeploymentRow>> {
    let watched = [DeploymentStatus::AwaitingApproval, DeploymentStatus::Queued, DeploymentStatus::InProgress];
    let mut rows: Vec<DeploymentRow> = deployments::table
        .filter(
            deployments::status
                .eq_any(watched)
                .or(deployments::id.ge(first_id_since(since)))
                .or(deployments::finished_at.ge(since)),
        )
        .load(conn)?;
    let mut seen: std::collections::HashSet<String> = rows.iter().map(|r| r.id.clone()).collect();
    let rest: Vec<&String> = ids.iter().filter(|id| !seen.contains(*id)).collect();
    for chunk in rest.chunks(1000) {
        let found: Vec<DeploymentRow> = deployments::table.filter(deployments::id.eq_any(chunk)).load(conn)?;
        rows.extend(found.into_iter().filter(|r| seen.insert(r.id.clone())));
    }
    Ok(rows)
}

/// Inserts new deployments. Their `scheduled_at` must be storable (`validate::storable_time`,
/// so that SQLite's text order is time order): the service refuses any other schedule first.
pub fn insert(conn: &mut DbConn, rows: &[DeploymentRow]) -> QueryResult<()> {
    debug_assert!(rows.iter().filter_map(|r| r.scheduled_at).all(validate::storable_time));
    for r in rows {
        diesel::insert_into(deployments::table).values(r).execute(conn)?;
    }
    Ok(())
}

/// L7, A2: cancels the deployment if it is still awaiting approval, scheduled or queued; whether
/// it was.
pub fn cancel(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(deployments::table.find(id))
        .filter(deployments::status.eq_any([
            DeploymentStatus::AwaitingApproval,
            DeploymentStatus::Scheduled,
            DeploymentStatus::Queued,
        ]))
        .set((deployments::status.eq(DeploymentStatus::Cancelled), deployments::finished_at.eq(at)))
        .execute(conn)?;
    Ok(n > 0)
}

/// What a finished deployment records of its plan.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PlanTally {
    /// How many keys the plan had.
    pub total: i32,
    /// R1: how many of them carry a warning.
    pub warned: i32,
}

/// Ends an `in_progress` deployment `succeeded` with its counts and E4's H (`high_event_id`);
/// answers the row as it now is.
pub(crate) fn mark_succeeded(
    conn: &mut DbConn,
    id: &str,
    at: NaiveDateTime,
    tally: PlanTally,
    counts: &Counts,
    high_event_id: i64,
) -> QueryResult<DeploymentRow> {
    diesel::update(deployments::table.find(id))
        .set((
            deployments::status.eq(DeploymentStatus::Succeeded),
            deployments::finished_at.eq(at),
            deployments::progress_total.eq(tally.total),
            deployments::progress_done.eq(tally.total),
            deployments::published.eq(counts.published),
            deployments::unpublished.eq(counts.unpublished),
            deployments::skipped.eq(counts.skipped),
            deployments::high_event_id.eq(high_event_id),
            deployments::warned_items.eq(tally.warned),
        ))
        .get_result(conn)
}

/// Ends an `in_progress` deployment `failed` with `error` and, when it got as far as a plan,
/// that plan's tally; the row as it now is, if it was still `in_progress`.
pub(crate) fn mark_failed(
    conn: &mut DbConn,
    id: &str,
    at: NaiveDateTime,
    error: &str,
    tally: Option<PlanTally>,
) -> QueryResult<Option<DeploymentRow>> {
    let update =
        diesel::update(deployments::table.find(id)).filter(deployments::status.eq(DeploymentStatus::InProgress));
    let failed = (
        deployments::status.eq(DeploymentStatus::Failed),
        deployments::finished_at.eq(at),
        deployments::error.eq(error),
    );
    match tally {
        Some(t) => update
            .set((failed, deployments::progress_total.eq(t.total), deployments::warned_items.eq(t.warned)))
            .get_result(conn)
            .optional(),
        None => update.set(failed).get_result(conn).optional(),
    }
}

/// Queues an `in_progress` deployment again, to be claimed anew; how many rows changed (0 or 1).
pub(crate) fn requeue(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::update(deployments::table.find(id))
        .filter(deployments::status.eq(DeploymentStatus::InProgress))
        .set((deployments::status.eq(DeploymentStatus::Queued), deployments::started_at.eq(None::<NaiveDateTime>)))
        .execute(conn)
}
