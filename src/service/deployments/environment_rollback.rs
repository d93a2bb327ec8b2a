//! Starting an environment rollback (E1–E3): check, choose the target, queue the deployment.

use super::super::{environments, users, Caller};
use super::create::new_row;
use super::views::{views, DeploymentView};
use crate::db::deployments as rows;
use crate::db::rows::DeploymentRow;
use crate::db::{write_transaction, DbConn};
use crate::domain::env_rollback::{choose_target, TargetRefusal};
use crate::domain::{validate, ConflictPolicy, DeploymentStatus, Trigger};
use crate::error::{AppError, AppResult};

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
        let (asked, recent) = match target_id {
            Some(id) => (Some(rows::by_id(conn, id)?), vec![]),
            None => (None, rows::succeeded_in(conn, &env.id, 2)?),
        };
        let target = choose_target(&env.id, asked, recent).map_err(refusal)?;
        let d = DeploymentRow {
            on_conflict: on_conflict.unwrap_or_default().as_str().into(),
            reason,
            rolled_back_to_deployment_id: Some(target.id),
            ..new_row(None, &env.id, Trigger::Rollback, DeploymentStatus::Queued, &caller.id)
        };
        rows::insert(conn, std::slice::from_ref(&d))?;
        Ok(views(conn, vec![d])?.remove(0))
    })
}

/// The 422 of each reason E2 and E3 give for having no target.
fn refusal(r: TargetRefusal) -> AppError {
    match r {
        TargetRefusal::WrongEnvironment => AppError::Unprocessable(
            "target_wrong_environment",
            "the target deployment is of another environment".into(),
        ),
        TargetRefusal::NotSuccessful(status) => {
            AppError::Unprocessable("target_not_successful", format!("the target deployment is {status}"))
        }
        TargetRefusal::NoneBeforeActive => {
            AppError::Unprocessable("no_rollback_target", "no succeeded deployment before the active one".into())
        }
    }
}
