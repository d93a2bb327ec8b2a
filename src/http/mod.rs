//! The HTTP plumbing both web faces (`api/`, `console/`) need, below both of them: typed path
//! ids, X4's page parameters and cursors, and following deployments as Server-Sent Events.

pub mod paging;
pub mod stream;

use crate::domain::holds::parse_key;
use crate::domain::ids::{Id, ItemId};
use crate::domain::Key;
use crate::error::{AppError, AppResult};

pub use paging::{page_params, Cursor, PageQuery, PositionPageQuery};

/// A path id of the kind the route names, checked to be a UUID (400 otherwise).
pub fn path_id<T: Id>(s: &str) -> AppResult<T> {
    crate::service::parse_id("id", s)
}

/// B10: the keys a query string selects, each a repeated `key=<item_id>:<locale>` (`None`: no
/// `key` at all). A malformed one, or one whose item id is not an id, is 400 naming `key`.
pub fn keys_in_query(query: &str) -> AppResult<Option<Vec<Key>>> {
    let keys = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "key")
        .map(|(_, value)| key(&value, "key"))
        .collect::<AppResult<Vec<Key>>>()?;
    Ok((!keys.is_empty()).then_some(keys))
}

/// B10: one key as `<item_id>:<locale>` (a form's checkbox, a query's `key`); 400 naming `field`.
pub fn key(s: &str, field: &str) -> AppResult<Key> {
    let k = parse_key(s).ok_or_else(|| AppError::invalid_field(field, "a key is <item_id>:<locale>"))?;
    crate::service::parse_id::<ItemId>(field, &k.item_id)?;
    Ok(k)
}
