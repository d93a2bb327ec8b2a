//! Environments: every query of their table.

use diesel::prelude::*;

use super::page::{newest_first, Page};
use super::rows::{EnvironmentRow, NewEnvironment};
use super::schema::environments;
use super::{inserted, DbConn};
use crate::error::AppResult;

/// Stores an environment; `false` when the name is taken.
pub fn insert(conn: &mut DbConn, row: &NewEnvironment) -> AppResult<bool> {
    Ok(inserted(diesel::insert_into(environments::table).values(row).execute(conn))?)
}

/// An environment by name.
pub fn by_name(conn: &mut DbConn, name: &str) -> AppResult<Option<EnvironmentRow>> {
    Ok(environments::table.filter(environments::name.eq(name)).first(conn).optional()?)
}

/// Environments, newest first (X4).
pub fn list(conn: &mut DbConn, before: Option<String>, limit: i64) -> AppResult<Page<EnvironmentRow>> {
    newest_first(conn, environments::table.into_boxed(), environments::id, before, limit, |e: &EnvironmentRow| {
        e.id.clone()
    })
}
