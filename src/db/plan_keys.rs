//! The rows a deployment's plan is made from: every key it touches with the key's publish
//! state, read set-based and decoded by position (decoding 100,000 rows by column name costs
//! about half a second on PostgreSQL).

use std::collections::HashMap;

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel::QueryResult;

use super::schema::{items, publish_states, release_items};
use super::DbConn;
use crate::domain::environment_rollback::EnvKey;
use crate::domain::{Action, Key};

/// The integer key of each item of a plan, by item id: what its deployment's writes record, so
/// that they look no item up by id.
pub(crate) type ItemKeys = HashMap<String, i64>;

/// A release item with its key's publish state in one environment.
#[derive(Debug, Queryable)]
pub(crate) struct KeyState {
    pub item_id: String,
    pub locale: String,
    /// Null in a rollback release.
    pub action: Option<Action>,
    /// Null in a rollback release.
    pub version: Option<i32>,
    /// The key's published version (`None`: unpublished or never written).
    pub current_version: Option<i32>,
    /// The key's latest event, if it was ever written.
    pub current_event_id: Option<i64>,
    /// The item's integer key.
    pub item_key: i64,
    /// The item's place in the release.
    pub position: i64,
}

/// Which of a release's items a read covers, always in release order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Window<'a> {
    /// All of them.
    All,
    /// Up to `limit` after the position `after` (from the start when `None`).
    Page { after: Option<i64>, limit: i64 },
    /// Those of these items, in any locale.
    Items(&'a [String]),
}

/// The items of a release in `window`, in release order, with their keys' state in the
/// environment.
///
/// A page (and the whole release) walks the release's `release_items_position` range, and
/// looks up each of its rows' item id and publish state by primary key as correlated scalar
/// subqueries, which PostgreSQL evaluates after the sort and the limit, on the page's rows
/// only. Joined instead, the plan depended on the tables' statistics: on tables not analyzed
/// since a bulk load (autovacuum off, or not yet run), PostgreSQL scanned the environment's
/// states once per release item, so that each page of a 100,000-item deployment took longer
/// than the one before (58 s a page, 2026-12-07). Without statistics the release's range may
/// still be read whole and sorted per page (28 ms for 50,000 rows; `tests/list_plans.rs`).
/// The DSL has no correlated scalar subquery, so this is SQL text selected as a typed literal,
/// whose rows decode by position.
pub(crate) fn release_keys(
    conn: &mut DbConn,
    release_id: &str,
    environment_key: i64,
    window: Window,
) -> QueryResult<Vec<KeyState>> {
    type Row = (Text, Text, Nullable<Text>, Nullable<Integer>, Nullable<Integer>, Nullable<BigInt>, BigInt, BigInt);
    let state = " AND ps.item_key = ri.item_key AND ps.locale = ri.locale)";
    let keys = sql::<Row>(
        "(SELECT i.id FROM items i WHERE i.key = ri.item_key), ri.locale, ri.action, ri.version, \
         (SELECT ps.version FROM publish_states ps WHERE ps.environment_key = ",
    )
    .bind::<BigInt, _>(environment_key)
    .sql(state)
    .sql(", (SELECT ps.last_event_id FROM publish_states ps WHERE ps.environment_key = ")
    .bind::<BigInt, _>(environment_key)
    .sql(state)
    .sql(", ri.item_key, ri.position FROM release_items ri WHERE ri.release_id = ")
    .bind::<Text, _>(release_id);
    match window {
        Window::All => diesel::select(keys.sql(" ORDER BY ri.position")).load(conn),
        Window::Page { after, limit } => diesel::select(
            keys.sql(" AND ri.position > ")
                .bind::<BigInt, _>(after.unwrap_or(-1))
                .sql(" ORDER BY ri.position LIMIT ")
                .bind::<BigInt, _>(limit),
        )
        .load(conn),
        Window::Items(ids) => {
            // By the items' integer keys, so that the release's primary key finds them: filtered
            // by id through the join, PostgreSQL walked the whole release in position order
            // (110 ms for one item of 100,000).
            let keys: Vec<i64> = items::table.filter(items::id.eq_any(ids)).select(items::key).load(conn)?;
            release_items::table
                .inner_join(items::table.on(items::key.eq(release_items::item_key)))
                .left_join(
                    publish_states::table.on(publish_states::environment_key
                        .eq(environment_key)
                        .and(publish_states::item_key.eq(release_items::item_key))
                        .and(publish_states::locale.eq(release_items::locale))),
                )
                .filter(release_items::release_id.eq(release_id))
                .filter(release_items::item_key.eq_any(keys))
                .order(release_items::position)
                .select((
                    items::id,
                    release_items::locale,
                    release_items::action,
                    release_items::version,
                    publish_states::version.nullable(),
                    publish_states::last_event_id.nullable(),
                    release_items::item_key,
                    release_items::position,
                ))
                .load(conn)
        }
    }
}

/// A key of E4 as read, by position (see `environment_rollback_keys`).
#[derive(Debug, Queryable)]
struct EnvKeyRow {
    item_key: i64,
    item_id: String,
    locale: String,
    state_at_target: Option<i32>,
    current_version: Option<i32>,
    latest_cause: String,
}

/// E4's keys: those with an event above `high` (the target's H), with their state at H (the
/// last event at or below it, found on `publish_events_key`), their state now and the cause of
/// their latest event, in key order (by item id, as the API names it). A key has an event above
/// H exactly when its latest event, its state's `last_event_id`, is above H: a key's events are
/// appended in id order (a manual write holds the key's lock before it draws its id, a deployment
/// the environment's), so they are the range of `publish_states_recent` above H. Everything else
/// is looked up per key by index, as correlated scalar subqueries: joined, PostgreSQL hashed
/// whole tables for a thousand keys (24 ms where the lookups take 5). The DSL has no correlated
/// scalar subquery, so this is SQL text, selected as a typed literal so that its rows still
/// decode by position. Answers the item keys of the keys too.
pub(crate) fn environment_rollback_keys(
    conn: &mut DbConn,
    environment_key: i64,
    high: i64,
) -> QueryResult<(Vec<EnvKey>, ItemKeys)> {
    let keys = sql::<(BigInt, Text, Text, Nullable<Integer>, Nullable<Integer>, Text)>(
        "ps.item_key, (SELECT i.id FROM items i WHERE i.key = ps.item_key), ps.locale, \
         (SELECT eh.to_version FROM publish_events eh WHERE eh.id = (SELECT max(e2.id) FROM publish_events e2 \
           WHERE e2.environment_key = ps.environment_key AND e2.item_key = ps.item_key AND e2.locale = ps.locale \
           AND e2.id <= ",
    )
    .bind::<BigInt, _>(high)
    .sql(
        ")), ps.version, (SELECT le.cause FROM publish_events le WHERE le.id = ps.last_event_id) \
         FROM publish_states ps WHERE ps.environment_key = ",
    )
    .bind::<BigInt, _>(environment_key)
    .sql(" AND ps.last_event_id > ")
    .bind::<BigInt, _>(high)
    .sql(" ORDER BY 2, 3");
    let rows: Vec<EnvKeyRow> = diesel::select(keys).load(conn)?;
    let mut item_keys = ItemKeys::with_capacity(rows.len());
    let keys = rows
        .into_iter()
        .map(|r| {
            item_keys.insert(r.item_id.clone(), r.item_key);
            EnvKey {
                key: Key::new(r.item_id, r.locale),
                state_at_target: r.state_at_target,
                current_version: r.current_version,
                latest_is_manual: r.latest_cause == "manual",
            }
        })
        .collect();
    Ok((keys, item_keys))
}
