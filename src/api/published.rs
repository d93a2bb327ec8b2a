//! What the website reads (V1–V3): an environment's published content, now, as of a time or a
//! deployment, or as if a release were deployed, with ETags; and sync rounds.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use super::wire::{ContentEntry, Data, List, SyncAnswer};
use super::Auth;
use crate::domain::content_cursor::Filters;
use crate::domain::ids::{DeploymentId, ItemId, ReleaseId};
use crate::domain::validate;
use crate::error::{AppError, AppResult};
use crate::http::path_id;
use crate::runtime::{db, AppState};
use crate::service::content::{self, AsOf, ContentFilters};
use crate::service::{content_as_if, parse_id, parse_locale, sync};

/// V2: the one of `at`, `deployment`, `release` given (400 `invalid_request` for two or more,
/// or one that does not parse).
fn as_of(at: Option<&str>, deployment: Option<&str>, release: Option<&str>) -> AppResult<AsOf> {
    match (at, deployment, release) {
        (None, None, None) => Ok(AsOf::Now),
        (Some(at), None, None) => {
            let t = super::times::parse("at", at)?.naive_utc().min(validate::latest_storable_time());
            Ok(AsOf::At(t))
        }
        (None, Some(d), None) => Ok(AsOf::Deployment(parse_id::<DeploymentId>("deployment", d)?)),
        (None, None, Some(r)) => Ok(AsOf::Release(parse_id::<ReleaseId>("release", r)?)),
        _ => Err(AppError::invalid("at most one of at, deployment and release")),
    }
}

/// `GET /v1/environments/{env}/content`: V1's filters and paging, V2's point.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ContentQuery {
    /// Only this item's keys.
    #[param(value_type = Option<uuid::Uuid>)]
    pub item_id: Option<String>,
    /// Only this locale.
    pub locale: Option<String>,
    /// Only entries of this content type.
    pub content_type: Option<String>,
    /// V2, RFC 3339: the content as it was then (before the environment's first event: none; in
    /// the future: as now). At most one of `at`, `deployment`, `release`.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub at: Option<String>,
    /// V2: a deployment of this environment that has ended: the content right after it.
    #[param(value_type = Option<uuid::Uuid>)]
    pub deployment: Option<String>,
    /// V2: a release the caller may see: the content as if it were deployed here now (B9's plan).
    #[param(value_type = Option<uuid::Uuid>)]
    pub release: Option<String>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// `GET /v1/environments/{env}/content/{item_id}`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OneQuery {
    /// The locale; may be left out when the item is published in one locale only.
    pub locale: Option<String>,
    /// V2, RFC 3339: the content as it was then (before the environment's first event: none; in
    /// the future: as now). At most one of `at`, `deployment`, `release`.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub at: Option<String>,
    /// V2: a deployment of this environment that has ended: the content right after it.
    #[param(value_type = Option<uuid::Uuid>)]
    pub deployment: Option<String>,
    /// V2: a release the caller may see: the content as if it were deployed here now (B9's plan).
    #[param(value_type = Option<uuid::Uuid>)]
    pub release: Option<String>,
}

/// `GET /v1/environments/{env}/sync`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SyncQuery {
    /// Only entries of this content type (publishes and unpublishes of its items).
    pub content_type: Option<String>,
    /// Only this locale.
    pub locale: Option<String>,
    /// 1 to 500; 100 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// A `next_cursor` (the round's next page) or a `sync_cursor` (the next round); none starts a
    /// full round.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// X4's `limit`: 1 to 500, `default` when absent (400 otherwise).
fn limit(limit: Option<i64>, default: i64) -> AppResult<i64> {
    let limit = limit.unwrap_or(default);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid_field("limit", "must be from 1 to 500"));
    }
    Ok(limit)
}

fn filters(item_id: Option<&str>, locale: Option<&str>, content_type: Option<&str>) -> AppResult<ContentFilters> {
    let item_id = item_id.map(|i| parse_id::<ItemId>("item_id", i)).transpose()?;
    let locale = locale.map(|l| parse_locale("locale", l).map(str::to_string)).transpose()?;
    let content_type = content_type
        .map(|t| validate::display_name(t).map_err(|rule| AppError::invalid_field("content_type", rule)))
        .transpose()?;
    Ok(ContentFilters { item_id, locale, content_type })
}

/// An ETag of the answer a read of `env_key` as of `point` gives to `request` (what it asked,
/// canonically): the content as of a point never changes, so the tag changes exactly when the
/// point or the question does.
fn tag(env_key: i64, point: i64, request: &str) -> String {
    let hash = Sha256::digest(format!("{env_key}|{point}|{request}").as_bytes());
    format!("\"{}\"", hex::encode(&hash[..12]))
}

/// The ETag of a body (a release's plan, which has no point).
fn body_tag(body: &[u8]) -> String {
    format!("\"b{}\"", hex::encode(&Sha256::digest(body)[..12]))
}

/// The tags of the request's `If-None-Match`, weak ones as their strong form (RFC 9110
/// §13.1.2): what a read compares its tag with before it reads the content.
fn if_none_match(req: &HttpRequest) -> Vec<String> {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| {
            let t = t.trim();
            t.strip_prefix("W/").unwrap_or(t).to_string()
        })
        .collect()
}

/// Whether `If-None-Match` (as [`if_none_match`] reads it) holds `tag`, or `*`.
fn matches(held: &[String], tag: &str) -> bool {
    held.iter().any(|t| t == "*" || t == tag)
}

