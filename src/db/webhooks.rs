//! Webhook endpoints and the outbox of their deliveries (W1–W4): every query of both tables.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
use diesel::QueryResult;

use super::page::{newest_first, Page};
use super::schema::{webhook_deliveries, webhook_endpoint_environments, webhook_endpoint_events, webhook_endpoints};
use super::DbConn;
use crate::domain::DeliveryStatus;

/// An endpoint as stored; its events and environments are rows of their own
/// (`webhook_endpoint_events`, `webhook_endpoint_environments`).
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub secret: String,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// Whether it hears every environment; else only those of `webhook_endpoint_environments`.
    pub all_environments: bool,
}

/// An endpoint's subscriptions: its events, and the ids of the environments it is limited to.
#[derive(Debug, Clone, Default)]
pub struct Subscriptions {
    pub events: Vec<String>,
    pub environment_ids: Vec<String>,
}

/// A delivery as stored: one message to one endpoint, and how its attempts went.
#[derive(Debug, Clone, Queryable)]
pub struct DeliveryRow {
    pub seq: i64,
    pub id: String,
    pub endpoint_id: String,
    pub event_type: String,
    /// The deployment the message is about; none for an environment's (H5).
    pub deployment_id: Option<String>,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub lease_id: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

/// Stores a new endpoint with its subscriptions.
pub(crate) fn insert_endpoint(conn: &mut DbConn, row: &EndpointRow, subscribed: &Subscriptions) -> QueryResult<()> {
    diesel::insert_into(webhook_endpoints::table).values(row).execute(conn)?;
    for event in &subscribed.events {
        diesel::insert_into(webhook_endpoint_events::table)
            .values((webhook_endpoint_events::endpoint_id.eq(&row.id), webhook_endpoint_events::event.eq(event)))
            .execute(conn)?;
    }
    for environment in &subscribed.environment_ids {
        diesel::insert_into(webhook_endpoint_environments::table)
            .values((
                webhook_endpoint_environments::endpoint_id.eq(&row.id),
                webhook_endpoint_environments::environment_id.eq(environment),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The subscriptions of these endpoints, by endpoint id.
pub(crate) fn subscriptions(conn: &mut DbConn, endpoint_ids: &[&str]) -> QueryResult<HashMap<String, Subscriptions>> {
    let mut by_id: HashMap<String, Subscriptions> = HashMap::new();
    let events: Vec<(String, String)> = webhook_endpoint_events::table
        .filter(webhook_endpoint_events::endpoint_id.eq_any(endpoint_ids))
        .select((webhook_endpoint_events::endpoint_id, webhook_endpoint_events::event))
        .load(conn)?;
    for (id, event) in events {
        by_id.entry(id).or_default().events.push(event);
    }
    let environments: Vec<(String, String)> = webhook_endpoint_environments::table
        .filter(webhook_endpoint_environments::endpoint_id.eq_any(endpoint_ids))
        .order(webhook_endpoint_environments::environment_id)
        .select((webhook_endpoint_environments::endpoint_id, webhook_endpoint_environments::environment_id))
        .load(conn)?;
    for (id, environment) in environments {
        by_id.entry(id).or_default().environment_ids.push(environment);
    }
    Ok(by_id)
}

/// An endpoint that is not deleted.
pub fn endpoint(conn: &mut DbConn, id: &str) -> QueryResult<Option<EndpointRow>> {
    webhook_endpoints::table.find(id).filter(webhook_endpoints::deleted_at.is_null()).first(conn).optional()
}

/// Endpoints that are not deleted, newest first (X4).
pub fn endpoints(conn: &mut DbConn, before: Option<String>, limit: i64) -> QueryResult<Page<EndpointRow>> {
    let q = webhook_endpoints::table.filter(webhook_endpoints::deleted_at.is_null()).into_boxed();
    newest_first(conn, q, webhook_endpoints::id, before, limit, |e: &EndpointRow| e.id.clone())
}

/// Marks an endpoint deleted and fails its pending deliveries (W4); how many endpoints changed.
pub(crate) fn delete_endpoint(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    let n = diesel::update(webhook_endpoints::table.find(id))
        .filter(webhook_endpoints::deleted_at.is_null())
        .set(webhook_endpoints::deleted_at.eq(at))
        .execute(conn)?;
    diesel::update(webhook_deliveries::table)
        .filter(webhook_deliveries::endpoint_id.eq(id))
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Failed),
            webhook_deliveries::last_error.eq("the endpoint was deleted"),
            webhook_deliveries::lease_id.eq(None::<String>),
            webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(n)
}

/// W2: writes one pending delivery of `payload` for every endpoint subscribed to `event_type` in
/// the environment, in one `INSERT … SELECT` over the endpoints; how many it wrote. The message
/// id is made by the database, so the statement is the same however many endpoints match.
pub(crate) fn enqueue(
    conn: &mut DbConn,
    event_type: &str,
    deployment_id: Option<&str>,
    environment_id: &str,
    payload: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let message_id = match conn {
        DbConn::Pg(_) => "'msg_' || replace(gen_random_uuid()::text, '-', '')",
        DbConn::Sqlite(_) => "'msg_' || lower(hex(randomblob(16)))",
    };
    let pending = DeliveryStatus::Pending;
    let text = format!(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_type, deployment_id, payload, status, attempts, \
         next_attempt_at, created_at) \
         SELECT {message_id}, e.id, $1, $2, $3, '{pending}', 0, $4, $4 FROM webhook_endpoints e \
         WHERE e.deleted_at IS NULL \
         AND EXISTS (SELECT 1 FROM webhook_endpoint_events s WHERE s.endpoint_id = e.id AND s.event = $5) \
         AND (e.all_environments OR EXISTS (SELECT 1 FROM webhook_endpoint_environments v \
           WHERE v.endpoint_id = e.id AND v.environment_id = $6)) \
         ORDER BY e.id"
    );
    super::sql(conn, &text)
        .bind::<Text, _>(event_type)
        .bind::<Nullable<Text>, _>(deployment_id)
        .bind::<Text, _>(payload)
        .bind::<Timestamp, _>(at)
        .bind::<Text, _>(event_type)
        .bind::<Text, _>(environment_id)
        .execute(conn)
}

/// A delivery claimed for one attempt, with what sending it needs.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub payload: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
}

/// W3: claims the next due delivery for one attempt, leasing it to `lease_id` until
/// `lease_until`. A delivery waits while an older pending one of its endpoint has not been tried
/// or is due again (per-endpoint order); one waiting for a retry does not hold the others up.
/// Run it in a write transaction: on PostgreSQL the row is taken `FOR UPDATE SKIP LOCKED`.
pub fn claim(
    conn: &mut DbConn,
    at: NaiveDateTime,
    lease_id: &str,
    lease_until: NaiveDateTime,
) -> QueryResult<Option<Claimed>> {
    let pending = DeliveryStatus::Pending;
    let mut text = format!(
        "SELECT d.seq, d.id, d.payload, d.attempts, e.url, e.secret FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.status = '{pending}' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1) \
         AND e.deleted_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id \
           AND p.status = '{pending}' AND p.seq < d.seq AND (p.attempts = 0 OR p.next_attempt_at <= $1)) \
         ORDER BY d.next_attempt_at, d.seq LIMIT 1"
    );
    if matches!(conn, DbConn::Pg(_)) {
        text.push_str(" FOR UPDATE OF d SKIP LOCKED");
    }
    let claimed: Option<Claimed> = super::sql(conn, &text).bind::<Timestamp, _>(at).get_result(conn).optional()?;
    if let Some(c) = &claimed {
        diesel::update(webhook_deliveries::table.find(c.seq))
            .set((webhook_deliveries::lease_id.eq(lease_id), webhook_deliveries::lease_until.eq(lease_until)))
            .execute(conn)?;
    }
    Ok(claimed)
}

/// How one attempt ended, to be recorded on its delivery.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// Why it was not delivered (None when delivered).
    pub error: Option<String>,
    /// The delivery's new status.
    pub status: DeliveryStatus,
    /// When to try again (pending) or, once delivered or failed, when it ended.
    pub at: NaiveDateTime,
}

/// Records an attempt on a delivery still leased to `lease_id` and pending; rows changed (0 when
/// the lease was lost or the endpoint deleted meanwhile).
pub(crate) fn record_attempt(conn: &mut DbConn, seq: i64, lease_id: &str, attempt: &Attempt) -> QueryResult<usize> {
    let delivered_at = (attempt.status == DeliveryStatus::Delivered).then_some(attempt.at);
    diesel::update(webhook_deliveries::table.find(seq))
        .filter(webhook_deliveries::lease_id.eq(lease_id))
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
        .set((
            webhook_deliveries::status.eq(attempt.status),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::last_status_code.eq(attempt.status_code),
            webhook_deliveries::last_error.eq(&attempt.error),
            webhook_deliveries::next_attempt_at.eq(attempt.at),
            webhook_deliveries::delivered_at.eq(delivered_at),
            webhook_deliveries::lease_id.eq(None::<String>),
            webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// An endpoint's deliveries, newest first by order number (X4).
pub fn deliveries(
    conn: &mut DbConn,
    endpoint_id: &str,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Page<DeliveryRow>> {
    let q = webhook_deliveries::table.filter(webhook_deliveries::endpoint_id.eq(endpoint_id.to_string())).into_boxed();
    newest_first(conn, q, webhook_deliveries::seq, before, limit, |d: &DeliveryRow| d.seq.to_string())
}

/// One delivery of an endpoint.
pub fn delivery(conn: &mut DbConn, endpoint_id: &str, id: &str) -> QueryResult<Option<DeliveryRow>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .filter(webhook_deliveries::id.eq(id))
        .first(conn)
        .optional()
}

/// W4: queues a failed delivery again, due at `at`; rows changed (0 when it is not failed).
pub(crate) fn requeue_failed(conn: &mut DbConn, seq: i64, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(webhook_deliveries::table.find(seq))
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Failed))
        .set((webhook_deliveries::status.eq(DeliveryStatus::Pending), webhook_deliveries::next_attempt_at.eq(at)))
        .execute(conn)
}
