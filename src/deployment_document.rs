//! The deployment document: a deployment as `GET /v1/deployments/{id}` answers it and as a
//! webhook message (W2) carries it. A wire type, so not in `service` (which has use cases only),
//! and below both `api` and `service::webhooks`, so that neither imports the other.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::deployments::DeploymentView;
pub(crate) use crate::domain::Counts;
use crate::domain::{DeploymentStatus, Trigger};

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// `{total, done}` of a deployment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    pub total: i32,
    pub done: i32,
}

/// A deployment: one execution of a release, or an environment rollback, in one environment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Deployment {
    pub id: String,
    pub release_id: Option<String>,
    /// U6: the release's name; null for an environment rollback.
    #[serde(default)]
    pub release_name: Option<String>,
    pub environment: String,
    #[schema(value_type = String)]
    pub trigger: Trigger,
    #[schema(value_type = String)]
    pub status: DeploymentStatus,
    pub deployed_by: String,
    pub reason: Option<String>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub progress: Progress,
    pub counts: Counts,
    pub error: Option<String>,
    pub rolled_back_to_deployment_id: Option<String>,
    /// R1: how many of its items carry at least one warning.
    pub warned_items: i32,
    /// H3: a standard release's scheduled or queued deployment that waits because its environment
    /// is held or in an open freeze window; false on every other deployment.
    #[serde(default)]
    pub held: bool,
    pub created_at: DateTime<Utc>,
}

impl From<DeploymentView> for Deployment {
    fn from(d: DeploymentView) -> Deployment {
        let r = d.row;
        Deployment {
            id: r.id,
            release_id: r.release_id,
            release_name: d.release_name,
            environment: d.environment,
            trigger: r.trigger,
            status: r.status,
            deployed_by: r.deployed_by,
            reason: r.reason,
            scheduled_at: r.scheduled_at.map(utc),
            started_at: r.started_at.map(utc),
            finished_at: r.finished_at.map(utc),
            progress: Progress { total: r.progress_total, done: r.progress_done },
            counts: Counts { published: r.published, unpublished: r.unpublished, skipped: r.skipped },
            error: r.error,
            rolled_back_to_deployment_id: r.rolled_back_to_deployment_id,
            warned_items: r.warned_items,
            held: d.held,
            created_at: utc(r.created_at),
        }
    }
}
