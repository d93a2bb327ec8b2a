//! One function per use case: open a transaction, load, let `domain` decide, persist.

pub mod deployments;
pub mod environments;
pub mod idempotency;
pub mod items;
pub mod publishing;
pub mod releases;
pub mod rollback;
pub mod users;
pub mod webhooks;

use crate::domain::Role;
use crate::error::{AppError, AppResult};

/// The authenticated user a request acts for.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl Caller {
    /// Whether the caller is an admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Admins and editors write; viewers only read (403 `forbidden`).
    pub fn require_writer(&self) -> AppResult<()> {
        if self.role == Role::Viewer {
            return Err(AppError::Forbidden("viewers have read-only access".into()));
        }
        Ok(())
    }

    /// Only admins (403 `forbidden`).
    pub fn require_admin(&self) -> AppResult<()> {
        if !self.is_admin() {
            return Err(AppError::Forbidden("this needs the admin role".into()));
        }
        Ok(())
    }
}

/// X4: how much of a list to answer and where to go on from.
#[derive(Debug, Clone)]
pub struct PageParams {
    pub limit: i64,
    pub cursor: Option<String>,
}

/// X4: one page of a list, and the cursor of the next one if there is more.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Cuts `rows` (read with `limit + 1`) to a page; the cursor is `cursor_of` the last row kept.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> String) -> Page<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(cursor_of) } else { None };
        Page { data: rows, next_cursor }
    }

    /// The same page with each row turned into another type.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { data: self.data.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

/// Parses a numeric cursor (400 `invalid_request` when it is not one).
pub fn numeric_cursor(cursor: &Option<String>) -> AppResult<Option<i64>> {
    cursor
        .as_deref()
        .map(|c| c.parse::<i64>().map_err(|_| AppError::invalid_field("cursor", "not a cursor of this list")))
        .transpose()
}

/// Parses an id (400 `invalid_request` when it is not a UUID).
pub fn parse_id(field: &str, s: &str) -> AppResult<String> {
    crate::domain::validate::id(s).ok_or_else(|| AppError::invalid_field(field, "not a valid id"))
}
