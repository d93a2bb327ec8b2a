//! The HTTP plumbing both web faces (`api/`, `console/`) need, below both of them: typed path
//! ids, X4's page parameters and cursors, and following deployments as Server-Sent Events.

pub mod paging;
pub mod stream;

use crate::domain::ids::Id;
use crate::error::AppResult;

pub use paging::{page_params, Cursor, PageQuery, PositionPageQuery};

/// A path id of the kind the route names, checked to be a UUID (400 otherwise).
pub fn path_id<T: Id>(s: &str) -> AppResult<T> {
    crate::service::parse_id("id", s)
}
