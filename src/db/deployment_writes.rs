//! A deployment's writes (L5): its deployment items, and for each key not skipped one event and
//! one state write, set-based, a chunk a statement, in the deployment's one transaction. The
//! ordering it relies on is `db::publish`'s.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use super::plan_keys::ItemKeys;
use super::publish::highest_event;
use super::published_counts::{count_published, published_delta};
use super::schema::publish_events;
use super::DbConn;
use crate::domain::{Outcome, PlannedItem};

/// A planned item's warnings as stored: a JSON array.
fn warnings_json(p: &PlannedItem) -> String {
    if p.warnings.is_empty() {
        "[]".into()
    } else {
        serde_json::to_string(&p.warnings).unwrap_or_else(|_| "[]".into())
    }
}

/// The integer keys of the plan's items, in plan order; an item the plan was not read with is
/// an error (a bug), never a row left out.
fn item_keys(w: &DeploymentWrite, plan: &[PlannedItem]) -> QueryResult<Vec<i64>> {
    plan.iter()
        .map(|p| {
            w.item_keys.get(&p.key.item_id).copied().ok_or_else(|| {
                diesel::result::Error::QueryBuilderError(format!("no item key for {}", p.key.item_id).into())
            })
        })
        .collect()
}

/// What a deployment writes for its plan, in one transaction whose caller holds the lock.
pub(crate) struct DeploymentWrite<'a> {
    pub deployment_id: &'a str,
    /// The integer key of the environment, which the events and states carry.
    pub environment_key: i64,
    /// The integer key of every item of the page being written.
    pub item_keys: &'a ItemKeys,
    pub actor: &'a str,
    pub at: NaiveDateTime,
}

/// How many planned items a deployment writes per statement: the worker hears its progress
/// after each chunk (S1), and no statement binds more than this many rows.
pub(crate) const CHUNK: usize = 10_000;

/// Records the deployment item of every key of a page of a plan and applies them: one event and
/// one state write per key that is not skipped, all set-based, `CHUNK` items a statement in the
/// caller's one transaction. `first` is the page's first position in the whole plan; `done(n)`
/// hears after each chunk how many of the page's items are written. Returns the page's highest
/// event id, if it wrote any. The caller holds the environment's lock (`lock_environment`).
pub(crate) fn apply_page(
    conn: &mut DbConn,
    w: &DeploymentWrite,
    page: &[PlannedItem],
    first: usize,
    done: &mut dyn FnMut(usize),
) -> QueryResult<Option<i64>> {
    let mut high = None;
    for (n, chunk) in page.chunks(CHUNK).enumerate() {
        let from = first + n * CHUNK;
        let chunk_high = match conn {
            DbConn::Pg(pg) => record_items_pg(pg, w, chunk, from, true)?,
            DbConn::Sqlite(_) => {
                let chunk_high = record_items_sqlite(conn, w, chunk, from, true)?;
                if chunk_high.is_some() {
                    apply_items_sqlite(conn, w, from, chunk.len())?;
                }
                chunk_high
            }
        };
        high = chunk_high.or(high);
        done(n * CHUNK + chunk.len());
    }
    // Alone in the environment, the deployment's change of the count goes to one shard.
    count_published(conn, w.environment_key, 0, published_delta(page))?;
    Ok(high)
}

/// E4's H for a deployment whose pages wrote events up to `high` (`None`: it wrote none). Under
/// the environment's exclusive lock its own events are the highest; with none, the highest
/// that has committed.
pub(crate) fn high_after(conn: &mut DbConn, environment_key: i64, high: Option<i64>) -> QueryResult<i64> {
    match high {
        Some(high) => Ok(high),
        None => highest_event(conn, environment_key),
    }
}

