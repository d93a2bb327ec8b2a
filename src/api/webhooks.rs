//! `/v1/webhooks`: endpoints (W1) and their deliveries (W4), for admins only.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::wire::{CreatedWebhook, Data, Delivery, List, Webhook};
use super::Auth;
use crate::domain::webhooks::WebhookEvent;
use crate::error::AppResult;
use crate::http::{page_params, Cursor, PageQuery};
use crate::runtime::db;
use crate::runtime::AppState;
use crate::service::parse_id;
use crate::service::webhooks::{self as svc, NewEndpoint};

/// `POST /v1/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An `http` or `https` URL, without a user name or password (422 `webhook_url_not_allowed`).
    #[schema(format = "uri", max_length = 2048)]
    pub url: String,
    /// One or more of the four deployment events.
    #[schema(min_items = 1)]
    pub events: Vec<WebhookEvent>,
    /// Environment names; absent means every environment.
    pub environments: Option<Vec<String>>,
    /// At most 2,000 characters; no control characters but tab and line breaks.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

/// `GET /v1/webhooks/{id}/deliveries`: X4 paging by the order the messages were written in.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DeliveriesQuery {
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
}

/// W1, admin: registers an endpoint; the answer holds its secret, shown only here.
#[utoipa::path(post, path = "/v1/webhooks", operation_id = "createWebhook", tag = "webhooks", request_body = CreateWebhook, responses((status = 201, body = Data<CreatedWebhook>)))]
pub async fn create(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    body: web::Json<CreateWebhook>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let new = NewEndpoint { url: b.url, events: b.events, environments: b.environments, description: b.description };
    let allow_private = state.settings.webhooks.allow_private;
    let (view, secret) = db(&state, move |c| svc::create(c, &caller, new, allow_private)).await?;
    Ok(HttpResponse::Created().json(Data { data: CreatedWebhook { webhook: Webhook::from(view), secret } }))
}

/// W1, admin: endpoints, newest first.
#[utoipa::path(get, path = "/v1/webhooks", operation_id = "listWebhooks", tag = "webhooks", params(PageQuery), responses((status = 200, body = List<Webhook>)))]
pub async fn list(state: web::Data<AppState>, Auth(caller): Auth, q: web::Query<PageQuery>) -> AppResult<HttpResponse> {
    let page = q.params();
    let list = db(&state, move |c| svc::list(c, &caller, page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, Webhook::from)))
}

/// W1, admin: one endpoint, without its secret.
#[utoipa::path(get, path = "/v1/webhooks/{id}", operation_id = "getWebhook", tag = "webhooks", params(("id" = uuid::Uuid, Path, description = "webhook id")), responses((status = 200, body = Data<Webhook>)))]
pub async fn get(state: web::Data<AppState>, Auth(caller): Auth, id: web::Path<String>) -> AppResult<HttpResponse> {
    let view = db(&state, move |c| svc::get(c, &caller, parse_id("id", &id))).await?;
    Ok(HttpResponse::Ok().json(Data { data: Webhook::from(view) }))
}

/// W1, W4, admin: deletes an endpoint; its pending deliveries stop.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", operation_id = "deleteWebhook", tag = "webhooks", params(("id" = uuid::Uuid, Path, description = "webhook id")), responses((status = 204)))]
pub async fn delete(state: web::Data<AppState>, Auth(caller): Auth, id: web::Path<String>) -> AppResult<HttpResponse> {
    db(&state, move |c| svc::delete(c, &caller, parse_id("id", &id))).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// W4, admin: an endpoint's deliveries, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", operation_id = "listWebhookDeliveries", tag = "webhooks", params(("id" = uuid::Uuid, Path, description = "webhook id"), DeliveriesQuery), responses((status = 200, body = List<Delivery>)))]
pub async fn deliveries(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    id: web::Path<String>,
    q: web::Query<DeliveriesQuery>,
) -> AppResult<HttpResponse> {
    let page = page_params(q.limit, q.cursor.clone(), Cursor::EventId);
    let list = db(&state, move |c| svc::deliveries(c, &caller, parse_id("id", &id), page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, Delivery::from)))
}

/// W4, admin: queues a failed delivery again (409 `not_retryable` otherwise).
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery_id}/retry", operation_id = "retryWebhookDelivery", tag = "webhooks", params(("id" = uuid::Uuid, Path, description = "webhook id"), ("delivery_id" = String, Path, pattern = "^msg_[0-9a-f]{32}$", description = "delivery id: the `webhook-id` of its messages")), responses((status = 200, body = Data<Delivery>)))]
pub async fn retry(
    state: web::Data<AppState>,
    Auth(caller): Auth,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, delivery) = path.into_inner();
    let d = db(&state, move |c| svc::retry(c, &caller, parse_id("id", &id), svc::delivery_id(&delivery))).await?;
    Ok(HttpResponse::Ok().json(Data { data: Delivery::from(d) }))
}
