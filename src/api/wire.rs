//! What the API answers: the wire shape of each resource, converted from the service views.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::rows::{
    DeploymentItemRow, PublishEventView, PublishStateView, ReleaseItemRow, TokenRow, UserRow, VersionRow,
};
pub use crate::deployment_document::{Counts, Deployment, Progress};
use crate::domain::diff::VersionDiff;
use crate::domain::references::Warning;
use crate::domain::PlannedItem;
use crate::service::environments::EnvironmentView;
use crate::service::items::ItemView;
use crate::service::releases::ReleaseView;
use crate::service::tokens::IssuedToken;
use crate::service::Page;

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// `{"data": ...}`: a single resource (X4).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Data<T> {
    pub data: T,
}

/// `{"data": [...], "next_cursor": ...}`: one page of a list (X4).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct List<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    /// A page of service rows as a page of wire objects.
    pub fn of<S>(page: Page<S>, f: impl FnMut(S) -> T) -> List<T> {
        let page = page.map(f);
        List { data: page.data, next_cursor: page.next_cursor }
    }
}

/// A user; `deactivated_at` is set once an admin has deactivated them (T1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: String,
    pub name: String,
    pub role: String,
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl From<UserRow> for User {
    fn from(u: UserRow) -> User {
        User { id: u.id, name: u.name, role: u.role.to_string(), deactivated_at: u.deactivated_at.map(utc) }
    }
}

/// The caller, with the environments they may publish to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub name: String,
    pub role: String,
    pub grants: Vec<String>,
}

/// A token, shown once at creation; `expires_at` is null for a token that never expires.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Token {
    pub id: String,
    pub token: String,
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<IssuedToken> for Token {
    fn from(t: IssuedToken) -> Token {
        Token { id: t.id, token: t.token, expires_at: t.expires_at.map(utc) }
    }
}

/// A token as listed (T1): never the token or its hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Recorded at most once a minute, so up to a minute (and the cache's 30 s) behind.
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for TokenInfo {
    fn from(t: TokenRow) -> TokenInfo {
        TokenInfo {
            id: t.id,
            label: t.label,
            created_at: utc(t.created_at),
            last_used_at: t.last_used_at.map(utc),
            expires_at: t.expires_at.map(utc),
        }
    }
}

/// An environment and its active deployment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Environment {
    pub id: String,
    pub name: String,
    pub active_deployment: Option<Deployment>,
    /// How many keys the environment publishes now.
    pub published_keys: i64,
    pub created_at: DateTime<Utc>,
}

impl From<EnvironmentView> for Environment {
    fn from(e: EnvironmentView) -> Environment {
        Environment {
            id: e.row.id,
            name: e.row.name,
            active_deployment: e.active_deployment.map(Deployment::from),
            published_keys: e.published_keys,
            created_at: utc(e.row.created_at),
        }
    }
}

/// An item: an entry or an asset, with the latest version of each locale.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Item {
    pub id: String,
    pub kind: String,
    pub content_type: Option<String>,
    pub locales: BTreeMap<String, i32>,
    pub created_at: DateTime<Utc>,
}

impl From<ItemView> for Item {
    fn from(i: ItemView) -> Item {
        Item {
            id: i.row.id,
            kind: i.row.kind.to_string(),
            content_type: i.row.content_type,
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
            content: serde_json::from_str(&v.content).unwrap_or_default(),
            references: serde_json::from_str(&v.refs).unwrap_or_default(),
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

/// The publish state of a key: its published version, or null.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublishState {
    pub item_id: String,
    pub locale: String,
    pub version: Option<i32>,
    pub last_event_id: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<PublishStateView> for PublishState {
    fn from(s: PublishStateView) -> PublishState {
        PublishState {
            item_id: s.item_id,
            locale: s.locale,
            version: s.version,
            last_event_id: s.last_event_id,
            updated_at: utc(s.updated_at),
        }
    }
}

/// One change of a publish state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublishEvent {
    pub id: i64,
    pub item_id: String,
    pub locale: String,
    pub from_version: Option<i32>,
    pub to_version: Option<i32>,
    pub cause: String,
    pub deployment_id: Option<String>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

impl From<PublishEventView> for PublishEvent {
    fn from(e: PublishEventView) -> PublishEvent {
        PublishEvent {
            id: e.id,
            item_id: e.item_id,
            locale: e.locale,
            from_version: e.from_version,
            to_version: e.to_version,
            cause: e.cause,
            deployment_id: e.deployment_id,
            actor: e.actor,
            at: utc(e.at),
        }
    }
}

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
    pub action: Option<String>,
    pub version: Option<i32>,
}

impl From<ReleaseItemRow> for ReleaseItem {
    fn from(i: ReleaseItemRow) -> ReleaseItem {
        ReleaseItem {
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

/// What a deployment did (or, in a preview, would do) to one key.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanItem {
    pub item_id: String,
    pub locale: String,
    pub action: String,
    pub outcome: String,
    pub version: Option<i32>,
    pub prior_version: Option<i32>,
    pub skip_reason: Option<String>,
    /// R1: references the plan leaves dangling, or published items still referencing an
    /// unpublished key; at most 20, by item id.
    pub warnings: Vec<Warning>,
    /// The event the deployment wrote for the key; absent in a preview.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
}

impl From<PlannedItem> for PlanItem {
    fn from(p: PlannedItem) -> PlanItem {
        PlanItem {
            item_id: p.key.item_id,
            locale: p.key.locale,
            action: p.action.as_str().into(),
            outcome: p.outcome.as_str().into(),
            version: p.version,
            prior_version: p.prior_version,
            skip_reason: p.skip_reason.map(|r| r.as_str().into()),
            warnings: p.warnings,
            event_id: None,
        }
    }
}

impl From<DeploymentItemRow> for PlanItem {
    fn from(i: DeploymentItemRow) -> PlanItem {
        PlanItem {
            item_id: i.item_id,
            locale: i.locale,
            action: i.action.to_string(),
            outcome: i.outcome.to_string(),
            version: i.version,
            prior_version: i.prior_version,
            skip_reason: i.skip_reason.map(|r| r.to_string()),
            warnings: serde_json::from_str(&i.warnings).unwrap_or_default(),
            event_id: i.event_id,
        }
    }
}

/// The plan of an environment rollback started now (E3, E4), written nowhere: the deployment it
/// would go back to, and what it would do to each key, in the order a rollback carries it out.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnvironmentRollbackPlan {
    pub target_deployment: Deployment,
    pub items: Vec<PlanItem>,
}

/// E5: the new environment rollback and the environment's active deployment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnvironmentRollback {
    pub deployment: Deployment,
    pub active_deployment: Option<Deployment>,
}