/// 200 with the JSON and its tag, or 304 with the tag alone.
fn tagged(req: &HttpRequest, tag: String, body: Vec<u8>) -> HttpResponse {
    let value = HeaderValue::from_str(&tag).expect("a tag is visible ASCII");
    if matches(&if_none_match(req), &tag) {
        return HttpResponse::NotModified().insert_header((header::ETAG, value)).finish();
    }
    HttpResponse::Ok().insert_header((header::ETAG, value)).content_type("application/json").body(body)
}

fn json<T: serde::Serialize>(value: &T) -> AppResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(AppError::internal)
}

/// V1, V2: the published content of the environment in item then locale order, paged (X4). Any
/// authenticated caller (a viewer's token is a delivery token). `ETag` on every answer;
/// `If-None-Match` with it answers 304 without a body.
#[utoipa::path(get, path = "/v1/environments/{env}/content", operation_id = "listContent", tag = "content delivery", params(("env" = String, Path, description = "environment name"), ContentQuery, ("If-None-Match" = Option<String>, Header, description = "an ETag of this read: 304 when it still holds")), responses((status = 200, body = List<ContentEntry>, headers(("ETag" = String))), (status = 304, description = "Not Modified: the content is as the tag says", headers(("ETag" = String)))))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    Auth(caller): Auth,
    env: web::Path<String>,
    q: web::Query<ContentQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let as_of = as_of(q.at.as_deref(), q.deployment.as_deref(), q.release.as_deref())?;
    let limit = limit(q.limit, 50)?;
    let f = filters(q.item_id.as_deref(), q.locale.as_deref(), q.content_type.as_deref())?;
    let request =
        format!("list|{:?}|{:?}|{:?}|{limit}|{:?}|{:?}", f.item_id, f.locale, f.content_type, q.cursor, as_of);
    let env = env.into_inner();
    if let AsOf::Release(release) = as_of {
        let cursor = q.cursor;
        let page =
            db(&state, move |c| content_as_if::page(c, &caller, &env, &release, &f, cursor.as_deref(), limit)).await?;
        let body = json(&List::of(page, ContentEntry::from))?;
        return Ok(tagged(&req, body_tag(&body), body));
    }
    let held = if_none_match(&req);
    let (tag, page) = db(&state, move |c| {
        let resolved = content::resolve(c, &env, &as_of, q.cursor.as_deref())?;
        let tag = tag(resolved.environment.key, resolved.point.unwrap_or(0), &request);
        if matches(&held, &tag) {
            return Ok((tag, None));
        }
        Ok((tag, Some(content::page(c, &resolved, &f, limit)?)))
    })
    .await?;
    let body = page.map(|page| json(&List::of(page, ContentEntry::from))).transpose()?;
    Ok(tagged(&req, tag, body.unwrap_or_default()))
}

/// V1, V2: one item's content in a locale; 404 `not_published` when it is not published.
#[utoipa::path(get, path = "/v1/environments/{env}/content/{item_id}", operation_id = "getContent", tag = "content delivery", params(("env" = String, Path, description = "environment name"), ("item_id" = uuid::Uuid, Path, description = "item id"), OneQuery, ("If-None-Match" = Option<String>, Header, description = "an ETag of this read: 304 when it still holds")), responses((status = 200, body = Data<ContentEntry>, headers(("ETag" = String))), (status = 304, description = "Not Modified: the content is as the tag says", headers(("ETag" = String)))))]
pub async fn one(
    state: web::Data<AppState>,
    req: HttpRequest,
    Auth(caller): Auth,
    path: web::Path<(String, String)>,
    q: web::Query<OneQuery>,
) -> AppResult<HttpResponse> {
    let (env, item_id) = path.into_inner();
    let item_id: ItemId = path_id(&item_id)?;
    let q = q.into_inner();
    let as_of = as_of(q.at.as_deref(), q.deployment.as_deref(), q.release.as_deref())?;
    let locale = q.locale.as_deref().map(|l| parse_locale("locale", l).map(str::to_string)).transpose()?;
    let request = format!("one|{item_id}|{locale:?}|{as_of:?}");
    if let AsOf::Release(release) = as_of {
        let row =
            db(&state, move |c| content_as_if::one(c, &caller, &env, &release, &item_id, locale.as_deref())).await?;
        let body = json(&Data { data: ContentEntry::from(row) })?;
        return Ok(tagged(&req, body_tag(&body), body));
    }
    let held = if_none_match(&req);
    let (tag, row) = db(&state, move |c| {
        let resolved = content::resolve(c, &env, &as_of, None)?;
        let tag = tag(resolved.environment.key, resolved.point.unwrap_or(0), &request);
        if matches(&held, &tag) {
            return Ok((tag, None));
        }
        Ok((tag, Some(content::one(c, &resolved, &item_id, locale.as_deref())?)))
    })
    .await?;
    let body = row.map(|row| json(&Data { data: ContentEntry::from(row) })).transpose()?;
    Ok(tagged(&req, tag, body.unwrap_or_default()))
}

/// V3: a page of a sync round: without a cursor, the first page of a full round; with a round's
/// `next_cursor`, its next page; with a `sync_cursor`, the first page of the delta round after it.
#[utoipa::path(get, path = "/v1/environments/{env}/sync", operation_id = "syncContent", tag = "content delivery", params(("env" = String, Path, description = "environment name"), SyncQuery), responses((status = 200, body = SyncAnswer)))]
pub async fn sync(
    state: web::Data<AppState>,
    _auth: Auth,
    env: web::Path<String>,
    q: web::Query<SyncQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = limit(q.limit, 100)?;
    let f = filters(None, q.locale.as_deref(), q.content_type.as_deref())?;
    let filters = Filters { content_type: f.content_type, locale: f.locale };
    let page = db(&state, move |c| sync::sync(c, &env, filters, q.cursor.as_deref(), limit)).await?;
    Ok(HttpResponse::Ok().json(SyncAnswer::from(page)))
}
