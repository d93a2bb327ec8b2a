//! Items, versions and their diffs (D1) on the wire.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::utc;
use crate::db::rows::VersionRow;
use crate::domain::diff::VersionDiff;
use crate::error::stored_json;
use crate::service::items::ItemView;

/// An item: an entry or an asset, with the latest version of each locale.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Item {
    pub id: String,
    pub kind: String,
    pub content_type: Option<String>,
    /// U6: the title of its latest version in its first locale (alphabetically), or null.
    pub title: Option<String>,
    pub locales: BTreeMap<String, i32>,
    pub created_at: DateTime<Utc>,
}

impl From<ItemView> for Item {
    fn from(i: ItemView) -> Item {
        Item {
            id: i.row.id,
            kind: i.row.kind.to_string(),
            content_type: i.row.content_type,
            title: i.row.title,
            locales: i.locales,
            created_at: utc(i.row.created_at),
        }
    }
}

/// An immutable version of an item in one locale.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Version {
    pub item_id: String,
    pub locale: String,
    pub version: i32,
    /// U6: its content's `title`, else `name`, else `label` (the first non-empty string, cut to
    /// 200 characters), or null.
    pub title: Option<String>,
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    pub references: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl From<VersionRow> for Version {
    fn from(v: VersionRow) -> Version {
        Version {
            item_id: v.item_id,
            locale: v.locale,
            version: v.version,
            title: v.title,
            content: stored_json(&v.content, "version content"),
            references: stored_json(&v.refs, "version references"),
            created_at: utc(v.created_at),
        }
    }
}

/// D1: what changed from one version of an item to another in a locale.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemDiff {
    pub item_id: String,
    pub locale: String,
    /// The version diffed from; null for the empty object (a first publish).
    pub from: Option<i32>,
    pub to: i32,
    /// RFC 6902 JSON Patch operations that turn `from`'s content into `to`'s.
    #[schema(value_type = Vec<Object>)]
    pub patch: serde_json::Value,
    pub references: ReferenceChanges,
}

/// D1: the references `to` has that `from` has not (`added`) and the other way (`removed`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReferenceChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl ItemDiff {
    /// The wire form of a diff of `item_id` in `locale` between `from` and `to`.
    pub fn new(item_id: String, locale: String, from: Option<i32>, to: i32, d: VersionDiff) -> ItemDiff {
        ItemDiff {
            item_id,
            locale,
            from,
            to,
            patch: serde_json::to_value(&d.patch).unwrap_or_default(),
            references: ReferenceChanges { added: d.added, removed: d.removed },
        }
    }
}
