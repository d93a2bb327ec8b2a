//! Seeding in bulk, for the benchmark binary (`src/bin/rewind-bench/`) and the tests that need a
//! large environment: items and publish history as set-based statements, then the planner's
//! statistics.
//!
//! Errors are diesel's own, not `AppError`: the caller prints the database's message and ends.

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::{QueryResult, RunQueryDsl};

use super::{new_id, now, sql, write_transaction, DbConn, MultiBackend};

/// Rows per multi-row insert of items, one bound id a row. Small because SQLite (3.40) spends
/// time quadratic in the number of numbered parameters (`?N`) of a statement to compile it.
const SEED_CHUNK: usize = 500;

/// Inserts `n` items with versions 1 and 2 in `en` (version 2 referencing the next item when
/// `references`), `history` republishes of version 1 key after key, and publishes version 1 of
/// every second item (by id) with one manual event each, as set-based statements in one
/// transaction. Answers the item ids in id order.
pub fn items(
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
        // The kept count of published keys, as the writes of the service keep it.
        sql(
            conn,
            "INSERT INTO published_counts (environment_key, shard, published) \
             SELECT environment_key, 0, count(*) FROM publish_states \
             WHERE environment_key = (SELECT key FROM environments WHERE id = $1) AND version IS NOT NULL \
             GROUP BY environment_key",
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
