//! Environments, manual publishing, publish state, the publish log and environment rollback.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::idempotency::{idempotent, prefer_wait, wait_for};
use super::wire::{
    Data, Deployment, Environment, EnvironmentRollback as RollbackAnswer, EnvironmentRollbackPlan as RollbackPlan,
    List, PlanItem, PublishEvent, PublishState, SelectedKey,
};
use super::{from_json, optional_json, Auth};
use crate::domain::ids::{DeploymentId, ItemId};
use crate::domain::{validate, ConflictPolicy};
use crate::error::AppResult;
use crate::http::{keys_in_query, page_params, Cursor, PageQuery};
use crate::runtime::AppState;
use crate::runtime::{change, db};
use crate::service::deployments::RollbackOptions;
use crate::service::parse_id;
use crate::service::{deployments, environments, publishing};

/// `POST /v1/environments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEnvironment {
    /// Unique.
    pub name: String,
}

/// `POST /v1/environments/{env}/publish`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    #[schema(value_type = uuid::Uuid)]
    pub item_id: String,
    pub locale: String,
    #[serde(deserialize_with = "super::int32")]
    #[schema(minimum = 1)]
    pub version: i32,
}

/// `POST /v1/environments/{env}/unpublish`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Unpublish {
    #[schema(value_type = uuid::Uuid)]
    pub item_id: String,
    pub locale: String,
}

/// `POST /v1/environments/{env}/rollback` (E1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackEnvironment {
    /// A succeeded deployment of this environment; the one before the active one when absent.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub target_deployment_id: Option<String>,
    /// At most 2,000 characters; no control characters but tab and line breaks.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    /// C1: `skip` (the default) or `fail` when keys changed after the target.
    pub on_conflict: Option<ConflictPolicy>,
    /// H2: hold the environment when the rollback succeeds (`true`), or not even where it is set
    /// to (`false`); as the environment is set when absent.
    pub hold: Option<bool>,
    /// B10: roll back only these keys among those E4 would change (1 to 10,000, each once).
    #[schema(min_items = 1, max_items = 10000)]
    pub keys: Option<Vec<SelectedKey>>,
}

/// `GET /v1/environments/{env}/rollback/preview?target_deployment_id=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RollbackPreviewQuery {
    /// As in E1: a succeeded deployment of this environment; the one before the active one when absent.
    #[param(value_type = Option<uuid::Uuid>)]
    pub target_deployment_id: Option<String>,
}

/// Filters of the publish state and the log.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StateQuery {
    /// Only this item's keys.
    #[param(value_type = Option<uuid::Uuid>)]
    pub item_id: Option<String>,
    /// RFC 3339: the states as they stood then (publish-state only).
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub at: Option<String>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
}

/// Filters of the publish log.
#[derive(Debug, Deserialize, IntoParams)]
pub struct EventsQuery {
    /// Only this item's events.
    #[param(value_type = Option<uuid::Uuid>)]
    pub item_id: Option<String>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
}

/// Admin: creates an environment.
#[utoipa::path(post, path = "/v1/environments", operation_id = "createEnvironment", tag = "environments", request_body = CreateEnvironment, responses((status = 201, body = Data<Environment>)))]
pub async fn create(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    body: web::Json<super::Object<CreateEnvironment>>,
) -> AppResult<HttpResponse> {
    let name = body.into_inner().0.name;
    let env = db(&state, move |c| environments::create(c, &caller, &name)).await?;
    Ok(HttpResponse::Created().json(Data { data: Environment::from(env) }))
}

/// Lists environments, newest first, each with its active deployment.
#[utoipa::path(get, path = "/v1/environments", operation_id = "listEnvironments", tag = "environments", params(PageQuery), responses((status = 200, body = List<Environment>)))]
pub async fn list(state: web::Data<AppState>, _auth: Auth, q: web::Query<PageQuery>) -> AppResult<HttpResponse> {
    let page = q.params()?;
    let envs = db(&state, move |c| environments::list(c, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(envs, Environment::from)))
}

/// An environment with its active deployment.
#[utoipa::path(get, path = "/v1/environments/{env}", operation_id = "getEnvironment", tag = "environments", params(("env" = String, Path, description = "environment name")), responses((status = 200, body = Data<Environment>)))]
pub async fn get(state: web::Data<AppState>, _auth: Auth, env: web::Path<String>) -> AppResult<HttpResponse> {
    let env = db(&state, move |c| environments::get(c, &env)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Environment::from(env) }))
}

fn item_filter(item_id: &Option<String>) -> AppResult<Option<String>> {
    item_id.as_deref().map(|i| crate::service::parse_id::<ItemId>("item_id", i).map(ItemId::into_string)).transpose()
}

/// P1: publishes a version.
#[utoipa::path(post, path = "/v1/environments/{env}/publish", operation_id = "publish", tag = "publishing", params(("env" = String, Path, description = "environment name")), request_body = Publish, responses((status = 200, body = Data<PublishState>)))]
pub async fn publish(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    env: web::Path<String>,
    body: web::Json<super::Object<Publish>>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner().0;
    let s = db(&state, move |c| {
        publishing::publish(c, &caller, &env, parse_id("item_id", &b.item_id), &b.locale, b.version)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Data { data: PublishState::from(s) }))
}

