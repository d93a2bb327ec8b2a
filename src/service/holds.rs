//! Holds and freeze windows (H1–H5): keeping an environment where a rollback put it.

use chrono::NaiveDateTime;

use super::deployments::{get_many, DeploymentView};
use super::effects::{Changed, Effect};
use super::environments::{self, EnvironmentView, FreezeView};
use super::{users, webhooks, Caller, CursorTable, Page, PageParams};
use crate::db::holds::{self as q, FreezeRow, HoldRow};
use crate::db::rows::{DeploymentRow, EnvironmentRow};
use crate::db::{new_id, now, write_transaction, DbConn};
use crate::domain::holds::{self as rules, holds_after_rollback, rollback_reason};
use crate::domain::ids::FreezeId;
use crate::domain::webhooks::WebhookEvent;
use crate::domain::HoldCause;
use crate::error::{AppError, AppResult, ProblemCode};
use crate::hold_document::Hold;

/// H1: a lifted hold and the deployments that now run.
#[derive(Debug)]
pub struct Lifted {
    pub hold: Hold,
    pub released: Vec<DeploymentView>,
}

/// H1: who may place and lift holds in `env`: an admin, or an editor with a grant there.
fn require_holder(conn: &mut DbConn, caller: &Caller, env: &EnvironmentRow) -> AppResult<()> {
    caller.require_writer()?;
    users::require_grant(conn, caller, &env.id, &env.name)
}

/// H1: places a manual hold on the environment (409 `already_held` when it has one), with its
/// `environment.held` messages (H5), in one transaction.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn place(conn: &mut DbConn, caller: &Caller, environment: &str, reason: &str) -> AppResult<Hold> {
    let env = environments::by_name(conn, environment)?;
    require_holder(conn, caller, &env)?;
    rules::reason(reason).map_err(|rule| AppError::invalid_field("reason", rule))?;
    let row = HoldRow {
        id: new_id(),
        environment_id: env.id.clone(),
        cause: HoldCause::Manual,
        reason: reason.to_string(),
        held_by: caller.id.to_string(),
        held_at: now(),
        deployment_id: None,
        lifted_by: None,
        lifted_at: None,
    };
    write_transaction(conn, |conn| {
        if !q::place(conn, &row)? {
            return Err(AppError::Rule(ProblemCode::AlreadyHeld, format!("'{}' is held already", env.name)));
        }
        let hold = Hold::of(row.clone(), env.name.clone());
        webhooks::announce_hold(conn, WebhookEvent::Held, &hold, &env.id)?;
        Ok(hold)
    })
}

/// H1: lifts the environment's hold (409 `not_held` when it has none), with its
/// `environment.released` messages (H5); answers the hold and the deployments that now run
/// (none while a freeze window is open), and wakes the worker for them.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn lift(conn: &mut DbConn, caller: &Caller, environment: &str) -> AppResult<Changed<Lifted>> {
    let env = environments::by_name(conn, environment)?;
    require_holder(conn, caller, &env)?;
    let lifted = write_transaction(conn, |conn| {
        let not_held = || AppError::Rule(ProblemCode::NotHeld, format!("'{}' is not held", env.name));
        let open = q::open(conn, &env.id)?.ok_or_else(not_held)?;
        let at = now();
        if !q::lift(conn, &open.id, &caller.id, at)? {
            return Err(not_held());
        }
        let lifted = HoldRow { lifted_by: Some(caller.id.to_string()), lifted_at: Some(at), ..open };
        let hold = Hold::of(lifted, env.name.clone());
        webhooks::announce_hold(conn, WebhookEvent::Released, &hold, &env.id)?;
        let released = match q::open_freeze(conn, &env.id, at)? {
            Some(_) => Vec::new(),
            None => {
                let due = q::due_standard(conn, &env.id, at)?;
                get_many(conn, &due)?
            }
        };
        Ok(Lifted { hold, released })
    })?;
    let effects = vec![Effect::Released(lifted.released.clone())];
    Ok(Changed::new(lifted, effects))
}

/// H1: the environment's holds, present and past, newest first (X4).
pub fn history(conn: &mut DbConn, environment: &str, page: &PageParams) -> AppResult<Page<Hold>> {
    let env = environments::by_name(conn, environment)?;
    super::own_cursor(conn, CursorTable::Holds, page)?;
    let rows = q::history(conn, &env.id, page.cursor.clone(), page.limit)?;
    Ok(rows.map(|r| Hold::of(r, env.name.clone())))
}