/// SQLite: the events and the states of `len` recorded items from position `first`, two
/// statements that read the items back (it has no data-modifying `WITH`, which PostgreSQL's one
/// statement uses).
fn apply_items_sqlite(conn: &mut DbConn, w: &DeploymentWrite, first: usize, len: usize) -> QueryResult<()> {
    let (from, to) = (first as i32, (first + len) as i32);
    super::sql(
        conn,
        "INSERT INTO publish_events (id, environment_key, item_key, locale, from_version, to_version, \
         cause, deployment_id, actor, at) \
         SELECT d.event_id, $2, d.item_key, d.locale, d.prior_version, d.version, 'deployment', d.deployment_id, $3, $4 \
         FROM deployment_items d \
         WHERE d.deployment_id = $1 AND d.position >= $5 AND d.position < $6 AND d.event_id IS NOT NULL \
         ORDER BY d.position",
    )
    .bind::<Text, _>(w.deployment_id)
    .bind::<BigInt, _>(w.environment_key)
    .bind::<Text, _>(w.actor)
    .bind::<Timestamp, _>(w.at)
    .bind::<Integer, _>(from)
    .bind::<Integer, _>(to)
    .execute(conn)?;
    // `WHERE true` lets SQLite tell the upsert's ON CONFLICT from a join constraint.
    super::sql(
        conn,
        "INSERT INTO publish_states (environment_key, item_key, locale, version, last_event_id, updated_at) \
         SELECT $2, d.item_key, d.locale, d.version, d.event_id, $3 FROM deployment_items d \
         WHERE d.deployment_id = $1 AND d.position >= $4 AND d.position < $5 AND d.event_id IS NOT NULL AND true \
         ON CONFLICT (environment_key, item_key, locale) DO UPDATE SET version = excluded.version, \
         last_event_id = excluded.last_event_id, updated_at = excluded.updated_at",
    )
    .bind::<Text, _>(w.deployment_id)
    .bind::<BigInt, _>(w.environment_key)
    .bind::<Timestamp, _>(w.at)
    .bind::<Integer, _>(from)
    .bind::<Integer, _>(to)
    .execute(conn)?;
    Ok(())
}

/// Records the deployment item of every key of a page of a plan without applying any (C1's
/// refused rollback): no event, no state change, every `event_id` null. `first` is the page's
/// first position in the whole plan.
pub(crate) fn record_page(
    conn: &mut DbConn,
    w: &DeploymentWrite,
    page: &[PlannedItem],
    first: usize,
) -> QueryResult<()> {
    for (n, chunk) in page.chunks(CHUNK).enumerate() {
        match conn {
            DbConn::Pg(pg) => record_items_pg(pg, w, chunk, first + n * CHUNK, false)?,
            DbConn::Sqlite(_) => record_items_sqlite(conn, w, chunk, first + n * CHUNK, false)?,
        };
    }
    Ok(())
}

