//! Users and their publishing grants: every query of those tables.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::QueryResult;

use super::page::{newest_first, Page, PageParams};
use super::rows::UserRow;
use super::schema::{environments, grants, users};
use super::{inserted, now, DbConn};

/// Stores a user; `false` when the name is taken.
pub fn insert(conn: &mut DbConn, row: &UserRow) -> QueryResult<bool> {
    inserted(diesel::insert_into(users::table).values(row).execute(conn))
}

/// Users, newest first (X4).
pub fn list(conn: &mut DbConn, page: &PageParams) -> QueryResult<Page<UserRow>> {
    newest_first(conn, users::table.into_boxed(), users::id, page.cursor.clone(), page.limit, |u: &UserRow| {
        u.id.clone()
    })
}

/// A user by id.
pub(crate) fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<UserRow>> {
    users::table.find(id).first(conn).optional()
}

/// A user by id who is not deactivated.
pub(crate) fn active_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<UserRow>> {
    users::table.find(id).filter(users::deactivated_at.is_null()).first(conn).optional()
}

/// How many admins are active. Run it in a write transaction: on PostgreSQL it locks their rows
/// until the transaction ends, so that two deactivations of two admins cannot both see the
/// other one still active (SQLite's write transactions run one at a time already). `NO KEY
/// UPDATE`: foreign keys to those rows (a new release, token or session of an admin) are not held
/// up while a deactivation waits, as it may, for a running deployment's hold on its deployer (L9).
pub(crate) fn lock_active_admins(conn: &mut DbConn) -> QueryResult<i64> {
    if matches!(conn, DbConn::Pg(_)) {
        super::sql(conn, "SELECT id FROM users WHERE role = $1 AND deactivated_at IS NULL FOR NO KEY UPDATE")
            .bind::<Text, _>("admin")
            .execute(conn)?;
    }
    users::table.filter(users::role.eq("admin")).filter(users::deactivated_at.is_null()).count().get_result(conn)
}

/// Marks a user deactivated at `now`.
pub fn deactivate(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(id)).set(users::deactivated_at.eq(now)).execute(conn)?;
    Ok(())
}

/// A user by the key of their name (X2: `domain::user_names::key`).
pub(crate) fn by_name_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<UserRow>> {
    users::table.filter(users::name_key.eq(key)).first(conn).optional()
}

/// The users whose name has no key yet (stored before names had keys, or refused), oldest first.
pub(crate) fn without_name_key(conn: &mut DbConn) -> QueryResult<Vec<UserRow>> {
    users::table.filter(users::name_key.is_null()).order(users::id).load(conn)
}

/// Gives a user's name its key (which no other user's name may hold).
pub(crate) fn set_name_key(conn: &mut DbConn, id: &str, key: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id)).set(users::name_key.eq(key)).execute(conn)?;
    Ok(())
}

/// How many users there are (bootstrap creates the first).
pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// The names of the environments a user holds a grant in, by name.
pub(crate) fn granted_environment_names(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<String>> {
    grants::table
        .inner_join(environments::table)
        .filter(grants::user_id.eq(user_id))
        .select(environments::name)
        .order(environments::name)
        .load(conn)
}

/// Whether the user holds a grant in the environment.
pub(crate) fn has_grant(conn: &mut DbConn, user_id: &str, environment_id: &str) -> QueryResult<bool> {
    Ok(grants::table.find((user_id, environment_id)).count().get_result::<i64>(conn)? > 0)
}

/// Gives the user a grant in the environment (it must not hold one).
pub(crate) fn insert_grant(conn: &mut DbConn, user_id: &str, environment_id: &str) -> QueryResult<()> {
    diesel::insert_into(grants::table)
        .values((grants::user_id.eq(user_id), grants::environment_id.eq(environment_id), grants::created_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// Takes the user's grant in the environment away.
pub(crate) fn delete_grant(conn: &mut DbConn, user_id: &str, environment_id: &str) -> QueryResult<()> {
    diesel::delete(grants::table.find((user_id, environment_id))).execute(conn)?;
    Ok(())
}

/// L9: the deployer's rights as they stand now: the user (`None` when unknown) and whether they
/// hold a grant in the environment. On PostgreSQL both rows are locked `FOR SHARE` until the
/// transaction ends, so a deactivation or a revocation waits for a deployment that read them
/// (SQLite's write transactions run one at a time already).
pub(crate) fn lock_rights(
    conn: &mut DbConn,
    user_id: &str,
    environment_id: &str,
) -> QueryResult<Option<(UserRow, bool)>> {
    if matches!(conn, DbConn::Pg(_)) {
        super::sql(conn, "SELECT id FROM users WHERE id = $1 FOR SHARE").bind::<Text, _>(user_id).execute(conn)?;
        super::sql(conn, "SELECT user_id FROM grants WHERE user_id = $1 AND environment_id = $2 FOR SHARE")
            .bind::<Text, _>(user_id)
            .bind::<Text, _>(environment_id)
            .execute(conn)?;
    }
    let Some(user) = by_id(conn, user_id)? else { return Ok(None) };
    Ok(Some((user, has_grant(conn, user_id, environment_id)?)))
}
