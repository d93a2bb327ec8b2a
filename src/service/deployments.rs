//! Deployments: creating them (L4, B6, E1), planning them (L5, B7, E4, B9), running them in one
//! transaction, following and cancelling them (L6, L7).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use super::{environments, numeric_cursor, rollback, users, webhooks, Caller, Page, PageParams};
use crate::db::publish::{apply_plan, lock_environment, record_plan, DeploymentWrite};
use crate::db::rows::{DeploymentItemRow, DeploymentRow, EnvironmentRow, ReleaseRow};
use crate::db::schema::{deployment_items, deployments, environments as env_t};
use crate::db::{new_id, now, write_transaction, DbConn};
use crate::domain::env_rollback::{env_rollback_plan, EnvKey};
use crate::domain::plan::{release_plan, ReleaseEntry};
use crate::domain::references;
use crate::domain::rollback::{rollback_plan, RollbackKey};
use crate::domain::{
    conflict, validate, Action, ConflictPolicy, Counts, DeploymentStatus, Key, Outcome, PlannedItem, ReleaseKind,
    Trigger,
};
use crate::error::{AppError, AppResult};
use crate::telemetry::{self, ItemTally};

/// A deployment with the name of its environment, as the API shows it.
#[derive(Debug, Clone)]
pub struct DeploymentView {
    pub row: DeploymentRow,
    pub environment: String,
}

impl DeploymentView {
    /// Whether the deployment has reached an end (succeeded, failed or cancelled).
    pub fn is_finished(&self) -> bool {
        matches!(
            DeploymentStatus::parse(&self.row.status),
            Some(DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Cancelled)
        )
    }
}

fn views(conn: &mut DbConn, rows: Vec<DeploymentRow>) -> AppResult<Vec<DeploymentView>> {
    let mut ids: Vec<&str> = rows.iter().map(|r| r.environment_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<String, String> =
        env_t::table.filter(env_t::id.eq_any(&ids)).select((env_t::id, env_t::name)).load(conn)?.into_iter().collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let environment = names.get(&row.environment_id).cloned().unwrap_or_default();
            DeploymentView { row, environment }
        })
        .collect())
}

fn row(conn: &mut DbConn, id: &str) -> AppResult<DeploymentRow> {
    deployments::table.find(id).first(conn).optional()?.ok_or_else(|| AppError::NotFound("no such deployment".into()))
}

/// A deployment by id. Deployments stay visible to everyone, also those of rollback releases:
/// they changed public publish state (B5).
pub fn get(conn: &mut DbConn, id: &str) -> AppResult<DeploymentView> {
    let r = row(conn, id)?;
    Ok(views(conn, vec![r])?.remove(0))
}

