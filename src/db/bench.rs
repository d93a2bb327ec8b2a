//! The statements of the benchmark binary (`src/bin/rewind-bench.rs`): its scratch database on
//! PostgreSQL, seeding items and publish history in bulk, and the floor, the same writes as a
//! deployment's on plain integer tables, which times what the database itself does.
//!
//! Errors are diesel's own, not `AppError`: the bench prints the database's message and ends.

use std::error::Error;

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::{Connection, PgConnection, QueryResult, RunQueryDsl};

use super::{new_id, now, sql, write_transaction, DbConn, MultiBackend};

/// Rows per multi-row insert of items, one bound id a row. Small because SQLite (3.40) spends
/// time quadratic in the number of numbered parameters (`?N`) of a statement to compile it.
const SEED_CHUNK: usize = 500;

/// Creates the database `name` on the PostgreSQL server at `admin_url`.
pub fn create_database(admin_url: &str, name: &str) -> Result<(), Box<dyn Error + Send + Sync>> {
    let mut c = PgConnection::establish(admin_url)?;
    c.batch_execute(&format!("CREATE DATABASE {name}"))?;
    Ok(())
}

/// Drops the database `name` on the server at `admin_url`, also with sessions still open; a
/// failure is ignored, as this runs while a finished or failed run cleans up.
pub fn drop_database(admin_url: &str, name: &str) {
    if let Ok(mut c) = PgConnection::establish(admin_url) {
        let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

/// Inserts `n` items with versions 1 and 2 in `en` (version 2 referencing the next item when
/// `references`), `history` republishes of version 1 key after key, and publishes version 1 of
/// every second item (by id) with one manual event each, as set-based statements in one
/// transaction. Answers the item ids in id order.
pub fn seed(
    conn: &mut DbConn,
    environment_id: &str,
    actor: &str,
    n: usize,
    history: usize,
    references: bool,
) -> QueryResult<Vec<String>> {
    let at = now();
    let ids: Vec<String> = (0..n).map(|_| new_id()).collect();
    write_transaction(conn, |conn| -> QueryResult<()> {
        for chunk in ids.chunks(SEED_CHUNK) {
            let rows: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, 'entry', 'page', $1)", i + 2)).collect();
            let text = format!("INSERT INTO items (id, kind, content_type, created_at) VALUES {}", rows.join(","));
            let mut q = sql(conn, &text).into_boxed::<MultiBackend>().bind::<Timestamp, _>(at);
            for id in chunk {
                q = q.bind::<Text, _>(id.clone());
            }
            q.execute(conn)?;
        }
        sql(
            conn,
            "INSERT INTO versions (item_id, locale, version, content, refs, created_at) \
             SELECT i.id, 'en', v.n, '{\"n\":' || v.n || '}', '[]', $1 FROM items i \
             CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2) v",
        )
        .bind::<Timestamp, _>(at)
        .execute(conn)?;
        if references {
            conn.batch_execute(
                "INSERT INTO version_references (item_id, locale, version, referenced_item_id) \
                 WITH o AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM items) \
                 SELECT a.id, 'en', 2, b.id FROM o a JOIN o b ON b.n = a.n % (SELECT count(*) FROM items) + 1; \
                 UPDATE versions SET refs = (SELECT '[\"' || r.referenced_item_id || '\"]' FROM version_references r \
                   WHERE r.item_id = versions.item_id AND r.locale = versions.locale AND r.version = versions.version) \
                 WHERE version = 2;",
            )?;
        }
        // The history: `history` republishes of version 1, key after key in turn.
        sql(
            conn,
            "INSERT INTO publish_events (environment_key, item_key, locale, from_version, to_version, cause, \
             deployment_id, actor, at) \
             WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x + 1 < $4) \
             SELECT (SELECT key FROM environments WHERE id = $1), i.key, 'en', 1, 1, 'manual', NULL, $2, $3 FROM s \
             JOIN (SELECT key, row_number() OVER (ORDER BY id) - 1 AS n FROM items) i ON i.n = s.x % $5 \
             ORDER BY s.x",
        )
        .bind::<Text, _>(environment_id)
        .bind::<Text, _>(actor)
        .bind::<Timestamp, _>(at)
        .bind::<BigInt, _>(history as i64)
        .bind::<BigInt, _>(n as i64)
        .execute(conn)?;
        sql(
            conn,
            "INSERT INTO publish_events (environment_key, item_key, locale, from_version, to_version, cause, \
             deployment_id, actor, at) \
             SELECT (SELECT key FROM environments WHERE id = $1), key, 'en', NULL, 1, 'manual', NULL, $2, $3 \
             FROM (SELECT id, key, row_number() OVER (ORDER BY id) AS n FROM items) t WHERE n % 2 = 0 ORDER BY id",
        )
        .bind::<Text, _>(environment_id)
        .bind::<Text, _>(actor)
        .bind::<Timestamp, _>(at)
        .execute(conn)?;
        sql(
            conn,
            "INSERT INTO publish_states (environment_key, item_key, locale, version, last_event_id, updated_at) \
             SELECT environment_key, item_key, locale, to_version, id, at FROM publish_events e \
             WHERE environment_key = (SELECT key FROM environments WHERE id = $1) AND id = (SELECT max(id) \
             FROM publish_events l WHERE l.environment_key = e.environment_key AND l.item_key = e.item_key \
             AND l.locale = e.locale)",
        )
        .bind::<Text, _>(environment_id)
        .execute(conn)?;
        sql(
            conn,
            "UPDATE environments SET last_event_id = \
             (SELECT COALESCE(max(id), 0) FROM publish_events WHERE environment_key = environments.key) \
             WHERE id = $1",
        )
        .bind::<Text, _>(environment_id)
        .execute(conn)?;
        Ok(())
    })?;
    Ok(ids)
}

/// Gathers planner statistics for the whole database (PostgreSQL), as autovacuum soon would:
/// without them the planner guesses the freshly seeded tables empty.
pub fn analyze(conn: &mut DbConn) -> QueryResult<()> {
    conn.batch_execute("ANALYZE")
}

/// Creates the floor's plain tables, keyed by integers with no secondary index, in the same
/// database as the measured run: `n` keys published at version 1, and a release of version 2 of each.
pub fn floor_setup(conn: &mut DbConn, n: usize) -> QueryResult<()> {
    let serial = match conn {
        DbConn::Pg(_) => "BIGSERIAL PRIMARY KEY",
        DbConn::Sqlite(_) => "INTEGER PRIMARY KEY",
    };
    conn.batch_execute(&format!(
        "CREATE TABLE floor_ps (env INT, item BIGINT, loc TEXT, version INT, last_event BIGINT, \
           PRIMARY KEY (env, item, loc)); \
         CREATE TABLE floor_ev (id {serial}, env INT, item BIGINT, loc TEXT, from_v INT, to_v INT, dep INT); \
         CREATE TABLE floor_di (dep INT, item BIGINT, loc TEXT, prior INT, applied BIGINT, outcome TEXT, \
           PRIMARY KEY (dep, item, loc)); \
         CREATE TABLE floor_ri (rel INT, item BIGINT, loc TEXT, version INT, PRIMARY KEY (rel, item, loc)); \
         WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {n}) \
           INSERT INTO floor_ps SELECT 1, x, 'en', 1, 0 FROM s; \
         WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {n}) \
           INSERT INTO floor_ri SELECT 7, x, 'en', 2 FROM s;"
    ))?;
    if matches!(conn, DbConn::Pg(_)) {
        conn.batch_execute("ANALYZE floor_ps; ANALYZE floor_ri")?;
    }
    Ok(())
}

/// The floor's writes, what a deployment of the release must do (read each key's state, append
/// one publish event, record one deployment item, update the state), as three set-based
/// statements in one transaction: the run times this call.
pub fn floor_writes(conn: &mut DbConn) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        conn.batch_execute(
            "INSERT INTO floor_ev (env, item, loc, from_v, to_v, dep) \
               SELECT 1, ri.item, ri.loc, ps.version, ri.version, 42 FROM floor_ri ri \
               LEFT JOIN floor_ps ps ON ps.env = 1 AND ps.item = ri.item AND ps.loc = ri.loc WHERE ri.rel = 7; \
             INSERT INTO floor_di SELECT 42, item, loc, from_v, id, 'published' FROM floor_ev WHERE dep = 42; \
             UPDATE floor_ps SET version = floor_ev.to_v, last_event = floor_ev.id FROM floor_ev \
               WHERE floor_ev.dep = 42 AND floor_ev.env = floor_ps.env AND floor_ev.item = floor_ps.item \
               AND floor_ev.loc = floor_ps.loc;",
        )
    })
}
