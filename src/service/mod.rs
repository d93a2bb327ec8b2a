//! One function per use case: open a transaction, load, let `domain` decide, persist.

pub mod approvals;
pub mod bootstrap;
pub mod console_sessions;
pub mod content;
pub mod content_as_if;
pub mod deployments;
pub mod effects;
pub mod environments;
pub mod holds;
pub mod idempotency;
pub mod items;
pub mod promotions;
pub mod publishing;
pub mod releases;
pub mod rollback;
pub mod sync;
pub mod tokens;
pub mod users;
pub mod webhooks;

pub use crate::db::page::PageParams;
pub(crate) use crate::db::page::{CursorTable, Page};
use crate::domain::ids::{Id, UserId};
use crate::domain::Role;
use crate::error::{AppError, AppResult};

/// The authenticated user a request acts for.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: UserId,
    pub name: String,
    pub role: Role,
}

impl Caller {
    /// Whether the caller is an admin.
    pub(crate) fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Admins and editors write; viewers only read (403 `forbidden`).
    pub(crate) fn require_writer(&self) -> AppResult<()> {
        if self.role == Role::Viewer {
            return Err(AppError::Forbidden("viewers have read-only access".into()));
        }
        Ok(())
    }

    /// Only admins (403 `forbidden`).
    pub(crate) fn require_admin(&self) -> AppResult<()> {
        if !self.is_admin() {
            return Err(AppError::Forbidden("this needs the admin role".into()));
        }
        Ok(())
    }
}

/// Parses a numeric cursor (400 `invalid_request` when it is not one).
pub(crate) fn numeric_cursor(cursor: &Option<String>) -> AppResult<Option<i64>> {
    cursor
        .as_deref()
        .map(|c| c.parse::<i64>().map_err(|_| AppError::invalid_field("cursor", "not a cursor of this list")))
        .transpose()
}

/// A request's input as its face parsed it, the parse's error not answered yet. X2 answers the
/// caller's role or grant (403) before the request's own errors (400): a use case whose check
/// comes first takes what it needs as `Parsed`, checks, then answers the error with `?`. Faces
/// parse with [`parse_id`], `page_params` and the like, and hand the result over without `?`.
/// The one way that order is kept; a use case never parses an id it was handed as text.
pub(crate) type Parsed<T> = AppResult<T>;

/// Parses an id of kind `T` (400 `invalid_request` naming `field` when it is not a UUID).
pub fn parse_id<T: Id>(field: &str, s: &str) -> AppResult<T> {
    T::parse(s).ok_or_else(|| AppError::invalid_field(field, "not a valid id"))
}

/// X4: a list's cursor must be one of its own: the id of a row of `table`. A well-formed id of no
/// such row (a release id given to the list of users) is 404 `not_found`, as a page after an
/// unknown row is; a malformed one was refused (400) when the page was parsed.
pub(crate) fn own_cursor(conn: &mut crate::db::DbConn, table: CursorTable, page: &PageParams) -> AppResult<()> {
    match &page.cursor {
        // Well formed, but no row of this list: as a page after an unknown row, 404.
        Some(c) if !crate::db::page::names_a_row(conn, table, c)? => {
            Err(AppError::NotFound("cursor: not a cursor of this list: give the next_cursor of its last page".into()))
        }
        _ => Ok(()),
    }
}

/// Parses a locale (400 `invalid_request` naming `field`, with the rule, when it is not one).
pub(crate) fn parse_locale<'a>(field: &str, s: &'a str) -> AppResult<&'a str> {
    crate::domain::locale::parse(s).map_err(|rule| AppError::invalid_field(field, rule))
}