/// Several deployments by id, in the order given.
pub fn get_many(conn: &mut DbConn, ids: &[String]) -> AppResult<Vec<DeploymentView>> {
    let rows: Vec<DeploymentRow> = deployments::table.filter(deployments::id.eq_any(ids)).load(conn)?;
    let mut by_id: HashMap<String, DeploymentView> =
        views(conn, rows)?.into_iter().map(|v| (v.row.id.clone(), v)).collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// The environment's succeeded deployments, newest first (the first is the active one).
pub fn succeeded_in(conn: &mut DbConn, environment_id: &str, limit: i64) -> AppResult<Vec<DeploymentRow>> {
    Ok(deployments::table
        .filter(deployments::environment_id.eq(environment_id))
        .filter(deployments::status.eq(DeploymentStatus::Succeeded.as_str()))
        .order((deployments::finished_at.desc(), deployments::id.desc()))
        .limit(limit)
        .load(conn)?)
}

/// The environment's active deployment: its latest succeeded one.
pub fn active(conn: &mut DbConn, environment_id: &str) -> AppResult<Option<DeploymentView>> {
    let rows = succeeded_in(conn, environment_id, 1)?;
    Ok(views(conn, rows)?.pop())
}

fn page_of(
    conn: &mut DbConn,
    q: deployments::BoxedQuery<'_, crate::db::MultiBackend>,
    page: &PageParams,
) -> AppResult<Page<DeploymentView>> {
    let mut q = q.order(deployments::id.desc()).limit(page.limit + 1);
    if let Some(c) = &page.cursor {
        q = q.filter(deployments::id.lt(c.clone()));
    }
    let rows = Page::from_rows(q.load(conn)?, page.limit, |d: &DeploymentRow| d.id.clone());
    Ok(Page { data: views(conn, rows.data)?, next_cursor: rows.next_cursor })
}

/// An environment's deployment history, newest first.
pub fn list_for_environment(
    conn: &mut DbConn,
    environment: &str,
    page: &PageParams,
) -> AppResult<Page<DeploymentView>> {
    let env = environments::by_name(conn, environment)?;
    page_of(conn, deployments::table.filter(deployments::environment_id.eq(env.id)).into_boxed(), page)
}

/// A release's deployments, newest first.
pub fn list_for_release(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &str,
    page: &PageParams,
) -> AppResult<Page<DeploymentView>> {
    let release = super::releases::visible(conn, caller, release_id)?;
    page_of(conn, deployments::table.filter(deployments::release_id.eq(release.id)).into_boxed(), page)
}

/// A deployment's outcome per key, in release order, optionally only one outcome.
pub fn items(
    conn: &mut DbConn,
    id: &str,
    outcome: Option<Outcome>,
    page: &PageParams,
) -> AppResult<Page<DeploymentItemRow>> {
    row(conn, id)?;
    let mut q = deployment_items::table
        .filter(deployment_items::deployment_id.eq(id))
        .order(deployment_items::position)
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(o) = outcome {
        q = q.filter(deployment_items::outcome.eq(o.as_str()));
    }
    if let Some(c) = numeric_cursor(&page.cursor)? {
        q = q.filter(deployment_items::position.gt(c as i32));
    }
    Ok(Page::from_rows(q.load(conn)?, page.limit, |i: &DeploymentItemRow| i.position.to_string()))
}

/// L7: cancels a scheduled or queued deployment, by its deployer or an admin.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn cancel(conn: &mut DbConn, caller: &Caller, id: &str) -> AppResult<DeploymentView> {
    let d = row(conn, id)?;
    if d.deployed_by != caller.id && !caller.is_admin() {
        return Err(AppError::Forbidden("only the deployer or an admin can cancel".into()));
    }
    let cancelled = write_transaction(conn, |conn| {
        let n = diesel::update(deployments::table.find(id))
            .filter(
                deployments::status.eq_any([DeploymentStatus::Scheduled.as_str(), DeploymentStatus::Queued.as_str()]),
            )
            .set((deployments::status.eq(DeploymentStatus::Cancelled.as_str()), deployments::finished_at.eq(now())))
            .execute(conn)?;
        if n == 0 {
            return Err(AppError::Conflict("not_cancellable", format!("the deployment is {}", d.status)));
        }
        let cancelled = get(conn, id)?;
        webhooks::announce(conn, &cancelled)?;
        Ok(cancelled)
    })?;
    telemetry::deployment_ended(&cancelled.row, None);
    Ok(cancelled)
}

/// W2: writes the webhook messages of the deployment's status as it now stands; call it in the
/// transaction that changed the status.
pub fn announce(conn: &mut DbConn, id: &str) -> AppResult<()> {
    let view = get(conn, id)?;
    webhooks::announce(conn, &view)
}

/// What a deployment carries out: a release (standard or rollback) or an environment rollback.
#[derive(Debug, Clone)]
pub enum Work {
    Release(ReleaseRow),
    EnvironmentRollback { target: DeploymentRow },
}

/// L4, B6, P3: checks that `release` may be deployed to `env` by `caller` now; preview (B9)
/// refuses exactly the same.
pub fn check_release_deployable(
    conn: &mut DbConn,
    caller: &Caller,
    release: &ReleaseRow,
    env: &EnvironmentRow,
) -> AppResult<()> {
    caller.require_writer()?;
    let kind = ReleaseKind::parse(&release.kind).ok_or(AppError::Internal)?;
    if kind == ReleaseKind::Rollback && release.owner != caller.id && !caller.is_admin() {
        return Err(AppError::Forbidden("only the owner or an admin can deploy a rollback release".into()));
    }
    users::require_grant(conn, caller, &env.id, &env.name)?;
    if super::releases::item_count(conn, &release.id)? == 0 {
        return Err(AppError::Unprocessable("release_empty", "the release has no items".into()));
    }
    if kind == ReleaseKind::Rollback {
        rollback::first_and_latest(conn, release, &env.id)?.ok_or_else(|| {
            AppError::Unprocessable(
                "release_not_deployed_to_environment",
                format!("the owner has no succeeded deployment of the release to '{}'", env.name),
            )
        })?;
    }
    Ok(())
}

