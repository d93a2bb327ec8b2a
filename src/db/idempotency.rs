//! X3: the kept answers of keyed requests: every query of `idempotency_keys`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::QueryResult;

use super::schema::idempotency_keys as ik;
use super::{inserted, DbConn};

/// A stored key: what was asked (method, path, body hash), the kept answer once there is one,
/// and when the key was claimed.
#[derive(Debug, Clone, Queryable)]
pub struct KeyRow {
    pub method: String,
    pub path: String,
    pub body_hash: String,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A user's key, if stored.
pub fn get(conn: &mut DbConn, user_id: &str, key: &str) -> QueryResult<Option<KeyRow>> {
    ik::table
        .find((user_id, key))
        .select((ik::method, ik::path, ik::body_hash, ik::response_status, ik::response_body, ik::created_at))
        .first(conn)
        .optional()
}

/// Claims a user's key for a request; `false` when another request holds it already.
pub fn claim(
    conn: &mut DbConn,
    user_id: &str,
    key: &str,
    method: &str,
    path: &str,
    body_hash: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let insert = diesel::insert_into(ik::table).values((
        ik::user_id.eq(user_id),
        ik::key.eq(key),
        ik::method.eq(method),
        ik::path.eq(path),
        ik::body_hash.eq(body_hash),
        ik::created_at.eq(at),
    ));
    inserted(insert.execute(conn))
}

/// Keeps the answer of a key's request.
pub(crate) fn keep_answer(conn: &mut DbConn, user_id: &str, key: &str, status: i32, body: &str) -> QueryResult<()> {
    diesel::update(ik::table.find((user_id, key)))
        .set((ik::response_status.eq(status), ik::response_body.eq(body)))
        .execute(conn)?;
    Ok(())
}

/// Frees a user's key.
pub fn delete(conn: &mut DbConn, user_id: &str, key: &str) -> QueryResult<()> {
    diesel::delete(ik::table.find((user_id, key))).execute(conn)?;
    Ok(())
}
