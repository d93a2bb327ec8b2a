//! Webhooks (W1–W4): registering endpoints, writing a deployment's messages to the outbox in the
//! transaction of its status change, and the deliveries an admin follows and retries.

use std::collections::HashMap;
use std::net::{IpAddr, ToSocketAddrs};

use chrono::SecondsFormat;

use super::{environments, numeric_cursor, Caller, Page, PageParams, Parsed};
use crate::db::deployments::DeploymentView;
use crate::db::webhooks::{self as q, DeliveryRow, EndpointRow, Subscriptions};
use crate::db::{new_id, now, write_transaction, DbConn};
use crate::deployment_document::Deployment;
use crate::domain::addresses::address_allowed;
use crate::domain::ids::EndpointId;
use crate::domain::validate;
use crate::domain::webhooks::{new_secret, WebhookEvent};
use crate::error::{AppError, AppResult, ProblemCode};
use crate::hold_document::Hold;

/// What registering an endpoint takes (W1), already parsed.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub environments: Option<Vec<String>>,
    pub description: Option<String>,
}

/// An endpoint with the names of the environments it is limited to.
#[derive(Debug, Clone)]
pub struct EndpointView {
    pub row: EndpointRow,
    /// The events it is subscribed to, in the order of `WebhookEvent::ALL`.
    pub events: Vec<WebhookEvent>,
    /// The names of the environments it is limited to (`None`: every environment).
    pub environments: Option<Vec<String>>,
}

/// The longest endpoint URL.
pub(crate) const URL_MAX: usize = 2048;

/// The URL as it may be shown: without any user name or password that an endpoint registered
/// before userinfo was refused may still carry.
pub(crate) fn shown_url(stored: &str) -> String {
    match url::Url::parse(stored) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        _ => stored.to_string(),
    }
}

/// W1: checks an endpoint URL: `http` or `https` (400 otherwise) and, unless `allow_private`, a
/// host that neither is nor resolves to an address that is not globally routable unicast
/// (`domain::addresses`; 422 `webhook_url_not_allowed`, also when it does not resolve). Blocks
/// while resolving. Registration and every delivery run it.
pub fn check_url(raw: &str, allow_private: bool) -> AppResult<url::Url> {
    if raw.len() > URL_MAX {
        return Err(AppError::invalid_field("url", format!("must be at most {URL_MAX} characters")));
    }
    let url = url::Url::parse(raw).map_err(|e| AppError::invalid_field("url", format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AppError::invalid_field("url", "must be an http or https URL"));
    }
    let host = url.host().ok_or_else(|| AppError::invalid_field("url", "must have a host"))?;
    let refused = |detail: String| AppError::Rule(ProblemCode::WebhookUrlNotAllowed, detail);
    if url.port() == Some(0) {
        // Port 0 reaches no endpoint: on connecting, the system picks a port of its own.
        return Err(refused("port 0 is not a port an endpoint listens on".into()));
    }
    if allow_private {
        return Ok(url);
    }
    let addresses: Vec<IpAddr> = match host {
        url::Host::Ipv4(ip) => vec![IpAddr::V4(ip)],
        url::Host::Ipv6(ip) => vec![IpAddr::V6(ip)],
        url::Host::Domain(name) => (name, url.port_or_known_default().unwrap_or(443))
            .to_socket_addrs()
            .map_err(|e| refused(format!("the host '{name}' does not resolve: {e}")))?
            .map(|a| a.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(refused("the host resolves to no address".into()));
    }
    if let Some(ip) = addresses.into_iter().find(|ip| !address_allowed(*ip)) {
        return Err(refused(format!(
            "the host is or resolves to {ip}, which is not a globally routable unicast address"
        )));
    }
    Ok(url)
}

fn views(conn: &mut DbConn, rows: Vec<EndpointRow>) -> AppResult<Vec<EndpointView>> {
    let endpoint_ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut subscribed = q::subscriptions(conn, &endpoint_ids)?;
    let mut ids: Vec<&str> = subscribed.values().flat_map(|s| s.environment_ids.iter().map(String::as_str)).collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<String, String> = crate::db::environments::names(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let s = subscribed.remove(&row.id).unwrap_or_default();
            let mut events: Vec<WebhookEvent> = s.events.iter().filter_map(|e| WebhookEvent::parse(e)).collect();
            events.sort_by_key(|e| WebhookEvent::ALL.iter().position(|a| a == e));
            let environments = (!row.all_environments)
                .then(|| s.environment_ids.iter().filter_map(|id| names.get(id).cloned()).collect());
            EndpointView { row, events, environments }
        })
        .collect())
}

