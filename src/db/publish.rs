//! Writes to publish state: each one appends its event in the same transaction.
//!
//! Ordering (E4). A deployment's H is the highest event id of its environment when it commits,
//! and E4 reads "the state at H" from the log; that is the state its commit made visible only if
//! no event of the environment with an id at or below H commits after it. Deployments therefore
//! hold the environment's row lock exclusively (`lock_environment`) and manual writes hold it
//! shared (`lock_key`) from before they draw their event id until they commit. Manual writes of
//! different keys run side by side; a deployment waits for those in flight and keeps new ones
//! out, so under its lock every event of the environment with a lower id has committed, and every
//! event drawn after its commit has a higher id. Two writes of one key also take the key's own
//! lock, so that each reads the state the other left and the key's events chain. On SQLite the
//! write transaction holds the database's one write lock, which orders everything already.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use super::published_counts::{count_published, COUNT_SHARDS};
use super::rows::{NewPublishEvent, PublishStateRow};
use super::schema::{publish_events, publish_states};
use super::DbConn;

/// Deployments: locks the environment's row exclusively for the rest of the transaction, so
/// that no manual write of it is in flight (see the module's doc). No-op on SQLite.
pub(crate) fn lock_environment(conn: &mut DbConn, environment_id: &str) -> QueryResult<()> {
    if let DbConn::Pg(_) = conn {
        super::sql(conn, "SELECT 1 FROM environments WHERE id = $1 FOR UPDATE")
            .bind::<Text, _>(environment_id)
            .execute(conn)?;
    }
    Ok(())
}

/// Manual writes: holds the environment's row lock shared and the key's own lock (a
/// transaction-scoped advisory lock on the environment key and a hash of the item key and
/// locale) for the rest of the transaction. No-op on SQLite.
pub(crate) fn lock_key(
    conn: &mut DbConn,
    environment_id: &str,
    environment_key: i64,
    item_key: i64,
    locale: &str,
) -> QueryResult<()> {
    if let DbConn::Pg(_) = conn {
        super::sql(conn, "SELECT 1 FROM environments WHERE id = $1 FOR SHARE")
            .bind::<Text, _>(environment_id)
            .execute(conn)?;
        // The two-int4 form: a lock space apart from the worker's one-bigint claim locks.
        super::sql(conn, "SELECT 1 FROM (SELECT pg_advisory_xact_lock($1, $2)) AS l")
            .bind::<Integer, _>(environment_key as i32)
            .bind::<Integer, _>(key_hash(item_key, locale))
            .execute(conn)?;
    }
    Ok(())
}

/// A 32-bit hash of a key within its environment (FNV-1a): two keys that share it only wait for
/// each other.
fn key_hash(item_key: i64, locale: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in item_key.to_le_bytes().iter().chain(locale.as_bytes()) {
        h = (h ^ u32::from(*b)).wrapping_mul(0x0100_0193);
    }
    h as i32
}

/// The environment's highest event id (0 when it has none): the last entry of
/// `publish_events_recent (environment_key, id)`, one probe. Asked as `max(id)` with
/// `environment_key = $1`, PostgreSQL's generic plan of the prepared statement (used after five
/// runs) walks the primary key down from the newest event of any environment and filters by
/// environment: for an environment whose last event is old, every later event of the others is
/// read (21,000 rows, 3 ms, on every read of its content). The key is bounded as a range, so that
/// the planner keeps it in the order asked: only `publish_events_recent` gives that order without
/// a sort (`tests/list_plans.rs`).
pub(crate) fn highest_event(conn: &mut DbConn, environment_key: i64) -> QueryResult<i64> {
    let max: Option<i64> = publish_events::table
        .filter(publish_events::environment_key.ge(environment_key))
        .filter(publish_events::environment_key.le(environment_key))
        .order((publish_events::environment_key.desc(), publish_events::id.desc()))
        .select(publish_events::id)
        .first(conn)
        .optional()?;
    Ok(max.unwrap_or(0))
}

/// The state of one key, if it has ever been written.
pub(crate) fn current_state(
    conn: &mut DbConn,
    environment_key: i64,
    item_key: i64,
    locale: &str,
) -> QueryResult<Option<PublishStateRow>> {
    publish_states::table.find((environment_key, item_key, locale)).first(conn).optional()
}

const UPSERT_STATE: &str = "INSERT INTO publish_states \
    (environment_key, item_key, locale, version, last_event_id, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6) \
    ON CONFLICT (environment_key, item_key, locale) DO UPDATE SET version = excluded.version, \
    last_event_id = excluded.last_event_id, updated_at = excluded.updated_at";

/// Appends one event and sets the key's state to match it. The caller holds the key's lock
/// (`lock_key`).
pub(crate) fn write_one(conn: &mut DbConn, event: &NewPublishEvent) -> QueryResult<PublishStateRow> {
    let id: i64 =
        diesel::insert_into(publish_events::table).values(event).returning(publish_events::id).get_result(conn)?;
    super::sql(conn, UPSERT_STATE)
        .bind::<BigInt, _>(event.environment_key)
        .bind::<BigInt, _>(event.item_key)
        .bind::<Text, _>(event.locale)
        .bind::<Nullable<Integer>, _>(event.to_version)
        .bind::<BigInt, _>(id)
        .bind::<Timestamp, _>(event.at)
        .execute(conn)?;
    let delta = i64::from(event.to_version.is_some()) - i64::from(event.from_version.is_some());
    let shard = (key_hash(event.item_key, event.locale) as u32 % COUNT_SHARDS) as i32;
    count_published(conn, event.environment_key, shard, delta)?;
    Ok(PublishStateRow {
        environment_key: event.environment_key,
        item_key: event.item_key,
        locale: event.locale.to_string(),
        version: event.to_version,
        last_event_id: id,
        updated_at: event.at,
    })
}
