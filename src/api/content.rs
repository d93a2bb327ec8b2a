//! Items and versions.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::wire::{Data, Item, List, Version};
use super::{db, path_id, Auth, PageQuery};
use crate::app::AppState;
use crate::domain::ItemKind;
use crate::error::AppResult;
use crate::service::items::{self, NewContent};

/// `POST /v1/items`: the item and its version 1.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateItem {
    pub kind: ItemKind,
    pub content_type: Option<String>,
    pub locale: String,
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    #[serde(default)]
    pub references: Vec<String>,
}

/// `POST /v1/items/{id}/versions`: the next version in a locale.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVersion {
    pub locale: String,
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    #[serde(default)]
    pub references: Vec<String>,
}

/// Creates an item with version 1.
#[utoipa::path(post, path = "/v1/items", tag = "items", request_body = CreateItem, responses((status = 201, body = Data<Item>)))]
pub async fn create_item(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    body: web::Json<CreateItem>,
) -> AppResult<HttpResponse> {
    caller.require_writer()?;
    let b = body.into_inner();
    let first = NewContent { locale: b.locale, content: b.content, references: b.references };
    let item = db(&state, move |c| items::create(c, b.kind, b.content_type, first)).await?;
    Ok(HttpResponse::Created().json(Data { data: Item::from(item) }))
}

/// Lists items, newest first.
#[utoipa::path(get, path = "/v1/items", tag = "items", params(PageQuery), responses((status = 200, body = List<Item>)))]
pub async fn list_items(state: web::Data<AppState>, _auth: Auth, q: web::Query<PageQuery>) -> AppResult<HttpResponse> {
    let page = q.params()?;
    let items = db(&state, move |c| items::list(c, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(items, Item::from)))
}

/// An item with the latest version of each locale.
#[utoipa::path(get, path = "/v1/items/{id}", tag = "items", responses((status = 200, body = Data<Item>)))]
pub async fn get_item(state: web::Data<AppState>, _auth: Auth, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let item = db(&state, move |c| items::get(c, &id)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Item::from(item) }))
}

/// Adds the next version of an item in a locale.
#[utoipa::path(post, path = "/v1/items/{id}/versions", tag = "items", request_body = CreateVersion, responses((status = 201, body = Data<Version>)))]
pub async fn create_version(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    body: web::Json<CreateVersion>,
) -> AppResult<HttpResponse> {
    caller.require_writer()?;
    let id = path_id(&id)?;
    let b = body.into_inner();
    let content = NewContent { locale: b.locale, content: b.content, references: b.references };
    let v = db(&state, move |c| items::add_version(c, &id, content)).await?;
    Ok(HttpResponse::Created().json(Data { data: Version::from(v) }))
}

/// An item's versions, newest first.
#[utoipa::path(get, path = "/v1/items/{id}/versions", tag = "items", params(PageQuery), responses((status = 200, body = List<Version>)))]
pub async fn list_versions(
    state: web::Data<AppState>,
    _auth: Auth,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let page = q.params()?;
    let versions = db(&state, move |c| items::versions(c, &id, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(versions, Version::from)))
}