/// L4 and B6: creates one deployment of the release per environment, queued or scheduled.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn create_for_release(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &str,
    environment_names: &[String],
    scheduled_at: Option<NaiveDateTime>,
    on_conflict: Option<ConflictPolicy>,
) -> AppResult<Vec<DeploymentView>> {
    if environment_names.is_empty() {
        return Err(AppError::invalid_field("environments", "name at least one environment"));
    }
    write_transaction(conn, |conn| {
        super::releases::lock(conn, release_id)?;
        let release = super::releases::visible(conn, caller, release_id)?;
        if release.kind == ReleaseKind::Rollback.as_str() && scheduled_at.is_some() {
            return Err(AppError::Unprocessable(
                "rollback_cannot_be_scheduled",
                "a rollback release deploys at once".into(),
            ));
        }
        let at = now();
        if scheduled_at.is_some_and(|s| s <= at) {
            return Err(AppError::Unprocessable("invalid_schedule", "scheduled_at is in the past".into()));
        }
        let mut envs = Vec::new();
        for name in environment_names {
            let env = environments::named_in_body(conn, name)?;
            if !envs.iter().any(|e: &EnvironmentRow| e.id == env.id) {
                envs.push(env);
            }
        }
        // A missing grant on any environment is 403 whatever else is wrong and in whichever order.
        for env in &envs {
            users::require_grant(conn, caller, &env.id, &env.name)?;
        }
        for env in &envs {
            check_release_deployable(conn, caller, &release, env)?;
        }
        // After the role, grant and deployability checks, in the same order as a preview's.
        let on_conflict = conflict_policy(&release, on_conflict)?;
        let (status, trigger) = match scheduled_at {
            Some(_) => (DeploymentStatus::Scheduled, Trigger::Scheduled),
            None => (DeploymentStatus::Queued, Trigger::Manual),
        };
        let rows: Vec<DeploymentRow> = envs
            .iter()
            .map(|env| DeploymentRow {
                on_conflict: on_conflict.as_str().into(),
                ..new_row(Some(release.id.clone()), &env.id, trigger, status, &caller.id, None, scheduled_at, None)
            })
            .collect();
        insert_rows(conn, &rows)?;
        views(conn, rows)
    })
}

/// E1–E3: starts an environment rollback to `target` (or the last good state before the active one).
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn create_environment_rollback(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    target_id: Option<&str>,
    reason: Option<String>,
    on_conflict: Option<ConflictPolicy>,
) -> AppResult<DeploymentView> {
    caller.require_writer()?;
    let env = environments::by_name(conn, environment)?;
    users::require_grant(conn, caller, &env.id, &env.name)?;
    if let Some(r) = &reason {
        validate::free_text(r, validate::TEXT_MAX).map_err(|rule| AppError::invalid_field("reason", rule))?;
    }
    write_transaction(conn, |conn| {
        let target = match target_id {
            Some(id) => {
                let t = row(conn, id)?;
                if t.environment_id != env.id {
                    return Err(AppError::Unprocessable(
                        "target_wrong_environment",
                        "the target deployment is of another environment".into(),
                    ));
                }
                if t.status != DeploymentStatus::Succeeded.as_str() {
                    return Err(AppError::Unprocessable(
                        "target_not_successful",
                        format!("the target deployment is {}", t.status),
                    ));
                }
                t
            }
            None => {
                let recent = succeeded_in(conn, &env.id, 2)?;
                crate::domain::env_rollback::default_target(&recent).cloned().ok_or_else(|| {
                    AppError::Unprocessable(
                        "no_rollback_target",
                        "no succeeded deployment before the active one".into(),
                    )
                })?
            }
        };
        let d = DeploymentRow {
            on_conflict: on_conflict.unwrap_or_default().as_str().into(),
            ..new_row(
                None,
                &env.id,
                Trigger::Rollback,
                DeploymentStatus::Queued,
                &caller.id,
                reason,
                None,
                Some(target.id),
            )
        };
        insert_rows(conn, std::slice::from_ref(&d))?;
        Ok(views(conn, vec![d])?.remove(0))
    })
}

#[allow(clippy::too_many_arguments)]
fn new_row(
    release_id: Option<String>,
    environment_id: &str,
    trigger: Trigger,
    status: DeploymentStatus,
    deployed_by: &str,
    reason: Option<String>,
    scheduled_at: Option<NaiveDateTime>,
    rolled_back_to: Option<String>,
) -> DeploymentRow {
    DeploymentRow {
        id: new_id(),
        release_id,
        environment_id: environment_id.into(),
        trigger: trigger.as_str().into(),
        status: status.as_str().into(),
        deployed_by: deployed_by.into(),
        reason,
        scheduled_at,
        started_at: None,
        finished_at: None,
        progress_total: 0,
        progress_done: 0,
        published: 0,
        unpublished: 0,
        skipped: 0,
        error: None,
        rolled_back_to_deployment_id: rolled_back_to,
        high_event_id: None,
        created_at: now(),
        warned_items: 0,
        on_conflict: ConflictPolicy::default().as_str().into(),
    }
}

