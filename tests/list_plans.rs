//! X4 at scale: each list page is read through an index in the list's own order, so it costs
//! O(limit) however large the table. Checked on the query plans of the lists' SQL (as `db/`
//! writes it): SQLite must not sort into a temporary B-tree nor scan a table; PostgreSQL, with
//! sorts and sequential scans priced out, must still need neither.

mod common;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use rewind::db::DbConn;

/// One line of SQLite's `EXPLAIN QUERY PLAN`.
#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

/// One line of PostgreSQL's `EXPLAIN`.
#[derive(QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The lists' queries, with literal values where `db/` binds them, and the index a list needs
/// where another would serve its order but filter row by row.
const LISTS: &[(&str, &str, Option<&str>)] = &[
    (
        "deployment items",
        "SELECT d.deployment_id, d.position, i.id, d.locale, d.action, d.version, d.prior_version, d.outcome, \
         d.skip_reason, d.event_id, d.warnings, v.title, i.title FROM deployment_items d \
         INNER JOIN items i ON i.key = d.item_key \
         LEFT JOIN versions v ON v.item_id = i.id AND v.locale = d.locale AND v.version = d.version WHERE d.deployment_id = 'd' AND d.position > 0 ORDER BY d.position LIMIT 51",
        None,
    ),
    (
        "deployment items of one outcome",
        "SELECT d.deployment_id, d.position, i.id, d.locale, d.action, d.version, d.prior_version, d.outcome, \
         d.skip_reason, d.event_id, d.warnings, v.title, i.title FROM deployment_items d \
         INNER JOIN items i ON i.key = d.item_key \
         LEFT JOIN versions v ON v.item_id = i.id AND v.locale = d.locale AND v.version = d.version WHERE d.deployment_id = 'd' AND d.outcome = 'skipped' AND d.position > 0 ORDER BY d.position LIMIT 51",
        Some("deployment_items_outcome"),
    ),
    (
        "release items",
        "SELECT r.release_id, i.id, r.locale, r.action, r.version, r.position, v.title, i.title \
         FROM release_items r INNER JOIN items i ON i.key = r.item_key \
         LEFT JOIN versions v ON v.item_id = i.id AND v.locale = r.locale AND v.version = r.version \
         WHERE r.release_id = 'r' AND r.position > 0 \
         ORDER BY r.position LIMIT 51",
        Some("release_items_position"),
    ),
    (
        "a page of a release's plan (a deployment's chunk), each key's state by primary key",
        "SELECT (SELECT i.id FROM items i WHERE i.key = ri.item_key), ri.locale, ri.action, ri.version, \
         (SELECT ps.version FROM publish_states ps WHERE ps.environment_key = 1 \
         AND ps.item_key = ri.item_key AND ps.locale = ri.locale), \
         (SELECT ps.last_event_id FROM publish_states ps WHERE ps.environment_key = 1 \
         AND ps.item_key = ri.item_key AND ps.locale = ri.locale), ri.item_key, ri.position \
         FROM release_items ri WHERE ri.release_id = 'r' AND ri.position > 0 ORDER BY ri.position LIMIT 1000",
        Some("release_items_position"),
    ),
    (
        "publish state",
        "SELECT i.id, s.locale, s.version, s.last_event_id, s.updated_at, v.title, i.title FROM publish_states s \
         INNER JOIN items i ON i.key = s.item_key \
         LEFT JOIN versions v ON v.item_id = i.id AND v.locale = s.locale AND v.version = s.version WHERE s.environment_key = 1 AND s.last_event_id < 100 \
         ORDER BY s.last_event_id DESC LIMIT 51",
        Some("publish_states_recent"),
    ),
    (
        "the last event of a time",
        "SELECT id FROM publish_events WHERE environment_key = 1 AND at <= '2026-01-01 00:00:00' \
         ORDER BY at DESC, id DESC LIMIT 1",
        None,
    ),
    (
        "publish state as of a time",
        "SELECT i.id AS item_id, e.locale, e.to_version AS version, e.id AS last_event_id, \
         e.at AS updated_at, v.title AS version_title, i.title AS item_title \
         FROM publish_events e JOIN items i ON i.key = e.item_key \
         LEFT JOIN versions v ON v.item_id = i.id AND v.locale = e.locale AND v.version = e.to_version \
         WHERE e.environment_key = 1 AND e.id < 100 \
         AND NOT EXISTS (SELECT 1 FROM publish_events l WHERE l.environment_key = e.environment_key \
         AND l.item_key = e.item_key AND l.locale = e.locale AND l.id > e.id AND l.id <= 99) \
         ORDER BY e.id DESC LIMIT 51",
        None,
    ),
    (
        "content as of an event (V1, V2, V3's full round)",
        "SELECT s.item_key, i.id AS item_id, i.kind, i.content_type, s.locale, \
         e.to_version AS version, e.id AS event_id, e.at AS published_at, v.content, v.refs, v.title \
         FROM publish_states s \
         JOIN publish_events e ON e.id = CASE WHEN s.last_event_id <= 99 THEN s.last_event_id ELSE \
           (SELECT max(p.id) FROM publish_events p WHERE p.environment_key = s.environment_key \
            AND p.item_key = s.item_key AND p.locale = s.locale AND p.id <= 99) END \
         JOIN items i ON i.key = s.item_key \
         JOIN versions v ON v.item_id = i.id AND v.locale = s.locale AND v.version = e.to_version \
         WHERE s.environment_key = 1 AND (s.item_key, s.locale) > (5, 'en') \
         ORDER BY s.item_key, s.locale LIMIT 51",
        None,
    ),
    (
        "what changed between two events (V3's delta round)",
        "SELECT e.item_key, i.id AS item_id, i.kind, i.content_type, e.locale, \
         e.to_version AS version, e.id AS event_id, e.at AS published_at, v.content, v.refs, v.title \
         FROM publish_events e \
         JOIN items i ON i.key = e.item_key \
         LEFT JOIN versions v ON v.item_id = i.id AND v.locale = e.locale AND v.version = e.to_version \
         WHERE e.environment_key = 1 AND e.id > 10 AND e.id <= 99 \
         AND NOT EXISTS (SELECT 1 FROM publish_events l WHERE l.environment_key = e.environment_key \
         AND l.item_key = e.item_key AND l.locale = e.locale AND l.id > e.id AND l.id <= 99) \
         ORDER BY e.id LIMIT 101",
        None,
    ),
    (
        "publish log",
        "SELECT e.id, i.id, e.locale, e.from_version, e.to_version, e.cause, e.deployment_id, e.actor, e.at \
         FROM publish_events e INNER JOIN items i ON i.key = e.item_key \
         WHERE e.environment_key = 1 AND e.id < 100 ORDER BY e.id DESC LIMIT 51",
        None,
    ),
    (
        "an environment's deployments",
        "SELECT * FROM deployments WHERE environment_id = 'e' AND id < 'z' ORDER BY id DESC LIMIT 51",
        None,
    ),
    (
        "a release's deployments",
        "SELECT * FROM deployments WHERE release_id = 'r' AND id < 'z' ORDER BY id DESC LIMIT 51",
        None,
    ),
    ("every deployment (Q1)", "SELECT * FROM deployments WHERE id < 'z' ORDER BY id DESC LIMIT 51", None),
    (
        "deployments of one status (Q1)",
        "SELECT * FROM deployments WHERE status = 'failed' AND id < 'z' ORDER BY id DESC LIMIT 51",
        Some("deployments_status_recent"),
    ),
    (
        "an environment's deployments of one status (Q1)",
        "SELECT * FROM deployments WHERE status = 'failed' AND environment_id = 'e' AND id < 'z' \
         ORDER BY id DESC LIMIT 51",
        Some("deployments_environment_status_recent"),
    ),
    (
        "deployments of one trigger (Q1)",
        "SELECT * FROM deployments WHERE trigger = 'rollback' AND id < 'z' ORDER BY id DESC LIMIT 51",
        Some("deployments_trigger_recent"),
    ),
    (
        "scheduled deployments, soonest first (Q1)",
        "SELECT * FROM deployments WHERE status = 'scheduled' AND scheduled_at >= '2026-01-01 00:00:00' \
         AND (scheduled_at > '2026-01-01 00:00:00' OR (scheduled_at = '2026-01-01 00:00:00' AND id > 'a')) \
         ORDER BY scheduled_at ASC, id ASC LIMIT 51",
        Some("deployments_soonest"),
    ),
    (
        "an environment's scheduled deployments in a window, soonest first (Q1)",
        "SELECT * FROM deployments WHERE status = 'scheduled' AND environment_id = 'e' \
         AND scheduled_at < '2027-01-01 00:00:00' AND scheduled_at >= '2026-01-01 00:00:00' \
         ORDER BY scheduled_at ASC, id ASC LIMIT 51",
        Some("deployments_environment_soonest"),
    ),
    ("releases", "SELECT * FROM releases WHERE deleted_at IS NULL AND id < 'z' ORDER BY id DESC LIMIT 51", None),
    (
        "releases as a non-admin sees them",
        "SELECT * FROM releases WHERE deleted_at IS NULL AND (kind = 'standard' OR owner = 'u') AND id < 'z' \
         ORDER BY id DESC LIMIT 51",
        None,
    ),
    (
        "a release's rollback releases",
        "SELECT * FROM releases WHERE rollback_of = 'r' AND deleted_at IS NULL AND id < 'z' ORDER BY id DESC LIMIT 51",
        Some("releases_rollbacks_recent"),
    ),
    (
        "a release's rollback releases of one owner",
        "SELECT * FROM releases WHERE rollback_of = 'r' AND deleted_at IS NULL AND owner = 'u' AND id < 'z' \
         ORDER BY id DESC LIMIT 51",
        None,
    ),
    ("items", "SELECT * FROM items WHERE id < 'z' ORDER BY id DESC LIMIT 51", None),
    ("users", "SELECT * FROM users WHERE id < 'z' ORDER BY id DESC LIMIT 51", None),
    (
        "a user's tokens (T1)",
        "SELECT * FROM tokens WHERE user_id = 'u' AND revoked_at IS NULL AND id < 'z' ORDER BY id DESC LIMIT 51",
        Some("tokens_user_id"),
    ),
    (
        "webhook endpoints",
        "SELECT * FROM webhook_endpoints WHERE deleted_at IS NULL AND id < 'z' ORDER BY id DESC LIMIT 51",
        None,
    ),
    (
        "an endpoint's deliveries",
        "SELECT * FROM webhook_deliveries WHERE endpoint_id = 'e' AND seq < 100 ORDER BY seq DESC LIMIT 51",
        Some("webhook_deliveries_recent"),
    ),
    (
        "M1: the keys the source publishes differently, in key order",
        "SELECT s.item_key, i.id AS item_id, s.locale, s.version AS source_version, (SELECT t.version \
         FROM publish_states t WHERE t.environment_key = 2 AND t.item_key = s.item_key AND t.locale = s.locale) \
         AS target_version FROM publish_states s JOIN items i ON i.key = s.item_key WHERE s.environment_key = 1 \
         AND (s.item_key, s.locale) > (0, '') AND s.version IS NOT NULL AND NOT EXISTS (SELECT 1 FROM \
         publish_states t WHERE t.environment_key = 2 AND t.item_key = s.item_key AND t.locale = s.locale \
         AND t.version = s.version) ORDER BY s.item_key, s.locale LIMIT 51",
        None,
    ),
    (
        "M1: the keys only the target publishes, in key order",
        "SELECT t.item_key, i.id AS item_id, t.locale, CAST(NULL AS INTEGER) AS source_version, \
         t.version AS target_version FROM publish_states t JOIN items i ON i.key = t.item_key \
         WHERE t.environment_key = 2 AND (t.item_key, t.locale) > (0, '') AND t.version IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM publish_states s WHERE s.environment_key = 1 AND s.item_key = t.item_key \
         AND s.locale = t.locale AND s.version IS NOT NULL) ORDER BY t.item_key, t.locale LIMIT 51",
        None,
    ),
    (
        "an environment's succeeded deployments",
        "SELECT * FROM deployments WHERE environment_id = 'e' AND status = 'succeeded' \
         ORDER BY finished_at DESC, id DESC LIMIT 2",
        None,
    ),
];

