//! U1: signing in to the console with a token, the server-side session it opens, signing out.

use chrono::TimeDelta;

use super::tokens::{generate_token, hash_token};
use super::Caller;
use crate::db::console_sessions as q;
use crate::db::rows::ConsoleSessionRow;
use crate::db::{now, tokens, write_transaction, DbConn};

use crate::domain::ids::UserId;
use crate::error::{AppError, AppResult};

/// A live session: who it acts for, and the CSRF token every form of it carries.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub caller: Caller,
    pub csrf_token: String,
}

/// Opens a session for the user of a usable token (401 otherwise): answers the session id (for
/// the cookie only; the database keeps its hash) and the session. Expired sessions are swept
/// here, so the table holds live ones.
pub fn sign_in(conn: &mut DbConn, token: &str, lifetime: TimeDelta) -> AppResult<(String, ConsoleSession)> {
    let at = now();
    let found = tokens::usable_by_hash(conn, &hash_token(token), at)?.ok_or(AppError::Unauthorized)?;
    let role = found.user.role;
    let session_id = generate_token();
    let row = ConsoleSessionRow {
        id_hash: hash_token(&session_id),
        user_id: found.user.id.clone(),
        token_id: found.token_id,
        csrf_token: generate_token(),
        created_at: at,
        expires_at: at + lifetime,
    };
    write_transaction(conn, |conn| {
        q::delete_expired(conn, at)?;
        q::insert(conn, &row)
    })?;
    let caller = Caller { id: UserId::stored(found.user.id), name: found.user.name, role };
    Ok((session_id, ConsoleSession { caller, csrf_token: row.csrf_token }))
}

/// The session of a cookie's id (401 when unknown, expired, or its token or user no longer usable).
pub(crate) fn by_id(conn: &mut DbConn, session_id: &str) -> AppResult<ConsoleSession> {
    let (session, user) = q::usable_by_hash(conn, &hash_token(session_id), now())?.ok_or(AppError::Unauthorized)?;
    let role = user.role;
    Ok(ConsoleSession {
        caller: Caller { id: UserId::stored(user.id), name: user.name, role },
        csrf_token: session.csrf_token,
    })
}

/// Ends the session of a cookie's id.
pub(crate) fn sign_out(conn: &mut DbConn, session_id: &str) -> AppResult<()> {
    Ok(q::delete(conn, &hash_token(session_id))?)
}
