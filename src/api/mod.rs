//! Thin HTTP handlers: parse, authorize, run the use case on a blocking thread, shape the answer.

pub mod admin;
pub mod approvals;
pub mod content;
pub mod deployments;
pub mod docs;
pub mod environments;
pub mod holds;
pub mod idempotency;
mod plan_stream;
pub mod promotions;
pub mod published;
pub mod releases;
pub mod streams;
pub mod times;
pub mod tokens;
pub mod webhooks;
pub mod wire;

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::{Deserialize, Deserializer};

use crate::error::{AppError, AppResult};
use crate::runtime::{self, AppState};
use crate::service::Caller;

/// The authenticated caller, from `Authorization: Bearer <token>` (401 without a valid one), as
/// `authenticate` resolved it before the handler's other extractors ran.
pub struct Auth(pub Caller);

/// What `authenticate` found for the request's bearer token, kept for the `Auth` extractor.
struct Authenticated(AppResult<Caller>);

/// The token of `Authorization: Bearer <token>`; the scheme's name is case-insensitive and one or
/// more spaces or tabs follow it (RFC 9110 §11.1, §11.4).
pub(crate) fn bearer_token(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = header.split_once([' ', '\t'])?;
    let token = token.trim_matches([' ', '\t']);
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// Middleware of `/v1`: looks the bearer token up before any extractor runs, so that a bad token
/// answers 401 whatever else is wrong with the request (X2), not the 400 of a malformed body.
/// Reads may take the caller from the per-process cache; writes always read the token and its
/// user from the database (`runtime::authenticate`), so that a token revoked or a user
/// deactivated by any process never writes, and never writes an actor that is gone (T1).
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if let (Some(token), Some(state)) = (bearer_token(req.request()), state) {
        let reads = matches!(*req.method(), Method::GET | Method::HEAD);
        let found = runtime::authenticate(&state, &token, reads).await;
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

/// JSON bodies: malformed, mistyped or unknown fields are 400, too large 413 (X2).
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(|err, _| {
        match err {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                AppError::PayloadTooLarge("the request body is over the limit".into())
            }
            JsonPayloadError::ContentType => AppError::invalid("the body must be application/json"),
            JsonPayloadError::Deserialize(e) => AppError::invalid(format!("invalid JSON body: {e}")),
            // A body that could not be read (a bad chunk, a dropped connection): actix's own text
            // names its internals, so it is logged, not answered.
            other => {
                tracing::info!(error = %other, "request body unreadable");
                AppError::invalid("the request body could not be read")
            }
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

/// A whole number of 32 bits; JSON Schema counts `2.0` as the integer 2, and so does this.
pub fn int32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    let whole = n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15).map(|f| f as i64));
    whole
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| serde::de::Error::custom(format!("invalid value: {n}, expected a whole number of 32 bits")))
}

/// [`int32`] for a field that may be absent or null.
pub fn opt_int32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "int32")] i32);
    Ok(Option::<Whole>::deserialize(d)?.map(|w| w.0))
}

/// Answers a request no route takes: 405 with `Allow` when the path is a route of the document
/// under another method, else 404 `not_found` (X2).
pub async fn no_route(req: HttpRequest) -> AppResult<actix_web::HttpResponse> {
    let allowed = docs::methods_of(req.path());
    if allowed.is_empty() {
        return Err(AppError::NotFound("no such route".into()));
    }
    Err(AppError::MethodNotAllowed(allowed))
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
    serde_json::from_value::<Object<T>>(value)
        .map(|o| o.0)
        .map_err(|e| AppError::invalid(format!("invalid JSON body: {e}")))
}

/// A request body that must be a JSON object: serde would also read a struct from an array of
/// its fields in order, which no client means and the document does not allow (400).
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Object<T>, D::Error> {
        struct Fields<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Fields<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Fields(std::marker::PhantomData)).map(Object)
    }
}
