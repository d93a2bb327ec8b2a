//! Reads of publish state and the publish log: the pages of `GET .../publish-state` (also as
//! of a time) and `GET .../publish-log`, each read through an index in its own order.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::rows::{PublishEventRow, PublishStateRow};
use super::schema::{publish_events, publish_states};
use super::{DbConn, MultiBackend};
use crate::error::AppResult;

/// Up to `limit` publish states of an environment, most recently changed first, below the
/// event id `before`; optionally of one item.
pub fn states_page(
    conn: &mut DbConn,
    environment_id: &str,
    item_id: Option<&str>,
    before: i64,
    limit: i64,
) -> AppResult<Vec<PublishStateRow>> {
    let q = publish_states::table
        .filter(publish_states::environment_id.eq(environment_id.to_string()))
        .limit(limit)
        .into_boxed();
    let q = match item_id {
        // The few states of one item come by the primary key and are sorted: comparing and
        // ordering on an expression keeps SQLite's planner off the newest-first index, which
        // would walk the whole environment to find them.
        Some(item) => q
            .filter(publish_states::item_id.eq(item.to_string()))
            .filter((publish_states::last_event_id + 0i64).lt(before))
            .order((publish_states::last_event_id + 0i64).desc()),
        None => q.filter(publish_states::last_event_id.lt(before)).order(publish_states::last_event_id.desc()),
    };
    Ok(q.load(conn)?)
}

/// The id of the environment's last event at or before `at`, if any. An environment's events
/// are written under its row lock, each stamped after taking it, so their times grow with their
/// ids and the last by `(at, id)` on `publish_events_at_id` is the highest id of that time.
pub fn last_event_at(conn: &mut DbConn, environment_id: &str, at: NaiveDateTime) -> AppResult<Option<i64>> {
    Ok(publish_events::table
        .filter(publish_events::environment_id.eq(environment_id))
        .filter(publish_events::at.le(at))
        .order((publish_events::at.desc(), publish_events::id.desc()))
        .select(publish_events::id)
        .first(conn)
        .optional()?)
}

/// The state as of event `high`: each key's last event at or below it. The plan walks the
/// environment's events newest first on `publish_events_recent (environment_id, id)` from
/// below the cursor and keeps an event when no later one of its key is at or below `high`
/// (an anti-join probing `publish_events_key (environment_id, item_id, locale, id)` once per
/// event). A page reads its `limit` rows plus the events superseded among them, never the
/// whole environment, and keeps X4's newest-first order.
const STATES_AT: &str = "SELECT e.* FROM publish_events e WHERE e.environment_id = $1 AND e.id < $3 \
    AND NOT EXISTS (SELECT 1 FROM publish_events l WHERE l.environment_id = e.environment_id \
    AND l.item_id = e.item_id AND l.locale = e.locale AND l.id > e.id AND l.id <= $2) \
    ORDER BY e.id DESC LIMIT $4";

/// `STATES_AT` for one item: its few events come by the key index and are sorted (comparing
/// and ordering on `e.id + 0` keeps SQLite off the newest-first walk of the environment).
const ITEM_STATES_AT: &str = "SELECT e.* FROM publish_events e WHERE e.environment_id = $1 AND e.item_id = $5 \
    AND e.id + 0 < $3 \
    AND NOT EXISTS (SELECT 1 FROM publish_events l WHERE l.environment_id = e.environment_id \
    AND l.item_id = e.item_id AND l.locale = e.locale AND l.id > e.id AND l.id <= $2) \
    ORDER BY e.id + 0 DESC LIMIT $4";

/// Up to `limit` publish states of an environment as they stood at event `high`, most recently
/// changed first, below the event id `before`; optionally of one item.
pub fn states_at_page(
    conn: &mut DbConn,
    environment_id: &str,
    item_id: Option<&str>,
    high: i64,
    before: i64,
    limit: i64,
) -> AppResult<Vec<PublishStateRow>> {
    let bound = before.min(high.saturating_add(1));
    let q = super::sql(conn, if item_id.is_some() { ITEM_STATES_AT } else { STATES_AT })
        .into_boxed::<MultiBackend>()
        .bind::<Text, _>(environment_id.to_string())
        .bind::<BigInt, _>(high)
        .bind::<BigInt, _>(bound)
        .bind::<BigInt, _>(limit);
    let q = match item_id {
        Some(item) => q.bind::<Text, _>(item.to_string()),
        None => q,
    };
    let rows: Vec<PublishEventRow> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|e| PublishStateRow {
            environment_id: e.environment_id,
            item_id: e.item_id,
            locale: e.locale,
            version: e.to_version,
            last_event_id: e.id,
            updated_at: e.at,
        })
        .collect())
}

/// Up to `limit` entries of an environment's publish log, newest first, below the id `before`;
/// optionally of one item.
pub fn events_page(
    conn: &mut DbConn,
    environment_id: &str,
    item_id: Option<&str>,
    before: i64,
    limit: i64,
) -> AppResult<Vec<PublishEventRow>> {
    let q = publish_events::table
        .filter(publish_events::environment_id.eq(environment_id.to_string()))
        .limit(limit)
        .into_boxed();
    let q = match item_id {
        // One item's events come by the key index and are sorted (see `states_page`).
        Some(item) => q
            .filter(publish_events::item_id.eq(item.to_string()))
            .filter((publish_events::id + 0i64).lt(before))
            .order((publish_events::id + 0i64).desc()),
        None => q.filter(publish_events::id.lt(before)).order(publish_events::id.desc()),
    };
    Ok(q.load(conn)?)
}
