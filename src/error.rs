//! One error type for the whole service, answered as RFC 9457 problem+json with a stable `code`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

/// A field that failed validation, listed under `errors` in the problem.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every way a request can fail; each variant fixes the status, and carries or fixes the code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400 `invalid_request`: malformed JSON, a wrong type, an unknown field, a bad id or enum.
    #[error("{detail}")]
    InvalidRequest { detail: String, errors: Vec<FieldError> },
    /// 401 `unauthorized`: no token or a bad one.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// 403 `forbidden`: the caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found`: no such resource (or not visible to the caller).
    #[error("{0}")]
    NotFound(String),
    /// 409 with a code of the spec (`name_taken`, `release_locked`, `not_cancellable`, …).
    #[error("{1}")]
    Conflict(&'static str, String),
    /// 413 `payload_too_large`.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 422 with a code of the spec (`version_not_found`, `release_empty`, …).
    #[error("{1}")]
    Unprocessable(&'static str, String),
    /// 503 `unavailable`: the database cannot be reached.
    #[error("the database is unavailable")]
    Unavailable,
    /// 500 `internal_error`: a bug; the cause is logged, never answered.
    #[error("internal error")]
    Internal,
}

/// Shorthand for results in handlers and services.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A 400 `invalid_request` about one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> AppError {
        let message = message.into();
        AppError::InvalidRequest {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError { field: field.to_string(), message }],
        }
    }

    /// A 400 `invalid_request` without a single field to blame.
    pub fn invalid(detail: impl Into<String>) -> AppError {
        AppError::InvalidRequest { detail: detail.into(), errors: vec![] }
    }

    /// The stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::InvalidRequest { .. } => "invalid_request",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(code, _) | AppError::Unprocessable(code, _) => code,
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::Unavailable => "unavailable",
            AppError::Internal => "internal_error",
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    code: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(..) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable(..) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let code = self.code();
        let errors: &[FieldError] = match self {
            AppError::InvalidRequest { errors, .. } => errors,
            _ => &[],
        };
        let problem = Problem {
            kind: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: self.to_string(),
            code,
            errors,
        };
        let mut res = HttpResponse::build(status);
        res.content_type("application/problem+json");
        if status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.json(problem)
    }
}

impl From<DieselError> for AppError {
    fn from(e: DieselError) -> AppError {
        match e {
            DieselError::NotFound => AppError::NotFound("not found".into()),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                AppError::Conflict("conflict", info.message().to_string())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => AppError::Unavailable,
            DieselError::DatabaseError(_, ref info) if is_unavailable(info.message()) => {
                tracing::warn!(error = %e, "database busy or unreachable");
                AppError::Unavailable
            }
            other => {
                tracing::error!(error = %other, "database error");
                AppError::Internal
            }
        }
    }
}

/// SQLite reports a lock it waited too long for as a plain error; so does a dropped server.
fn is_unavailable(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("database is locked") || m.contains("connection") || m.contains("terminating")
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> AppError {
        tracing::warn!(error = %e, "no database connection");
        AppError::Unavailable
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> AppError {
        tracing::error!(error = %e, "blocking task failed");
        AppError::Internal
    }
}
