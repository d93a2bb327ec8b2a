//! What the API answers: the wire shape of each resource, converted from the service views. The
//! console and the command-line client share these types, so the three cannot drift apart.

mod content;
mod people;
mod plans;
mod published;
mod publishing;
mod releases;
mod webhooks;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use self::content::{Item, ItemDiff, Version};
pub use self::people::{Me, Token, TokenInfo, User};
pub use self::plans::{EnvironmentRollback, EnvironmentRollbackPlan, PlanItem, SelectedKey};
pub use self::published::{ContentEntry, SyncAnswer};
pub use self::publishing::{ApprovalRule, Environment, Freeze, LiftedHold, PublishEvent, PublishState};
pub use self::releases::{AddedItems, KeyRef, Release, ReleaseItem};
pub use self::webhooks::{CreatedWebhook, Delivery, Webhook};
pub use crate::deployment_document::Deployment;
pub use crate::hold_document::Hold;
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