/// C1: the policy a deployment or preview of `release` asked for; only a rollback release takes
/// one (422 `on_conflict_not_applicable` on a standard release).
fn conflict_policy(release: &ReleaseRow, asked: Option<ConflictPolicy>) -> AppResult<ConflictPolicy> {
    match asked {
        Some(_) if release.kind != ReleaseKind::Rollback.as_str() => Err(AppError::Unprocessable(
            "on_conflict_not_applicable",
            "on_conflict applies to rollback releases and environment rollbacks only".into(),
        )),
        asked => Ok(asked.unwrap_or_default()),
    }
}

fn insert_rows(conn: &mut DbConn, rows: &[DeploymentRow]) -> AppResult<()> {
    for r in rows {
        diesel::insert_into(deployments::table).values(r).execute(conn)?;
    }
    Ok(())
}

/// A release item joined with its key's publish state in one environment.
#[derive(Debug, QueryableByName)]
pub struct KeyState {
    #[diesel(sql_type = Text)]
    pub item_id: String,
    #[diesel(sql_type = Text)]
    pub locale: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub action: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub version: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub current_version: Option<i32>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub current_event_id: Option<i64>,
}

/// Every item of a release, in release order, with its key's state in the environment.
pub fn release_keys(conn: &mut DbConn, release_id: &str, environment_id: &str) -> AppResult<Vec<KeyState>> {
    Ok(crate::db::sql(
        conn,
        "SELECT ri.item_id, ri.locale, ri.action, ri.version, ps.version AS current_version, \
         ps.last_event_id AS current_event_id FROM release_items ri LEFT JOIN publish_states ps \
         ON ps.environment_id = $2 AND ps.item_id = ri.item_id AND ps.locale = ri.locale \
         WHERE ri.release_id = $1 ORDER BY ri.position",
    )
    .bind::<Text, _>(release_id)
    .bind::<Text, _>(environment_id)
    .load(conn)?)
}

/// A key of E4 with its state at H, its state now and the cause of its latest event.
#[derive(Debug, QueryableByName)]
struct EnvKeyRow {
    #[diesel(sql_type = Text)]
    item_id: String,
    #[diesel(sql_type = Text)]
    locale: String,
    #[diesel(sql_type = Nullable<Integer>)]
    state_at_target: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    current_version: Option<i32>,
    #[diesel(sql_type = Text)]
    latest_cause: String,
}

/// The plan of a deployment of `work` to `env`, from the state as it is now, with R1's warnings
/// (from a few statements over the whole plan). The reads are indexed and grow with the keys
/// involved, never with the length of the publish log.
pub fn plan(conn: &mut DbConn, work: &Work, env: &EnvironmentRow) -> AppResult<Vec<PlannedItem>> {
    let mut plan = plan_keys(conn, work, env)?;
    let facts = crate::db::references::facts(conn, &env.id, &plan)?;
    references::annotate(&mut plan, &facts);
    Ok(plan)
}

