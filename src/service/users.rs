//! Users, their tokens and their publishing grants.

use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{Caller, Page, PageParams};
use crate::db::rows::{TokenRow, UserRow};
use crate::db::schema::{environments, grants, tokens, users};
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

/// Creates a user; 409 `name_taken` when the name is in use.
pub fn create_user(conn: &mut DbConn, name: &str, role: Role) -> AppResult<UserRow> {
    validate::display_name(name).map_err(|rule| AppError::invalid_field("name", rule))?;
    let row = UserRow { id: new_id(), name: name.to_string(), role: role.as_str().into(), created_at: now() };
    match diesel::insert_into(users::table).values(&row).execute(conn) {
        Ok(_) => Ok(row),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Err(AppError::Conflict("name_taken", format!("a user named '{name}' exists")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Users, newest first.
pub fn list_users(conn: &mut DbConn, page: &PageParams) -> AppResult<Page<UserRow>> {
    let mut q = users::table.order(users::id.desc()).limit(page.limit + 1).into_boxed();
    if let Some(c) = &page.cursor {
        q = q.filter(users::id.lt(c.clone()));
    }
    Ok(Page::from_rows(q.load(conn)?, page.limit, |u: &UserRow| u.id.clone()))
}

/// A user by id (404 when unknown).
pub fn get_user(conn: &mut DbConn, id: &str) -> AppResult<UserRow> {
    users::table.find(id).first(conn).optional()?.ok_or_else(|| AppError::NotFound("no such user".into()))
}

/// A user by name (404 when unknown).
pub fn user_by_name(conn: &mut DbConn, name: &str) -> AppResult<UserRow> {
    users::table
        .filter(users::name.eq(name))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("no user named '{name}'")))
}

/// Creates a token for a user and returns `(token id, token)`; the token is not stored.
pub fn create_token(
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
    diesel::insert_into(tokens::table).values(&row).execute(conn)?;
    Ok((row.id, token))
}

/// The user a bearer token belongs to (401 when none).
pub fn authenticate(conn: &mut DbConn, token: &str) -> AppResult<Caller> {
    let user: Option<UserRow> = tokens::table
        .inner_join(users::table)
        .filter(tokens::token_hash.eq(hash_token(token)))
        .select(users::all_columns)
        .first(conn)
        .optional()?;
    let user = user.ok_or(AppError::Unauthorized)?;
    let role = Role::parse(&user.role).ok_or(AppError::Internal)?;
    Ok(Caller { id: user.id, name: user.name, role })
}

/// The names of the environments a user may publish to by grant.
pub fn grants_of(conn: &mut DbConn, user_id: &str) -> AppResult<Vec<String>> {
    Ok(grants::table
        .inner_join(environments::table)
        .filter(grants::user_id.eq(user_id))
        .select(environments::name)
        .order(environments::name)
        .load(conn)?)
}

/// Grants (or with `grant == false` revokes) publishing in an environment.
pub fn set_grant(conn: &mut DbConn, user_id: &str, environment: &str, grant: bool) -> AppResult<()> {
    get_user(conn, user_id)?;
    let env = super::environments::by_name(conn, environment)?;
    let existing = grants::table.find((user_id, &env.id)).count().get_result::<i64>(conn)? > 0;
    if grant && !existing {
        diesel::insert_into(grants::table)
            .values((grants::user_id.eq(user_id), grants::environment_id.eq(&env.id), grants::created_at.eq(now())))
            .execute(conn)?;
    } else if !grant && existing {
        diesel::delete(grants::table.find((user_id, &env.id))).execute(conn)?;
    }
    Ok(())
}

/// P3: publishing, unpublishing and deploying in an environment need a grant there, or admin.
pub fn require_grant(conn: &mut DbConn, caller: &Caller, environment_id: &str, environment: &str) -> AppResult<()> {
    if caller.is_admin() {
        return Ok(());
    }
    let granted = caller.role == crate::domain::Role::Editor
        && grants::table.find((&caller.id, environment_id)).count().get_result::<i64>(conn)? > 0;
    if granted {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("no grant to publish in '{environment}'")))
    }
}

/// On a database with no users, creates `admin` with `token` (or a random one, returned).
pub fn bootstrap_admin(conn: &mut DbConn, token: Option<String>) -> AppResult<Option<String>> {
    crate::db::write_transaction(conn, |conn| {
        let count: i64 = users::table.count().get_result(conn)?;
        if count > 0 {
            return Ok(None);
        }
        let admin = create_user(conn, "admin", Role::Admin)?;
        let (_, token) = create_token(conn, &admin.id, Some("bootstrap".into()), token)?;
        Ok(Some(token))
    })
}
