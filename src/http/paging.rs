//! X4's paging as both web faces take it: `limit` and `cursor` checked against the list's kind.

use serde::Deserialize;

use crate::error::{AppError, AppResult};
use crate::service::PageParams;

/// X4's `limit` and `cursor` of a list paged by id (newest first).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before.
    #[param(value_type = Option<uuid::Uuid>)]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// Checks the limit (400 outside 1–500) and the cursor (400 when not an id).
    pub fn params(&self) -> AppResult<PageParams> {
        page_params(self.limit, self.cursor.clone(), Cursor::Id)
    }
}

/// X4's `limit` and `cursor` of a list paged by position (release order, or a count).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PositionPageQuery {
    /// 1 to 500; 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the page before.
    #[param(pattern = "^[0-9]{1,9}$")]
    pub cursor: Option<String>,
}

impl PositionPageQuery {
    /// Checks the limit (400 outside 1–500) and the cursor (400 when not a position).
    pub fn params(&self) -> AppResult<PageParams> {
        page_params(self.limit, self.cursor.clone(), Cursor::Position)
    }
}

/// What the cursor of a list is: the id of the last row listed, or its position.
#[derive(Debug, Clone, Copy)]
pub enum Cursor {
    Id,
    /// A position in a list (release items, deployment items): at most 9 digits.
    Position,
    /// A publish event id (publish state, the log): at most 18 digits.
    EventId,
    /// A key, `<item_id>:<locale>` (M1's compare): the use case reads and checks it.
    Key,
}

/// X4: `limit` in 1–500 (default 50) and a `cursor` of the list's kind (400 otherwise).
pub fn page_params(limit: Option<i64>, cursor: Option<String>, kind: Cursor) -> AppResult<PageParams> {
    let limit = limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid_field("limit", "must be from 1 to 500"));
    }
    let cursor = match (cursor, kind) {
        (Some(c), Cursor::Id) => {
            Some(crate::domain::validate::id(&c).ok_or_else(|| AppError::invalid_field("cursor", "not a valid id"))?)
        }
        (Some(c), Cursor::Position) if !digits(&c, 9) => {
            return Err(AppError::invalid_field("cursor", "must be the next_cursor of this list: 1 to 9 digits"))
        }
        (Some(c), Cursor::EventId) if !digits(&c, 18) => {
            return Err(AppError::invalid_field("cursor", "must be the next_cursor of this list: 1 to 18 digits"))
        }
        (c, _) => c,
    };
    Ok(PageParams { limit, cursor })
}

/// Whether `s` is 1 to `max` ASCII digits.
fn digits(s: &str, max: usize) -> bool {
    (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}
