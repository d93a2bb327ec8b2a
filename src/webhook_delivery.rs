//! The webhook delivery worker (W3): claims due deliveries from the outbox, one attempt at a time,
//! signs and POSTs them, and records how each attempt went.
//!
//! A claim leases the delivery (on PostgreSQL taken `FOR UPDATE SKIP LOCKED`), so that several
//! workers and processes never send the same attempt at once. The lease outlasts the timeout;
//! a process that dies mid-attempt leaves a lease that runs out, and the delivery is tried again.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use reqwest::header::{HeaderValue, CONTENT_TYPE};

use crate::db::webhooks::{self as q, Attempt, Claimed};
use crate::db::{new_id, now, write_transaction, DbConn};
use crate::domain::addresses::address_allowed;
use crate::domain::webhooks::{retry_after, signature};
use crate::domain::DeliveryStatus;
use crate::error::{AppError, AppResult};
use crate::runtime::{db, AppState};
use crate::service::webhooks::check_url;

/// How much longer than the timeout a lease lasts: time to record the attempt.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// Resolves endpoint host names for the client, refusing (unless private addresses are allowed)
/// any name with an address that is not globally routable unicast: the connection goes to
/// an address that was checked, so a name that changes between the check and the connection
/// (DNS rebinding) cannot lead it to one.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(a) = addrs.iter().find(|a| !allow_private && !address_allowed(a.ip())) {
                return Err(format!("webhook_url_not_allowed: '{host}' resolves to {}", a.ip()).into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client of the deliveries: the attempt's timeout, the guarded resolver, and no
/// redirects, which could lead past the address check to a private address.
pub fn client(timeout: Duration, allow_private: bool) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("rewind/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Claims the next due delivery in a transaction of its own; with the lease it was given.
fn claim(conn: &mut DbConn, timeout: Duration) -> AppResult<Option<(Claimed, String)>> {
    let lease_id = new_id();
    let at = now();
    let lease = chrono::Duration::from_std(timeout + LEASE_MARGIN).map_err(AppError::internal)?;
    let claimed = write_transaction(conn, |conn| q::claim(conn, at, &lease_id, at + lease))?;
    Ok(claimed.map(|c| (c, lease_id)))
}

/// One attempt: the address check again (W1), then the signed POST. Answers the endpoint's
/// status, if it answered, and why the attempt did not deliver, if it did not.
async fn send(state: &web::Data<AppState>, client: &reqwest::Client, c: &Claimed) -> (Option<i32>, Option<String>) {
    let url = c.url.clone();
    let allow_private = state.settings.webhooks.allow_private;
    let url = match web::block(move || check_url(&url, allow_private)).await {
        Ok(Ok(url)) => url,
        Ok(Err(e)) => return (None, Some(format!("{}: {e}", e.code()))),
        Err(e) => return (None, Some(format!("the address check did not run: {e}"))),
    };
    let timestamp = chrono::Utc::now().timestamp();
    let Some(sig) = signature(&c.secret, &c.id, timestamp, &c.payload) else {
        return (None, Some("the endpoint's secret is not a whsec_ secret".into()));
    };
    let sent = client
        .post(url)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header("webhook-id", &c.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", sig)
        .body(c.payload.clone())
        .send()
        .await;
    match sent {
        Ok(res) if res.status().is_success() => (Some(i32::from(res.status().as_u16())), None),
        Ok(res) => (Some(i32::from(res.status().as_u16())), Some(format!("the endpoint answered {}", res.status()))),
        Err(e) if e.is_timeout() => (None, Some("no answer within the timeout".into())),
        Err(e) => (None, Some(format!("not sent: {}", with_causes(&e)))),
    }
}

/// An error with its causes, `a: b: c`: reqwest's own message leaves out why (refused, resolved
/// to a private address, TLS).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// How an attempt's outcome changes its delivery: delivered, due again after the schedule's
/// next wait, or failed when the schedule is spent.
fn outcome(schedule: &[Duration], attempts_before: i32, status_code: Option<i32>, error: Option<String>) -> Attempt {
    let at = now();
    if error.is_none() {
        return Attempt { status_code, error, status: DeliveryStatus::Delivered, at };
    }
    match retry_after(schedule, attempts_before + 1, rand::random::<f64>()) {
        Some(wait) => Attempt {
            status_code,
            error,
            status: DeliveryStatus::Pending,
            at: at + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX),
        },
        None => Attempt { status_code, error, status: DeliveryStatus::Failed, at },
    }
}

/// Claims one due delivery, sends it and records the attempt; whether there was one.
pub async fn deliver_one(state: &web::Data<AppState>, client: &reqwest::Client) -> AppResult<bool> {
    let timeout = state.settings.webhooks.timeout;
    let Some((c, lease_id)) = db(state, move |conn| claim(conn, timeout)).await? else { return Ok(false) };
    let (status_code, error) = send(state, client, &c).await;
    let span = tracing::info_span!("webhook_delivery", delivery = %c.id, attempt = c.attempts + 1);
    let attempt = outcome(&state.settings.webhooks.retry_schedule, c.attempts, status_code, error);
    span.in_scope(|| match &attempt.error {
        None => tracing::info!(status_code, "webhook delivered"),
        Some(e) => tracing::warn!(error = %e, status = %attempt.status, "webhook attempt failed"),
    });
    let recorded = db(state, move |conn| Ok(q::record_attempt(conn, c.seq, &lease_id, &attempt)?)).await?;
    if recorded == 0 {
        span.in_scope(|| tracing::info!("the delivery changed during the attempt (endpoint deleted or lease lost)"));
    }
    Ok(true)
}

/// Runs the delivery loop until the state's shutdown begins: deliver what is due, else sleep `poll`. An
/// attempt under way when it begins is finished and recorded.
pub async fn run(state: web::Data<AppState>, poll: Duration) {
    let shutdown = state.shutdown.clone();
    let client = match client(state.settings.webhooks.timeout, state.settings.webhooks.allow_private) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client: webhooks are not delivered");
            return;
        }
    };
    while !shutdown.has_begun() {
        match deliver_one(&state, &client).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "could not deliver webhooks"),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.begun() => {}
        }
    }
}
