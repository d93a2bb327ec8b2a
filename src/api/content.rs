//! Items and versions.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::wire::{Data, Item, ItemDiff, List, Version};
use super::Auth;
use crate::domain::ids::ItemId;
use crate::domain::ItemKind;
use crate::error::AppResult;
use crate::http::{path_id, PageQuery, PositionPageQuery};
use crate::runtime::db;
use crate::runtime::AppState;
use crate::service::items::{self, NewContent};
use crate::service::parse_id;

/// `POST /v1/items`: the item and its version 1.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateItem {
    pub kind: ItemKind,
    /// Required for an entry, absent for an asset; a name as for releases (stored NFC-normalised
    /// and trimmed).
    #[schema(min_length = 1, max_length = 200)]
    pub content_type: Option<String>,
    /// Lowercase, like `en-us`.
    pub locale: String,
    /// A JSON object of at most 1 MiB (413 over it).
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    /// Ids of the items this version references; each must exist.
    #[serde(default)]
    #[schema(value_type = Vec<uuid::Uuid>)]
    pub references: Vec<String>,
}

/// `POST /v1/items/{id}/versions`: the next version in a locale.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVersion {
    /// Lowercase, like `en-us`.
    pub locale: String,
    /// A JSON object of at most 1 MiB (413 over it).
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    /// Ids of the items this version references; each must exist.
    #[serde(default)]
    #[schema(value_type = Vec<uuid::Uuid>)]
    pub references: Vec<String>,
}

/// Creates an item with version 1.
#[utoipa::path(post, path = "/v1/items", operation_id = "createItem", tag = "items", request_body = CreateItem, responses((status = 201, body = Data<Item>)))]
pub async fn create_item(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    body: web::Json<super::Object<CreateItem>>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner().0;
    let first = NewContent { locale: b.locale, content: b.content, references: b.references };
    let item = db(&state, move |c| items::create(c, &caller, b.kind, b.content_type, first)).await?;
    Ok(HttpResponse::Created().json(Data { data: Item::from(item) }))
}

/// `GET /v1/items` query: X4's paging, and U6's title search.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ItemsQuery {
    /// U6: only items whose title contains this text, case-insensitively (`%` and `_` are text).
    #[param(min_length = 3, max_length = 200, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub q: Option<String>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before.
    #[param(value_type = Option<uuid::Uuid>)]
    pub cursor: Option<String>,
}

/// Lists items, newest first; with `q`, those whose title contains it (U6).
#[utoipa::path(get, path = "/v1/items", operation_id = "listItems", tag = "items", params(ItemsQuery), responses((status = 200, body = List<Item>)))]
pub async fn list_items(state: web::Data<AppState>, _auth: Auth, q: web::Query<ItemsQuery>) -> AppResult<HttpResponse> {
    let ItemsQuery { q, limit, cursor } = q.into_inner();
    let page = PageQuery { limit, cursor }.params()?;
    let items = db(&state, move |c| items::list(c, q.as_deref(), &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(items, Item::from)))
}

/// An item with the latest version of each locale.
#[utoipa::path(get, path = "/v1/items/{id}", operation_id = "getItem", tag = "items", params(("id" = uuid::Uuid, Path, description = "item id")), responses((status = 200, body = Data<Item>)))]
pub async fn get_item(state: web::Data<AppState>, _auth: Auth, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id: ItemId = path_id(&id)?;
    let item = db(&state, move |c| items::get(c, &id)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Item::from(item) }))
}

/// Adds the next version of an item in a locale.
#[utoipa::path(post, path = "/v1/items/{id}/versions", operation_id = "createVersion", tag = "items", params(("id" = uuid::Uuid, Path, description = "item id")), request_body = CreateVersion, responses((status = 201, body = Data<Version>)))]
pub async fn create_version(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    body: web::Json<super::Object<CreateVersion>>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner().0;
    let content = NewContent { locale: b.locale, content: b.content, references: b.references };
    let v = db(&state, move |c| items::add_version(c, &caller, parse_id("id", &id), content)).await?;
    Ok(HttpResponse::Created().json(Data { data: Version::from(v) }))
}

/// An item's versions, newest first. A page holds at most `limit` versions and at most 4 MiB of
/// content (at least one version): a page that the byte budget ended is shorter than `limit` and
/// has a `next_cursor`, which goes on from the first version it left out.
#[utoipa::path(get, path = "/v1/items/{id}/versions", operation_id = "listVersions", tag = "items", params(("id" = uuid::Uuid, Path, description = "item id"), PositionPageQuery), responses((status = 200, body = List<Version>)))]
pub async fn list_versions(
    state: web::Data<AppState>,
    _auth: Auth,
    id: web::Path<String>,
    q: web::Query<PositionPageQuery>,
) -> AppResult<HttpResponse> {
    let id: ItemId = path_id(&id)?;
    let page = q.params()?;
    let versions = db(&state, move |c| items::versions(c, &id, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(versions, Version::from)))
}

/// `GET /v1/items/{id}/diff` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    /// Lowercase, like `en-us`.
    pub locale: String,
    /// The version to diff from; absent for the empty object (a first publish).
    #[param(minimum = 1, maximum = 2147483647)]
    pub from: Option<i32>,
    /// The version to diff to.
    #[param(minimum = 1, maximum = 2147483647)]
    pub to: i32,
}

/// D1: the RFC 6902 JSON Patch from one version's content to another's, with the references
/// added and removed.
#[utoipa::path(get, path = "/v1/items/{id}/diff", operation_id = "diffVersions", tag = "items", params(("id" = uuid::Uuid, Path, description = "item id"), DiffQuery), responses((status = 200, body = Data<ItemDiff>)))]
pub async fn diff(
    state: web::Data<AppState>,
    _auth: Auth,
    id: web::Path<String>,
    q: web::Query<DiffQuery>,
) -> AppResult<HttpResponse> {
    let id: ItemId = path_id(&id)?;
    let DiffQuery { locale, from, to } = q.into_inner();
    if from.is_some_and(|n| n < 1) || to < 1 {
        return Err(crate::error::AppError::invalid_field("to", "versions are numbered from 1"));
    }
    let d = db(&state, {
        let (id, locale) = (id.clone(), locale.clone());
        move |c| items::diff(c, &id, &locale, from, to)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Data { data: ItemDiff::new(id.into_string(), locale, from, to, d) }))
}
