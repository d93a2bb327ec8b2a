//! Webhook rules (W1–W3) as plain functions: the events, the Standard Webhooks signature and the
//! retry schedule (the addresses a delivery may go to are in `addresses`).

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::DeploymentStatus;

/// W1: a deployment status change an endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum WebhookEvent {
    /// A3: a deployment was created awaiting approval.
    #[serde(rename = "deployment.awaiting_approval")]
    AwaitingApproval,
    #[serde(rename = "deployment.started")]
    Started,
    #[serde(rename = "deployment.succeeded")]
    Succeeded,
    #[serde(rename = "deployment.failed")]
    Failed,
    #[serde(rename = "deployment.cancelled")]
    Cancelled,
    /// H5: a hold was placed on the environment.
    #[serde(rename = "environment.held")]
    Held,
    /// H5: the environment's hold was lifted.
    #[serde(rename = "environment.released")]
    Released,
}

impl WebhookEvent {
    /// Every event: a deployment's in the order of its life, then an environment's.
    pub const ALL: [WebhookEvent; 7] = [
        WebhookEvent::AwaitingApproval,
        WebhookEvent::Started,
        WebhookEvent::Succeeded,
        WebhookEvent::Failed,
        WebhookEvent::Cancelled,
        WebhookEvent::Held,
        WebhookEvent::Released,
    ];

    /// The event's name, as stored and as the message's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::AwaitingApproval => "deployment.awaiting_approval",
            WebhookEvent::Started => "deployment.started",
            WebhookEvent::Succeeded => "deployment.succeeded",
            WebhookEvent::Failed => "deployment.failed",
            WebhookEvent::Cancelled => "deployment.cancelled",
            WebhookEvent::Held => "environment.held",
            WebhookEvent::Released => "environment.released",
        }
    }

    /// The event a stored name stands for, if any.
    pub fn parse(s: &str) -> Option<WebhookEvent> {
        match s {
            "deployment.awaiting_approval" => Some(WebhookEvent::AwaitingApproval),
            "deployment.started" => Some(WebhookEvent::Started),
            "deployment.succeeded" => Some(WebhookEvent::Succeeded),
            "deployment.failed" => Some(WebhookEvent::Failed),
            "deployment.cancelled" => Some(WebhookEvent::Cancelled),
            "environment.held" => Some(WebhookEvent::Held),
            "environment.released" => Some(WebhookEvent::Released),
            _ => None,
        }
    }

    /// W2: the event that a change of a deployment to `status` announces (none for the others).
    pub(crate) fn of_status(status: DeploymentStatus) -> Option<WebhookEvent> {
        match status {
            DeploymentStatus::AwaitingApproval => Some(WebhookEvent::AwaitingApproval),
            DeploymentStatus::InProgress => Some(WebhookEvent::Started),
            DeploymentStatus::Succeeded => Some(WebhookEvent::Succeeded),
            DeploymentStatus::Failed => Some(WebhookEvent::Failed),
            DeploymentStatus::Cancelled => Some(WebhookEvent::Cancelled),
            DeploymentStatus::Scheduled | DeploymentStatus::Queued => None,
        }
    }
}

/// A new endpoint secret: `whsec_` and the base64 of 32 random bytes.
pub(crate) fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("whsec_{}", BASE64.encode(bytes))
}

/// W3: the `webhook-signature` header, `v1,` and the base64 HMAC-SHA256 with the secret's decoded
/// bytes over `id.timestamp.body`. None when the stored secret is not `whsec_` + base64.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = BASE64.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
}

/// W3: how long to wait before the next attempt after the `attempts`-th failed one, with `jitter`
/// in [0, 1) spreading it by ±20 %; None when the schedule is spent and the delivery has failed.
pub(crate) fn retry_after(schedule: &[Duration], attempts: i32, jitter: f64) -> Option<Duration> {
    let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
    schedule.get(index).map(|d| d.mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0)))
}

/// W3's waits before each retry, in seconds: 5 s, 30 s, 2 min, 10 min and 1 h.
pub(crate) const RETRY_SECONDS: [u64; 5] = [5, 30, 120, 600, 3600];

/// W3's schedule: about 5 s, 30 s, 2 min, 10 min and 1 h.
pub(crate) fn default_schedule() -> Vec<Duration> {
    RETRY_SECONDS.into_iter().map(Duration::from_secs).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w3_retries_on_the_schedule_then_gives_up() {
        let s = default_schedule();
        assert_eq!(retry_after(&s, 1, 0.5), Some(Duration::from_secs(5)));
        assert_eq!(retry_after(&s, 5, 0.5), Some(Duration::from_secs(3600)));
        assert_eq!(retry_after(&s, 6, 0.5), None);
        let low = retry_after(&s, 2, 0.0).unwrap();
        let high = retry_after(&s, 2, 0.999).unwrap();
        assert!(low >= Duration::from_secs(24) && high <= Duration::from_secs(36) && low < high);
    }

    #[test]
    fn w3_signs_with_the_decoded_secret() {
        // The example of the Standard Webhooks specification.
        let sig = signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig.as_deref(), Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
        assert_eq!(signature("nope", "id", 1, "{}"), None);
    }

    #[test]
    fn w2_announces_only_the_four_changes() {
        assert_eq!(WebhookEvent::of_status(DeploymentStatus::InProgress), Some(WebhookEvent::Started));
        assert_eq!(WebhookEvent::of_status(DeploymentStatus::Queued), None);
        for e in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::parse(e.as_str()), Some(e), "parse is as_str's inverse");
        }
    }
}
