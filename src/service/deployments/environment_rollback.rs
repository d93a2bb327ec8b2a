//! Starting an environment rollback (E1–E3): check, choose the target, queue the deployment.

use super::super::effects::Changed;
use super::super::{environments, users, Caller};
use super::create::new_row;
use super::plan::{plan, Work};
use super::selection::{of_items, RollbackOptions};
use super::views::{row, views, DeploymentView};
use crate::db::rows::DeploymentRow;
use crate::db::{deployment_keys, deployments as rows};
use crate::db::{write_transaction, DbConn};
use crate::domain::environment_rollback::{choose_target, TargetRefusal};
use crate::domain::{validate, DeploymentStatus, Key, PlannedItem, Trigger};
use crate::error::{AppError, AppResult, ProblemCode};

/// E1–E3: starts an environment rollback to `target` (or the last good state before the active one).
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn create_environment_rollback(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    target_id: Option<&str>,
    reason: Option<String>,
    options: &RollbackOptions,
) -> AppResult<Changed<DeploymentView>> {
    caller.require_writer()?;
    let env = environments::by_name(conn, environment)?;
    users::require_grant(conn, caller, &env.id, &env.name)?;
    if let Some(r) = &reason {
        validate::free_text(r, validate::TEXT_MAX).map_err(|rule| AppError::invalid_field("reason", rule))?;
    }
    write_transaction(conn, |conn| {
        let (asked, recent) = match target_id {
            Some(id) => (Some(row(conn, id)?), vec![]),
            None => (None, rows::succeeded_in(conn, &env.id, 2)?),
        };
        let target = choose_target(&env.id, asked, recent).map_err(refusal)?;
        let selection = options.keys.as_deref().map(|keys| of_items(conn, keys)).transpose()?;
        let d = DeploymentRow {
            on_conflict: options.on_conflict.unwrap_or_default(),
            reason,
            hold: options.hold,
            rolled_back_to_deployment_id: Some(target.id),
            ..new_row(None, &env.id, Trigger::Rollback, DeploymentStatus::Queued, &caller.id)
        };
        rows::insert(conn, std::slice::from_ref(&d))?;
        if let Some(selection) = &selection {
            deployment_keys::insert(conn, &d.id, &selection.stored)?;
        }
        let created = views(conn, vec![d])?.remove(0);
        Ok(Changed::deployments(created.clone(), vec![created]))
    })
}

/// U2, U3: the plan an environment rollback to `target` (or the last good state) started now
/// would carry out, and its target, without writing anything. It refuses exactly what starting
/// the rollback would (the same role, grant and target rules, the same codes).
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub(crate) fn preview_environment_rollback(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    target_id: Option<&str>,
    keys: Option<&[Key]>,
) -> AppResult<(DeploymentView, Vec<PlannedItem>)> {
    caller.require_writer()?;
    let env = environments::by_name(conn, environment)?;
    users::require_grant(conn, caller, &env.id, &env.name)?;
    let (asked, recent) = match target_id {
        Some(id) => (Some(row(conn, id)?), vec![]),
        None => (None, rows::succeeded_in(conn, &env.id, 2)?),
    };
    let target = choose_target(&env.id, asked, recent).map_err(refusal)?;
    let selected = keys.map(|keys| of_items(conn, keys)).transpose()?.map(|s| s.keys);
    let mut items = plan(conn, &Work::EnvironmentRollback { target: target.clone(), selected }, &env)?.items;
    super::super::items::titled(conn, &mut items)?;
    Ok((views(conn, vec![target])?.remove(0), items))
}

/// The 422 of each reason E2 and E3 give for having no target.
fn refusal(r: TargetRefusal) -> AppError {
    match r {
        TargetRefusal::WrongEnvironment => AppError::Rule(
            ProblemCode::TargetWrongEnvironment,
            "the target deployment is of another environment".into(),
        ),
        TargetRefusal::NotSuccessful(status) => {
            AppError::Rule(ProblemCode::TargetNotSuccessful, format!("the target deployment is {status}"))
        }
        TargetRefusal::NoneBeforeActive => {
            AppError::Rule(ProblemCode::NoRollbackTarget, "no succeeded deployment before the active one".into())
        }
    }
}
