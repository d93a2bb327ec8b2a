//! V1–V3: reads of an environment's published content, as of an event id: a page in key order
//! (`publish_states`' primary key), one key, and what changed between two event ids in event
//! order (`publish_events_recent`). Each row joins its item by key and its version by
//! `(item_id, locale, version)`, so a page reads its own rows and a probe or two for each.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
use diesel::QueryResult;

use super::schema::{cursor_secrets, publish_events};
use super::{DbConn, MultiBackend};

/// One key's content as of an event: the version published then (none for an unpublish in a
/// sync delta) and what the item and the version hold.
#[derive(Debug, Clone, QueryableByName)]
pub struct ContentRow {
    #[diesel(sql_type = BigInt)]
    pub item_key: i64,
    #[diesel(sql_type = Text)]
    pub item_id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub content_type: Option<String>,
    #[diesel(sql_type = Text)]
    pub locale: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub version: Option<i32>,
    /// The key's last event at or before the point read.
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    /// When that event was written (none for a key a release would publish: V2's `release`).
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub published_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pub content: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub refs: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub title: Option<String>,
}

/// What a read of content keeps: one item, one locale, one content type (V1's filters; V3's
/// `content_type` and `locale`).
#[derive(Debug, Clone, Default)]
pub struct ContentFilter {
    pub item_key: Option<i64>,
    pub locale: Option<String>,
    pub content_type: Option<String>,
}

/// The filters as SQL over `key` (the alias of the key's item key) and `locale`, their
/// parameters numbered from `first`, and the values to bind in that order.
fn filter_sql(f: &ContentFilter, key: &str, locale: &str, first: usize) -> (String, Vec<FilterValue>) {
    let mut sql = String::new();
    let mut values = Vec::new();
    let mut n = first;
    if let Some(k) = f.item_key {
        sql.push_str(&format!(" AND {key} = ${n}"));
        values.push(FilterValue::Key(k));
        n += 1;
    }
    if let Some(l) = &f.locale {
        sql.push_str(&format!(" AND {locale} = ${n}"));
        values.push(FilterValue::Text(l.clone()));
        n += 1;
    }
    if let Some(t) = &f.content_type {
        sql.push_str(&format!(" AND i.content_type = ${n}"));
        values.push(FilterValue::Text(t.clone()));
    }
    (sql, values)
}

enum FilterValue {
    Key(i64),
    Text(String),
}

type Boxed<'a> = diesel::query_builder::BoxedSqlQuery<'a, MultiBackend, diesel::query_builder::SqlQuery>;

