//! Reads of publish state and the publish log: the pages of `GET .../publish-state` (also as
//! of a time) and `GET .../publish-log`, each read through an index in its own order. The rows
//! carry integer keys; each page joins `items` by key (one rowid or unique-index probe per row
//! of the page) for the item ids the API answers.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::QueryResult;

use super::rows::{PublishEventView, PublishStateView};
use super::schema::{items, publish_events, publish_states, versions};
use super::{DbConn, MultiBackend};

/// Up to `limit` publish states of an environment, most recently changed first, below the
/// event id `before`; optionally of one item.
pub(crate) fn states_page(
    conn: &mut DbConn,
    environment_key: i64,
    item_key: Option<i64>,
    before: i64,
    limit: i64,
) -> QueryResult<Vec<PublishStateView>> {
    let q = publish_states::table
        .inner_join(items::table.on(items::key.eq(publish_states::item_key)))
        .left_join(
            versions::table.on(versions::item_id
                .eq(items::id)
                .and(versions::locale.eq(publish_states::locale))
                .and(versions::version.nullable().eq(publish_states::version))),
        )
        .filter(publish_states::environment_key.eq(environment_key))
        .select((
            items::id,
            publish_states::locale,
            publish_states::version,
            publish_states::last_event_id,
            publish_states::updated_at,
            versions::title.nullable(),
            items::title,
        ))
        .limit(limit)
        .into_boxed();
    let q = match item_key {
        // The few states of one item come by the primary key and are sorted: comparing and
        // ordering on an expression keeps SQLite's planner off the newest-first index, which
        // would walk the whole environment to find them.
        Some(item) => q
            .filter(publish_states::item_key.eq(item))
            .filter((publish_states::last_event_id + 0i64).lt(before))
            .order((publish_states::last_event_id + 0i64).desc()),
        None => q.filter(publish_states::last_event_id.lt(before)).order(publish_states::last_event_id.desc()),
    };
    q.load(conn)
}

/// The id of the environment's last event at or before `at`, if any. An environment's events
/// are written under its row lock, each stamped after taking it, so their times grow with their
/// ids and the last by `(at, id)` on `publish_events_at_id` is the highest id of that time.
pub(crate) fn last_event_at(conn: &mut DbConn, environment_key: i64, at: NaiveDateTime) -> QueryResult<Option<i64>> {
    publish_events::table
        .filter(publish_events::environment_key.eq(environment_key))
        .filter(publish_events::at.le(at))
        .order((publish_events::at.desc(), publish_events::id.desc()))
        .select(publish_events::id)
        .first(conn)
        .optional()
}

/// The state as of event `high`: each key's last event at or below it. The plan walks the
/// environment's events newest first on `publish_events_recent (environment_key, id)` from
/// below the cursor and keeps an event when no later one of its key is at or below `high`
/// (an anti-join probing `publish_events_key (environment_key, item_key, locale, id)` once per
/// event). A page reads its `limit` rows plus the events superseded among them, never the
/// whole environment, and keeps X4's newest-first order.
const STATES_AT: &str = "SELECT i.id AS item_id, e.locale, e.to_version AS version, e.id AS last_event_id, \
    e.at AS updated_at, v.title AS version_title, i.title AS item_title \
    FROM publish_events e JOIN items i ON i.key = e.item_key \
    LEFT JOIN versions v ON v.item_id = i.id AND v.locale = e.locale AND v.version = e.to_version \
    WHERE e.environment_key = $1 AND e.id < $3 \
    AND NOT EXISTS (SELECT 1 FROM publish_events l WHERE l.environment_key = e.environment_key \
    AND l.item_key = e.item_key AND l.locale = e.locale AND l.id > e.id AND l.id <= $2) \
    ORDER BY e.id DESC LIMIT $4";

/// `STATES_AT` for one item: its few events come by the key index and are sorted (comparing
/// and ordering on `e.id + 0` keeps SQLite off the newest-first walk of the environment).
const ITEM_STATES_AT: &str = "SELECT i.id AS item_id, e.locale, e.to_version AS version, e.id AS last_event_id, \
    e.at AS updated_at, v.title AS version_title, i.title AS item_title \
    FROM publish_events e JOIN items i ON i.key = e.item_key \
    LEFT JOIN versions v ON v.item_id = i.id AND v.locale = e.locale AND v.version = e.to_version \
    WHERE e.environment_key = $1 AND e.item_key = $5 AND e.id + 0 < $3 \
    AND NOT EXISTS (SELECT 1 FROM publish_events l WHERE l.environment_key = e.environment_key \
    AND l.item_key = e.item_key AND l.locale = e.locale AND l.id > e.id AND l.id <= $2) \
    ORDER BY e.id + 0 DESC LIMIT $4";

/// Up to `limit` publish states of an environment as they stood at event `high`, most recently
/// changed first, below the event id `before`; optionally of one item.
pub(crate) fn states_at_page(
    conn: &mut DbConn,
    environment_key: i64,
    item_key: Option<i64>,
    high: i64,
    before: i64,
    limit: i64,
) -> QueryResult<Vec<PublishStateView>> {
    let bound = before.min(high.saturating_add(1));
    let q = super::sql(conn, if item_key.is_some() { ITEM_STATES_AT } else { STATES_AT })
        .into_boxed::<MultiBackend>()
        .bind::<BigInt, _>(environment_key)
        .bind::<BigInt, _>(high)
        .bind::<BigInt, _>(bound)
        .bind::<BigInt, _>(limit);
    let q = match item_key {
        Some(item) => q.bind::<BigInt, _>(item),
        None => q,
    };
    q.load(conn)
}

/// Up to `limit` entries of an environment's publish log, newest first, below the id `before`;
/// optionally of one item.
pub(crate) fn events_page(
    conn: &mut DbConn,
    environment_key: i64,
    item_key: Option<i64>,
    before: i64,
    limit: i64,
) -> QueryResult<Vec<PublishEventView>> {
    let q = publish_events::table
        .inner_join(items::table.on(items::key.eq(publish_events::item_key)))
        .filter(publish_events::environment_key.eq(environment_key))
        .select((
            publish_events::id,
            items::id,
            publish_events::locale,
            publish_events::from_version,
            publish_events::to_version,
            publish_events::cause,
            publish_events::deployment_id,
            publish_events::actor,
            publish_events::at,
        ))
        .limit(limit)
        .into_boxed();
    let q = match item_key {
        // One item's events come by the key index and are sorted (see `states_page`).
        Some(item) => q
            .filter(publish_events::item_key.eq(item))
            .filter((publish_events::id + 0i64).lt(before))
            .order((publish_events::id + 0i64).desc()),
        None => q.filter(publish_events::id.lt(before)).order(publish_events::id.desc()),
    };
    q.load(conn)
}