#[test]
fn x4_every_list_is_read_in_its_own_order_on_an_index() {
    let db = common::TestDb::new();
    let mut conn = db.connect();
    rewind::db::migrate(&mut conn).expect("migrate");
    for (list, sql, index) in LISTS {
        let text = plan_of(&mut conn, sql, "SET enable_sort = off; SET enable_seqscan = off;");
        for bad in ["TEMP B-TREE", "SCAN ", "Sort", "Seq Scan", "Hash"] {
            assert!(!text.contains(bad), "{list} ({bad}):\n{text}");
        }
        if let Some(index) = index {
            assert!(text.contains(index), "{list} (not on {index}):\n{text}");
        }
    }
}

/// The plan of `sql` on this connection's backend, one line a step; on PostgreSQL after `settings`.
fn plan_of(conn: &mut DbConn, sql: &str, settings: &str) -> String {
    let lines: Vec<String> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<SqlitePlanLine>(c)
            .expect("explain")
            .into_iter()
            .map(|l| l.detail)
            .collect(),
        DbConn::Pg(c) => {
            c.batch_execute(settings).expect("planner settings");
            diesel::sql_query(format!("EXPLAIN {sql}"))
                .load::<PgPlanLine>(c)
                .expect("explain")
                .into_iter()
                .map(|l| l.line)
                .collect()
        }
    };
    lines.join("\n")
}