/// P2: unpublishes a key.
#[utoipa::path(post, path = "/v1/environments/{env}/unpublish", operation_id = "unpublish", tag = "publishing", params(("env" = String, Path, description = "environment name")), request_body = Unpublish, responses((status = 200, body = Data<PublishState>)))]
pub async fn unpublish(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    env: web::Path<String>,
    body: web::Json<super::Object<Unpublish>>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner().0;
    let s = db(&state, move |c| publishing::unpublish(c, &caller, &env, parse_id("item_id", &b.item_id), &b.locale))
        .await?;
    Ok(HttpResponse::Ok().json(Data { data: PublishState::from(s) }))
}

/// Publish states, most recently changed first; with `at`, as they stood then.
#[utoipa::path(get, path = "/v1/environments/{env}/publish-state", operation_id = "getPublishState", tag = "publishing", params(("env" = String, Path, description = "environment name"), StateQuery), responses((status = 200, body = List<PublishState>)))]
pub async fn publish_state(
    state: web::Data<AppState>,
    _auth: Auth,
    env: web::Path<String>,
    q: web::Query<StateQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = page_params(q.limit, q.cursor, Cursor::EventId)?;
    let item = item_filter(&q.item_id)?;
    let at =
        q.at.as_deref()
            .map(|s| super::times::parse("at", s).map(|t| t.naive_utc().min(validate::latest_storable_time())))
            .transpose()?;
    let states = db(&state, move |c| publishing::states(c, &env, item.as_deref(), at, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(states, PublishState::from)))
}

/// The publish log, newest first.
#[utoipa::path(get, path = "/v1/environments/{env}/events", operation_id = "listEvents", tag = "publishing", params(("env" = String, Path, description = "environment name"), EventsQuery), responses((status = 200, body = List<PublishEvent>)))]
pub async fn events(
    state: web::Data<AppState>,
    _auth: Auth,
    env: web::Path<String>,
    q: web::Query<EventsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = page_params(q.limit, q.cursor, Cursor::EventId)?;
    let item = item_filter(&q.item_id)?;
    let events = db(&state, move |c| publishing::events(c, &env, item.as_deref(), &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(events, PublishEvent::from)))
}

/// The environment's deployment history, newest first.
#[utoipa::path(get, path = "/v1/environments/{env}/deployments", operation_id = "listEnvironmentDeployments", tag = "deployments", params(("env" = String, Path, description = "environment name"), PageQuery), responses((status = 200, body = List<Deployment>)))]
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

/// E3, E4 as B9 does for a release: what rolling the environment back now would do to each key,
/// and to which deployment, without writing anything. It refuses exactly what the rollback would.
#[utoipa::path(get, path = "/v1/environments/{env}/rollback/preview", operation_id = "previewEnvironmentRollback", tag = "deployments", params(("env" = String, Path, description = "environment name"), RollbackPreviewQuery, ("key" = Option<Vec<String>>, Query, explode, description = "B10: `<item_id>:<locale>`, repeated, 1 to 10,000: the plan holds only these keys among those E4 would change")), responses((status = 200, body = Data<RollbackPlan>)))]
pub async fn rollback_preview(
    state: web::Data<AppState>,
    req: HttpRequest,
    Auth(caller): Auth,
    env: web::Path<String>,
    q: web::Query<RollbackPreviewQuery>,
) -> AppResult<HttpResponse> {
    let target = q
        .into_inner()
        .target_deployment_id
        .map(|t| crate::service::parse_id::<DeploymentId>("target_deployment_id", &t))
        .transpose()?;
    let env = env.into_inner();
    let keys = keys_in_query(req.query_string())?;
    let (target, items) = db(&state, move |c| {
        deployments::preview_environment_rollback(c, &caller, &env, target.as_deref(), keys.as_deref())
    })
    .await?;
    let plan = RollbackPlan {
        target_deployment: Deployment::from(target),
        items: items.into_iter().map(PlanItem::from).collect(),
    };
    Ok(HttpResponse::Ok().json(Data { data: plan }))
}

/// E1–E5: rolls the environment back to a target deployment, or to the last good state.
#[utoipa::path(post, path = "/v1/environments/{env}/rollback", operation_id = "rollbackEnvironment", tag = "deployments", params(("env" = String, Path, description = "environment name"), ("Idempotency-Key" = Option<String>, Header, pattern = "^[\\x21-\\x7e]([\\x20-\\x7e]{0,253}[\\x21-\\x7e])?$", description = "X3: a repeat within 24 hours answers the first answer"), ("Prefer" = Option<String>, Header, description = "`wait=N`: answer when done or after N seconds (at most 60)")), request_body(content = Option<RollbackEnvironment>, description = "optional: no body is the same as `{}`"), responses((status = 202, body = Data<RollbackAnswer>)))]
pub async fn rollback(
    state: web::Data<AppState>,
    req: HttpRequest,
    Auth(caller): Auth,
    env: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let value = optional_json(&body)?;
    let b: RollbackEnvironment = from_json(value.clone())?;
    let target = b
        .target_deployment_id
        .as_deref()
        .map(|t| crate::service::parse_id::<DeploymentId>("target_deployment_id", t))
        .transpose()?;
    let wait = prefer_wait(&req);
    let env = env.into_inner();
    let options = RollbackOptions { on_conflict: b.on_conflict, hold: b.hold, keys: SelectedKey::keys(b.keys)? };
    idempotent(&state, &req, &caller.clone(), &value, || async {
        let d = change(&state, move |c| {
            deployments::create_environment_rollback(c, &caller, &env, target.as_deref(), b.reason, &options)
        })
        .await?;
        let d = wait_for(&state, vec![d], wait).await?.remove(0);
        let env = d.environment.clone();
        let active = db(&state, move |c| environments::get(c, &env)).await?.active_deployment;
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