fn bind_filters(mut q: Boxed<'_>, values: Vec<FilterValue>) -> Boxed<'_> {
    for v in values {
        q = match v {
            FilterValue::Key(k) => q.bind::<BigInt, _>(k),
            FilterValue::Text(t) => q.bind::<Text, _>(t),
        };
    }
    q
}

/// The content of each key as of event `point`: a key's state row serves when its last event is
/// at or below the point; one changed since finds its last event at or below the point on
/// `publish_events_key`. Walks `publish_states`' primary key in `(item_key, locale)` order after
/// the key `$3, $4`, keeping the keys published then.
const CONTENT_AT: &str = "SELECT s.item_key, i.id AS item_id, i.kind, i.content_type, s.locale, \
    e.to_version AS version, e.id AS event_id, e.at AS published_at, v.content, v.refs, v.title \
    FROM publish_states s \
    JOIN publish_events e ON e.id = CASE WHEN s.last_event_id <= $2 THEN s.last_event_id ELSE \
      (SELECT max(p.id) FROM publish_events p WHERE p.environment_key = s.environment_key \
       AND p.item_key = s.item_key AND p.locale = s.locale AND p.id <= $2) END \
    JOIN items i ON i.key = s.item_key \
    JOIN versions v ON v.item_id = i.id AND v.locale = s.locale AND v.version = e.to_version \
    WHERE s.environment_key = $1 AND (s.item_key, s.locale) > ($3, $4)";

/// Up to `limit` keys published in the environment as of event `point`, in item key then
/// locale order, after the key `after` (from the first without it).
pub fn content_page(
    conn: &mut DbConn,
    environment_key: i64,
    point: i64,
    after: Option<(i64, &str)>,
    filter: &ContentFilter,
    limit: i64,
) -> QueryResult<Vec<ContentRow>> {
    let (filters, values) = filter_sql(filter, "s.item_key", "s.locale", 6);
    let text = format!("{CONTENT_AT}{filters} ORDER BY s.item_key, s.locale LIMIT $5");
    let (after_key, after_locale) = after.unwrap_or((i64::MIN, ""));
    let q = super::sql(conn, &text)
        .into_boxed::<MultiBackend>()
        .bind::<BigInt, _>(environment_key)
        .bind::<BigInt, _>(point)
        .bind::<BigInt, _>(after_key)
        .bind::<Text, _>(after_locale.to_string())
        .bind::<BigInt, _>(limit);
    bind_filters(q, values).load(conn)
}

/// The keys whose state changed after event `from` up to event `point` (their last event in
/// that range), in event order after event `after`, each with its state as of `point`: the
/// version published (with its content), or none. Walks the environment's events on
/// `publish_events_recent` and keeps an event when no later one of its key is at or below
/// the point (an anti-join on `publish_events_key`).
const CHANGED: &str = "SELECT e.item_key, i.id AS item_id, i.kind, i.content_type, e.locale, \
    e.to_version AS version, e.id AS event_id, e.at AS published_at, v.content, v.refs, v.title \
    FROM publish_events e \
    JOIN items i ON i.key = e.item_key \
    LEFT JOIN versions v ON v.item_id = i.id AND v.locale = e.locale AND v.version = e.to_version \
    WHERE e.environment_key = $1 AND e.id > $3 AND e.id <= $2 \
    AND NOT EXISTS (SELECT 1 FROM publish_events l WHERE l.environment_key = e.environment_key \
    AND l.item_key = e.item_key AND l.locale = e.locale AND l.id > e.id AND l.id <= $2)";

/// Up to `limit` keys of the environment whose state changed after event `after` up to event
/// `point`, in event order, each as of `point` (see [`CHANGED`]).
pub fn changed_page(
    conn: &mut DbConn,
    environment_key: i64,
    point: i64,
    after: i64,
    filter: &ContentFilter,
    limit: i64,
) -> QueryResult<Vec<ContentRow>> {
    let (filters, values) = filter_sql(filter, "e.item_key", "e.locale", 5);
    let text = format!("{CHANGED}{filters} ORDER BY e.id LIMIT $4");
    let q = super::sql(conn, &text)
        .into_boxed::<MultiBackend>()
        .bind::<BigInt, _>(environment_key)
        .bind::<BigInt, _>(point)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(limit);
    bind_filters(q, values).load(conn)
}

/// The environment's latest event id (0 before its first): the greatest on
/// `publish_events_recent (environment_key, id)`, one probe.
pub fn latest_event_id(conn: &mut DbConn, environment_key: i64) -> QueryResult<i64> {
    let id: Option<i64> = publish_events::table
        .filter(publish_events::environment_key.eq(environment_key))
        .select(diesel::dsl::max(publish_events::id))
        .first(conn)?;
    Ok(id.unwrap_or(0))
}

/// The environment's latest event id such that every event of it at or below that id has
/// committed: V1's and V3's point, which a read then answers as of in a snapshot taken after. On
/// PostgreSQL manual writes of different keys commit side by side, so one that drew a lower id
/// may still be in flight when a higher one is visible (see `db::publish`). Each holds its key's
/// advisory lock from before it draws its id until it commits: after reading the latest id, this
/// waits for the manual writes of the environment in flight then (`pg_locks`; each such wait is a
/// write's own few milliseconds), and a write that draws its id later draws a higher one. A
/// deployment holds the environment's row lock exclusively, so none of its ids is below a
/// visible one. Must run outside a transaction (each statement sees what committed before it).
/// On SQLite writes are one at a time and commit in id order.
pub fn settled_point(conn: &mut DbConn, environment_key: i64) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct InFlight {
        #[diesel(sql_type = BigInt)]
        key_hash: i64,
    }
    let point = latest_event_id(conn, environment_key)?;
    if let DbConn::Pg(_) = conn {
        // `db::publish::lock_key`'s two-int4 advisory locks: `classid` the environment key,
        // `objid` the key's hash (as an unsigned oid), `objsubid` 2.
        let in_flight: Vec<InFlight> = super::sql(
            conn,
            "SELECT objid::bigint AS key_hash FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND objsubid = 2 AND classid = ($1::int4)::bigint::oid AND pid <> pg_backend_pid() \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .bind::<Integer, _>(environment_key as i32)
        .load(conn)?;
        for w in in_flight {
            super::sql(conn, "SELECT 1 FROM (SELECT pg_advisory_xact_lock_shared($1, $2)) AS l")
                .bind::<Integer, _>(environment_key as i32)
                .bind::<Integer, _>(w.key_hash as u32 as i32)
                .execute(conn)?;
        }
    }
    Ok(point)
}

/// The secret that signs content and sync cursors (written once by its migration).
pub fn cursor_secret(conn: &mut DbConn) -> QueryResult<String> {
    cursor_secrets::table.find(1).select(cursor_secrets::secret).first(conn)
}
