//! Following and cancelling deployments.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use utoipa::IntoParams;

use super::wire::{Data, Deployment, List, PlanItem};
use super::Auth;
use crate::domain::ids::{DeploymentId, ReleaseId};
use crate::domain::{validate, DeploymentStatus, Outcome, Trigger};
use crate::error::{AppError, AppResult};
use crate::http::{page_params, path_id, Cursor};
use crate::runtime::AppState;
use crate::runtime::{change, db};
use crate::service::deployments;

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
    let id: DeploymentId = path_id(&id)?;
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
    let id: DeploymentId = path_id(&id)?;
    let q = q.into_inner();
    let page = page_params(q.limit, q.cursor, Cursor::Position)?;
    let list = db(&state, move |c| deployments::items(c, &id, q.outcome, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, PlanItem::from)))
}

/// L7: cancels a deployment awaiting approval, scheduled or queued.
#[utoipa::path(post, path = "/v1/deployments/{id}/cancel", operation_id = "cancelDeployment", tag = "deployments", params(("id" = uuid::Uuid, Path, description = "deployment id")), responses((status = 200, body = Data<Deployment>)))]
pub async fn cancel(state: web::Data<AppState>, Auth(caller): Auth, id: web::Path<String>) -> AppResult<HttpResponse> {
    let id: DeploymentId = path_id(&id)?;
    let d = change(&state, move |c| deployments::cancel(c, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(Data { data: Deployment::from(d) }))
}

/// `GET /v1/deployments` filters (Q1); `status` may be repeated.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only deployments in one of these statuses (repeatable). When every one is `scheduled`
    /// the list is soonest first, else newest first.
    #[serde(default)]
    #[param(inline, style = Form, explode, required = false)]
    pub status: Vec<DeploymentStatus>,
    /// Only this environment's deployments.
    pub environment: Option<String>,
    /// Only this release's deployments.
    #[param(value_type = Option<uuid::Uuid>)]
    pub release_id: Option<String>,
    /// Only deployments started this way.
    #[param(inline)]
    pub trigger: Option<Trigger>,
    /// Only deployments scheduled strictly before this time.
    #[serde(default, deserialize_with = "super::times::opt_time")]
    pub scheduled_before: Option<DateTime<FixedOffset>>,
    /// Only deployments scheduled at or after this time.
    #[serde(default, deserialize_with = "super::times::opt_time")]
    pub scheduled_after: Option<DateTime<FixedOffset>>,
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before (the id of its last deployment).
    #[param(value_type = Option<uuid::Uuid>)]
    pub cursor: Option<String>,
}

/// Parses a query string that may repeat a parameter (400 `invalid_request` when it does not
/// parse). No parameter of these lists takes an empty value, which serde would read as absent.
pub fn repeated_query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> AppResult<T> {
    let query = req.query_string();
    if let Some((name, _)) = url::form_urlencoded::parse(query.as_bytes()).find(|(_, v)| v.is_empty()) {
        return Err(AppError::invalid_field(&name, "must not be empty"));
    }
    serde_html_form::from_str(query).map_err(|e| AppError::invalid(format!("invalid query: {e}")))
}

/// Q1: deployments across environments, filtered; soonest first when only `scheduled` is asked for.
#[utoipa::path(get, path = "/v1/deployments", operation_id = "listDeployments", tag = "deployments", params(ListQuery), responses((status = 200, body = List<Deployment>)))]
pub async fn list(state: web::Data<AppState>, _auth: Auth, req: HttpRequest) -> AppResult<HttpResponse> {
    let q: ListQuery = repeated_query(&req)?;
    let page = page_params(q.limit, q.cursor.clone(), Cursor::Id)?;
    let release_id = q
        .release_id
        .as_deref()
        .map(|r| crate::service::parse_id::<ReleaseId>("release_id", r).map(ReleaseId::into_string))
        .transpose()?;
    let query = deployments::ScheduleQuery {
        statuses: q.status,
        environment: q.environment,
        release_id,
        trigger: q.trigger,
        // Past year 9999 a time has no RFC 3339 form, nor one that sorts as stored.
        scheduled_before: q.scheduled_before.map(|t| t.naive_utc().min(validate::latest_storable_time())),
        scheduled_after: q.scheduled_after.map(|t| t.naive_utc().min(validate::latest_storable_time())),
    };
    let list = db(&state, move |c| deployments::list(c, query, &page)).await?;
    Ok(HttpResponse::Ok().json(List::of(list, Deployment::from)))
}
