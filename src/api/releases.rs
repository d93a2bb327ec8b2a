//! Releases, their items, deploying them, previews and per-user rollback releases.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::idempotency::{idempotent, prefer_wait, wait_for};
use super::wire::{AddedItems, Data, Deployment, KeyRef, List, PlanItem, Release, ReleaseItem, SelectedKey};
use super::{from_json, plan_stream, Auth};
use crate::domain::ids::{ItemId, ReleaseId};
use crate::domain::{Action, ConflictPolicy, ReleaseKind};
use crate::error::AppResult;
use crate::http::{keys_in_query, page_params, path_id, Cursor, PageQuery, PositionPageQuery};
use crate::runtime::AppState;
use crate::runtime::{change, db};
use crate::service::deployments::RollbackOptions;
use crate::service::releases::{self, NewReleaseItem};
use crate::service::{deployments, rollback};

/// `POST /v1/releases`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRelease {
    /// 1 to 200 characters, a visible one among them; no control, bidirectional or invisible
    /// characters. Stored NFC-normalised and trimmed.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// At most 2,000 characters; no control characters but tab and line breaks.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

/// `PATCH /v1/releases/{id}`: a field left out is kept; a `null` description clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRelease {
    /// 1 to 200 characters, a visible one among them; no control, bidirectional or invisible
    /// characters. Stored NFC-normalised and trimmed.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// At most 2,000 characters; no control characters but tab and line breaks. `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// One item to add.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItem {
    #[schema(value_type = uuid::Uuid)]
    pub item_id: String,
    pub locale: String,
    pub action: Action,
    /// Required for `publish`.
    #[serde(default, deserialize_with = "super::opt_int32")]
    #[schema(minimum = 1)]
    pub version: Option<i32>,
}

/// `POST /v1/releases/{id}/items` (L2).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItems {
    pub items: Vec<AddItem>,
    #[serde(default)]
    pub include_references: bool,
}

/// `POST /v1/releases/{id}/deploy` (L4).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// One or more environment names.
    #[schema(min_items = 1)]
    pub environments: Vec<String>,
    #[serde(default, deserialize_with = "super::times::opt_time")]
    pub scheduled_at: Option<DateTime<FixedOffset>>,
    /// C1, rollback releases only: `skip` (the default) or `fail` when keys changed after the deployment.
    pub on_conflict: Option<ConflictPolicy>,
    /// H2, rollback releases only: hold the environment when the rollback succeeds (`true`), or
    /// not even where it is set to (`false`); as the environment is set when absent.
    pub hold: Option<bool>,
    /// B10, rollback releases only: roll back only these keys (1 to 10,000, each once; a key
    /// that is not an item of the rollback release is 422 `key_not_in_release`).
    #[schema(min_items = 1, max_items = 10000)]
    pub keys: Option<Vec<SelectedKey>>,
}

/// `GET /v1/releases` filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReleaseQuery {
    /// Only releases of this kind.
    #[param(inline)]
    pub kind: Option<ReleaseKind>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before.
    #[param(value_type = Option<uuid::Uuid>)]
    pub cursor: Option<String>,
}

/// `DELETE /v1/releases/{id}/items/{item_id}?locale=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LocaleQuery {
    /// The locale of the key.
    pub locale: String,
}

/// `GET /v1/releases/{id}/preview?environment=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PreviewQuery {
    /// The environment name.
    pub environment: String,
    /// C1, rollback releases only; the plan is the same under either policy.
    #[param(inline)]
    pub on_conflict: Option<ConflictPolicy>,
}

/// Creates a standard release.
#[utoipa::path(post, path = "/v1/releases", operation_id = "createRelease", tag = "releases", request_body = CreateRelease, responses((status = 201, body = Data<Release>)))]
pub async fn create(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    body: web::Json<super::Object<CreateRelease>>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner().0;
    let r = db(&state, move |c| releases::create(c, &caller, &b.name, b.description)).await?;
    Ok(HttpResponse::Created().json(Data { data: Release::from(r) }))
}

/// L1, B5: the releases the caller may see, newest first.
#[utoipa::path(get, path = "/v1/releases", operation_id = "listReleases", tag = "releases", params(ReleaseQuery), responses((status = 200, body = List<Release>)))]
pub async fn list(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    q: web::Query<ReleaseQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = page_params(q.limit, q.cursor, Cursor::Id)?;
    let list = db(&state, move |c| releases::list(c, &caller, q.kind, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, Release::from)))
}

