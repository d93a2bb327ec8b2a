//! Webhook endpoints (W1) and their deliveries (W4) on the wire.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::webhooks::DeliveryRow;
use crate::domain::webhooks::WebhookEvent;
use crate::domain::DeliveryStatus;
use crate::service::webhooks::EndpointView;

/// A webhook endpoint; its secret is shown only when it is created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    /// The environments it is limited to; null for all.
    pub environments: Option<Vec<String>>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<EndpointView> for Webhook {
    fn from(e: EndpointView) -> Webhook {
        let events = e.events.clone();
        Webhook {
            id: e.row.id,
            url: crate::service::webhooks::shown_url(&e.row.url),
            events,
            environments: e.environments,
            description: e.row.description,
            created_at: e.row.created_at.and_utc(),
        }
    }
}

/// The answer of `POST /v1/webhooks`: the endpoint and its secret (`whsec_…`), shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` and the base64 of the key that signs the messages.
    pub secret: String,
}

/// One message to one endpoint, and how its attempts went (W4).
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    /// The `webhook-id` of every attempt.
    pub id: String,
    pub event_type: String,
    /// The deployment the message is about; null for an environment's hold (H5).
    #[schema(value_type = Option<uuid::Uuid>)]
    pub deployment_id: Option<String>,
    /// `pending`, `delivered` or `failed`.
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    /// When the next attempt is due; null once delivered or failed.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRow> for Delivery {
    fn from(d: DeliveryRow) -> Delivery {
        Delivery {
            next_attempt_at: (d.status == DeliveryStatus::Pending).then(|| d.next_attempt_at.and_utc()),
            id: d.id,
            event_type: d.event_type,
            deployment_id: d.deployment_id,
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: d.created_at.and_utc(),
            delivered_at: d.delivered_at.map(|t| t.and_utc()),
        }
    }
}
