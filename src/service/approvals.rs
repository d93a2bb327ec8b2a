//! Approvals (A1–A3): an environment's rule, and the approvals and rejections that let a
//! release's deployment run or end it.

use chrono::NaiveDateTime;

use super::deployments::{self, DeploymentView};
use super::effects::Changed;
use super::environments::{self, EnvironmentView};
use super::{users, webhooks, Caller};
use crate::db::approvals::{self as q, VerdictRow};
use crate::db::rows::DeploymentRow;
use crate::db::{now, write_transaction, DbConn};
use crate::domain::approvals::{self as rules, ApprovalAsk, ApprovalRefusal, Verdict};
use crate::domain::ids::DeploymentId;
use crate::error::{AppError, AppResult, ProblemCode};

/// A1: sets the environment's approval rule (admins): `required` 1 to 5 approvals, and whether a
/// deployer may approve their own deployment. Deployments created before keep their rule.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn set_rule(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    required: i32,
    allow_self_approval: bool,
) -> AppResult<EnvironmentView> {
    caller.require_admin()?;
    let env = environments::by_name(conn, environment)?;
    if !rules::valid_required(required) {
        return Err(AppError::invalid_field("required", rules::REQUIRED_RULE));
    }
    q::set_rule(conn, &env.id, Some((required, allow_self_approval)))?;
    environments::get(conn, &env.name)
}

/// A1: removes the environment's approval rule (admins); deployments awaiting approval under it
/// still wait for theirs.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn delete_rule(conn: &mut DbConn, caller: &Caller, environment: &str) -> AppResult<()> {
    caller.require_admin()?;
    let env = environments::by_name(conn, environment)?;
    Ok(q::set_rule(conn, &env.id, None)?)
}

/// A2: who may approve or reject a deployment: an admin, or an editor with a grant on its
/// environment (403 `forbidden` otherwise). Answers the deployment's row.
fn require_approver(conn: &mut DbConn, caller: &Caller, id: &DeploymentId) -> AppResult<DeploymentRow> {
    let d = deployments::get(conn, id)?;
    caller.require_writer()?;
    users::require_grant(conn, caller, &d.row.environment_id, &d.environment)?;
    Ok(d.row)
}

/// A2: approves a deployment awaiting approval. The refusals, in order: 409
/// `not_awaiting_approval`, 403 `self_approval`, 409 `already_approved`. The approval that
/// reaches the rule's count makes it `scheduled` or `queued` in the same transaction, and the
/// core wakes the worker for it.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn approve(
    conn: &mut DbConn,
    caller: &Caller,
    id: &DeploymentId,
    comment: Option<String>,
) -> AppResult<Changed<DeploymentView>> {
    require_approver(conn, caller, id)?;
    if let Some(c) = &comment {
        rules::comment(c).map_err(|rule| AppError::invalid_field("comment", rule))?;
    }
    let approved = write_transaction(conn, |conn| {
        q::lock_deployment(conn, id.as_str())?;
        let d = deployments::get(conn, id)?;
        let ask = ApprovalAsk {
            status: d.row.status,
            by_deployer: d.row.deployed_by == caller.id.as_str(),
            self_allowed: d.row.allow_self_approval,
            approved_before: d
                .approval
                .approvals
                .as_ref()
                .is_some_and(|a| a.given.iter().any(|v| v.user_id == caller.id.as_str())),
        };
        if let Some(refusal) = rules::approval_refusal(ask) {
            return Err(refused(refusal));
        }
        let at = now();
        q::insert(conn, &verdict(&d.row, caller, Verdict::Approved, comment, at))?;
        let given = d.approval.approvals.as_ref().map_or(0, |a| a.given.len()) + 1;
        let required = d.row.approvals_required.unwrap_or(1);
        if rules::complete(given, required) {
            q::approved(conn, &d.row.id, rules::approved_status(d.row.scheduled_at, at))?;
        }
        deployments::get(conn, id)
    })?;
    Ok(Changed::deployments(approved.clone(), vec![approved]))
}

/// A2: rejects a deployment awaiting approval (its deployer may too): it ends `cancelled` with
/// its `rejection`, and never runs; 409 `not_awaiting_approval` otherwise.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn reject(
    conn: &mut DbConn,
    caller: &Caller,
    id: &DeploymentId,
    comment: String,
) -> AppResult<Changed<DeploymentView>> {
    require_approver(conn, caller, id)?;
    rules::comment(&comment).map_err(|rule| AppError::invalid_field("comment", rule))?;
    let rejected = write_transaction(conn, |conn| {
        q::lock_deployment(conn, id.as_str())?;
        let d = deployments::get(conn, id)?;
        let at = now();
        if !q::rejected(conn, &d.row.id, at)? {
            return Err(refused(ApprovalRefusal::NotAwaiting(d.row.status)));
        }
        q::insert(conn, &verdict(&d.row, caller, Verdict::Rejected, Some(comment), at))?;
        let rejected = deployments::get(conn, id)?;
        webhooks::announce(conn, &rejected)?;
        Ok(rejected)
    })?;
    crate::telemetry::deployment_ended(&rejected.row, None);
    Ok(Changed::deployments(rejected.clone(), vec![rejected]))
}

/// The verdict `caller` gives on `d` at `at`.
fn verdict(
    d: &DeploymentRow,
    caller: &Caller,
    verdict: Verdict,
    comment: Option<String>,
    at: NaiveDateTime,
) -> VerdictRow {
    VerdictRow { deployment_id: d.id.clone(), user_id: caller.id.to_string(), verdict, comment, at }
}

/// The problem a refusal answers.
fn refused(refusal: ApprovalRefusal) -> AppError {
    match refusal {
        ApprovalRefusal::NotAwaiting(status) => AppError::Rule(
            ProblemCode::NotAwaitingApproval,
            format!("the deployment is {status}, not awaiting approval"),
        ),
        ApprovalRefusal::SelfApproval => AppError::Rule(
            ProblemCode::SelfApproval,
            "the environment's approval rule does not let a deployer approve their own deployment".into(),
        ),
        ApprovalRefusal::AlreadyApproved => {
            AppError::Rule(ProblemCode::AlreadyApproved, "you approved this deployment already".into())
        }
    }
}
