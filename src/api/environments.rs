//! Environments, manual publishing, publish state, the publish log and environment rollback.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::DateTime;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::keyed::{idempotent, prefer_wait, wait_for};
use super::wire::{
    Data, Deployment, Environment, EnvironmentRollback as RollbackAnswer, List, PublishEvent, PublishState,
};
use super::{db, from_json, optional_json, page_params, Auth, PageQuery};
use crate::app::AppState;
use crate::domain::ConflictPolicy;
use crate::error::{AppError, AppResult};
use crate::service::{deployments, environments, publishing};

/// `POST /v1/environments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnvironment {
    pub name: String,
}

/// `POST /v1/environments/{env}/publish`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    pub item_id: String,
    pub locale: String,
    pub version: i32,
}

/// `POST /v1/environments/{env}/unpublish`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Unpublish {
    pub item_id: String,
    pub locale: String,
}

/// `POST /v1/environments/{env}/rollback` (E1).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackEnvironment {
    pub target_deployment_id: Option<String>,
    pub reason: Option<String>,
    /// C1: `skip` (the default) or `fail` when keys changed after the target.
    pub on_conflict: Option<ConflictPolicy>,
}

/// Filters of the publish state and the log.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StateQuery {
    pub item_id: Option<String>,
    /// RFC 3339: the states as they stood then (publish-state only).
    pub at: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Admin: creates an environment.
#[utoipa::path(post, path = "/v1/environments", tag = "environments", request_body = CreateEnvironment, responses((status = 201, body = Data<Environment>)))]
pub async fn create(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    body: web::Json<CreateEnvironment>,
) -> AppResult<HttpResponse> {
    caller.require_admin()?;
    let env = db(&state, move |c| environments::create(c, &body.name)).await?;
    Ok(HttpResponse::Created().json(Data { data: Environment::from(env) }))
}

/// Lists environments, newest first, each with its active deployment.
#[utoipa::path(get, path = "/v1/environments", tag = "environments", params(PageQuery), responses((status = 200, body = List<Environment>)))]
pub async fn list(state: web::Data<AppState>, _auth: Auth, q: web::Query<PageQuery>) -> AppResult<HttpResponse> {
    let page = q.params()?;
    let envs = db(&state, move |c| environments::list(c, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(envs, Environment::from)))
}

/// An environment with its active deployment.
#[utoipa::path(get, path = "/v1/environments/{env}", tag = "environments", responses((status = 200, body = Data<Environment>)))]
pub async fn get(state: web::Data<AppState>, _auth: Auth, env: web::Path<String>) -> AppResult<HttpResponse> {
    let env = db(&state, move |c| environments::get(c, &env)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Environment::from(env) }))
}

fn item_filter(item_id: &Option<String>) -> AppResult<Option<String>> {
    item_id.as_deref().map(|i| crate::service::parse_id("item_id", i)).transpose()
}

/// P1: publishes a version.
#[utoipa::path(post, path = "/v1/environments/{env}/publish", tag = "publishing", request_body = Publish, responses((status = 200, body = Data<PublishState>)))]
pub async fn publish(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    env: web::Path<String>,
    body: web::Json<Publish>,
) -> AppResult<HttpResponse> {
    caller.require_writer()?;
    let b = body.into_inner();
    let item_id = crate::service::parse_id("item_id", &b.item_id)?;
    let s = db(&state, move |c| publishing::publish(c, &caller, &env, &item_id, &b.locale, b.version)).await?;
    Ok(HttpResponse::Ok().json(Data { data: PublishState::from(s) }))
}

/// P2: unpublishes a key.
#[utoipa::path(post, path = "/v1/environments/{env}/unpublish", tag = "publishing", request_body = Unpublish, responses((status = 200, body = Data<PublishState>)))]
pub async fn unpublish(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    env: web::Path<String>,
    body: web::Json<Unpublish>,
) -> AppResult<HttpResponse> {
    caller.require_writer()?;
    let b = body.into_inner();
    let item_id = crate::service::parse_id("item_id", &b.item_id)?;
    let s = db(&state, move |c| publishing::unpublish(c, &caller, &env, &item_id, &b.locale)).await?;
    Ok(HttpResponse::Ok().json(Data { data: PublishState::from(s) }))
}

/// Publish states, most recently changed first; with `at`, as they stood then.
#[utoipa::path(get, path = "/v1/environments/{env}/publish-state", tag = "publishing", params(StateQuery), responses((status = 200, body = List<PublishState>)))]
pub async fn publish_state(
    state: web::Data<AppState>,
    _auth: Auth,
    env: web::Path<String>,
    q: web::Query<StateQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = page_params(q.limit, q.cursor)?;
    let item = item_filter(&q.item_id)?;
    let at =
        q.at.as_deref()
            .map(|s| {
                DateTime::parse_from_rfc3339(s)
                    .map(|t| t.naive_utc())
                    .map_err(|_| AppError::invalid_field("at", "must be an RFC 3339 time"))
            })
            .transpose()?;
    let states = db(&state, move |c| publishing::states(c, &env, item.as_deref(), at, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(states, PublishState::from)))
}

/// The publish log, newest first.
#[utoipa::path(get, path = "/v1/environments/{env}/events", tag = "publishing", params(StateQuery), responses((status = 200, body = List<PublishEvent>)))]
pub async fn events(
    state: web::Data<AppState>,
    _auth: Auth,
    env: web::Path<String>,
    q: web::Query<StateQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = page_params(q.limit, q.cursor)?;
    let item = item_filter(&q.item_id)?;
    let events = db(&state, move |c| publishing::events(c, &env, item.as_deref(), &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(events, PublishEvent::from)))
}

/// The environment's deployment history, newest first.
#[utoipa::path(get, path = "/v1/environments/{env}/deployments", tag = "deployments", params(PageQuery), responses((status = 200, body = List<Deployment>)))]
pub async fn deployments(
    state: web::Data<AppState>,
    _auth: Auth,
    env: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let page = q.params()?;
    let list = db(&state, move |c| deployments::list_for_environment(c, &env, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, Deployment::from)))
}

/// E1–E5: rolls the environment back to a target deployment, or to the last good state.
#[utoipa::path(post, path = "/v1/environments/{env}/rollback", tag = "deployments", request_body = RollbackEnvironment, responses((status = 202, body = Data<RollbackAnswer>)))]
pub async fn rollback(
    state: web::Data<AppState>,
    req: HttpRequest,
    Auth(caller): Auth,
    env: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let value = optional_json(&body)?;
    let b: RollbackEnvironment = from_json(value.clone())?;
    let target =
        b.target_deployment_id.as_deref().map(|t| crate::service::parse_id("target_deployment_id", t)).transpose()?;
    let wait = prefer_wait(&req);
    let env = env.into_inner();
    idempotent(&state, &req, &caller.clone(), &value, || async {
        let d = db(&state, move |c| {
            deployments::create_environment_rollback(c, &caller, &env, target.as_deref(), b.reason, b.on_conflict)
        })
        .await?;
        let d = wait_for(&state, vec![d], wait).await?.remove(0);
        let env_id = d.row.environment_id.clone();
        let active = db(&state, move |c| deployments::active(c, &env_id)).await?;
        Ok((
            StatusCode::ACCEPTED,
            Data {
                data: RollbackAnswer {
                    deployment: Deployment::from(d),
                    active_deployment: active.map(Deployment::from),
                },
            },
        ))
    })
    .await
}
