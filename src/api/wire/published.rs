//! What the website reads (V1–V3) on the wire: published content and sync entries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::utc;
use crate::db::content::ContentRow;
use crate::error::stored_json;
use crate::service::sync::SyncPage;

/// V1: one key's published content.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContentEntry {
    #[schema(value_type = uuid::Uuid)]
    pub item_id: String,
    pub locale: String,
    pub version: i32,
    /// U6: the version's title, or null.
    pub title: Option<String>,
    /// `entry` or `asset`.
    pub kind: String,
    pub content_type: Option<String>,
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    pub references: Vec<String>,
    /// The time of the key's last event; null for a key a release (V2's `release`) would publish.
    pub published_at: Option<DateTime<Utc>>,
}

impl From<ContentRow> for ContentEntry {
    fn from(r: ContentRow) -> ContentEntry {
        ContentEntry {
            item_id: r.item_id,
            locale: r.locale,
            version: r.version.unwrap_or_default(),
            title: r.title,
            kind: r.kind,
            content_type: r.content_type,
            content: stored_json(r.content.as_deref().unwrap_or("{}"), "version content"),
            references: stored_json(r.refs.as_deref().unwrap_or("[]"), "version references"),
            published_at: r.published_at.map(utc),
        }
    }
}

/// V3: one key of a sync round: published, with its content, or unpublished.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SyncEntry {
    Publish {
        #[schema(value_type = uuid::Uuid)]
        item_id: String,
        locale: String,
        version: i32,
        title: Option<String>,
        kind: String,
        content_type: Option<String>,
        #[schema(value_type = Object)]
        content: serde_json::Value,
        references: Vec<String>,
        /// The key's last event as of the round's point.
        event_id: i64,
    },
    Unpublish {
        #[schema(value_type = uuid::Uuid)]
        item_id: String,
        locale: String,
        event_id: i64,
    },
}

impl From<ContentRow> for SyncEntry {
    fn from(r: ContentRow) -> SyncEntry {
        match r.version {
            Some(version) => SyncEntry::Publish {
                item_id: r.item_id,
                locale: r.locale,
                version,
                title: r.title,
                kind: r.kind,
                content_type: r.content_type,
                content: stored_json(r.content.as_deref().unwrap_or("{}"), "version content"),
                references: stored_json(r.refs.as_deref().unwrap_or("[]"), "version references"),
                event_id: r.event_id,
            },
            None => SyncEntry::Unpublish { item_id: r.item_id, locale: r.locale, event_id: r.event_id },
        }
    }
}

/// V3: one page of a sync round.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncAnswer {
    pub data: Vec<SyncEntry>,
    /// The round's next page; null on its last page.
    pub next_cursor: Option<String>,
    /// On the round's last page, the cursor of the next round (store it, ask with it later); null
    /// on the other pages.
    pub sync_cursor: Option<String>,
    /// The event id the round answers as of: the environment's latest when the round started.
    pub as_of_event_id: i64,
}

impl From<SyncPage> for SyncAnswer {
    fn from(p: SyncPage) -> SyncAnswer {
        SyncAnswer {
            data: p.entries.into_iter().map(SyncEntry::from).collect(),
            next_cursor: p.next_cursor,
            sync_cursor: p.sync_cursor,
            as_of_event_id: p.point,
        }
    }
}
