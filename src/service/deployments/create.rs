//! Deploying a release (L4, B6, P3) and cancelling a deployment (L7).

use chrono::NaiveDateTime;

use super::super::effects::Changed;
use super::super::{environments, holds, users, webhooks, Caller};
use super::deployable::{check_deployer, check_target, conflict_policy, select, ReleaseWork};
use super::selection::RollbackOptions;
use super::views::{get, row, views, DeploymentView};
use crate::db::rows::{DeploymentRow, EnvironmentRow};
use crate::db::{deployment_keys, deployments as rows};
use crate::db::{new_id, now, write_transaction, DbConn};
use crate::domain::ids::{DeploymentId, ReleaseId};
use crate::domain::{approvals, validate, ConflictPolicy, DeploymentStatus, ReleaseKind, Trigger};
use crate::error::{AppError, AppResult, ProblemCode};
use crate::telemetry;

/// L7: cancels a scheduled or queued deployment, by its deployer or an admin.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn cancel(conn: &mut DbConn, caller: &Caller, id: &DeploymentId) -> AppResult<Changed<DeploymentView>> {
    let d = row(conn, id)?;
    if d.deployed_by != caller.id && !caller.is_admin() {
        return Err(AppError::Forbidden("only the deployer or an admin can cancel".into()));
    }
    let cancelled = write_transaction(conn, |conn| {
        if !rows::cancel(conn, id, now())? {
            return Err(AppError::Rule(ProblemCode::NotCancellable, format!("the deployment is {}", d.status)));
        }
        let cancelled = get(conn, id)?;
        webhooks::announce(conn, &cancelled)?;
        Ok(cancelled)
    })?;
    telemetry::deployment_ended(&cancelled.row, None);
    Ok(Changed::deployments(cancelled.clone(), vec![cancelled]))
}

/// L4 and B6: creates one deployment of the release per environment, queued or scheduled, or
/// awaiting approval where the environment's rule asks for it (A2).
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn create_for_release(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &ReleaseId,
    environment_names: &[String],
    scheduled_at: Option<NaiveDateTime>,
    options: &RollbackOptions,
) -> AppResult<Changed<Vec<DeploymentView>>> {
    if environment_names.is_empty() {
        return Err(AppError::invalid_field("environments", "name at least one environment"));
    }
    write_transaction(conn, |conn| {
        super::super::releases::lock(conn, release_id)?;
        let release = super::super::releases::visible(conn, caller, release_id)?;
        if release.kind == ReleaseKind::Rollback && scheduled_at.is_some() {
            return Err(AppError::Rule(
                ProblemCode::RollbackCannotBeScheduled,
                "a rollback release deploys at once".into(),
            ));
        }
        let at = now();
        if let Some(s) = scheduled_at {
            validate::schedule(s, at).map_err(|rule| AppError::Rule(ProblemCode::InvalidSchedule, rule.into()))?;
        }
        let mut envs = Vec::new();
        for name in environment_names {
            let env = environments::named_in_body(conn, name)?;
            if !envs.iter().any(|e: &EnvironmentRow| e.id == env.id) {
                envs.push(env);
            }
        }
        // A missing grant on any environment is 403 whatever else is wrong and in whichever order;
        // each grant is read once.
        for env in &envs {
            users::require_grant(conn, caller, &env.id, &env.name)?;
        }
        check_deployer(caller, &release)?;
        let work = ReleaseWork::of(conn, release)?;
        for env in &envs {
            check_target(&work, env)?;
        }
        // After the role, grant and deployability checks, in the same order as a preview's.
        let on_conflict = conflict_policy(&work.release, options)?;
        let (work, selection) = select(conn, work, options)?;
        let release = work.release;
        // H3: a standard release goes to no environment that is held or frozen, for any of them.
        if release.kind == ReleaseKind::Standard {
            for env in &envs {
                holds::refuse_if_holding(conn, env)?;
            }
        }
        let trigger = if scheduled_at.is_some() { Trigger::Scheduled } else { Trigger::Manual };
        let new: Vec<DeploymentRow> = envs
            .iter()
            .map(|env| {
                // A2, A3: the rule in force now counts; a rollback release never waits.
                let required = approvals::needed(release.kind, env.approvals_required);
                let status = approvals::initial_status(required.is_some(), scheduled_at.is_some());
                DeploymentRow {
                    on_conflict,
                    scheduled_at,
                    hold: options.hold,
                    approvals_required: required,
                    allow_self_approval: required.is_some() && env.allow_self_approval,
                    ..new_row(Some(release.id.clone()), &env.id, trigger, status, &caller.id)
                }
            })
            .collect();
        rows::insert(conn, &new)?;
        if let Some(selection) = &selection {
            for d in &new {
                deployment_keys::insert(conn, &d.id, &selection.stored)?;
            }
        }
        let created = views(conn, new)?;
        // A3: `deployment.awaiting_approval`, in the transaction that created them.
        for d in created.iter().filter(|d| d.row.status == DeploymentStatus::AwaitingApproval) {
            webhooks::announce(conn, d)?;
        }
        Ok(Changed::deployments(created.clone(), created))
    })
}

/// A new deployment row, not yet started; the caller sets what else it carries.
pub(super) fn new_row(
    release_id: Option<String>,
    environment_id: &str,
    trigger: Trigger,
    status: DeploymentStatus,
    deployed_by: &str,
) -> DeploymentRow {
    DeploymentRow {
        id: new_id(),
        release_id,
        environment_id: environment_id.into(),
        trigger,
        status,
        deployed_by: deployed_by.into(),
        reason: None,
        scheduled_at: None,
        started_at: None,
        finished_at: None,
        progress_total: 0,
        progress_done: 0,
        published: 0,
        unpublished: 0,
        skipped: 0,
        error: None,
        rolled_back_to_deployment_id: None,
        high_event_id: None,
        created_at: now(),
        warned_items: 0,
        on_conflict: ConflictPolicy::default(),
        hold: None,
        approvals_required: None,
        allow_self_approval: false,
    }
}