/// W1: an admin registers an endpoint; answers it with its secret, which is shown only now.
pub fn create(
    conn: &mut DbConn,
    caller: &Caller,
    new: NewEndpoint,
    allow_private: bool,
) -> AppResult<(EndpointView, String)> {
    caller.require_admin()?;
    register(conn, new, allow_private)
}

/// W1: registers an endpoint with no caller to check (the command line acts with the
/// operator's authority); answers it with its secret, which is shown only now. A URL with
/// userinfo is refused (422), so that no credential is stored and shown back to admins.
#[tracing::instrument(skip_all)]
pub fn register(conn: &mut DbConn, new: NewEndpoint, allow_private: bool) -> AppResult<(EndpointView, String)> {
    if new.events.is_empty() {
        return Err(AppError::invalid_field("events", "name at least one event"));
    }
    if let Some(d) = &new.description {
        validate::free_text(d, validate::TEXT_MAX).map_err(|rule| AppError::invalid_field("description", rule))?;
    }
    let url = check_url(&new.url, allow_private)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::Rule(
            ProblemCode::WebhookUrlNotAllowed,
            "the URL must not carry a user name or password: rewind signs each delivery instead".into(),
        ));
    }
    let environments = match &new.environments {
        Some(names) => {
            let mut ids = Vec::with_capacity(names.len());
            for name in names {
                ids.push(environments::named_in_body(conn, name)?.id);
            }
            ids.sort_unstable();
            ids.dedup();
            Some(ids)
        }
        None => None,
    };
    let mut events = new.events.clone();
    events.sort_by_key(|e| WebhookEvent::ALL.iter().position(|a| a == e));
    events.dedup();
    let secret = new_secret();
    let row = EndpointRow {
        id: new_id(),
        url: url.to_string(),
        secret: secret.clone(),
        description: new.description,
        created_at: now(),
        deleted_at: None,
        all_environments: environments.is_none(),
    };
    let subscribed = Subscriptions {
        events: events.iter().map(|e| e.as_str().to_string()).collect(),
        environment_ids: environments.unwrap_or_default(),
    };
    q::insert_endpoint(conn, &row, &subscribed)?;
    Ok((views(conn, vec![row])?.remove(0), secret))
}

/// W1: endpoints, newest first (X4; admins only). The page comes as asked, errors included, and
/// is checked after the role (403 first).
pub fn list(conn: &mut DbConn, caller: &Caller, page: Parsed<PageParams>) -> AppResult<Page<EndpointView>> {
    caller.require_admin()?;
    let page = page?;
    super::own_cursor(conn, super::CursorTable::WebhookEndpoints, &page)?;
    let rows = q::endpoints(conn, page.cursor.clone(), page.limit)?;
    Ok(Page { data: views(conn, rows.data)?, next_cursor: rows.next_cursor })
}

fn endpoint(conn: &mut DbConn, id: &str) -> AppResult<EndpointRow> {
    q::endpoint(conn, id)?.ok_or_else(|| AppError::NotFound("no such webhook".into()))
}

/// Checks that the caller is an admin, then parses the path's endpoint id (400 when not one).
fn admin_and_id(caller: &Caller, id: Parsed<EndpointId>) -> AppResult<EndpointId> {
    caller.require_admin()?;
    id
}

/// W1: one endpoint (404 when unknown or deleted; admins only).
pub fn get(conn: &mut DbConn, caller: &Caller, id: Parsed<EndpointId>) -> AppResult<EndpointView> {
    let id = admin_and_id(caller, id)?;
    let row = endpoint(conn, &id)?;
    Ok(views(conn, vec![row])?.remove(0))
}

