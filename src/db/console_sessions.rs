//! U1: every query of the console's sessions.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::QueryResult;

use super::rows::{ConsoleSessionRow, UserRow};
use super::schema::{console_sessions, tokens, users};
use super::DbConn;

/// Stores a new session (its id's hash only).
pub fn insert(conn: &mut DbConn, row: &ConsoleSessionRow) -> QueryResult<()> {
    diesel::insert_into(console_sessions::table).values(row).execute(conn)?;
    Ok(())
}

/// The session with this id hash and its user, when the session has not expired at `now`, its
/// token is neither revoked nor expired and its user is not deactivated (T1 ends its sessions).
pub(crate) fn usable_by_hash(
    conn: &mut DbConn,
    id_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(ConsoleSessionRow, UserRow)>> {
    console_sessions::table
        .inner_join(tokens::table.on(tokens::id.eq(console_sessions::token_id)))
        .inner_join(users::table.on(users::id.eq(console_sessions::user_id)))
        .filter(console_sessions::id_hash.eq(id_hash))
        .filter(console_sessions::expires_at.gt(now))
        .filter(tokens::revoked_at.is_null())
        .filter(tokens::expires_at.is_null().or(tokens::expires_at.gt(now)))
        .filter(users::deactivated_at.is_null())
        .select((console_sessions::all_columns, users::all_columns))
        .first::<(ConsoleSessionRow, UserRow)>(conn)
        .optional()
}

/// Ends a session (sign-out); nothing when it is gone already.
pub fn delete(conn: &mut DbConn, id_hash: &str) -> QueryResult<()> {
    diesel::delete(console_sessions::table.find(id_hash)).execute(conn)?;
    Ok(())
}

/// Removes the sessions that expired before `now`, so that the table holds live sessions only.
pub(crate) fn delete_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(console_sessions::table.filter(console_sessions::expires_at.le(now))).execute(conn)
}
