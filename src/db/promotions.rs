//! Promotion (M1, M2): the keys whose publish state differs between two environments, read as a
//! merge of both environments' states on their primary key `(environment_key, item_key,
//! locale)`, and the release a promotion fills from them in one statement.
//!
//! The difference is two arms in key order, each an index walk of one environment probing the
//! other by primary key: the keys the source publishes at another version than the target (or
//! that the target does not publish), and the keys only the target publishes. A page reads at
//! most `limit` rows of each arm from the cursor on and sorts those; it never scans either
//! environment to answer a page (`tests/list_plans.rs` holds both arms' plans to that). Keys
//! equal on both sides between two differing ones are walked past.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};
use diesel::QueryResult;

use super::schema::publish_states;
use super::{DbConn, MultiBackend};

/// One key whose state differs (M1); a version is null where that side does not publish it.
#[derive(Debug, Clone, QueryableByName)]
pub struct DifferenceRow {
    #[diesel(sql_type = BigInt)]
    pub item_key: i64,
    #[diesel(sql_type = Text)]
    pub item_id: String,
    #[diesel(sql_type = Text)]
    pub locale: String,
    #[diesel(sql_type = Nullable<Integer>)]
    pub source_version: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub target_version: Option<i32>,
}

/// The keys the source ($1) publishes at another version than the target ($2) (or that the
/// target does not publish), after the key ($3, $4), `$5` of them in key order: an index walk of
/// the source probing the target by primary key. The domain's rule
/// (`domain::promotion::differs`) in SQL: versions differ, one of them published. Written as an
/// anti-join (NOT EXISTS an equal state) rather than a filter over a left join, whose
/// selectivity PostgreSQL cannot estimate (it then hashes both environments for a page).
const SOURCE_ARM: &str = "SELECT s.item_key, i.id AS item_id, s.locale, s.version AS source_version, \
    (SELECT t.version FROM publish_states t WHERE t.environment_key = $2 AND t.item_key = s.item_key \
    AND t.locale = s.locale) AS target_version FROM publish_states s JOIN items i ON i.key = s.item_key \
    WHERE s.environment_key = $1 AND (s.item_key, s.locale) > ($3, $4) AND s.version IS NOT NULL \
    AND NOT EXISTS (SELECT 1 FROM publish_states t WHERE t.environment_key = $2 AND t.item_key = s.item_key \
    AND t.locale = s.locale AND t.version = s.version) ORDER BY s.item_key, s.locale LIMIT $5";

/// The keys only the target ($2) publishes, after the key ($3, $4), `$5` of them in key order:
/// an index walk of the target probing the source ($1) by primary key.
const TARGET_ARM: &str = "SELECT t.item_key, i.id AS item_id, t.locale, CAST(NULL AS INTEGER) AS source_version, \
    t.version AS target_version FROM publish_states t JOIN items i ON i.key = t.item_key \
    WHERE t.environment_key = $2 AND (t.item_key, t.locale) > ($3, $4) AND t.version IS NOT NULL \
    AND NOT EXISTS (SELECT 1 FROM publish_states s WHERE s.environment_key = $1 AND s.item_key = t.item_key \
    AND s.locale = t.locale AND s.version IS NOT NULL) ORDER BY t.item_key, t.locale LIMIT $5";

/// M1: up to `limit` keys whose state differs between the environments `source` and `target`
/// (integer keys), in key order after `after` (an item key and a locale): up to `limit` of each
/// arm, merged by the database in one statement, so that one snapshot answers the page and the
/// database's own order of locales (its collation) both sorts the page and compares the cursor.
/// The final sort takes at most twice `limit` rows.
pub(crate) fn difference_page(
    conn: &mut DbConn,
    source: i64,
    target: i64,
    after: Option<(i64, String)>,
    limit: i64,
) -> QueryResult<Vec<DifferenceRow>> {
    let (key, locale) = after.unwrap_or((0, String::new()));
    let page = format!(
        "SELECT * FROM ({SOURCE_ARM}) a UNION ALL SELECT * FROM ({TARGET_ARM}) b ORDER BY item_key, locale LIMIT $5"
    );
    super::sql(conn, &page)
        .into_boxed::<MultiBackend>()
        .bind::<BigInt, _>(source)
        .bind::<BigInt, _>(target)
        .bind::<BigInt, _>(key)
        .bind::<Text, _>(locale)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// M2: fills the release `release_id` with the difference in one statement (one snapshot of both
/// states): `publish` of the source's version for every key it publishes at another version than
/// the target, and with `unpublish_missing` `unpublish` for every key only the target publishes,
/// in key order; at most `most` items (the caller refuses a difference that reaches it). Answers
/// how many items it wrote.
pub(crate) fn fill_release(
    conn: &mut DbConn,
    release_id: &str,
    [source, target]: [i64; 2],
    unpublish_missing: bool,
    most: i64,
) -> QueryResult<usize> {
    const FILL: &str = "INSERT INTO release_items (release_id, item_key, locale, action, version, position) \
        SELECT $1, d.item_key, d.locale, d.action, d.version, ROW_NUMBER() OVER (ORDER BY d.item_key, d.locale) FROM ( \
        SELECT s.item_key, s.locale, 'publish' AS action, s.version AS version FROM publish_states s \
        WHERE s.environment_key = $2 AND s.version IS NOT NULL AND NOT EXISTS (SELECT 1 FROM publish_states t \
        WHERE t.environment_key = $3 AND t.item_key = s.item_key AND t.locale = s.locale AND t.version = s.version) \
        UNION ALL \
        SELECT t.item_key, t.locale, 'unpublish' AS action, CAST(NULL AS INTEGER) AS version FROM publish_states t \
        WHERE $4 AND t.environment_key = $3 AND t.version IS NOT NULL AND NOT EXISTS (SELECT 1 FROM publish_states s \
        WHERE s.environment_key = $2 AND s.item_key = t.item_key AND s.locale = t.locale AND s.version IS NOT NULL)) d \
        LIMIT $5";
    super::sql(conn, FILL)
        .bind::<Text, _>(release_id)
        .bind::<BigInt, _>(source)
        .bind::<BigInt, _>(target)
        .bind::<Bool, _>(unpublish_missing)
        .bind::<BigInt, _>(most)
        .execute(conn)
}

/// The published version of each `(item key, locale)` of one environment.
pub(crate) type Published = HashMap<(i64, String), i32>;

/// M2: the published versions of these items' keys in the two environments, by environment
/// key; a key with no row or no version is absent. One statement, so one snapshot of both
/// (the caller selects at most `domain::holds::KEYS_MAX` keys: at most that many items).
pub(crate) fn states_of(
    conn: &mut DbConn,
    environments: [i64; 2],
    item_keys: &[i64],
) -> QueryResult<HashMap<i64, Published>> {
    let mut out: HashMap<i64, Published> = HashMap::new();
    let rows: Vec<(i64, i64, String, Option<i32>)> = publish_states::table
        .filter(publish_states::environment_key.eq_any(environments))
        .filter(publish_states::item_key.eq_any(item_keys))
        .filter(publish_states::version.is_not_null())
        .select((
            publish_states::environment_key,
            publish_states::item_key,
            publish_states::locale,
            publish_states::version,
        ))
        .load(conn)?;
    for (env, item, locale, version) in rows {
        if let Some(v) = version {
            out.entry(env).or_default().insert((item, locale), v);
        }
    }
    Ok(out)
}
