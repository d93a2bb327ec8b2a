//! API tokens (T1): creating, authenticating, listing and revoking them.

use chrono::{NaiveDateTime, TimeDelta};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::effects::{Changed, Effect};
use super::users::active_user;
use super::{Caller, Page, PageParams, Parsed};
use crate::db::rows::TokenRow;
use crate::db::tokens as q;
use crate::db::{new_id, now, DbConn};
use crate::domain::ids::{TokenId, UserId};
use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// How often a token's `last_used_at` is written at most: a use within this of the last one
/// recorded writes nothing.
pub(crate) const LAST_USE_EVERY: TimeDelta = TimeDelta::minutes(1);
/// The longest lifetime a token can be given, in days (T1).
pub(crate) const MAX_EXPIRES_IN_DAYS: i32 = 3650;

/// The SHA-256 of a token, the only form in which tokens are stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token; shown once, then only its hash is kept.
pub(crate) fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("rw_{}", hex::encode(bytes))
}

/// What `POST /v1/users/{id}/tokens` asks for.
#[derive(Debug, Default)]
pub struct NewToken {
    pub label: Option<String>,
    /// 1 to `MAX_EXPIRES_IN_DAYS`; never expires when absent.
    pub expires_in_days: Option<i32>,
}

/// A token just made: shown once.
#[derive(Debug)]
pub struct IssuedToken {
    pub id: String,
    pub token: String,
    pub expires_at: Option<NaiveDateTime>,
}

/// Creates a token for an active user, by an admin or the user themself. The request comes as
/// the body gave it, errors included, checked after the role (403 first); 404 when the user is
/// unknown or deactivated.
pub(crate) fn create_token(
    conn: &mut DbConn,
    caller: &Caller,
    user_id: &UserId,
    new: Parsed<NewToken>,
) -> AppResult<IssuedToken> {
    require_self_or_admin(caller, user_id)?;
    let new = new?;
    active_user(conn, user_id)?;
    issue_token(conn, user_id, new, None)
}

/// Creates a token for a user with no caller to check (the command line, the bootstrap); the
/// token is not stored, only its hash.
pub fn issue_token(
    conn: &mut DbConn,
    user_id: &UserId,
    new: NewToken,
    token: Option<String>,
) -> AppResult<IssuedToken> {
    if let Some(l) = &new.label {
        validate::free_text(l, validate::LABEL_MAX).map_err(|m| AppError::invalid_field("label", m))?;
    }
    let created_at = now();
    let expires_at = match new.expires_in_days {
        None => None,
        Some(d) if (1..=MAX_EXPIRES_IN_DAYS).contains(&d) => Some(created_at + TimeDelta::days(d.into())),
        Some(_) => {
            return Err(AppError::invalid_field("expires_in_days", format!("must be from 1 to {MAX_EXPIRES_IN_DAYS}")))
        }
    };
    let token = token.unwrap_or_else(generate_token);
    let row = TokenRow {
        id: new_id(),
        user_id: user_id.to_string(),
        label: new.label,
        token_hash: hash_token(&token),
        created_at,
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    q::insert(conn, &row)?;
    Ok(IssuedToken { id: row.id, token, expires_at })
}

/// The user a bearer token belongs to (401 when none, or when it is revoked or expired, or its
/// user deactivated).
pub fn authenticate(conn: &mut DbConn, token: &str) -> AppResult<Caller> {
    Ok(authenticate_hash(conn, &hash_token(token))?.0)
}

/// The caller whose usable token has this hash, and when the token expires (401 when none).
/// Records the use when the last one recorded is older than `LAST_USE_EVERY`, so a token in use
/// costs one write a minute, not one a request.
pub(crate) fn authenticate_hash(conn: &mut DbConn, token_hash: &str) -> AppResult<(Caller, Option<NaiveDateTime>)> {
    let at = now();
    let found = q::usable_by_hash(conn, token_hash, at)?.ok_or(AppError::Unauthorized)?;
    let role = found.user.role;
    let since = at - LAST_USE_EVERY;
    if found.last_used_at.is_none_or(|t| t < since) {
        // A busy database must not refuse the request for the sake of a bookkeeping write.
        if let Err(e) = q::touch(conn, &found.token_id, at, since) {
            tracing::warn!(error = %e, "last use of a token not recorded");
        }
    }
    Ok((Caller { id: UserId::stored(found.user.id), name: found.user.name, role }, found.expires_at))
}

/// A user's tokens, newest first, revoked ones left out (admin, or the user themself; the role
/// first, then the page, then the user: 404 when unknown or deactivated).
pub(crate) fn list_tokens(
    conn: &mut DbConn,
    caller: &Caller,
    user_id: &UserId,
    page: Parsed<PageParams>,
) -> AppResult<Page<TokenRow>> {
    require_self_or_admin(caller, user_id)?;
    let page = page?;
    active_user(conn, user_id)?;
    super::own_cursor(conn, super::CursorTable::Tokens, &page)?;
    Ok(q::list_of_user(conn, user_id, &page)?)
}

/// Revokes one of a user's tokens (admin, or the user themself); the cache forgets it (T1). 404 for an unknown user, or a token that is not theirs or
/// revoked already.
pub(crate) fn revoke_token(
    conn: &mut DbConn,
    caller: &Caller,
    user_id: &UserId,
    token_id: Parsed<TokenId>,
) -> AppResult<Changed<()>> {
    require_self_or_admin(caller, user_id)?;
    let token_id = token_id?;
    crate::db::write_transaction(conn, |conn| {
        active_user(conn, user_id)?;
        match q::unrevoked_by_id(conn, &token_id)? {
            Some(t) if t.user_id == user_id.as_str() => revoke(conn, t),
            _ => Err(AppError::NotFound("no such token".into())),
        }
    })
    .map(|hash| Changed::new((), vec![Effect::TokenRevoked(hash)]))
}

/// Revokes a token by id with no caller to check (the command line); 404 when unknown or
/// revoked already.
pub fn revoke_token_by_id(conn: &mut DbConn, token_id: &TokenId) -> AppResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let token = q::unrevoked_by_id(conn, token_id)?.ok_or_else(|| AppError::NotFound("no such token".into()))?;
        revoke(conn, token).map(|_| ())
    })
}

fn revoke(conn: &mut DbConn, token: TokenRow) -> AppResult<String> {
    if !q::revoke(conn, &token.id, now())? {
        return Err(AppError::NotFound("no such token".into()));
    }
    Ok(token.token_hash)
}

/// A user's own tokens are theirs to manage; anyone else's need an admin (403).
fn require_self_or_admin(caller: &Caller, user_id: &str) -> AppResult<()> {
    if *user_id != *caller.id {
        caller.require_admin()?;
    }
    Ok(())
}