/// The outcome of each key of the plan (L5, B7, E4), before warnings.
fn plan_keys(conn: &mut DbConn, work: &Work, env: &EnvironmentRow) -> AppResult<Vec<PlannedItem>> {
    match work {
        Work::Release(release) if release.kind == ReleaseKind::Rollback.as_str() => {
            let (first, latest) = rollback::first_and_latest(conn, release, &env.id)?.ok_or_else(|| {
                AppError::Unprocessable(
                    "release_not_deployed_to_environment",
                    "the owner has no succeeded deployment here".into(),
                )
            })?;
            let first_prior: HashMap<Key, Option<i32>> = deployment_items::table
                .filter(deployment_items::deployment_id.eq(&first))
                .select((deployment_items::item_id, deployment_items::locale, deployment_items::prior_version))
                .load::<(String, String, Option<i32>)>(conn)?
                .into_iter()
                .map(|(i, l, v)| (Key::new(i, l), v))
                .collect();
            let latest_events: HashMap<Key, i64> = deployment_items::table
                .filter(deployment_items::deployment_id.eq(&latest))
                .filter(deployment_items::event_id.is_not_null())
                .select((deployment_items::item_id, deployment_items::locale, deployment_items::event_id))
                .load::<(String, String, Option<i64>)>(conn)?
                .into_iter()
                .filter_map(|(i, l, e)| Some((Key::new(i, l), e?)))
                .collect();
            let keys = release_keys(conn, &release.id, &env.id)?
                .into_iter()
                .map(|k| {
                    let key = Key::new(k.item_id, k.locale);
                    RollbackKey {
                        first_prior: first_prior.get(&key).copied().flatten(),
                        latest_event_id: latest_events.get(&key).copied(),
                        current_version: k.current_version,
                        current_event_id: k.current_event_id,
                        key,
                    }
                })
                .collect();
            Ok(rollback_plan(keys))
        }
        Work::Release(release) => {
            let entries = release_keys(conn, &release.id, &env.id)?
                .into_iter()
                .map(|k| ReleaseEntry {
                    key: Key::new(k.item_id, k.locale),
                    action: k.action.as_deref().and_then(Action::parse).unwrap_or(Action::Publish),
                    version: k.version,
                    current_version: k.current_version,
                })
                .collect();
            Ok(release_plan(entries))
        }
        Work::EnvironmentRollback { target } => {
            let high = target.high_event_id.unwrap_or(0);
            let rows: Vec<EnvKeyRow> = crate::db::sql(
            conn,
                "WITH k AS (SELECT DISTINCT item_id, locale FROM publish_events WHERE environment_id = $1 AND id > $2), \
                 h AS (SELECT k.item_id, k.locale, (SELECT max(e2.id) FROM publish_events e2 \
                   WHERE e2.environment_id = $1 AND e2.item_id = k.item_id AND e2.locale = k.locale AND e2.id <= $2) AS hid FROM k) \
                 SELECT h.item_id, h.locale, eh.to_version AS state_at_target, ps.version AS current_version, \
                   le.cause AS latest_cause \
                 FROM h LEFT JOIN publish_events eh ON eh.id = h.hid \
                 JOIN publish_states ps ON ps.environment_id = $1 AND ps.item_id = h.item_id AND ps.locale = h.locale \
                 JOIN publish_events le ON le.id = ps.last_event_id \
                 ORDER BY h.item_id, h.locale",
            )
            .bind::<Text, _>(&env.id)
            .bind::<BigInt, _>(high)
            .load(conn)?;
            Ok(env_rollback_plan(
                rows.into_iter()
                    .map(|r| EnvKey {
                        key: Key::new(r.item_id, r.locale),
                        state_at_target: r.state_at_target,
                        current_version: r.current_version,
                        latest_is_manual: r.latest_cause == "manual",
                    })
                    .collect(),
            ))
        }
    }
}

fn work_of(conn: &mut DbConn, d: &DeploymentRow) -> AppResult<Work> {
    match (&d.release_id, &d.rolled_back_to_deployment_id) {
        (Some(release_id), _) => Ok(Work::Release(super::releases::row(conn, release_id)?)),
        (None, Some(target)) => Ok(Work::EnvironmentRollback { target: row(conn, target)? }),
        (None, None) => Err(AppError::Internal),
    }
}

