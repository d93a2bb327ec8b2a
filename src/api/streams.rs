//! S1, S2: the API's deployment streams (Server-Sent Events), authorized by the bearer token.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::deployments::repeated_query;
use super::{bearer_token, Auth};
use crate::error::{AppError, AppResult};
use crate::http::path_id;
use crate::http::stream::{follow, watch, Credential};
use crate::runtime::AppState;
use crate::service::tokens;

/// The hash of the request's bearer token (the `Auth` extractor has checked it already).
fn token_hash(req: &HttpRequest) -> AppResult<String> {
    bearer_token(req).map(|t| tokens::hash_token(&t)).ok_or(AppError::Unauthorized)
}

/// S1: the deployment as it is, then again at each change of status or progress, until it ends.
#[utoipa::path(get, path = "/v1/deployments/{id}/stream", operation_id = "streamDeployment", tag = "deployments", params(("id" = uuid::Uuid, Path, description = "deployment id")), responses((status = 200, content_type = "text/event-stream", body = String, description = "Server-Sent Events: `event: deployment` with the deployment object as `data`, at once and at each change of status or progress (at most ten a second), `: heartbeat` comments every 15 s; the stream ends after the event with a final status")))]
pub async fn deployment(
    state: web::Data<AppState>,
    _auth: Auth,
    req: HttpRequest,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    follow(state, path_id(&id)?, Credential::Token(token_hash(&req)?)).await
}

/// `GET /v1/deployments/stream` filter (S2).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Only deployments in these environments (repeatable); all when absent.
    #[serde(default)]
    #[param(style = Form, explode, required = false)]
    pub environment: Vec<String>,
}

/// S2: an event for every deployment created or changing status in the environments asked for
/// (all when none is), from the moment of connection; it ends only when the server stops.
#[utoipa::path(get, path = "/v1/deployments/stream", operation_id = "streamDeployments", tag = "deployments", params(StreamQuery), responses((status = 200, content_type = "text/event-stream", body = String, description = "Server-Sent Events: `event: deployment` with the deployment object as `data` for each deployment created or changing status; `: heartbeat` comments every 15 s")))]
pub async fn deployments(state: web::Data<AppState>, _auth: Auth, req: HttpRequest) -> AppResult<HttpResponse> {
    let q: StreamQuery = repeated_query(&req)?;
    watch(state, q.environment, Credential::Token(token_hash(&req)?)).await
}
