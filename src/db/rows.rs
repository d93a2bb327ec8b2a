//! Row types: what a table row reads as and what an insert writes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use super::schema::*;
use crate::domain::{
    Action, ConflictPolicy, DeploymentStatus, ItemKind, Outcome, ReleaseKind, Role, SkipReason, Trigger,
};

/// A user as stored.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_at: NaiveDateTime,
    /// T1: when an admin deactivated the user; their tokens stop working, their name stays taken.
    pub deactivated_at: Option<NaiveDateTime>,
    /// X2: the key the name is compared by (`domain::user_names::key`); null for a stored name
    /// the profile refuses or whose key another user's name holds (`rewind migrate` lists them).
    pub name_key: Option<String>,
}

/// An API token as stored: only its SHA-256 hash.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = tokens)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub label: Option<String>,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    /// T1: after this the token is refused (never, when absent).
    pub expires_at: Option<NaiveDateTime>,
    /// T1: written at most once a minute per token, not on every request.
    pub last_used_at: Option<NaiveDateTime>,
    /// T1: a revoked token is refused and no longer listed.
    pub revoked_at: Option<NaiveDateTime>,
}

/// U1: a console session as stored: the hash of its id (the cookie holds the id), the user and
/// the token it was made from, its CSRF token and its expiry.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = console_sessions)]
pub struct ConsoleSessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub token_id: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// An environment as stored.
#[derive(Debug, Clone, Queryable)]
pub struct EnvironmentRow {
    pub id: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    /// The integer key (issue 8) that stays inside the database; the API answers `id`.
    pub key: i64,
    /// H2: a rollback that succeeds here holds the environment.
    pub hold_after_rollback: bool,
}

/// An environment to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = environments)]
pub struct NewEnvironment<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub created_at: NaiveDateTime,
}

/// An item as stored (its content lives in versions).
#[derive(Debug, Clone, Queryable, QueryableByName)]
#[diesel(table_name = items)]
pub struct ItemRow {
    pub id: String,
    pub kind: ItemKind,
    pub content_type: Option<String>,
    pub created_at: NaiveDateTime,
    /// The integer key (issue 8) that stays inside the database; the API answers `id`.
    pub key: i64,
    /// U6: the title of its latest version in its first locale.
    pub title: Option<String>,
}

/// An item to insert; the database gives it its key.
#[derive(Debug, Insertable)]
#[diesel(table_name = items)]
pub struct NewItem<'a> {
    pub id: &'a str,
    pub kind: ItemKind,
    pub content_type: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub title: Option<&'a str>,
}

/// A version as stored; `content` and `refs` are JSON text.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = versions)]
pub struct VersionRow {
    pub item_id: String,
    pub locale: String,
    pub version: i32,
    pub content: String,
    pub refs: String,
    pub created_at: NaiveDateTime,
    /// U6: computed from the content when the version is written (`domain::titles::title_of`).
    pub title: Option<String>,
}

/// A publish state as stored, keyed by the integer keys of its environment and item (issue 8).
#[derive(Debug, Clone, Queryable)]
pub struct PublishStateRow {
    pub environment_key: i64,
    pub item_key: i64,
    pub locale: String,
    pub version: Option<i32>,
    pub last_event_id: i64,
    pub updated_at: NaiveDateTime,
}

/// A publish state as the API shows it: its item by id, read by joining `items` on the key.
#[derive(Debug, Clone, Queryable, QueryableByName)]
pub struct PublishStateView {
    #[diesel(sql_type = Text)]
    pub item_id: String,
    #[diesel(sql_type = Text)]
    pub locale: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub version: Option<i32>,
    #[diesel(sql_type = BigInt)]
    pub last_event_id: i64,
    #[diesel(sql_type = Timestamp)]
    pub updated_at: NaiveDateTime,
    /// U6: the title of the published version (none when unpublished).
    #[diesel(sql_type = Nullable<Text>)]
    pub version_title: Option<String>,
    /// U6: the item's title.
    #[diesel(sql_type = Nullable<Text>)]
    pub item_title: Option<String>,
}

impl PublishStateView {
    /// The view of a stored state whose item's id the caller already holds, with the titles of
    /// its version and its item.
    pub fn of(item_id: &str, row: PublishStateRow, titles: Titles) -> PublishStateView {
        PublishStateView {
            item_id: item_id.to_string(),
            locale: row.locale,
            version: row.version,
            last_event_id: row.last_event_id,
            updated_at: row.updated_at,
            version_title: titles.version,
            item_title: titles.item,
        }
    }