/// U6: `GET /v1/items?q=` finds its items on a trigram index (PostgreSQL: `items_title_trgm`
/// over `lower(title)`; SQLite: the FTS5 trigram table `items_title_search`), never by reading
/// every item; only the matches are sorted into X4's newest-first order.
#[test]
fn u6_title_search_reads_a_trigram_index_not_every_item() {
    let db = common::TestDb::new();
    let mut conn = db.connect();
    rewind::db::migrate(&mut conn).expect("migrate");
    let (sql, index) = match conn {
        DbConn::Pg(_) => (
            "SELECT id, kind, content_type, created_at, key, title FROM items \
             WHERE lower(title) LIKE lower('%summer%') ESCAPE '\\' AND id || '' < 'z' ORDER BY id DESC LIMIT 51",
            "items_title_trgm",
        ),
        DbConn::Sqlite(_) => (
            "SELECT id, kind, content_type, created_at, key, title FROM items \
             WHERE key IN (SELECT rowid FROM items_title_search WHERE items_title_search MATCH '\"summer\"') \
             AND id || '' < 'z' ORDER BY id DESC LIMIT 51",
            "VIRTUAL TABLE INDEX 0:M",
        ),
    };
    let text = plan_of(&mut conn, sql, "SET enable_seqscan = off;");
    assert!(text.contains(index), "not on {index}:\n{text}");
    for bad in ["Seq Scan", "SCAN items\n", "SCAN items USING"] {
        assert!(!text.contains(bad) && !text.ends_with("SCAN items"), "{bad}:\n{text}");
    }
}

