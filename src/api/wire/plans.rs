//! Plans and deployment items (B9, E4, R1), and what an environment rollback answers (E5).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Deployment;
use crate::db::rows::DeploymentItemRow;
use crate::domain::references::Warning;
use crate::domain::{Action, Key, Outcome, PlannedItem, SkipReason};
use crate::error::stored_json;

/// B10: one key a partial rollback selects.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectedKey {
    #[schema(value_type = uuid::Uuid)]
    pub item_id: String,
    pub locale: String,
}

impl SelectedKey {
    /// The keys of a request's `keys`, their item ids checked (400 naming `keys`).
    pub fn keys(keys: Option<Vec<SelectedKey>>) -> crate::error::AppResult<Option<Vec<Key>>> {
        keys.map(|keys| {
            keys.into_iter()
                .map(|k| {
                    crate::service::parse_id::<crate::domain::ids::ItemId>("keys", &k.item_id)?;
                    Ok(Key::new(k.item_id, k.locale))
                })
                .collect()
        })
        .transpose()
    }
}

/// What a deployment did (or, in a preview, would do) to one key.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanItem {
    pub item_id: String,
    pub locale: String,
    /// U6: the title of the version it publishes, else the item's.
    #[serde(default)]
    pub title: Option<String>,
    #[schema(value_type = String)]
    pub action: Action,
    #[schema(value_type = String)]
    pub outcome: Outcome,
    pub version: Option<i32>,
    pub prior_version: Option<i32>,
    #[schema(value_type = Option<String>)]
    pub skip_reason: Option<SkipReason>,
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
            title: p.title,
            action: p.action,
            outcome: p.outcome,
            version: p.version,
            prior_version: p.prior_version,
            skip_reason: p.skip_reason,
            warnings: p.warnings,
            event_id: None,
        }
    }
}

impl From<DeploymentItemRow> for PlanItem {
    fn from(i: DeploymentItemRow) -> PlanItem {
        PlanItem {
            title: i.title(),
            item_id: i.item_id,
            locale: i.locale,
            action: i.action,
            outcome: i.outcome,
            version: i.version,
            prior_version: i.prior_version,
            skip_reason: i.skip_reason,
            warnings: stored_json(&i.warnings, "deployment item warnings"),
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
