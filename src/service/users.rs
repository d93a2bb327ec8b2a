//! Users, their deactivation (T1) and their publishing grants.

use super::effects::{Changed, Effect};
use super::{Caller, Page, PageParams, Parsed};
use crate::db::rows::UserRow;
use crate::db::users as q;
use crate::db::{new_id, now, DbConn};
use crate::domain::ids::UserId;
use crate::domain::{user_names, validate, Role};
use crate::error::{AppError, AppResult, ProblemCode};

/// Creates a user for an admin; 409 `name_taken` when the name is in use.
pub(crate) fn create_user(conn: &mut DbConn, caller: &Caller, name: &str, role: Role) -> AppResult<UserRow> {
    caller.require_admin()?;
    add_user(conn, name, role)
}

/// Creates a user with no caller to check: for the command line and the bootstrap, which act
/// with the operator's authority. 409 `name_taken` when the name, NFC-normalised and trimmed,
/// is in use.
pub fn add_user(conn: &mut DbConn, name: &str, role: Role) -> AppResult<UserRow> {
    // Stored normalised and trimmed; the unique index compares the name's key (RFC 8265).
    let name = validate::display_name(name).map_err(|rule| AppError::invalid_field("name", rule))?;
    // Well-formed text that the user-name profile refuses is a rule's refusal, not a malformed body.
    let key = user_names::key(&name)
        .map_err(|rule| AppError::Rule(ProblemCode::UserNameNotAllowed, format!("name: {rule}")))?;
    let row = UserRow {
        id: new_id(),
        name: name.clone(),
        role,
        created_at: now(),
        deactivated_at: None,
        name_key: Some(key),
    };
    if !q::insert(conn, &row)? {
        return Err(AppError::Rule(ProblemCode::NameTaken, format!("a user named '{name}' exists")));
    }
    Ok(row)
}

/// Users, newest first (admins only). The page comes as the request asked for it, errors
/// included, and is checked after the role: a non-admin gets 403 whatever else is wrong.
pub(crate) fn list_users(conn: &mut DbConn, caller: &Caller, page: Parsed<PageParams>) -> AppResult<Page<UserRow>> {
    caller.require_admin()?;
    let page = page?;
    super::own_cursor(conn, super::CursorTable::Users, &page)?;
    Ok(q::list(conn, &page)?)
}

/// A user by id who is not deactivated (404 otherwise: to the API a deactivated user is gone,
/// though their history stays and their name stays taken).
pub(crate) fn active_user(conn: &mut DbConn, id: &UserId) -> AppResult<UserRow> {
    q::active_by_id(conn, id)?.ok_or_else(|| AppError::NotFound("no such user".into()))
}

/// An active user by name (404 when unknown or deactivated), looked up by its key (X2), as a
/// new user's name is compared.
pub fn user_by_name(conn: &mut DbConn, name: &str) -> AppResult<UserRow> {
    let trimmed = validate::display_name(name).unwrap_or_else(|_| name.to_string());
    let found = match user_names::key(&trimmed) {
        Ok(key) => q::by_name_key(conn, &key)?,
        Err(_) => None,
    };
    found
        .filter(|u| u.deactivated_at.is_none())
        .ok_or_else(|| AppError::NotFound(format!("no active user named '{name}'")))
}

/// T1: an admin deactivates a user (404 when unknown or deactivated already; 409 `last_admin`
/// for the last active admin). The cache forgets the user's tokens.
pub(crate) fn deactivate_user(conn: &mut DbConn, caller: &Caller, user_id: &UserId) -> AppResult<Changed<()>> {
    caller.require_admin()?;
    deactivate(conn, user_id)?;
    Ok(Changed::new((), vec![Effect::UserDeactivated(user_id.clone())]))
}

/// Deactivates a user with no caller to check (the command line), under the same rules: the
/// check of the last admin and the write are one write transaction, so two deactivations at
/// once cannot leave no admin.
pub fn deactivate(conn: &mut DbConn, user_id: &UserId) -> AppResult<()> {
    crate::db::write_transaction(conn, |conn| {
        // Locked before the target is read, so that it is read as the lock holders left it.
        let admins = q::lock_active_admins(conn)?;
        let user = active_user(conn, user_id)?;
        if user.role == Role::Admin && admins <= 1 {
            return Err(AppError::Rule(ProblemCode::LastAdmin, "the last active admin cannot be deactivated".into()));
        }
        Ok(q::deactivate(conn, user_id, now())?)
    })
}