/// Runs a claimed (`in_progress`) deployment: plans it under the environment's lock and applies
/// every item in one transaction (L5). On any error nothing is applied and it ends `failed`.
pub fn run(conn: &mut DbConn, id: &str) -> AppResult<DeploymentView> {
    let span = tracing::info_span!("deployment", deployment_id = %id);
    let _enter = span.enter();
    let result = write_transaction(conn, |conn| -> AppResult<Option<Ran>> {
        let d = row(conn, id)?;
        if d.status != DeploymentStatus::InProgress.as_str() {
            return Ok(None);
        }
        if let Some(release_id) = &d.release_id {
            super::releases::lock(conn, release_id)?;
        }
        let env: EnvironmentRow = env_t::table.find(&d.environment_id).first(conn)?;
        lock_environment(conn, &env.id)?;
        let work = work_of(conn, &d)?;
        let plan = plan(conn, &work, &env)?;
        let at = now();
        let write = DeploymentWrite { deployment_id: &d.id, environment_id: &env.id, actor: &d.deployed_by, at };
        let policy = ConflictPolicy::parse(&d.on_conflict).unwrap_or_default();
        if let Some(n) = conflict::refused(policy, &plan) {
            // C1: nothing is applied; the items record the plan, so `?outcome=skipped` shows
            // exactly which keys conflicted.
            record_plan(conn, &write, &plan)?;
            diesel::update(deployments::table.find(&d.id))
                .set((
                    deployments::status.eq(DeploymentStatus::Failed.as_str()),
                    deployments::finished_at.eq(at),
                    deployments::progress_total.eq(plan.len() as i32),
                    deployments::warned_items.eq(references::warned_items(&plan) as i32),
                    deployments::error
                        .eq(format!("rollback_conflict: {n} keys were changed after the deployment being rolled back")),
                ))
                .execute(conn)?;
            announce(conn, &d.id)?;
            return Ok(Some(Ran::Refused(n)));
        }
        let high = apply_plan(conn, &write, &plan)?;
        let counts = Counts::of(&plan);
        diesel::update(deployments::table.find(&d.id))
            .set((
                deployments::status.eq(DeploymentStatus::Succeeded.as_str()),
                deployments::finished_at.eq(at),
                deployments::progress_total.eq(plan.len() as i32),
                deployments::progress_done.eq(plan.len() as i32),
                deployments::published.eq(counts.published),
                deployments::unpublished.eq(counts.unpublished),
                deployments::skipped.eq(counts.skipped),
                deployments::high_event_id.eq(high),
                deployments::warned_items.eq(references::warned_items(&plan) as i32),
            ))
            .execute(conn)?;
        announce(conn, &d.id)?;
        crate::failpoint::hold("deployment_before_commit");
        Ok(Some(Ran::Applied(counts, plan)))
    });
    if matches!(result, Ok(Some(_))) {
        crate::failpoint::hold("deployment_after_commit");
    }
    let tally = match result {
        Ok(Some(Ran::Refused(conflicts))) => {
            tracing::info!(conflicts, "rollback refused: keys changed after the deployment (on_conflict: fail)");
            None
        }
        Ok(Some(Ran::Applied(counts, plan))) => {
            tracing::info!(
                published = counts.published,
                unpublished = counts.unpublished,
                skipped = counts.skipped,
                "deployment succeeded"
            );
            Some(ItemTally::of(&plan))
        }
        Ok(None) => return get(conn, id),
        Err(AppError::Unavailable) => {
            // Nothing was applied and the database may answer again: queue it for another try.
            requeue(conn, id)?;
            return Err(AppError::Unavailable);
        }
        Err(e) => {
            tracing::warn!(error = %e, "deployment failed");
            // The failure and its message (W2) commit together.
            write_transaction(conn, |conn| -> AppResult<()> {
                let n = diesel::update(deployments::table.find(id))
                    .filter(deployments::status.eq(DeploymentStatus::InProgress.as_str()))
                    .set((
                        deployments::status.eq(DeploymentStatus::Failed.as_str()),
                        deployments::finished_at.eq(now()),
                        deployments::error.eq(e.to_string()),
                    ))
                    .execute(conn)?;
                if n > 0 {
                    announce(conn, id)?;
                }
                Ok(())
            })?;
            None
        }
    };
    let ended = get(conn, id)?;
    telemetry::deployment_ended(&ended.row, tally.as_ref());
    Ok(ended)
}

/// How a deployment's transaction ended when it ran.
enum Ran {
    /// The plan was applied: its counts, and the plan.
    Applied(Counts, Vec<PlannedItem>),
    /// C1 refused the plan: how many keys conflicted.
    Refused(usize),
}

/// Queues an `in_progress` deployment again, to be claimed anew; how many rows changed (0 or 1).
pub fn requeue(conn: &mut DbConn, id: &str) -> AppResult<usize> {
    Ok(diesel::update(deployments::table.find(id))
        .filter(deployments::status.eq(DeploymentStatus::InProgress.as_str()))
        .set((
            deployments::status.eq(DeploymentStatus::Queued.as_str()),
            deployments::started_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?)
}

/// B9: the plan a deployment of the release to the environment started now would carry out.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn preview(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &str,
    environment: &str,
    on_conflict: Option<ConflictPolicy>,
) -> AppResult<Vec<PlannedItem>> {
    let release = super::releases::visible(conn, caller, release_id)?;
    let env = environments::named_in_body(conn, environment)?;
    check_release_deployable(conn, caller, &release, &env)?;
    // Either policy plans the same: `fail` only decides, when the deployment runs, whether to apply it.
    conflict_policy(&release, on_conflict)?;
    plan(conn, &Work::Release(release), &env)
}
