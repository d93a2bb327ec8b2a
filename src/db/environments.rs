//! Environments: every query of their table.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::QueryResult;

use super::page::{newest_first, Page};
use super::rows::{EnvironmentRow, NewEnvironment};
use super::schema::environments;
use super::{inserted, DbConn};

/// Stores an environment; `false` when the name is taken.
pub fn insert(conn: &mut DbConn, row: &NewEnvironment) -> QueryResult<bool> {
    inserted(diesel::insert_into(environments::table).values(row).execute(conn))
}

/// An environment by name.
pub fn by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<EnvironmentRow>> {
    environments::table.filter(environments::name.eq(name)).first(conn).optional()
}

/// An environment by id, for rows that refer to one.
pub(crate) fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<EnvironmentRow> {
    environments::table.find(id).first(conn)
}

/// The names of the environments with these ids, by id: rows that store ids show names.
pub fn names<S: AsRef<str>>(conn: &mut DbConn, ids: &[S]) -> QueryResult<HashMap<String, String>> {
    let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
    Ok(environments::table
        .filter(environments::id.eq_any(ids))
        .select((environments::id, environments::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Environments, newest first (X4).
pub fn list(conn: &mut DbConn, before: Option<String>, limit: i64) -> QueryResult<Page<EnvironmentRow>> {
    newest_first(conn, environments::table.into_boxed(), environments::id, before, limit, |e: &EnvironmentRow| {
        e.id.clone()
    })
}
