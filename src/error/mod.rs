//! One error type for the whole service, answered as RFC 9457 problem+json with a stable `code`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

pub mod answers;
mod code;

pub use code::ProblemCode;

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
    /// 405 `method_not_allowed`: the route exists, under the methods listed.
    #[error("this route takes {}", .0.join(", "))]
    MethodNotAllowed(Vec<&'static str>),
    /// 413 `payload_too_large`.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A rule's refusal (`name_taken`, `release_locked`, `release_empty`, …): the status is the code's.
    #[error("{1}")]
    Rule(ProblemCode, String),
    /// 503 `unavailable`: the database cannot be reached, or is busy.
    #[error("the database is unavailable")]
    Unavailable,
    /// 503 `unavailable`: a query failed because the database went away; the runtime closes the
    /// connection it failed on (see `db::connection_failed`).
    #[error("the database is unavailable")]
    ConnectionLost,
    /// 500 `internal_error`: a bug; the cause is logged, never answered.
    #[error("internal error")]
    Internal,
}

/// Shorthand for results in handlers and services.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A 500 `internal_error` (a bug): logs its cause, once, here, and answers without it.
    pub(crate) fn internal(cause: impl std::fmt::Display) -> AppError {
        tracing::error!(cause = %cause, "internal error");
        AppError::Internal
    }

    /// A 400 `invalid_request` about one field.
    pub(crate) fn invalid_field(field: &str, message: impl Into<String>) -> AppError {
        let message = message.into();
        AppError::InvalidRequest {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError { field: field.to_string(), message }],
        }
    }

    /// A 400 `invalid_request` without a single field to blame.
    pub(crate) fn invalid(detail: impl Into<String>) -> AppError {
        AppError::InvalidRequest { detail: detail.into(), errors: vec![] }
    }

    /// The stable code of this error, which fixes its status.
    pub fn code(&self) -> ProblemCode {
        match self {
            AppError::InvalidRequest { .. } => ProblemCode::InvalidRequest,
            AppError::Unauthorized => ProblemCode::Unauthorized,
            AppError::Forbidden(_) => ProblemCode::Forbidden,
            AppError::NotFound(_) => ProblemCode::NotFound,
            AppError::MethodNotAllowed(_) => ProblemCode::MethodNotAllowed,
            AppError::Rule(code, _) => *code,
            AppError::PayloadTooLarge(_) => ProblemCode::PayloadTooLarge,
            AppError::Unavailable | AppError::ConnectionLost => ProblemCode::Unavailable,
            AppError::Internal => ProblemCode::InternalError,
        }
    }
}

/// X1: the RFC 9457 problem every error answers, as `application/problem+json`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Problem {
    /// `/problems/<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    /// The HTTP status.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// Stable snake_case code of the spec, for a program.
    #[schema(pattern = "^[a-z][a-z_]*$")]
    pub code: String,
    /// The fields that failed validation; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldError>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.code().status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let code = self.code();
        let errors = match self {
            AppError::InvalidRequest { errors, .. } => errors.clone(),
            _ => vec![],
        };
        let problem = Problem {
            kind: format!("/problems/{code}"),
            title: code.title().into(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: code.as_str().into(),
            errors,
        };
        let mut res = HttpResponse::build(status);
        res.content_type("application/problem+json");
        if status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let AppError::MethodNotAllowed(methods) = self {
            res.insert_header((header::ALLOW, methods.join(", ")));
        }
        res.json(problem)
    }
}

impl From<DieselError> for AppError {
    fn from(e: DieselError) -> AppError {
        match e {
            DieselError::NotFound => AppError::NotFound("not found".into()),
            // A unique key that two concurrent writes raced for (a taken name is the use case's to
            // word, through `db::inserted`): like a serialization failure, the request can be sent
            // again. The database's own message names tables and constraints: it is logged, never
            // answered.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::warn!(error = %info.message(), "concurrent write lost a unique key race");
                AppError::Unavailable
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => AppError::Unavailable,
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => AppError::ConnectionLost,
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, ref info) if gone_or_busy(info.message()) => {
                tracing::warn!(error = %e, "database busy or unreachable");
                AppError::ConnectionLost
            }
            other => AppError::internal(format!("database error: {other}")),
        }
    }
}

/// The errors diesel gives no kind of their own (`Unknown`), told by the backend's words: SQLite's
/// busy database (a lock waited for past `busy_timeout`), and a PostgreSQL session the server
/// ended (`57P01`, shutting down) or lost, which diesel reports without its SQLSTATE.
fn gone_or_busy(message: &str) -> bool {
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
        AppError::internal(format!("blocking task failed: {e}"))
    }
}

/// JSON that the service itself stored (content, references, warnings), read back. It was
/// written valid, so a failure means a row changed by hand: it is logged, and read as the empty
/// value rather than failing every answer that holds the row.
pub(crate) fn stored_json<T: serde::de::DeserializeOwned + Default>(text: &str, what: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| {
        tracing::error!(error = %e, what, "stored JSON does not read back");
        T::default()
    })
}

/// A value as JSON text; a value that does not serialize (a bug) is logged and sent as `null`.
pub(crate) fn json_text<T: Serialize>(value: &T, what: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        tracing::error!(error = %e, what, "a value did not serialize");
        "null".into()
    })
}