/// H2: sets whether a rollback that succeeds in the environment holds it (admins only).
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub(crate) fn set_hold_after_rollback(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    on: bool,
) -> AppResult<EnvironmentView> {
    caller.require_admin()?;
    let env = environments::by_name(conn, environment)?;
    q::set_hold_after_rollback(conn, &env.id, on)?;
    environments::get(conn, environment)
}

/// H4: stores a freeze window (admins only; 422 `invalid_window` for a window H4 refuses).
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub(crate) fn create_freeze(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    (starts_at, ends_at): (NaiveDateTime, NaiveDateTime),
    reason: &str,
) -> AppResult<FreezeView> {
    caller.require_admin()?;
    let env = environments::by_name(conn, environment)?;
    rules::reason(reason).map_err(|rule| AppError::invalid_field("reason", rule))?;
    let at = now();
    rules::window(starts_at, ends_at, at).map_err(|rule| AppError::Rule(ProblemCode::InvalidWindow, rule.into()))?;
    let row = FreezeRow {
        id: new_id(),
        environment_id: env.id.clone(),
        starts_at,
        ends_at,
        reason: reason.to_string(),
        created_by: caller.id.to_string(),
        created_at: at,
    };
    q::insert_freeze(conn, &row)?;
    Ok(FreezeView { row, environment: env.name })
}

/// H4: the environment's windows that have not ended, soonest first.
pub fn freezes(conn: &mut DbConn, environment: &str) -> AppResult<Vec<FreezeView>> {
    let env = environments::by_name(conn, environment)?;
    Ok(q::freezes_ahead(conn, &env.id, now())?
        .into_iter()
        .map(|row| FreezeView { row, environment: env.name.clone() })
        .collect())
}

/// H4: removes a window, also an open one (admins only; 404 when the environment has no such window).
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub(crate) fn delete_freeze(conn: &mut DbConn, caller: &Caller, environment: &str, id: &FreezeId) -> AppResult<()> {
    caller.require_admin()?;
    let env = environments::by_name(conn, environment)?;
    if !q::delete_freeze(conn, &env.id, id)? {
        return Err(AppError::NotFound("no such freeze window".into()));
    }
    Ok(())
}

/// H3: refuses a standard release's deployment to an environment that is held (409
/// `environment_held`) or in an open freeze window (409 `environment_frozen`).
pub(crate) fn refuse_if_holding(conn: &mut DbConn, env: &EnvironmentRow) -> AppResult<()> {
    if q::open(conn, &env.id)?.is_some() {
        return Err(AppError::Rule(ProblemCode::EnvironmentHeld, format!("'{}' is held", env.name)));
    }
    if let Some(f) = q::open_freeze(conn, &env.id, now())? {
        return Err(AppError::Rule(
            ProblemCode::EnvironmentFrozen,
            format!("'{}' is frozen until {}", env.name, f.ends_at.and_utc().to_rfc3339()),
        ));
    }
    Ok(())
}

/// H2: in the transaction of a rollback's success, holds its environment when the rollback
/// asked to, or left it to an environment set to hold after rollbacks; a hold already there
/// stays as it is. `release_name` is the rolled-back release's (a rollback release's deployment).
pub(crate) fn after_rollback(
    conn: &mut DbConn,
    d: &DeploymentRow,
    env: &EnvironmentRow,
    release_name: Option<&str>,
) -> AppResult<()> {
    if !holds_after_rollback(d.hold, env.hold_after_rollback) {
        return Ok(());
    }
    // The request's reason, unless it gave none or only spaces (a hold's reason is never empty).
    let reason = d
        .reason
        .clone()
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| rollback_reason(release_name, d.rolled_back_to_deployment_id.as_deref()));
    let row = HoldRow {
        id: new_id(),
        environment_id: env.id.clone(),
        cause: HoldCause::Rollback,
        reason: reason.chars().take(rules::REASON_MAX).collect(),
        held_by: d.deployed_by.clone(),
        held_at: now(),
        deployment_id: Some(d.id.clone()),
        lifted_by: None,
        lifted_at: None,
    };
    if q::place(conn, &row)? {
        webhooks::announce_hold(conn, WebhookEvent::Held, &Hold::of(row, env.name.clone()), &env.id)?;
    }
    Ok(())
}
