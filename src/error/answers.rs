//! X1: answers that actix or a middleware makes on its own (a page under `/docs` that does not
//! exist, a CORS refusal, a body over an extractor's limit, a body that could not be read) are
//! sent as problem+json with a stable code like every other error, never with actix's own text.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::ResponseError;

use super::{AppError, ProblemCode};

/// Middleware: turns an error answer that is neither problem+json nor a console page (HTML) into
/// the problem of its status; every other answer passes as it is. The headers the answer had
/// (`Vary`, `Allow`, the console's and the docs' security headers) are kept.
pub(crate) async fn as_problems(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // An error the inner services return as such is answered by its own `error_response`
    // (rewind's are problems); answers already made are what this looks at.
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let kind = res.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !(status.is_client_error() || status.is_server_error())
        || kind.starts_with("application/problem+json")
        || kind.starts_with("text/html")
    {
        return Ok(res);
    }
    let (http, old) = res.into_parts();
    let mut problem = of_status(status).error_response();
    for (name, value) in old.headers() {
        if name != CONTENT_TYPE && !problem.headers().contains_key(name) {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(http, problem))
}

/// The problem of an answer that has only its status, with a detail that names no internal.
fn of_status(status: StatusCode) -> AppError {
    let code = match status.as_u16() {
        401 => ProblemCode::Unauthorized,
        403 => ProblemCode::Forbidden,
        404 => ProblemCode::NotFound,
        405 => ProblemCode::MethodNotAllowed,
        413 => ProblemCode::PayloadTooLarge,
        503 => ProblemCode::Unavailable,
        _ if status.is_server_error() => ProblemCode::InternalError,
        _ => ProblemCode::InvalidRequest,
    };
    let detail = match code {
        ProblemCode::NotFound => "no such route".to_string(),
        ProblemCode::PayloadTooLarge => "the request body is over the limit".to_string(),
        ProblemCode::InvalidRequest => format!(
            "the request was refused as sent ({}): its body could not be read, or its origin is not allowed",
            status.canonical_reason().unwrap_or("bad request")
        ),
        other => other.title().to_string(),
    };
    AppError::Rule(code, detail)
}
