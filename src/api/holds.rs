//! Holds, freeze windows and the hold-after-rollback setting of an environment (H1–H4).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use utoipa::ToSchema;

use super::wire::{Data, Environment, Freeze, Hold, LiftedHold, List};
use super::Auth;
use crate::domain::ids::FreezeId;
use crate::error::{AppError, AppResult};
use crate::http::{path_id, PageQuery};
use crate::runtime::{change, db, AppState};
use crate::service::holds;

/// `POST /v1/environments/{env}/hold` (H1).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceHold {
    /// Why the environment is held: 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// `PATCH /v1/environments/{env}` (H2).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEnvironment {
    /// Whether a rollback that succeeds in the environment holds it.
    pub hold_after_rollback: bool,
}

/// `POST /v1/environments/{env}/freezes` (H4).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFreeze {
    /// RFC 3339; may be past (the window is open at once).
    #[serde(deserialize_with = "super::times::opt_time")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub starts_at: Option<DateTime<FixedOffset>>,
    /// RFC 3339; after `starts_at`, in the future, at most 366 days after `starts_at`.
    #[serde(deserialize_with = "super::times::opt_time")]
    #[schema(value_type = chrono::DateTime<chrono::Utc>)]
    pub ends_at: Option<DateTime<FixedOffset>>,
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// H1: holds the environment: standard releases do not deploy to it until the hold is lifted.
#[utoipa::path(post, path = "/v1/environments/{env}/hold", operation_id = "placeHold", tag = "holds", params(("env" = String, Path, description = "environment name")), request_body = PlaceHold, responses((status = 201, body = Data<Hold>)))]
pub async fn place(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    env: web::Path<String>,
    body: web::Json<super::Object<PlaceHold>>,
) -> AppResult<HttpResponse> {
    let reason = body.into_inner().0.reason;
    let hold = db(&state, move |c| holds::place(c, &caller, &env, &reason)).await?;
    Ok(HttpResponse::Created().json(Data { data: hold }))
}

/// H1: lifts the environment's hold; answers it and the deployments that now run.
#[utoipa::path(delete, path = "/v1/environments/{env}/hold", operation_id = "liftHold", tag = "holds", params(("env" = String, Path, description = "environment name")), responses((status = 200, body = Data<LiftedHold>)))]
pub async fn lift(state: web::Data<AppState>, Auth(caller): Auth, env: web::Path<String>) -> AppResult<HttpResponse> {
    let lifted = change(&state, move |c| holds::lift(c, &caller, &env)).await?;
    Ok(HttpResponse::Ok().json(Data { data: LiftedHold::from(lifted) }))
}

/// H1: the environment's holds, present and past, newest first.
#[utoipa::path(get, path = "/v1/environments/{env}/holds", operation_id = "listHolds", tag = "holds", params(("env" = String, Path, description = "environment name"), PageQuery), responses((status = 200, body = List<Hold>)))]
pub async fn history(
    state: web::Data<AppState>,
    _auth: Auth,
    env: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let page = q.params()?;
    let list = db(&state, move |c| holds::history(c, &env, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, |h| h)))
}

/// Admin, H2: sets whether a rollback that succeeds in the environment holds it.
#[utoipa::path(patch, path = "/v1/environments/{env}", operation_id = "updateEnvironment", tag = "holds", params(("env" = String, Path, description = "environment name")), request_body = UpdateEnvironment, responses((status = 200, body = Data<Environment>)))]
pub async fn update(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    env: web::Path<String>,
    body: web::Json<super::Object<UpdateEnvironment>>,
) -> AppResult<HttpResponse> {
    let on = body.into_inner().0.hold_after_rollback;
    let env = db(&state, move |c| holds::set_hold_after_rollback(c, &caller, &env, on)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Environment::from(env) }))
}

/// Admin, H4: sets a freeze window: the environment is held while it is open.
#[utoipa::path(post, path = "/v1/environments/{env}/freezes", operation_id = "createFreeze", tag = "holds", params(("env" = String, Path, description = "environment name")), request_body = CreateFreeze, responses((status = 201, body = Data<Freeze>)))]
pub async fn create_freeze(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    env: web::Path<String>,
    body: web::Json<super::Object<CreateFreeze>>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner().0;
    let required = |field: &str| AppError::invalid_field(field, "required");
    let starts_at = b.starts_at.ok_or_else(|| required("starts_at"))?.naive_utc();
    let ends_at = b.ends_at.ok_or_else(|| required("ends_at"))?.naive_utc();
    let freeze = db(&state, move |c| holds::create_freeze(c, &caller, &env, (starts_at, ends_at), &b.reason)).await?;
    Ok(HttpResponse::Created().json(Data { data: Freeze::from(freeze) }))
}

/// H4: the environment's freeze windows that have not ended, soonest first.
#[utoipa::path(get, path = "/v1/environments/{env}/freezes", operation_id = "listFreezes", tag = "holds", params(("env" = String, Path, description = "environment name")), responses((status = 200, body = Data<Vec<Freeze>>)))]
pub async fn freezes(state: web::Data<AppState>, _auth: Auth, env: web::Path<String>) -> AppResult<HttpResponse> {
    let list = db(&state, move |c| holds::freezes(c, &env)).await?;
    Ok(HttpResponse::Ok().json(Data { data: list.into_iter().map(Freeze::from).collect::<Vec<_>>() }))
}

/// Admin, H4: removes a freeze window, also an open one.
#[utoipa::path(delete, path = "/v1/environments/{env}/freezes/{id}", operation_id = "deleteFreeze", tag = "holds", params(("env" = String, Path, description = "environment name"), ("id" = uuid::Uuid, Path, description = "freeze window id")), responses((status = 204)))]
pub async fn delete_freeze(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (env, id) = path.into_inner();
    let id: FreezeId = path_id(&id)?;
    db(&state, move |c| holds::delete_freeze(c, &caller, &env, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