/// PostgreSQL: every deployment item in one statement over arrays, the event ids drawn from
/// the events' sequence in release order (with `events`; else none), and in the same statement
/// (data-modifying `WITH`) the event and the state of each item that has an event id, from the
/// rows as inserted rather than read back. The sequence is named, not looked up with
/// `pg_get_serial_sequence`, which ran per row and took half the statement's time. Returns the
/// highest event id, if any. `plan` is the chunk of the whole plan from position `first`.
fn record_items_pg(
    pg: &mut diesel::PgConnection,
    w: &DeploymentWrite,
    plan: &[PlannedItem],
    first: usize,
    events: bool,
) -> QueryResult<Option<i64>> {
    use diesel::sql_types::Array;
    #[derive(QueryableByName)]
    struct High {
        #[diesel(sql_type = Nullable<BigInt>)]
        high: Option<i64>,
    }
    let high: High = diesel::sql_query(
        "WITH ins AS (INSERT INTO deployment_items (deployment_id, position, item_key, locale, action, version, \
         prior_version, outcome, skip_reason, event_id, warnings) \
         SELECT $1, t.position - 1 + $14, t.item_key, t.locale, t.action, t.version, t.prior_version, t.outcome, \
           t.skip_reason, CASE WHEN $9 AND t.outcome <> 'skipped' \
             THEN nextval('publish_events_id_seq') END, t.warnings \
         FROM unnest($2::int8[], $3::text[], $4::text[], $5::int4[], $6::int4[], $7::text[], $8::text[], \
           $10::text[]) \
           WITH ORDINALITY AS t(item_key, locale, action, version, prior_version, outcome, skip_reason, warnings, \
             position) \
         ORDER BY t.position RETURNING item_key, locale, version, prior_version, event_id), \
         ev AS (INSERT INTO publish_events (id, environment_key, item_key, locale, from_version, to_version, \
           cause, deployment_id, actor, at) \
         SELECT event_id, $11, item_key, locale, prior_version, version, 'deployment', $1, $12, $13 \
         FROM ins WHERE event_id IS NOT NULL), \
         st AS (INSERT INTO publish_states (environment_key, item_key, locale, version, last_event_id, updated_at) \
         SELECT $11, item_key, locale, version, event_id, $13 FROM ins WHERE event_id IS NOT NULL \
         ON CONFLICT (environment_key, item_key, locale) DO UPDATE SET version = excluded.version, \
           last_event_id = excluded.last_event_id, updated_at = excluded.updated_at) \
         SELECT max(event_id) AS high FROM ins",
    )
    .bind::<Text, _>(w.deployment_id)
    .bind::<Array<BigInt>, _>(item_keys(w, plan)?)
    .bind::<Array<Text>, _>(plan.iter().map(|p| p.key.locale.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(plan.iter().map(|p| p.action.as_str()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Integer>>, _>(plan.iter().map(|p| p.version).collect::<Vec<_>>())
    .bind::<Array<Nullable<Integer>>, _>(plan.iter().map(|p| p.prior_version).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(plan.iter().map(|p| p.outcome.as_str()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(plan.iter().map(|p| p.skip_reason.map(|r| r.as_str())).collect::<Vec<_>>())
    .bind::<diesel::sql_types::Bool, _>(events)
    .bind::<Array<Text>, _>(plan.iter().map(warnings_json).collect::<Vec<_>>())
    .bind::<BigInt, _>(w.environment_key)
    .bind::<Text, _>(w.actor)
    .bind::<Timestamp, _>(w.at)
    .bind::<Integer, _>(first as i32)
    .get_result(pg)?;
    Ok(high.high)
}

/// SQLite: every deployment item in one statement over a JSON array of rows (`json_each`), as
/// PostgreSQL does over arrays: binding eleven parameters per row through the multi connection
/// cost more than all the rest of the deployment's writes. The caller holds the database's write
/// lock, so the event ids after the highest one are free (given out only with `events`). Returns
/// the highest event id, if any. `plan` is the chunk of the whole plan from position `first`.
fn record_items_sqlite(
    conn: &mut DbConn,
    w: &DeploymentWrite,
    plan: &[PlannedItem],
    first: usize,
    events: bool,
) -> QueryResult<Option<i64>> {
    let max: Option<i64> = publish_events::table.select(diesel::dsl::max(publish_events::id)).first(conn)?;
    let mut next = max.unwrap_or(0);
    let mut high = None;
    let keys = item_keys(w, plan)?;
    let rows: Vec<_> = plan
        .iter()
        .zip(keys)
        .enumerate()
        .map(|(position, (p, item_key))| {
            let event_id = (events && p.outcome != Outcome::Skipped).then(|| {
                next += 1;
                next
            });
            high = event_id.or(high);
            (
                first + position,
                item_key,
                p.key.locale.as_str(),
                p.action.as_str(),
                p.version,
                p.prior_version,
                p.outcome.as_str(),
                p.skip_reason.map(|r| r.as_str()),
                event_id,
                warnings_json(p),
            )
        })
        .collect();
    let rows = serde_json::to_string(&rows).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    // `?1` and `?2` are written out (not through `super::sql`): the JSON paths hold a `$`.
    diesel::sql_query(
        "INSERT INTO deployment_items (deployment_id, position, item_key, locale, action, version, \
         prior_version, outcome, skip_reason, event_id, warnings) \
         SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), \
           json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'), \
           json_extract(value, '$[6]'), json_extract(value, '$[7]'), json_extract(value, '$[8]'), \
           json_extract(value, '$[9]') \
         FROM json_each(?2)",
    )
    .bind::<Text, _>(w.deployment_id)
    .bind::<Text, _>(rows)
    .execute(conn)?;
    Ok(high)
}
