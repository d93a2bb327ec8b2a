//! V1–V3: reads of an environment's published content, as of an event id: a page in key order
//! (`publish_states`' primary key), one key, and what changed between two event ids in event
//! order (`publish_events_recent`). Each row joins its item by key and its version by
//! `(item_id, locale, version)`, so a page reads its own rows and a probe or two for each.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
use diesel::QueryResult;

use super::prepared::Prepared;
use super::schema::cursor_secrets;
use super::DbConn;

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
    pub item_id: Option<String>,
    pub locale: Option<String>,
    pub content_type: Option<String>,
}

/// The filters over the keys of `alias`; an item by its id, looked up in the same statement (an
/// unknown item keeps nothing).
fn filtered<'a>(mut q: Prepared<'a>, f: &ContentFilter, alias: Alias) -> Prepared<'a> {
    if let Some(id) = &f.item_id {
        q = q
            .sql(match alias {
                Alias::State => " AND s.item_key = (SELECT it.key FROM items it WHERE it.id = ",
                Alias::Event => " AND e.item_key = (SELECT it.key FROM items it WHERE it.id = ",
            })
            .bind::<Text, _>(id.clone())
            .sql(")");
    }
    if let Some(l) = &f.locale {
        q = q
            .sql(match alias {
                Alias::State => " AND s.locale = ",
                Alias::Event => " AND e.locale = ",
            })
            .bind::<Text, _>(l.clone());
    }
    if let Some(t) = &f.content_type {
        q = q.sql(" AND i.content_type = ").bind::<Text, _>(t.clone());
    }
    q
}

/// Which table a read's keys come from.
#[derive(Clone, Copy)]
enum Alias {
    /// `publish_states s`.
    State,
    /// `publish_events e`.
    Event,
}

/// Up to `limit` keys published in the environment as of event `point`, in item key then
/// locale order, after the key `after` (from the first without it). A key's state row serves
/// when its last event is at or below the point; one changed since finds its last event at or
/// below the point on `publish_events_key`. Walks `publish_states`' primary key in
/// `(item_key, locale)` order after the key, keeping the keys published then.
pub fn content_page(
    conn: &mut DbConn,
    environment_key: i64,
    point: i64,
    after: Option<(i64, &str)>,
    filter: &ContentFilter,
    limit: i64,
) -> QueryResult<Vec<ContentRow>> {
    let (after_key, after_locale) = after.unwrap_or((i64::MIN, ""));
    let q = Prepared::new(
        "SELECT s.item_key, i.id AS item_id, i.kind, i.content_type, s.locale, \
         e.to_version AS version, e.id AS event_id, e.at AS published_at, v.content, v.refs, v.title \
         FROM publish_states s JOIN publish_events e ON e.id = CASE WHEN s.last_event_id <= ",
    )
    .bind::<BigInt, _>(point)
    .sql(
        " THEN s.last_event_id ELSE (SELECT max(p.id) FROM publish_events p \
         WHERE p.environment_key = s.environment_key AND p.item_key = s.item_key AND p.locale = s.locale \
         AND p.id <= ",
    )
    .bind::<BigInt, _>(point)
    .sql(
        ") END JOIN items i ON i.key = s.item_key \
         JOIN versions v ON v.item_id = i.id AND v.locale = s.locale AND v.version = e.to_version \
         WHERE s.environment_key = ",
    )
    .bind::<BigInt, _>(environment_key)
    .sql(" AND (s.item_key, s.locale) > (")
    .bind::<BigInt, _>(after_key)
    .sql(", ")
    .bind::<Text, _>(after_locale.to_string())
    .sql(")");
    filtered(q, filter, Alias::State).sql(" ORDER BY s.item_key, s.locale LIMIT ").bind::<BigInt, _>(limit).load(conn)
}

