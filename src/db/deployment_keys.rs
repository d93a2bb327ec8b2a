//! B10: the keys a partial rollback selected, stored with its deployment.

use diesel::prelude::*;
use diesel::QueryResult;

use super::schema::{deployment_keys, items};
use super::{DbConn, MultiBackend};
use crate::domain::Key;
use diesel::sql_types::{BigInt, Text};

/// How many keys an insert writes a statement (three parameters each).
const CHUNK: usize = 5_000;

/// Stores the deployment's selected keys, given by item key and locale, a chunk a statement.
pub fn insert(conn: &mut DbConn, deployment_id: &str, keys: &[(i64, String)]) -> QueryResult<()> {
    for chunk in keys.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO deployment_keys (deployment_id, item_key, locale) VALUES {}",
            super::values_list(conn, chunk.len(), 3)
        );
        let mut q = diesel::sql_query(sql).into_boxed::<MultiBackend>();
        for (item_key, locale) in chunk {
            q = q
                .bind::<Text, _>(deployment_id.to_string())
                .bind::<BigInt, _>(*item_key)
                .bind::<Text, _>(locale.clone());
        }
        q.execute(conn)?;
    }
    Ok(())
}

/// The deployment's selected keys (none: it selected none, so all of them count).
pub fn of(conn: &mut DbConn, deployment_id: &str) -> QueryResult<Vec<Key>> {
    Ok(deployment_keys::table
        .inner_join(items::table.on(items::key.eq(deployment_keys::item_key)))
        .filter(deployment_keys::deployment_id.eq(deployment_id))
        .select((items::id, deployment_keys::locale))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(item, locale)| Key::new(item, locale))
        .collect())
}

/// Which of `keys` are items of the release, with their item keys (the rest are not in it).
pub(crate) fn in_release(conn: &mut DbConn, release_id: &str, keys: &[Key]) -> QueryResult<Vec<(Key, i64)>> {
    use super::schema::release_items;
    let mut found = Vec::with_capacity(keys.len());
    let mut ids: Vec<&str> = keys.iter().map(|k| k.item_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(String, String, i64)> = release_items::table
            .inner_join(items::table.on(items::key.eq(release_items::item_key)))
            .filter(release_items::release_id.eq(release_id))
            .filter(items::id.eq_any(chunk))
            .select((items::id, release_items::locale, release_items::item_key))
            .load(conn)?;
        found.extend(rows.into_iter().map(|(item, locale, key)| (Key::new(item, locale), key)));
    }
    let wanted: std::collections::HashSet<&Key> = keys.iter().collect();
    found.retain(|(k, _)| wanted.contains(k));
    Ok(found)
}

/// The item keys of the items with these ids that exist, by id.
pub(crate) fn item_keys(conn: &mut DbConn, keys: &[Key]) -> QueryResult<Vec<(Key, i64)>> {
    let mut ids: Vec<&str> = keys.iter().map(|k| k.item_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut by_id = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(String, i64)> =
            items::table.filter(items::id.eq_any(chunk)).select((items::id, items::key)).load(conn)?;
        by_id.extend(rows);
    }
    Ok(keys.iter().filter_map(|k| by_id.get(&k.item_id).map(|n| (k.clone(), *n))).collect())
}