/// W1, W4: deletes an endpoint; its pending deliveries stop (they end `failed`; admins only).
#[tracing::instrument(skip_all, fields(webhook = id.as_ref().map_or("", |i| i.as_str())))]
pub fn delete(conn: &mut DbConn, caller: &Caller, id: Parsed<EndpointId>) -> AppResult<()> {
    let id = admin_and_id(caller, id)?;
    write_transaction(conn, |conn| {
        if q::delete_endpoint(conn, &id, now())? == 0 {
            return Err(AppError::NotFound("no such webhook".into()));
        }
        Ok(())
    })
}

/// W2: writes the message that `deployment`'s new status announces, one per subscribed endpoint.
/// Call it inside the transaction that changed the status, so that the message commits with it.
pub fn announce(conn: &mut DbConn, deployment: &DeploymentView) -> AppResult<()> {
    let Some(event) = WebhookEvent::of_status(deployment.row.status) else {
        return Ok(());
    };
    // The message carries the deployment exactly as `GET /v1/deployments/{id}` answers it.
    let data = serde_json::json!({"deployment": Deployment::from(deployment.clone())});
    enqueue(conn, event, Some(&deployment.row.id), &deployment.row.environment_id, data)
}

/// Writes `{type, timestamp, data}` as one pending message per endpoint subscribed to `event` in
/// the environment.
fn enqueue(
    conn: &mut DbConn,
    event: WebhookEvent,
    deployment_id: Option<&str>,
    environment_id: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    let at = now();
    let payload = serde_json::json!({
        "type": event.as_str(),
        "timestamp": at.and_utc().to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    });
    let n = q::enqueue(conn, event.as_str(), deployment_id, environment_id, &payload.to_string(), at)?;
    if n > 0 {
        tracing::debug!(messages = n, event = event.as_str(), "webhook messages written");
    }
    Ok(())
}

/// H5: writes the message of a hold placed (`environment.held`) or lifted
/// (`environment.released`), one per subscribed endpoint, in the transaction that did it.
pub(crate) fn announce_hold(
    conn: &mut DbConn,
    event: WebhookEvent,
    hold: &Hold,
    environment_id: &str,
) -> AppResult<()> {
    enqueue(conn, event, None, environment_id, serde_json::json!({"environment": hold.environment, "hold": hold}))
}

/// W4: an endpoint's deliveries, newest first (X4; admins only); the page is checked after the
/// role (403 first).
pub fn deliveries(
    conn: &mut DbConn,
    caller: &Caller,
    endpoint_id: Parsed<EndpointId>,
    page: Parsed<PageParams>,
) -> AppResult<Page<DeliveryRow>> {
    let endpoint_id = admin_and_id(caller, endpoint_id)?;
    let page = page?;
    endpoint(conn, &endpoint_id)?;
    Ok(q::deliveries(conn, &endpoint_id, numeric_cursor(&page.cursor)?, page.limit)?)
}

/// A delivery id from the path: `msg_` and 32 hex digits (400 otherwise).
pub(crate) fn delivery_id(s: &str) -> Parsed<String> {
    let ok = s
        .strip_prefix("msg_")
        .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    ok.then(|| s.to_string()).ok_or_else(|| AppError::invalid_field("delivery_id", "not a delivery id"))
}

/// W4: queues a failed delivery again for one more attempt (409 `not_retryable` otherwise;
/// admins only).
#[tracing::instrument(skip_all, fields(webhook = endpoint_id.as_ref().map_or("", |i| i.as_str()), delivery = delivery_id.as_deref().unwrap_or_default()))]
pub fn retry(
    conn: &mut DbConn,
    caller: &Caller,
    endpoint_id: Parsed<EndpointId>,
    delivery_id: Parsed<String>,
) -> AppResult<DeliveryRow> {
    let endpoint_id = &admin_and_id(caller, endpoint_id)?;
    let delivery_id = &delivery_id?;
    write_transaction(conn, |conn| {
        endpoint(conn, endpoint_id)?;
        let d = q::delivery(conn, endpoint_id, delivery_id)?
            .ok_or_else(|| AppError::NotFound("no such delivery".into()))?;
        if q::requeue_failed(conn, d.seq, now())? == 0 {
            return Err(AppError::Rule(ProblemCode::NotRetryable, format!("the delivery is {}", d.status)));
        }
        q::delivery(conn, endpoint_id, delivery_id)?
            .ok_or_else(|| AppError::internal("a delivery retried was not read back"))
    })
}
