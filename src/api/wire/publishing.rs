//! Environments, their publish state and their log on the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::utc;
use super::Deployment;
use crate::db::rows::{PublishEventView, PublishStateView};
use crate::hold_document::Hold;
use crate::service::environments::{EnvironmentView, FreezeView};
use crate::service::holds::Lifted;

/// An environment and its active deployment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Environment {
    pub id: String,
    pub name: String,
    pub active_deployment: Option<Deployment>,
    /// How many keys the environment publishes now.
    pub published_keys: i64,
    /// H2: a rollback that succeeds here holds the environment.
    pub hold_after_rollback: bool,
    /// H1: its open hold, or null.
    pub hold: Option<Hold>,
    /// H4: its open freeze window, or null.
    pub freeze: Option<Freeze>,
    pub created_at: DateTime<Utc>,
}

/// A freeze window (H4): while it is open, the environment holds back standard deployments.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Freeze {
    #[schema(value_type = uuid::Uuid)]
    pub id: String,
    pub environment: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    #[schema(value_type = uuid::Uuid)]
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<FreezeView> for Freeze {
    fn from(f: FreezeView) -> Freeze {
        Freeze {
            id: f.row.id,
            environment: f.environment,
            starts_at: utc(f.row.starts_at),
            ends_at: utc(f.row.ends_at),
            reason: f.row.reason,
            created_by: f.row.created_by,
            created_at: utc(f.row.created_at),
        }
    }
}

/// What lifting a hold answers (H1): the hold, lifted, and the deployments that now run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LiftedHold {
    pub hold: Hold,
    pub released: Vec<Deployment>,
}

impl From<Lifted> for LiftedHold {
    fn from(l: Lifted) -> LiftedHold {
        LiftedHold { hold: l.hold, released: l.released.into_iter().map(Deployment::from).collect() }
    }
}

impl From<EnvironmentView> for Environment {
    fn from(e: EnvironmentView) -> Environment {
        Environment {
            id: e.row.id,
            name: e.row.name,
            active_deployment: e.active_deployment.map(Deployment::from),
            published_keys: e.published_keys,
            hold_after_rollback: e.row.hold_after_rollback,
            hold: e.hold,
            freeze: e.freeze.map(Freeze::from),
            created_at: utc(e.row.created_at),
        }
    }
}

/// The publish state of a key: its published version, or null.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PublishState {
    pub item_id: String,
    pub locale: String,
    /// U6: the title of the published version, else the item's.
    #[serde(default)]
    pub title: Option<String>,
    pub version: Option<i32>,
    pub last_event_id: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<PublishStateView> for PublishState {
    fn from(s: PublishStateView) -> PublishState {
        PublishState {
            title: s.title(),
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
