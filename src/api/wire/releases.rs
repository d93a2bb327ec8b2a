//! Releases and their items on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::utc;
use crate::db::rows::ReleaseItemRow;
use crate::service::releases::ReleaseView;

/// A release, standard or rollback.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Release {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub kind: String,
    pub rollback_of: Option<String>,
    pub owner: String,
    pub locked: bool,
    pub item_count: i64,
    pub created_at: DateTime<Utc>,
}

impl From<ReleaseView> for Release {
    fn from(r: ReleaseView) -> Release {
        Release {
            id: r.row.id,
            name: r.row.name,
            description: r.row.description,
            kind: r.row.kind.to_string(),
            rollback_of: r.row.rollback_of,
            owner: r.row.owner,
            locked: r.locked,
            item_count: r.item_count,
            created_at: utc(r.row.created_at),
        }
    }
}

/// A key of a release with its action (both null in a rollback release).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReleaseItem {
    pub item_id: String,
    pub locale: String,
    /// U6: the title of the version it publishes, else the item's.
    #[serde(default)]
    pub title: Option<String>,
    pub action: Option<String>,
    pub version: Option<i32>,
}

impl From<ReleaseItemRow> for ReleaseItem {
    fn from(i: ReleaseItemRow) -> ReleaseItem {
        ReleaseItem {
            title: i.title(),
            item_id: i.item_id,
            locale: i.locale,
            action: i.action.map(|a| a.to_string()),
            version: i.version,
        }
    }
}

/// A key that `include_references` could not add: no version in that locale.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyRef {
    pub item_id: String,
    pub locale: String,
}

/// What adding items did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AddedItems {
    pub release: Release,
    pub not_added: Vec<KeyRef>,
}
