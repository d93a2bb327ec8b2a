//! A user's tokens (T1): create, list, revoke.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::wire::{Data, List, Token, TokenInfo};
use super::{from_json, optional_json, Auth};
use crate::domain::ids::UserId;
use crate::error::AppResult;
use crate::http::{path_id, PageQuery};
use crate::runtime::AppState;
use crate::runtime::{change, db};
use crate::service::parse_id;
use crate::service::tokens::{self, NewToken};

/// `POST /v1/users/{id}/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// At most 200 characters; no control characters but tab and line breaks.
    #[schema(max_length = 200)]
    pub label: Option<String>,
    /// Days until the token stops working, 1 to 3650; it never expires when absent.
    #[serde(default, deserialize_with = "super::opt_int32")]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i32>,
}

/// Admin, or the user for themself: creates a token, shown once.
#[utoipa::path(post, path = "/v1/users/{id}/tokens", operation_id = "createToken", tag = "users", params(("id" = uuid::Uuid, Path, description = "user id")), request_body(content = Option<CreateToken>, description = "optional: no body is the same as `{}`"), responses((status = 201, body = Data<Token>)))]
pub async fn create_token(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let id: UserId = path_id(&id)?;
    let new = optional_json(&body)
        .and_then(from_json::<CreateToken>)
        .map(|b| NewToken { label: b.label, expires_in_days: b.expires_in_days });
    let token = db(&state, move |c| tokens::create_token(c, &caller, &id, new)).await?;
    Ok(HttpResponse::Created().json(Data { data: Token::from(token) }))
}

/// Admin, or the user for themself: the user's tokens, newest first; revoked ones are not listed.
#[utoipa::path(get, path = "/v1/users/{id}/tokens", operation_id = "listUserTokens", tag = "users", params(("id" = uuid::Uuid, Path, description = "user id"), PageQuery), responses((status = 200, body = List<TokenInfo>)))]
pub async fn list_tokens(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id: UserId = path_id(&id)?;
    let page = q.params();
    let list = db(&state, move |c| tokens::list_tokens(c, &caller, &id, page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, TokenInfo::from)))
}

/// Admin, or the user for themself: revokes a token. It is refused from the next request on
/// this process; other processes refuse it for writes at once, for reads within 30 s.
#[utoipa::path(delete, path = "/v1/users/{id}/tokens/{token_id}", operation_id = "revokeToken", tag = "users", params(("id" = uuid::Uuid, Path, description = "user id"), ("token_id" = uuid::Uuid, Path, description = "token id")), responses((status = 204)))]
pub async fn revoke_token(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, token_id) = path.into_inner();
    let id: UserId = path_id(&id)?;
    change(&state, move |c| tokens::revoke_token(c, &caller, &id, parse_id("token_id", &token_id))).await?;
    Ok(HttpResponse::NoContent().finish())
}
