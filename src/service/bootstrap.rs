//! The first start of a service: its first admin and that admin's token.

use super::tokens::{issue_token, NewToken};
use super::users::add_user;
use crate::db::users as q;
use crate::db::DbConn;
use crate::domain::ids::UserId;
use crate::domain::Role;
use crate::error::AppResult;

/// On a database with no users, creates `admin` with `token` (or a random one, returned).
pub fn bootstrap_admin(conn: &mut DbConn, token: Option<String>) -> AppResult<Option<String>> {
    crate::db::write_transaction(conn, |conn| {
        if q::count(conn)? > 0 {
            return Ok(None);
        }
        let admin = add_user(conn, "admin", Role::Admin)?;
        let new = NewToken { label: Some("bootstrap".into()), expires_in_days: None };
        Ok(Some(issue_token(conn, &UserId::stored(admin.id), new, token)?.token))
    })
}
