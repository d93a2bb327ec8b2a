//! Environments: publishing targets.

use super::{Caller, Page, PageParams};
use crate::db::deployments::{self as deployment_rows, DeploymentView};
use crate::db::environments as q;
use crate::db::published_counts::published_keys;
use crate::db::rows::{EnvironmentRow, NewEnvironment};
use crate::db::{new_id, now, DbConn};
use crate::domain::validate;
use crate::error::{AppError, AppResult, ProblemCode};

/// An environment with its active deployment (its latest succeeded one) and how many keys it
/// publishes (kept as writes change it, never counted here).
#[derive(Debug, Clone)]
pub struct EnvironmentView {
    pub row: EnvironmentRow,
    pub active_deployment: Option<DeploymentView>,
    pub published_keys: i64,
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
    Ok(EnvironmentView { row: by_name(conn, name)?, active_deployment: None, published_keys: 0 })
}

/// An environment by name (404 when unknown).
pub fn by_name(conn: &mut DbConn, name: &str) -> AppResult<EnvironmentRow> {
    q::by_name(conn, name)?.ok_or_else(|| AppError::NotFound(format!("no environment named '{name}'")))
}

/// An environment named in a request body (422 `environment_not_found` when unknown).
pub fn named_in_body(conn: &mut DbConn, name: &str) -> AppResult<EnvironmentRow> {
    by_name(conn, name)
        .map_err(|_| AppError::Rule(ProblemCode::EnvironmentNotFound, format!("no environment named '{name}'")))
}

/// The environment's active deployment: its latest succeeded one.
fn active(conn: &mut DbConn, env: &EnvironmentRow) -> AppResult<Option<DeploymentView>> {
    Ok(deployment_rows::succeeded_in(conn, &env.id, 1)?
        .pop()
        .map(|row| DeploymentView { row, environment: env.name.clone() }))
}

/// An environment with its active deployment.
pub fn get(conn: &mut DbConn, name: &str) -> AppResult<EnvironmentView> {
    let row = by_name(conn, name)?;
    let active_deployment = active(conn, &row)?;
    let published_keys = published_keys(conn, &[row.key])?.get(&row.key).copied().unwrap_or(0);
    Ok(EnvironmentView { row, active_deployment, published_keys })
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
        views.push(EnvironmentView { row, active_deployment, published_keys });
    }
    Ok(Page { data: views, next_cursor: rows.next_cursor })
}