/// V1's point and every write's H: an environment's latest event is one probe of
/// `publish_events_recent`, also in PostgreSQL's generic plan of the prepared statement (which it
/// switches to after five runs), where `max(id) … WHERE environment_key = $1` walked the primary
/// key down through the other environments' newer events (as `db::publish::highest_event` reads
/// it). The log holds an old environment (key 1) under a newer one's events.
#[test]
fn v1_an_environments_latest_event_is_one_probe_of_its_index_in_any_plan() {
    let db = common::TestDb::new();
    let mut conn = db.connect();
    rewind::db::migrate(&mut conn).expect("migrate");
    let (fill, explain) = match conn {
        DbConn::Pg(_) => (
            "INSERT INTO publish_events (id, environment_key, item_key, locale, cause, actor, at) \
             SELECT g, CASE WHEN g <= 1000 THEN 1 ELSE 2 END, g, 'en', 'deployment', 'user', now() \
             FROM generate_series(1, 21000) g; ANALYZE publish_events; SET plan_cache_mode = force_generic_plan; \
             PREPARE latest(bigint) AS SELECT id FROM publish_events \
             WHERE environment_key >= $1 AND environment_key <= $1 ORDER BY environment_key DESC, id DESC LIMIT 1",
            "EXPLAIN EXECUTE latest(1)",
        ),
        DbConn::Sqlite(_) => (
            "SELECT 1",
            "EXPLAIN QUERY PLAN SELECT id FROM publish_events WHERE environment_key >= 1 \
             AND environment_key <= 1 ORDER BY environment_key DESC, id DESC LIMIT 1",
        ),
    };
    let text = match &mut conn {
        DbConn::Pg(c) => {
            c.batch_execute(fill).expect("fill the log");
            diesel::sql_query(explain)
                .load::<PgPlanLine>(c)
                .expect("explain")
                .into_iter()
                .map(|l| l.line)
                .collect::<Vec<_>>()
        }
        DbConn::Sqlite(c) => diesel::sql_query(explain)
            .load::<SqlitePlanLine>(c)
            .expect("explain")
            .into_iter()
            .map(|l| l.detail)
            .collect(),
    }
    .join("\n");
    assert!(text.contains("publish_events_recent"), "not on publish_events_recent:\n{text}");
    for bad in ["publish_events_pkey", "Sort", "Seq Scan", "TEMP B-TREE"] {
        assert!(!text.contains(bad), "{bad}:\n{text}");
    }
}