    /// U6: the title of the version it names, else the item's.
    pub fn title(&self) -> Option<String> {
        self.version_title.clone().or_else(|| self.item_title.clone())
    }
}

/// U6: the titles of a row's version and of its item, shown as the version's, else the item's.
#[derive(Debug, Clone, Default)]
pub struct Titles {
    pub version: Option<String>,
    pub item: Option<String>,
}

/// One entry of the publish log as the API shows it: its item by id, joined on the key.
#[derive(Debug, Clone, Queryable)]
pub struct PublishEventView {
    pub id: i64,
    pub item_id: String,
    pub locale: String,
    pub from_version: Option<i32>,
    pub to_version: Option<i32>,
    pub cause: String,
    pub deployment_id: Option<String>,
    pub actor: String,
    pub at: NaiveDateTime,
}

/// A publish event to append; the database gives it its id.
#[derive(Debug, Insertable)]
#[diesel(table_name = publish_events)]
pub(crate) struct NewPublishEvent<'a> {
    pub environment_key: i64,
    pub item_key: i64,
    pub locale: &'a str,
    pub from_version: Option<i32>,
    pub to_version: Option<i32>,
    pub cause: &'a str,
    pub deployment_id: Option<&'a str>,
    pub actor: &'a str,
    pub at: NaiveDateTime,
}

/// A release as stored.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = releases)]
pub struct ReleaseRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub kind: ReleaseKind,
    pub rollback_of: Option<String>,
    pub owner: String,
    pub created_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// How many items it holds, kept by every write that adds or removes one.
    pub item_count: i64,
}

/// A release item as the API shows it: its item by id, joined on the key; `action` and
/// `version` are null in a rollback release.
#[derive(Debug, Clone, Queryable)]
pub struct ReleaseItemRow {
    pub release_id: String,
    pub item_id: String,
    pub locale: String,
    pub action: Option<Action>,
    pub version: Option<i32>,
    pub position: i64,
    /// U6: the title of the version it publishes (none for an unpublish or a rollback release's key).
    pub version_title: Option<String>,
    /// U6: the item's title.
    pub item_title: Option<String>,
}

impl ReleaseItemRow {
    /// U6: the title of the version it names, else the item's.
    pub fn title(&self) -> Option<String> {
        self.version_title.clone().or_else(|| self.item_title.clone())
    }
}

/// A deployment as stored.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = deployments)]
pub struct DeploymentRow {
    pub id: String,
    pub release_id: Option<String>,
    pub environment_id: String,
    pub trigger: Trigger,
    pub status: DeploymentStatus,
    pub deployed_by: String,
    pub reason: Option<String>,
    pub scheduled_at: Option<NaiveDateTime>,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub progress_total: i32,
    pub progress_done: i32,
    pub published: i32,
    pub unpublished: i32,
    pub skipped: i32,
    pub error: Option<String>,
    pub rolled_back_to_deployment_id: Option<String>,
    pub high_event_id: Option<i64>,
    pub created_at: NaiveDateTime,
    /// C1's policy: `skip` or `fail`.
    pub on_conflict: ConflictPolicy,
    /// R1: how many of its items carry a warning.
    pub warned_items: i32,
    /// H2: a rollback's own choice to hold the environment when it succeeds (`None`: the
    /// environment's `hold_after_rollback` decides).
    pub hold: Option<bool>,
}

/// The outcome of a deployment for one key as the API shows it: its item by id, joined on the key.
#[derive(Debug, Clone, Queryable)]
pub struct DeploymentItemRow {
    pub deployment_id: String,
    pub position: i32,
    pub item_id: String,
    pub locale: String,
    pub action: Action,
    pub version: Option<i32>,
    pub prior_version: Option<i32>,
    pub outcome: Outcome,
    pub skip_reason: Option<SkipReason>,
    pub event_id: Option<i64>,
    /// R1's warnings of the key: a JSON array of `{code, item_id, locale}`.
    pub warnings: String,
    /// U6: the title of the version it publishes (none for an unpublish).
    pub version_title: Option<String>,
    /// U6: the item's title.
    pub item_title: Option<String>,
}

impl DeploymentItemRow {
    /// U6: the title of the version it names, else the item's.
    pub fn title(&self) -> Option<String> {
        self.version_title.clone().or_else(|| self.item_title.clone())
    }
}
