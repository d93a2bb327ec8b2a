//! Writes to publish state: each one appends its event in the same transaction, under the
//! environment's row lock, and keeps the environment's `last_event_id`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use super::rows::{NewPublishEvent, PublishStateRow};
use super::schema::{environments, publish_events, publish_states};
use super::{DbConn, MultiBackend};
use crate::domain::{Outcome, PlannedItem};

/// Locks the environment's row for the rest of the transaction and returns its
/// `last_event_id`: all writes to one environment's publish state run one after another.
pub fn lock_environment(conn: &mut DbConn, environment_id: &str) -> QueryResult<i64> {
    diesel::update(environments::table.find(environment_id))
        .set(environments::last_event_id.eq(environments::last_event_id))
        .returning(environments::last_event_id)
        .get_result(conn)
}

fn set_environment_last_event(conn: &mut DbConn, environment_id: &str, event_id: i64) -> QueryResult<()> {
    diesel::update(environments::table.find(environment_id))
        .set(environments::last_event_id.eq(event_id))
        .execute(conn)
        .map(|_| ())
}

/// The state of one key, if it has ever been written.
pub fn current_state(
    conn: &mut DbConn,
    environment_id: &str,
    item_id: &str,
    locale: &str,
) -> QueryResult<Option<PublishStateRow>> {
    publish_states::table.find((environment_id, item_id, locale)).first(conn).optional()
}

const UPSERT_STATE: &str = "INSERT INTO publish_states \
    (environment_id, item_id, locale, version, last_event_id, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6) \
    ON CONFLICT (environment_id, item_id, locale) DO UPDATE SET version = excluded.version, \
    last_event_id = excluded.last_event_id, updated_at = excluded.updated_at";

/// Appends one event and sets the key's state to match it. The caller holds the lock.
pub fn write_one(conn: &mut DbConn, event: &NewPublishEvent) -> QueryResult<PublishStateRow> {
    let id: i64 =
        diesel::insert_into(publish_events::table).values(event).returning(publish_events::id).get_result(conn)?;
    super::sql(conn, UPSERT_STATE)
        .bind::<Text, _>(event.environment_id)
        .bind::<Text, _>(event.item_id)
        .bind::<Text, _>(event.locale)
        .bind::<Nullable<Integer>, _>(event.to_version)
        .bind::<BigInt, _>(id)
        .bind::<Timestamp, _>(event.at)
        .execute(conn)?;
    set_environment_last_event(conn, event.environment_id, id)?;
    Ok(PublishStateRow {
        environment_id: event.environment_id.to_string(),
        item_id: event.item_id.to_string(),
        locale: event.locale.to_string(),
        version: event.to_version,
        last_event_id: id,
        updated_at: event.at,
    })
}

/// Rows per multi-row insert: ten parameters a row stays under SQLite's 32,766.
const CHUNK_ROWS: usize = 3000;

/// Hands out `n` new event ids in ascending order. The caller holds the write lock: on SQLite
/// the whole database's, so the next ids are free; on PostgreSQL the sequence hands them out.
fn allocate_event_ids(conn: &mut DbConn, n: usize) -> QueryResult<Vec<i64>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    if n == 0 {
        return Ok(vec![]);
    }
    let rows: Vec<Id> = match conn {
        DbConn::Pg(_) => super::sql(
            conn,
            "SELECT nextval(pg_get_serial_sequence('publish_events', 'id')) AS id FROM generate_series(1, $1)",
        )
        .bind::<BigInt, _>(n as i64)
        .load(conn)?,
        DbConn::Sqlite(_) => {
            let max: Option<i64> = publish_events::table.select(diesel::dsl::max(publish_events::id)).first(conn)?;
            let base = max.unwrap_or(0);
            return Ok((1..=n as i64).map(|i| base + i).collect());
        }
    };
    let mut ids: Vec<i64> = rows.into_iter().map(|r| r.id).collect();
    ids.sort_unstable();
    Ok(ids)
}

/// What a deployment writes for its plan, in one transaction whose caller holds the lock.
pub struct DeploymentWrite<'a> {
    pub deployment_id: &'a str,
    pub environment_id: &'a str,
    pub actor: &'a str,
    pub at: NaiveDateTime,
}

/// Records the deployment item of every planned key and applies the plan: one event and one
/// state write per key that is not skipped. Multi-row inserts for the items, then two
/// set-based statements for the events and the states. Returns the environment's
/// `last_event_id` afterwards (E4's H for this deployment).
pub fn apply_plan(conn: &mut DbConn, w: &DeploymentWrite, plan: &[PlannedItem]) -> QueryResult<i64> {
    let writes = plan.iter().filter(|p| p.outcome != Outcome::Skipped).count();
    let ids = allocate_event_ids(conn, writes)?;
    let high = ids.last().copied();
    let mut ids = ids.into_iter();
    let mut position = 0i32;
    for chunk in plan.chunks(CHUNK_ROWS) {
        let sql = format!(
            "INSERT INTO deployment_items (deployment_id, position, item_id, locale, action, version, \
             prior_version, outcome, skip_reason, event_id) VALUES {}",
            super::values_list(conn, chunk.len(), 10)
        );
        let mut q = diesel::sql_query(sql).into_boxed::<MultiBackend>();
        for p in chunk {
            let event_id = if p.outcome == Outcome::Skipped { None } else { ids.next() };
            q = q
                .bind::<Text, _>(w.deployment_id.to_string())
                .bind::<Integer, _>(position)
                .bind::<Text, _>(p.key.item_id.clone())
                .bind::<Text, _>(p.key.locale.clone())
                .bind::<Text, _>(p.action.as_str())
                .bind::<Nullable<Integer>, _>(p.version)
                .bind::<Nullable<Integer>, _>(p.prior_version)
                .bind::<Text, _>(p.outcome.as_str())
                .bind::<Nullable<Text>, _>(p.skip_reason.map(|r| r.as_str()))
                .bind::<Nullable<BigInt>, _>(event_id);
            position += 1;
        }
        q.execute(conn)?;
    }
    let Some(high) = high else {
        return lock_environment(conn, w.environment_id);
    };
    super::sql(
        conn,
        "INSERT INTO publish_events (id, environment_id, item_id, locale, from_version, to_version, \
         cause, deployment_id, actor, at) \
         SELECT event_id, $2, item_id, locale, prior_version, version, 'deployment', deployment_id, $3, $4 \
         FROM deployment_items WHERE deployment_id = $1 AND event_id IS NOT NULL ORDER BY position",
    )
    .bind::<Text, _>(w.deployment_id)
    .bind::<Text, _>(w.environment_id)
    .bind::<Text, _>(w.actor)
    .bind::<Timestamp, _>(w.at)
    .execute(conn)?;
    // `WHERE true` lets SQLite tell the upsert's ON CONFLICT from a join constraint.
    super::sql(
        conn,
        "INSERT INTO publish_states (environment_id, item_id, locale, version, last_event_id, updated_at) \
         SELECT $2, item_id, locale, version, event_id, $3 FROM deployment_items \
         WHERE deployment_id = $1 AND event_id IS NOT NULL AND true \
         ON CONFLICT (environment_id, item_id, locale) DO UPDATE SET version = excluded.version, \
         last_event_id = excluded.last_event_id, updated_at = excluded.updated_at",
    )
    .bind::<Text, _>(w.deployment_id)
    .bind::<Text, _>(w.environment_id)
    .bind::<Timestamp, _>(w.at)
    .execute(conn)?;
    set_environment_last_event(conn, w.environment_id, high)?;
    Ok(high)
}
