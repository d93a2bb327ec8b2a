//! The hold document (H1): a hold as the API answers it and as a webhook message (H5) carries
//! it. A wire type below both `api` and `service::webhooks`, as the deployment document is.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::holds::HoldRow;
use crate::domain::HoldCause;

/// A hold on an environment (H1, H2): open while `lifted_at` is null.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Hold {
    #[schema(value_type = uuid::Uuid)]
    pub id: String,
    /// The environment's name.
    pub environment: String,
    /// `manual` (placed by a person) or `rollback` (placed by a rollback that succeeded).
    #[schema(value_type = String)]
    pub cause: HoldCause,
    pub reason: String,
    /// The user who placed it (a rollback's deployer).
    #[schema(value_type = uuid::Uuid)]
    pub held_by: String,
    pub held_at: DateTime<Utc>,
    /// The rollback deployment that placed it; null for a manual hold.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub deployment_id: Option<String>,
    #[schema(value_type = Option<uuid::Uuid>)]
    pub lifted_by: Option<String>,
    pub lifted_at: Option<DateTime<Utc>>,
}

impl Hold {
    /// The hold `row` on the environment named `environment`.
    pub fn of(row: HoldRow, environment: String) -> Hold {
        Hold {
            id: row.id,
            environment,
            cause: row.cause,
            reason: row.reason,
            held_by: row.held_by,
            held_at: row.held_at.and_utc(),
            deployment_id: row.deployment_id,
            lifted_by: row.lifted_by,
            lifted_at: row.lifted_at.map(|t| t.and_utc()),
        }
    }
}
