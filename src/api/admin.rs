//! `/v1/me`, users and grants.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::wire::{Data, List, Me, User};
use super::Auth;
use crate::domain::ids::UserId;
use crate::domain::Role;
use crate::error::AppResult;
use crate::http::{path_id, PageQuery};
use crate::runtime::AppState;
use crate::runtime::{change, db};
use crate::service::{parse_id, users};

/// `POST /v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Unique after NFC normalisation and trimming; 1 to 200 characters, a visible one among them;
    /// no control, bidirectional or invisible characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub role: Role,
}

/// The caller, with role and grants.
#[utoipa::path(get, path = "/v1/me", operation_id = "getMe", tag = "users", responses((status = 200, body = Data<Me>)))]
pub async fn me(state: web::Data<AppState>, Auth(caller): Auth) -> AppResult<HttpResponse> {
    let id = caller.id.clone();
    let grants = db(&state, move |c| users::grants_of(c, &id)).await?;
    Ok(HttpResponse::Ok().json(Data {
        data: Me { id: caller.id.into_string(), name: caller.name, role: caller.role.as_str().into(), grants },
    }))
}

/// Admin: creates a user.
#[utoipa::path(post, path = "/v1/users", operation_id = "createUser", tag = "users", request_body = CreateUser, responses((status = 201, body = Data<User>)))]
pub async fn create_user(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    body: web::Json<super::Object<CreateUser>>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner().0;
    let user = db(&state, move |c| users::create_user(c, &caller, &body.name, body.role)).await?;
    Ok(HttpResponse::Created().json(Data { data: User::from(user) }))
}

/// Admin: lists users, newest first.
#[utoipa::path(get, path = "/v1/users", operation_id = "listUsers", tag = "users", params(PageQuery), responses((status = 200, body = List<User>)))]
pub async fn list_users(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let page = q.params();
    let users = db(&state, move |c| users::list_users(c, &caller, page)).await?;
    Ok(HttpResponse::Ok().json(List::of(users, User::from)))
}

/// Admin: deactivates a user (T1). Their tokens stop working (on other processes, reads within
/// the authentication cache's 30 s); their history stays and their name stays taken.
#[utoipa::path(delete, path = "/v1/users/{id}", operation_id = "deactivateUser", tag = "users", params(("id" = uuid::Uuid, Path, description = "user id")), responses((status = 204)))]
pub async fn deactivate_user(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: UserId = path_id(&id)?;
    change(&state, move |c| users::deactivate_user(c, &caller, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Admin: grants publishing in an environment.
#[utoipa::path(put, path = "/v1/users/{id}/grants/{env}", operation_id = "putGrant", tag = "users", params(("id" = uuid::Uuid, Path, description = "user id"), ("env" = String, Path, description = "environment name")), responses((status = 204)))]
pub async fn put_grant(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    set_grant(state, caller, path.into_inner(), true).await
}

/// Admin: revokes publishing in an environment.
#[utoipa::path(delete, path = "/v1/users/{id}/grants/{env}", operation_id = "deleteGrant", tag = "users", params(("id" = uuid::Uuid, Path, description = "user id"), ("env" = String, Path, description = "environment name")), responses((status = 204)))]
pub async fn delete_grant(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    set_grant(state, caller, path.into_inner(), false).await
}

async fn set_grant(
    state: web::Data<AppState>,
    caller: crate::service::Caller,
    (id, env): (String, String),
    grant: bool,
) -> AppResult<HttpResponse> {
    db(&state, move |c| users::set_grant(c, &caller, parse_id("id", &id), &env, grant)).await?;
    Ok(HttpResponse::NoContent().finish())
}