/// A release.
#[utoipa::path(get, path = "/v1/releases/{id}", operation_id = "getRelease", tag = "releases", params(("id" = uuid::Uuid, Path, description = "release id")), responses((status = 200, body = Data<Release>)))]
pub async fn get(state: web::Data<AppState>, Auth(caller): Auth, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id: ReleaseId = path_id(&id)?;
    let r = db(&state, move |c| {
        let row = releases::visible(c, &caller, &id)?;
        releases::view(c, row)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Data { data: Release::from(r) }))
}

/// Renames a release or changes its description.
#[utoipa::path(patch, path = "/v1/releases/{id}", operation_id = "updateRelease", tag = "releases", params(("id" = uuid::Uuid, Path, description = "release id")), request_body = UpdateRelease, responses((status = 200, body = Data<Release>)))]
pub async fn update(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    body: web::Json<super::Object<UpdateRelease>>,
) -> AppResult<HttpResponse> {
    let id: ReleaseId = path_id(&id)?;
    let b = body.into_inner().0;
    let r = db(&state, move |c| releases::update(c, &caller, &id, b.name, b.description)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Release::from(r) }))
}

/// L8: deletes (hides) a release.
#[utoipa::path(delete, path = "/v1/releases/{id}", operation_id = "deleteRelease", tag = "releases", params(("id" = uuid::Uuid, Path, description = "release id")), responses((status = 204)))]
pub async fn delete(state: web::Data<AppState>, Auth(caller): Auth, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id: ReleaseId = path_id(&id)?;
    db(&state, move |c| releases::delete(c, &caller, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The release's items, in release order.
#[utoipa::path(get, path = "/v1/releases/{id}/items", operation_id = "listReleaseItems", tag = "releases", params(("id" = uuid::Uuid, Path, description = "release id"), PositionPageQuery), responses((status = 200, body = List<ReleaseItem>)))]
pub async fn list_items(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    q: web::Query<PositionPageQuery>,
) -> AppResult<HttpResponse> {
    let id: ReleaseId = path_id(&id)?;
    let page = q.params()?;
    let list = db(&state, move |c| releases::list_items(c, &caller, &id, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, ReleaseItem::from)))
}

/// L2: adds items, optionally with what they reference.
#[utoipa::path(post, path = "/v1/releases/{id}/items", operation_id = "addReleaseItems", tag = "releases", params(("id" = uuid::Uuid, Path, description = "release id")), request_body = AddItems, responses((status = 200, body = Data<AddedItems>)))]
pub async fn add_items(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    body: web::Json<super::Object<AddItems>>,
) -> AppResult<HttpResponse> {
    let id: ReleaseId = path_id(&id)?;
    let b = body.into_inner().0;
    let mut items = Vec::with_capacity(b.items.len());
    for (i, it) in b.items.into_iter().enumerate() {
        let item_id = crate::service::parse_id::<ItemId>(&format!("items[{i}].item_id"), &it.item_id)?;
        items.push(NewReleaseItem {
            item_id: item_id.into_string(),
            locale: it.locale,
            action: it.action,
            version: it.version,
        });
    }
    let max = state.settings.max_release_items;
    let added = db(&state, move |c| releases::add_items(c, &caller, &id, items, b.include_references, max)).await?;
    let not_added = added.not_added.into_iter().map(|k| KeyRef { item_id: k.item_id, locale: k.locale }).collect();
    Ok(HttpResponse::Ok().json(Data { data: AddedItems { release: Release::from(added.release), not_added } }))
}

/// Removes one key from a release.
#[utoipa::path(delete, path = "/v1/releases/{id}/items/{item_id}", operation_id = "removeReleaseItem", tag = "releases", params(("id" = uuid::Uuid, Path, description = "release id"), ("item_id" = uuid::Uuid, Path, description = "item id"), LocaleQuery), responses((status = 204)))]
pub async fn remove_item(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    path: web::Path<(String, String)>,
    q: web::Query<LocaleQuery>,
) -> AppResult<HttpResponse> {
    let (id, item_id) = path.into_inner();
    let (id, item_id): (ReleaseId, ItemId) = (path_id(&id)?, crate::service::parse_id("item_id", &item_id)?);
    let locale = q.into_inner().locale;
    db(&state, move |c| releases::remove_item(c, &caller, &id, &item_id, &locale)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// L4, B6: deploys the release to one or more environments, now or at `scheduled_at`.
#[utoipa::path(post, path = "/v1/releases/{id}/deploy", operation_id = "deployRelease", tag = "deployments", params(("id" = uuid::Uuid, Path, description = "release id"), ("Idempotency-Key" = Option<String>, Header, pattern = "^[\\x21-\\x7e]([\\x20-\\x7e]{0,253}[\\x21-\\x7e])?$", description = "X3: a repeat within 24 hours answers the first answer"), ("Prefer" = Option<String>, Header, description = "`wait=N`: answer when done or after N seconds (at most 60)")), request_body = Deploy, responses((status = 202, body = List<Deployment>)))]
pub async fn deploy(
    state: web::Data<AppState>,
    req: HttpRequest,
    Auth(caller): Auth,
    id: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> AppResult<HttpResponse> {
    let id: ReleaseId = path_id(&id)?;
    let value = body.into_inner();
    let b: Deploy = from_json(value.clone())?;
    let wait = prefer_wait(&req);
    let scheduled_at = b.scheduled_at.map(|t| t.naive_utc());
    let options = RollbackOptions { on_conflict: b.on_conflict, hold: b.hold, keys: SelectedKey::keys(b.keys)? };
    idempotent(&state, &req, &caller.clone(), &value, || async {
        let created = change(&state, move |c| {
            deployments::create_for_release(c, &caller, &id, &b.environments, scheduled_at, &options)
        })
        .await?;
        let views = wait_for(&state, created, wait).await?;
        Ok((StatusCode::ACCEPTED, Data { data: views.into_iter().map(Deployment::from).collect::<Vec<_>>() }))
    })
    .await
}

/// The release's deployments, newest first.
#[utoipa::path(get, path = "/v1/releases/{id}/deployments", operation_id = "listReleaseDeployments", tag = "deployments", params(("id" = uuid::Uuid, Path, description = "release id"), PageQuery), responses((status = 200, body = List<Deployment>)))]
pub async fn deployments(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id: ReleaseId = path_id(&id)?;
    let page = q.params()?;
    let list = db(&state, move |c| deployments::list_for_release(c, &caller, &id, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, Deployment::from)))
}

/// B9: what deploying the release to the environment now would do to each key, planned and
/// sent a page at a time (`plan_stream`).
#[utoipa::path(get, path = "/v1/releases/{id}/preview", operation_id = "previewRelease", tag = "deployments", params(("id" = uuid::Uuid, Path, description = "release id"), PreviewQuery, ("key" = Option<Vec<String>>, Query, explode, description = "B10, rollback releases only: `<item_id>:<locale>`, repeated, 1 to 10,000: only these keys are rolled back, the others are skipped `not_selected`")), responses((status = 200, body = Data<Vec<PlanItem>>)))]
pub async fn preview(
    state: web::Data<AppState>,
    req: HttpRequest,
    Auth(caller): Auth,
    id: web::Path<String>,
    q: web::Query<PreviewQuery>,
) -> AppResult<HttpResponse> {
    let id: ReleaseId = path_id(&id)?;
    let q = q.into_inner();
    let options =
        RollbackOptions { keys: keys_in_query(req.query_string())?, ..RollbackOptions::on_conflict(q.on_conflict) };
    let size = state.settings.deploy_page;
    let (mut pages, answer) = plan_stream::channel();
    let work = async move {
        db(&state, move |c| {
            deployments::preview_in_pages(c, &caller, &id, &q.environment, &options, size, &mut |p| pages.send(p))?;
            pages.finish()
        })
        .await
    };
    plan_stream::respond(work, answer).await
}

/// B1–B4: the caller's rollback release of this release (201 new, 200 existing). No body.
#[utoipa::path(post, path = "/v1/releases/{id}/rollback", operation_id = "createRollbackRelease", tag = "rollback", params(("id" = uuid::Uuid, Path, description = "release id"), ("Idempotency-Key" = Option<String>, Header, pattern = "^[\\x21-\\x7e]([\\x20-\\x7e]{0,253}[\\x21-\\x7e])?$", description = "X3: a repeat within 24 hours answers the first answer")), responses((status = 201, body = Data<Release>), (status = 200, body = Data<Release>)))]
pub async fn create_rollback(
    state: web::Data<AppState>,
    req: HttpRequest,
    Auth(caller): Auth,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: ReleaseId = path_id(&id)?;
    let value = serde_json::json!({});
    idempotent(&state, &req, &caller.clone(), &value, || async {
        let (r, created) = db(&state, move |c| rollback::create(c, &caller, &id)).await?;
        let status = if created { StatusCode::CREATED } else { StatusCode::OK };
        Ok((status, Data { data: Release::from(r) }))
    })
    .await
}

/// B5: the rollback releases of this release that the caller may see.
#[utoipa::path(get, path = "/v1/releases/{id}/rollbacks", operation_id = "listRollbackReleases", tag = "rollback", params(("id" = uuid::Uuid, Path, description = "release id"), PageQuery), responses((status = 200, body = List<Release>)))]
pub async fn list_rollbacks(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id: ReleaseId = path_id(&id)?;
    let page = q.params()?;
    let list = db(&state, move |c| rollback::list(c, &caller, &id, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, Release::from)))
}
