//! API tokens (T1): every query of the tokens table.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::QueryResult;

use super::page::{newest_first, Page, PageParams};
use super::rows::{TokenRow, UserRow};
use super::schema::{tokens, users};
use super::DbConn;

/// Stores a token (its hash only).
pub fn insert(conn: &mut DbConn, row: &TokenRow) -> QueryResult<()> {
    diesel::insert_into(tokens::table).values(row).execute(conn)?;
    Ok(())
}

/// What authenticating a token hash finds: its user and the token itself.
pub(crate) struct FoundToken {
    pub user: UserRow,
    pub token_id: String,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

/// The token with this hash and its user, in one query, when the token is neither revoked nor
/// expired at `now` and its user is not deactivated.
pub(crate) fn usable_by_hash(
    conn: &mut DbConn,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<FoundToken>> {
    let found = tokens::table
        .inner_join(users::table)
        .filter(tokens::token_hash.eq(token_hash))
        .filter(tokens::revoked_at.is_null())
        .filter(tokens::expires_at.is_null().or(tokens::expires_at.gt(now)))
        .filter(users::deactivated_at.is_null())
        .select((users::all_columns, tokens::id, tokens::expires_at, tokens::last_used_at))
        .first::<(UserRow, String, Option<NaiveDateTime>, Option<NaiveDateTime>)>(conn)
        .optional()?;
    Ok(found.map(|(user, token_id, expires_at, last_used_at)| FoundToken { user, token_id, expires_at, last_used_at }))
}

/// Records a use of the token at `now`, unless one at `since` or later is recorded already (so
/// that several processes write it at most once per interval between them).
pub fn touch(conn: &mut DbConn, token_id: &str, now: NaiveDateTime, since: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        tokens::table.find(token_id).filter(tokens::last_used_at.is_null().or(tokens::last_used_at.lt(since))),
    )
    .set(tokens::last_used_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// A user's tokens that are not revoked, newest first (X4).
pub(crate) fn list_of_user(conn: &mut DbConn, user_id: &str, page: &PageParams) -> QueryResult<Page<TokenRow>> {
    let query = tokens::table.filter(tokens::user_id.eq(user_id.to_string())).filter(tokens::revoked_at.is_null());
    newest_first(conn, query.into_boxed(), tokens::id, page.cursor.clone(), page.limit, |t: &TokenRow| t.id.clone())
}

/// A token by id that is not revoked.
pub(crate) fn unrevoked_by_id(conn: &mut DbConn, token_id: &str) -> QueryResult<Option<TokenRow>> {
    tokens::table.find(token_id).filter(tokens::revoked_at.is_null()).first(conn).optional()
}

/// Revokes a token at `now`; whether it was still unrevoked (so two revocations count once).
pub fn revoke(conn: &mut DbConn, token_id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(tokens::table.find(token_id).filter(tokens::revoked_at.is_null()))
        .set(tokens::revoked_at.eq(now))
        .execute(conn)?;
    Ok(n > 0)
}
