//! Thin HTTP handlers: parse, authorize, run the use case on a blocking thread, shape the answer.

pub mod admin;
pub mod content;
pub mod deployments;
pub mod docs;
pub mod environments;
pub mod keyed;
pub mod releases;
pub mod webhooks;
pub mod wire;

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::service::{users, Caller, PageParams};

/// Runs blocking database work on actix's thread pool, with a pooled connection.
pub async fn db<T, F>(state: &web::Data<AppState>, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// The authenticated caller, from `Authorization: Bearer <token>` (401 without a valid one), as
/// `authenticate` resolved it before the handler's other extractors ran.
pub struct Auth(pub Caller);

/// What `authenticate` found for the request's bearer token, kept for the `Auth` extractor.
struct Authenticated(AppResult<Caller>);

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION)?;
    let token = header.to_str().ok()?.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// Middleware of `/v1`: looks the bearer token up before any extractor runs, so that a bad token
/// answers 401 whatever else is wrong with the request (X2), not the 400 of a malformed body.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if let (Some(token), Some(state)) = (bearer_token(req.request()), state) {
        let found = db(&state, move |c| users::authenticate(c, &token)).await;
        req.extensions_mut().insert(Authenticated(found));
    }
    next.call(req).await
}

impl FromRequest for Auth {
    type Error = AppError;
    type Future = Ready<Result<Auth, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let found = req.extensions_mut().remove::<Authenticated>();
        ready(found.map_or(Err(AppError::Unauthorized), |Authenticated(caller)| caller.map(Auth)))
    }
}

/// X4's `limit` and `cursor`, as every list takes them.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// 1 to 500; 50 when absent.
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// Checks the limit (400 outside 1–500).
    pub fn params(&self) -> AppResult<PageParams> {
        page_params(self.limit, self.cursor.clone())
    }
}

/// X4: `limit` in 1–500 (default 50) and an opaque `cursor`.
pub fn page_params(limit: Option<i64>, cursor: Option<String>) -> AppResult<PageParams> {
    let limit = limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid_field("limit", "must be from 1 to 500"));
    }
    Ok(PageParams { limit, cursor })
}

/// A path id checked to be a UUID (400 otherwise).
pub fn path_id(s: &str) -> AppResult<String> {
    crate::service::parse_id("id", s)
}

/// JSON bodies: malformed, mistyped or unknown fields are 400, too large 413 (X2).
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(|err, _| {
        match err {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                AppError::PayloadTooLarge("the request body is over the limit".into())
            }
            JsonPayloadError::ContentType => AppError::invalid("the body must be application/json"),
            JsonPayloadError::Deserialize(e) => AppError::invalid(format!("invalid JSON body: {e}")),
            other => AppError::invalid(format!("invalid JSON body: {other}")),
        }
        .into()
    })
}

/// Path segments that do not parse are 400.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err: PathError, _| AppError::invalid(format!("invalid path: {err}")).into())
}

/// Query strings that do not parse are 400.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err: QueryPayloadError, _| AppError::invalid(format!("invalid query: {err}")).into())
}

/// A JSON body that may be left out: no body (or only white space) is the same as `{}`.
pub fn optional_json(body: &[u8]) -> AppResult<serde_json::Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::json!({}));
    }
    serde_json::from_slice(body).map_err(|e| AppError::invalid(format!("invalid JSON body: {e}")))
}

/// Turns a parsed JSON value into a request type, with serde's message as the 400's detail.
pub fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> AppResult<T> {
    serde_json::from_value(value).map_err(|e| AppError::invalid(format!("invalid JSON body: {e}")))
}
