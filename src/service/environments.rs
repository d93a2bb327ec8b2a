//! Environments: publishing targets.

use super::{Caller, Page, PageParams};
use crate::db::deployments::{self as deployment_rows, DeploymentView};
use crate::db::environments as q;
use crate::db::holds::{self, FreezeRow};
use crate::db::published_counts::published_keys;
use crate::db::rows::{EnvironmentRow, NewEnvironment};
use crate::db::{new_id, now, DbConn};
use crate::domain::validate;
use crate::error::{AppError, AppResult, ProblemCode};
use crate::hold_document::Hold;

/// An environment with its active deployment (its latest succeeded one) and how many keys it
/// publishes (kept as writes change it, never counted here).
#[derive(Debug, Clone)]
pub struct EnvironmentView {
    pub row: EnvironmentRow,
    pub active_deployment: Option<DeploymentView>,
    pub published_keys: i64,
    /// H1: its open hold, if any.
    pub hold: Option<Hold>,
    /// H4: its open freeze window, if any.
    pub freeze: Option<FreezeView>,
}

/// A freeze window with its environment's name (H4).
#[derive(Debug, Clone)]
pub struct FreezeView {
    pub row: FreezeRow,
    pub environment: String,
}

/// H1, H4: the environment's open hold and open freeze window, for its object.
fn standing(conn: &mut DbConn, env: &EnvironmentRow) -> AppResult<(Option<Hold>, Option<FreezeView>)> {
    let hold = holds::open(conn, &env.id)?.map(|h| Hold::of(h, env.name.clone()));
    let freeze = holds::open_freeze(conn, &env.id, now())?.map(|row| FreezeView { row, environment: env.name.clone() });
    Ok((hold, freeze))
}

/// Creates an environment (admins only); 409 `name_taken` when the name is in use.
pub fn create(conn: &mut DbConn, caller: &Caller, name: &str) -> AppResult<EnvironmentView> {
    caller.require_admin()?;
    if !validate::environment_name(name) {
        return Err(AppError::invalid_field("name", validate::ENVIRONMENT_NAME_RULE));
    }
    let id = new_id();
    if !q::insert(conn, &NewEnvironment { id: &id, name, created_at: now() })? {
        return Err(AppError::Rule(ProblemCode::NameTaken, format!("an environment named '{name}' exists")));
    }
    Ok(EnvironmentView {
        row: by_name(conn, name)?,
        active_deployment: None,
        published_keys: 0,
        hold: None,
        freeze: None,
    })
}

/// An environment by name (404 when unknown).
pub fn by_name(conn: &mut DbConn, name: &str) -> AppResult<EnvironmentRow> {
    q::by_name(conn, name)?.ok_or_else(|| AppError::NotFound(format!("no environment named '{name}'")))
}

/// An environment named in a request body (422 `environment_not_found` when unknown).
pub(crate) fn named_in_body(conn: &mut DbConn, name: &str) -> AppResult<EnvironmentRow> {
    by_name(conn, name)
        .map_err(|_| AppError::Rule(ProblemCode::EnvironmentNotFound, format!("no environment named '{name}'")))
}

/// The environment's active deployment: its latest succeeded one.
fn active(conn: &mut DbConn, env: &EnvironmentRow) -> AppResult<Option<DeploymentView>> {
    let Some(row) = deployment_rows::succeeded_in(conn, &env.id, 1)?.pop() else { return Ok(None) };
    let release_name = super::deployments::release_name(conn, &row)?;
    Ok(Some(DeploymentView { row, environment: env.name.clone(), held: false, release_name }))
}

/// An environment with its active deployment.
pub fn get(conn: &mut DbConn, name: &str) -> AppResult<EnvironmentView> {
    let row = by_name(conn, name)?;
    let active_deployment = active(conn, &row)?;
    let published_keys = published_keys(conn, &[row.key])?.get(&row.key).copied().unwrap_or(0);
    let (hold, freeze) = standing(conn, &row)?;
    Ok(EnvironmentView { row, active_deployment, published_keys, hold, freeze })
}

/// Environments, newest first, each with its active deployment.
pub fn list(conn: &mut DbConn, page: &PageParams) -> AppResult<Page<EnvironmentView>> {
    super::own_cursor(conn, super::CursorTable::Environments, page)?;
    let rows = q::list(conn, page.cursor.clone(), page.limit)?;
    let keys: Vec<i64> = rows.data.iter().map(|r| r.key).collect();
    let counts = published_keys(conn, &keys)?;
    let mut views = Vec::with_capacity(rows.data.len());
    for row in rows.data {
        let active_deployment = active(conn, &row)?;
        let published_keys = counts.get(&row.key).copied().unwrap_or(0);
        let (hold, freeze) = standing(conn, &row)?;
        views.push(EnvironmentView { row, active_deployment, published_keys, hold, freeze });
    }
    Ok(Page { data: views, next_cursor: rows.next_cursor })
}