/// Up to `limit` keys of the environment whose state changed after event `after` up to event
/// `point` (their last event in that range), in event order, each with its state as of `point`:
/// the version published (with its content), or none. Walks the environment's events on
/// `publish_events_recent` and keeps an event when no later one of its key is at or below the
/// point (an anti-join on `publish_events_key`).
pub fn changed_page(
    conn: &mut DbConn,
    environment_key: i64,
    point: i64,
    after: i64,
    filter: &ContentFilter,
    limit: i64,
) -> QueryResult<Vec<ContentRow>> {
    let q = Prepared::new(
        "SELECT e.item_key, i.id AS item_id, i.kind, i.content_type, e.locale, \
         e.to_version AS version, e.id AS event_id, e.at AS published_at, v.content, v.refs, v.title \
         FROM publish_events e JOIN items i ON i.key = e.item_key \
         LEFT JOIN versions v ON v.item_id = i.id AND v.locale = e.locale AND v.version = e.to_version \
         WHERE e.environment_key = ",
    )
    .bind::<BigInt, _>(environment_key)
    .sql(" AND e.id > ")
    .bind::<BigInt, _>(after)
    .sql(" AND e.id <= ")
    .bind::<BigInt, _>(point)
    .sql(
        " AND NOT EXISTS (SELECT 1 FROM publish_events l WHERE l.environment_key = e.environment_key \
         AND l.item_key = e.item_key AND l.locale = e.locale AND l.id > e.id AND l.id <= ",
    )
    .bind::<BigInt, _>(point)
    .sql(")");
    filtered(q, filter, Alias::Event).sql(" ORDER BY e.id LIMIT ").bind::<BigInt, _>(limit).load(conn)
}

/// The environment's latest event id such that every event of it at or below that id has
/// committed: V1's and V3's point, which a read then answers as of in a snapshot taken after. On
/// PostgreSQL manual writes of different keys commit side by side, so one that drew a lower id
/// may still be in flight when a higher one is visible (see `db::publish`). Each holds its key's
/// advisory lock from before it draws its id until it commits: one statement reads the latest id
/// in its snapshot and the manual writes of the environment in flight (`pg_locks`, read after
/// that snapshot was taken), and this waits for those (each such wait is a write's own few
/// milliseconds); a write that draws its id later draws a higher one. A deployment holds the
/// environment's row lock exclusively, so none of its ids is below a visible one. Must run
/// outside a transaction (each statement sees what committed before it). On SQLite writes are one
/// at a time and commit in id order.
pub fn settled_point(conn: &mut DbConn, environment_key: i64) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Seen {
        #[diesel(sql_type = BigInt)]
        point: i64,
        #[diesel(sql_type = Nullable<BigInt>)]
        key_hash: Option<i64>,
    }
    if let DbConn::Sqlite(_) = conn {
        return super::publish::highest_event(conn, environment_key);
    }
    // The latest id as `db::publish::highest_event` reads it, beside `db::publish::lock_key`'s
    // two-int4 advisory locks: `classid` the environment key, `objid` the key's hash (as an
    // unsigned oid), `objsubid` 2. One row without a lock, or one a lock.
    let seen: Vec<Seen> = Prepared::new(
        "SELECT p.point, l.key_hash FROM (SELECT COALESCE((SELECT id FROM publish_events WHERE environment_key >= ",
    )
    .bind::<BigInt, _>(environment_key)
    .sql(" AND environment_key <= ")
    .bind::<BigInt, _>(environment_key)
    .sql(
        " ORDER BY environment_key DESC, id DESC LIMIT 1), 0) AS point) p \
         LEFT JOIN (SELECT objid::bigint AS key_hash FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND objsubid = 2 AND classid = (",
    )
    .bind::<Integer, _>(environment_key as i32)
    .sql(
        "::int4)::bigint::oid AND pid <> pg_backend_pid() \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) l ON true",
    )
    .load(conn)?;
    for hash in seen.iter().filter_map(|s| s.key_hash) {
        super::sql(conn, "SELECT 1 FROM (SELECT pg_advisory_xact_lock_shared($1, $2)) AS l")
            .bind::<Integer, _>(environment_key as i32)
            .bind::<Integer, _>(hash as u32 as i32)
            .execute(conn)?;
    }
    Ok(seen.first().map_or(0, |s| s.point))
}

/// The secret that signs content and sync cursors (written once by its migration).
pub fn cursor_secret(conn: &mut DbConn) -> QueryResult<String> {
    cursor_secrets::table.find(1).select(cursor_secrets::secret).first(conn)
}
