//! U2 (admin): users with their grants and tokens (T1). Every use case checks the admin role
//! itself; the pages are offered to admins only.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::views::{self, next_link, CursorQuery};
use super::{html, page, see_other, Chrome, Form, Page, Session};
use crate::domain::ids::UserId;
use crate::domain::Role;
use crate::http::Cursor;
use crate::runtime::AppState;
use crate::runtime::{change, db};
use crate::service::tokens::{self, NewToken};
use crate::service::{environments, users, PageParams};

const PAGE: i64 = 50;

/// A user in the list.
pub struct UserLine {
    pub id: String,
    pub name: String,
    pub role: String,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<UserLine>,
    next: Option<String>,
}

/// Admin: the users.
pub async fn users(state: web::Data<AppState>, s: Session, q: web::Query<CursorQuery>) -> Page {
    let p = views::page(&q.cursor, PAGE, Cursor::Id);
    let caller = s.caller().clone();
    let list = db(&state, move |c| users::list_users(c, &caller, p)).await?;
    page(&UsersPage {
        c: Chrome::from(&s),
        users: list
            .data
            .into_iter()
            .map(|u| UserLine {
                id: u.id,
                name: u.name,
                role: u.role.to_string(),
                created_at: views::time(u.created_at),
            })
            .collect(),
        next: next_link("/console/users?", &list.next_cursor),
    })
}

/// The form that creates a user.
#[derive(Deserialize)]
pub struct CreateUserForm {
    name: String,
    role: Role,
}

/// Admin: creates a user and opens their page (where a token can be made for them).
pub async fn create_user(state: web::Data<AppState>, f: Form<CreateUserForm>) -> Page {
    let caller = f.session.caller().clone();
    let CreateUserForm { name, role } = f.form;
    let u = db(&state, move |c| users::create_user(c, &caller, &name, role)).await?;
    Ok(see_other(&format!("/console/users/{}", u.id)))
}

/// A token in the list (never the token itself).
pub struct TokenLine {
    pub id: String,
    pub label: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
}

#[derive(Template)]
#[template(path = "console/user.html")]
struct UserPage {
    c: Chrome,
    id: String,
    name: String,
    role: String,
    grants: Vec<String>,
    environments: Vec<String>,
    tokens: Vec<TokenLine>,
    next: Option<String>,
    /// A token just made, shown on this answer only (T1: shown once).
    new_token: Option<String>,
}

/// The user page, with a token just made when there is one.
async fn user_page(
    state: &web::Data<AppState>,
    s: &Session,
    id: UserId,
    cursor: Option<String>,
    new_token: Option<String>,
) -> Page {
    let p = views::page(&cursor, PAGE, Cursor::Id);
    let caller = s.caller().clone();
    let (user, grants, envs, list) = db(state, {
        let id = id.clone();
        move |c| {
            caller.require_admin()?;
            let user = users::active_user(c, &id)?;
            let grants = users::grants_of(c, &id)?;
            let envs = environments::list(c, &PageParams { limit: 100, cursor: None })?;
            let list = tokens::list_tokens(c, &caller, &id, p)?;
            Ok((user, grants, envs.data.into_iter().map(|e| e.row.name).collect::<Vec<_>>(), list))
        }
    })
    .await?;
    let status = if new_token.is_some() { StatusCode::CREATED } else { StatusCode::OK };
    Ok(html(
        status,
        &UserPage {
            c: Chrome::from(s),
            name: user.name,
            role: user.role.to_string(),
            grants,
            environments: envs,
            tokens: list
                .data
                .into_iter()
                .map(|t| TokenLine {
                    id: t.id,
                    label: t.label,
                    created_at: views::time(t.created_at),
                    last_used_at: t.last_used_at.map(views::time),
                    expires_at: t.expires_at.map(views::time),
                })
                .collect(),
            next: next_link(&format!("/console/users/{id}?"), &list.next_cursor),
            new_token,
            id: id.into_string(),
        },
    ))
}

/// Admin: a user, their grants and their tokens.
pub async fn user(state: web::Data<AppState>, s: Session, id: web::Path<String>, q: web::Query<CursorQuery>) -> Page {
    let id: UserId = crate::http::path_id(&id)?;
    user_page(&state, &s, id, q.into_inner().cursor, None).await
}

/// The grant form: an environment, granted or revoked.
#[derive(Deserialize)]
pub struct GrantForm {
    environment: String,
    grant: String,
}

/// Admin: grants or revokes publishing in an environment.
pub async fn set_grant(state: web::Data<AppState>, f: Form<GrantForm>, id: web::Path<String>) -> Page {
    let id: UserId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let GrantForm { environment, grant } = f.form;
    let grant = grant == "grant";
    db(&state, {
        let id = id.clone();
        move |c| users::set_grant(c, &caller, Ok(id), &environment, grant)
    })
    .await?;
    Ok(see_other(&format!("/console/users/{id}")))
}

/// The token form.
#[derive(Deserialize)]
pub struct TokenForm {
    label: Option<String>,
    expires_in_days: Option<String>,
}

/// Admin: makes a token for the user and shows it on this answer only.
pub async fn create_token(state: web::Data<AppState>, f: Form<TokenForm>, id: web::Path<String>) -> Page {
    let id: UserId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let TokenForm { label, expires_in_days } = f.form;
    let new = super::releases::number("expires_in_days", &expires_in_days)
        .map(|d| NewToken { label: label.filter(|l| !l.trim().is_empty()), expires_in_days: d });
    let issued = db(&state, {
        let id = id.clone();
        move |c| tokens::create_token(c, &caller, &id, new)
    })
    .await?;
    user_page(&state, &f.session, id, None, Some(issued.token)).await
}

/// The revoke form.
#[derive(Deserialize)]
pub struct RevokeForm {
    token_id: String,
}

/// T1: revokes a token; its console sessions end with it.
pub async fn revoke_token(state: web::Data<AppState>, f: Form<RevokeForm>, id: web::Path<String>) -> Page {
    let id: UserId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let token_id = f.form.token_id;
    change(&state, {
        let id = id.clone();
        move |c| tokens::revoke_token(c, &caller, &id, crate::service::parse_id("token_id", &token_id))
    })
    .await?;
    Ok(see_other(&format!("/console/users/{id}")))
}

/// What the deactivate button posts: only its CSRF token.
#[derive(Deserialize)]
pub struct DeactivateForm {}

/// T1: deactivates a user; their tokens and console sessions stop working.
pub async fn deactivate(state: web::Data<AppState>, f: Form<DeactivateForm>, id: web::Path<String>) -> Page {
    let id: UserId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    change(&state, move |c| users::deactivate_user(c, &caller, &id)).await?;
    Ok(see_other("/console/users"))
}
