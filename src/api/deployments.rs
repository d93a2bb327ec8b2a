//! Following and cancelling deployments.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::wire::{Data, Deployment, List, PlanItem};
use super::{db, page_params, path_id, Auth, Cursor};
use crate::domain::Outcome;
use crate::error::AppResult;
use crate::service::deployments;
use crate::state::AppState;

/// `GET /v1/deployments/{id}/items` filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ItemsQuery {
    /// Only the keys with this outcome.
    #[param(inline)]
    pub outcome: Option<Outcome>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before.
    #[param(pattern = "^[0-9]{1,9}$")]
    pub cursor: Option<String>,
}

/// L6: a deployment's status, progress and counts.
#[utoipa::path(get, path = "/v1/deployments/{id}", operation_id = "getDeployment", tag = "deployments", params(("id" = uuid::Uuid, Path, description = "deployment id")), responses((status = 200, body = Data<Deployment>)))]
pub async fn get(state: web::Data<AppState>, _auth: Auth, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let d = db(&state, move |c| deployments::get(c, &id)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Deployment::from(d) }))
}

/// The deployment's outcome per key, in release order.
#[utoipa::path(get, path = "/v1/deployments/{id}/items", operation_id = "listDeploymentItems", tag = "deployments", params(("id" = uuid::Uuid, Path, description = "deployment id"), ItemsQuery), responses((status = 200, body = List<PlanItem>)))]
pub async fn items(
    state: web::Data<AppState>,
    _auth: Auth,
    id: web::Path<String>,
    q: web::Query<ItemsQuery>,
) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let q = q.into_inner();
    let page = page_params(q.limit, q.cursor, Cursor::Position)?;
    let list = db(&state, move |c| deployments::items(c, &id, q.outcome, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, PlanItem::from)))
}

/// L7: cancels a scheduled or queued deployment.
#[utoipa::path(post, path = "/v1/deployments/{id}/cancel", operation_id = "cancelDeployment", tag = "deployments", params(("id" = uuid::Uuid, Path, description = "deployment id")), responses((status = 200, body = Data<Deployment>)))]
pub async fn cancel(state: web::Data<AppState>, Auth(caller): Auth, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id = path_id(&id)?;
    let d = db(&state, move |c| deployments::cancel(c, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Deployment::from(d) }))
}