/// The names of the environments a user may publish to by grant.
pub(crate) fn grants_of(conn: &mut DbConn, user_id: &UserId) -> AppResult<Vec<String>> {
    Ok(q::granted_environment_names(conn, user_id)?)
}

/// Grants (or with `grant == false` revokes) publishing in an environment (admins only; the
/// role is checked before the path's user id). A viewer cannot publish, so a grant to one is
/// 422 `grant_not_applicable` rather than a grant that the 403 of P3 would then deny.
pub fn set_grant(
    conn: &mut DbConn,
    caller: &Caller,
    user_id: Parsed<UserId>,
    environment: &str,
    grant: bool,
) -> AppResult<()> {
    caller.require_admin()?;
    let user_id = &user_id?;
    let user = active_user(conn, user_id)?;
    let env = super::environments::by_name(conn, environment)?;
    if grant && user.role == Role::Viewer {
        return Err(AppError::Rule(
            ProblemCode::GrantNotApplicable,
            "a viewer cannot publish: only editors take grants (admins need none)".into(),
        ));
    }
    let existing = q::has_grant(conn, user_id, &env.id)?;
    if grant && !existing {
        q::insert_grant(conn, user_id, &env.id)?;
    } else if !grant && existing {
        q::delete_grant(conn, user_id, &env.id)?;
    }
    Ok(())
}

/// P3: publishing, unpublishing and deploying in an environment need a grant there, or admin.
pub(crate) fn require_grant(
    conn: &mut DbConn,
    caller: &Caller,
    environment_id: &str,
    environment: &str,
) -> AppResult<()> {
    if caller.is_admin() {
        return Ok(());
    }
    if caller.role == Role::Editor && q::has_grant(conn, &caller.id, environment_id)? {
        Ok(())
    } else if caller.role == Role::Viewer {
        Err(AppError::Forbidden("a viewer cannot publish, unpublish or deploy".into()))
    } else {
        Err(AppError::Forbidden(format!("no grant to publish in '{environment}'")))
    }
}

/// L9: why the user may not deploy in the environment now, or `None` when they may: a
/// deployment runs with its deployer's rights as they are when it starts. Read in the run's
/// transaction, with the rows locked, so that a revocation cannot slip in before it commits.
pub(crate) fn deployer_refusal(
    conn: &mut DbConn,
    user_id: &str,
    environment_id: &str,
    environment: &str,
) -> AppResult<Option<String>> {
    let refusal = match q::lock_rights(conn, user_id, environment_id)? {
        None => Some("the deployer no longer exists".to_string()),
        Some((user, _)) if user.deactivated_at.is_some() => {
            Some(format!("the deployer '{}' is deactivated", user.name))
        }
        Some((user, _)) if user.role == Role::Admin => None,
        Some((user, true)) if user.role == Role::Editor => None,
        Some((user, _)) => Some(format!("the deployer '{}' has no grant to deploy in '{environment}'", user.name)),
    };
    Ok(refusal)
}

/// X2: gives a key to every stored user name that has none (names stored before names had
/// keys); answers, one line each, the names it could not give one: refused by the profile, or
/// looking like another user's name. Those rows are left as they are, for an admin to look at.
pub fn key_stored_names(conn: &mut DbConn) -> AppResult<Vec<String>> {
    crate::db::write_transaction(conn, |conn| {
        let mut unkeyed = vec![];
        for user in q::without_name_key(conn)? {
            let problem = match user_names::key(&user.name) {
                Err(rule) => Some(format!("user {} {:?}: the name {rule}", user.id, user.name)),
                Ok(key) => match q::by_name_key(conn, &key)? {
                    Some(other) => Some(format!(
                        "user {} {:?}: the name looks like user {}'s {:?}",
                        user.id, user.name, other.id, other.name
                    )),
                    None => {
                        q::set_name_key(conn, &user.id, &key)?;
                        None
                    }
                },
            };
            unkeyed.extend(problem);
        }
        Ok(unkeyed)
    })
}
