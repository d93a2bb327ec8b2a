//! Users, their tokens and their publishing grants.

use rand::RngCore;
use sha2::{Digest, Sha256};

use std::time::{Duration, Instant};

use super::{Caller, Page, PageParams};
use crate::db::rows::{TokenRow, UserRow};
use crate::db::users as q;
use crate::db::{new_id, now, DbConn};
use crate::domain::{validate, Role};
use crate::error::{AppError, AppResult};

/// The SHA-256 of a token, the only form in which tokens are stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token; shown once, then only its hash is kept.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("rw_{}", hex::encode(bytes))
}

/// Creates a user for an admin; 409 `name_taken` when the name is in use.
pub fn create_user(conn: &mut DbConn, caller: &Caller, name: &str, role: Role) -> AppResult<UserRow> {
    caller.require_admin()?;
    add_user(conn, name, role)
}

/// Creates a user with no caller to check: for the command line and the bootstrap, which act
/// with the operator's authority. 409 `name_taken` when the name is in use.
pub fn add_user(conn: &mut DbConn, name: &str, role: Role) -> AppResult<UserRow> {
    validate::display_name(name).map_err(|rule| AppError::invalid_field("name", rule))?;
    let row = UserRow { id: new_id(), name: name.to_string(), role: role.as_str().into(), created_at: now() };
    if !q::insert(conn, &row)? {
        return Err(AppError::Conflict("name_taken", format!("a user named '{name}' exists")));
    }
    Ok(row)
}

/// Users, newest first (admins only). The page comes as the request asked for it, errors
/// included, and is checked after the role: a non-admin gets 403 whatever else is wrong.
pub fn list_users(conn: &mut DbConn, caller: &Caller, page: AppResult<PageParams>) -> AppResult<Page<UserRow>> {
    caller.require_admin()?;
    q::list(conn, &page?)
}

/// A user by id (404 when unknown).
pub fn get_user(conn: &mut DbConn, id: &str) -> AppResult<UserRow> {
    q::by_id(conn, id)?.ok_or_else(|| AppError::NotFound("no such user".into()))
}

/// A user by name (404 when unknown).
pub fn user_by_name(conn: &mut DbConn, name: &str) -> AppResult<UserRow> {
    q::by_name(conn, name)?.ok_or_else(|| AppError::NotFound(format!("no user named '{name}'")))
}

/// Creates a token for a user, by an admin or the user themself; returns `(token id, token)`.
/// The label comes as the body gave it, errors included, checked after the role (403 first).
pub fn create_token(
    conn: &mut DbConn,
    caller: &Caller,
    user_id: &str,
    label: AppResult<Option<String>>,
) -> AppResult<(String, String)> {
    if user_id != caller.id {
        caller.require_admin()?;
    }
    let label = label?;
    get_user(conn, user_id)?;
    issue_token(conn, user_id, label, None)
}

/// Creates a token for a user with no caller to check (the command line, the bootstrap) and
/// returns `(token id, token)`; the token is not stored, only its hash.
pub fn issue_token(
    conn: &mut DbConn,
    user_id: &str,
    label: Option<String>,
    token: Option<String>,
) -> AppResult<(String, String)> {
    if let Some(l) = &label {
        validate::free_text(l, validate::LABEL_MAX).map_err(|m| AppError::invalid_field("label", m))?;
    }
    let token = token.unwrap_or_else(generate_token);
    let row =
        TokenRow { id: new_id(), user_id: user_id.into(), label, token_hash: hash_token(&token), created_at: now() };
    q::insert_token(conn, &row)?;
    Ok((row.id, token))
}

/// The user a bearer token belongs to (401 when none), read in one query. Grants are not read
/// here: only publishing and deploying need one, and they read it for their environment.
pub fn authenticate(conn: &mut DbConn, token: &str) -> AppResult<Caller> {
    caller_of_hash(conn, &hash_token(token))
}

/// The user whose token has this hash (401 when none).
pub fn caller_of_hash(conn: &mut DbConn, token_hash: &str) -> AppResult<Caller> {
    let user = q::by_token_hash(conn, token_hash)?.ok_or(AppError::Unauthorized)?;
    let role = Role::parse(&user.role).ok_or(AppError::Internal)?;
    Ok(Caller { id: user.id, name: user.name, role })
}

/// The callers of tokens seen lately, by token hash, so that most requests authenticate without
/// the database. A token's user and role cannot change through the API (there is no revocation,
/// no role change, no deletion), so an entry is never stale; entries still expire after
/// `KNOWN_FOR`, so that a change made in the database by hand takes effect within it. Only tokens
/// that were found are kept, at most `KNOWN_TOKENS` of them.
pub struct KnownTokens {
    cache: quick_cache::sync::Cache<String, (Caller, Instant)>,
}

/// How long a token's caller is remembered.
pub const KNOWN_FOR: Duration = Duration::from_secs(30);
/// How many tokens are remembered at most.
pub const KNOWN_TOKENS: usize = 10_000;

impl Default for KnownTokens {
    fn default() -> KnownTokens {
        KnownTokens { cache: quick_cache::sync::Cache::new(KNOWN_TOKENS) }
    }
}

impl KnownTokens {
    /// The caller of a token hash, if it was found within `KNOWN_FOR`.
    pub fn get(&self, token_hash: &str) -> Option<Caller> {
        self.cache.get(token_hash).filter(|(_, at)| at.elapsed() < KNOWN_FOR).map(|(caller, _)| caller)
    }

    /// Remembers the caller a token hash was found to belong to.
    pub fn remember(&self, token_hash: String, caller: Caller) {
        self.cache.insert(token_hash, (caller, Instant::now()));
    }
}

/// The names of the environments a user may publish to by grant.
pub fn grants_of(conn: &mut DbConn, user_id: &str) -> AppResult<Vec<String>> {
    q::granted_environment_names(conn, user_id)
}

/// Grants (or with `grant == false` revokes) publishing in an environment (admins only; the
/// role is checked before the path's user id).
pub fn set_grant(conn: &mut DbConn, caller: &Caller, user_id: &str, environment: &str, grant: bool) -> AppResult<()> {
    caller.require_admin()?;
    let user_id = &super::parse_id("id", user_id)?;
    get_user(conn, user_id)?;
    let env = super::environments::by_name(conn, environment)?;
    let existing = q::has_grant(conn, user_id, &env.id)?;
    if grant && !existing {
        q::insert_grant(conn, user_id, &env.id)?;
    } else if !grant && existing {
        q::delete_grant(conn, user_id, &env.id)?;
    }
    Ok(())
}

/// P3: publishing, unpublishing and deploying in an environment need a grant there, or admin.
pub fn require_grant(conn: &mut DbConn, caller: &Caller, environment_id: &str, environment: &str) -> AppResult<()> {
    if caller.is_admin() {
        return Ok(());
    }
    if caller.role == Role::Editor && q::has_grant(conn, &caller.id, environment_id)? {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("no grant to publish in '{environment}'")))
    }
}

/// On a database with no users, creates `admin` with `token` (or a random one, returned).
pub fn bootstrap_admin(conn: &mut DbConn, token: Option<String>) -> AppResult<Option<String>> {
    crate::db::write_transaction(conn, |conn| {
        if q::count(conn)? > 0 {
            return Ok(None);
        }
        let admin = add_user(conn, "admin", Role::Admin)?;
        let (_, token) = issue_token(conn, &admin.id, Some("bootstrap".into()), token)?;
        Ok(Some(token))
    })
}
