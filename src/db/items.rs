//! Items and their immutable versions: every query of both tables.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::QueryResult;

use super::page::{newest_first, Page};
use super::rows::{ItemRow, NewItem, Titles, VersionRow};
use super::schema::{items, versions};
use super::DbConn;
use crate::domain::release_items::VersionKey;

/// The item's integer key, if it exists (P1, P2 answer 422 `item_not_found` otherwise).
pub fn item_key(conn: &mut DbConn, item_id: &str) -> QueryResult<Option<i64>> {
    items::table.find(item_id).select(items::key).first(conn).optional()
}

/// Whether the item has this version in this locale (P1 answers 422 `version_not_found` otherwise).
pub(crate) fn version_exists(conn: &mut DbConn, item_id: &str, locale: &str, version: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(versions::table.find((item_id, locale, version)))).get_result(conn)
}

/// Stores a new item; the database gives it its key (an identity on PostgreSQL, the rowid on
/// SQLite), so the answer is the row as stored.
pub fn insert(conn: &mut DbConn, row: &NewItem) -> QueryResult<ItemRow> {
    let key = diesel::insert_into(items::table).values(row).returning(items::key).get_result(conn)?;
    Ok(ItemRow {
        id: row.id.into(),
        kind: row.kind,
        content_type: row.content_type.map(Into::into),
        created_at: row.created_at,
        key,
        title: row.title.map(Into::into),
    })
}

/// Stores a new version (its `version_references` rows are `references::insert_for_version`'s).
pub(crate) fn insert_version(conn: &mut DbConn, row: &VersionRow) -> QueryResult<()> {
    diesel::insert_into(versions::table).values(row).execute(conn)?;
    Ok(())
}

/// U6: the titles of an item and of its `version` in `locale` (none when no version is named).
pub(crate) fn titles(conn: &mut DbConn, item_id: &str, locale: &str, version: Option<i32>) -> QueryResult<Titles> {
    let item = items::table.find(item_id).select(items::title).first::<Option<String>>(conn).optional()?.flatten();
    let version = match version {
        Some(v) => versions::table.find((item_id, locale, v)).select(versions::title).first(conn).optional()?.flatten(),
        None => None,
    };
    Ok(Titles { version, item })
}

/// A key and the version a row names there: `(item_id, locale, version)`.
pub(crate) type NamedVersion = (String, String, Option<i32>);

/// U6: the title to show for each `(item, locale, version)`: the version's, else the item's;
/// read in batches (the titles of the items' versions, then of the items).
pub(crate) fn titles_of(conn: &mut DbConn, keys: &[NamedVersion]) -> QueryResult<HashMap<NamedVersion, String>> {
    let mut ids: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut of_versions = HashMap::new();
    let mut of_items = HashMap::new();
    for chunk in ids.chunks(5000) {
        let rows: Vec<(String, String, i32, Option<String>)> = versions::table
            .filter(versions::item_id.eq_any(chunk))
            .filter(versions::title.is_not_null())
            .select((versions::item_id, versions::locale, versions::version, versions::title))
            .load(conn)?;
        of_versions.extend(rows.into_iter().filter_map(|(i, l, v, t)| Some(((i, l, Some(v)), t?))));
        let rows: Vec<(String, Option<String>)> =
            items::table.filter(items::id.eq_any(chunk)).select((items::id, items::title)).load(conn)?;
        of_items.extend(rows.into_iter().filter_map(|(i, t)| Some((i, t?))));
    }
    Ok(keys
        .iter()
        .filter_map(|k| {
            let title = of_versions.get(k).or_else(|| of_items.get(&k.0))?;
            Some((k.clone(), title.clone()))
        })
        .collect())
}

/// The locales an item has versions in.
pub(crate) fn locales(conn: &mut DbConn, item_id: &str) -> QueryResult<Vec<String>> {
    versions::table.filter(versions::item_id.eq(item_id)).select(versions::locale).distinct().load(conn)
}

/// U6: sets the item's title (that of its latest version in its first locale).
pub(crate) fn set_title(conn: &mut DbConn, item_id: &str, title: Option<&str>) -> QueryResult<()> {
    diesel::update(items::table.find(item_id)).set(items::title.eq(title)).execute(conn)?;
    Ok(())
}

/// U6: items whose title contains `text` (3 to 200 characters, checked), case-insensitively,
/// newest first (X4). PostgreSQL finds them on the trigram index `items_title_trgm` over
/// `lower(title)`; SQLite on the FTS5 trigram table `items_title_search`, whose rowid is the
/// item's key. Either reads the matching items and sorts them by id: a page costs the number of
/// matches, not the number of items.
pub fn search(conn: &mut DbConn, text: &str, before: Option<String>, limit: i64) -> QueryResult<Page<ItemRow>> {
    use crate::domain::titles::{contains_pattern, fts_phrase};
    let matching = match conn {
        DbConn::Pg(_) => "lower(title) LIKE lower($1) ESCAPE '\\'",
        DbConn::Sqlite(_) => "key IN (SELECT rowid FROM items_title_search WHERE items_title_search MATCH $1)",
    };
    let needle = match conn {
        DbConn::Pg(_) => contains_pattern(text),
        DbConn::Sqlite(_) => fts_phrase(text),
    };
    // Comparing `id || ''` keeps the planners off the primary key, which would serve the order
    // but read every item older than the cursor to filter it.
    let after_cursor = if before.is_some() { "AND id || '' < $3" } else { "" };
    let query = format!(
        "SELECT id, kind, content_type, created_at, key, title FROM items WHERE {matching} {after_cursor} \
         ORDER BY id DESC LIMIT $2"
    );
    let q = super::sql(conn, &query)
        .into_boxed::<super::MultiBackend>()
        .bind::<diesel::sql_types::Text, _>(needle)
        .bind::<diesel::sql_types::BigInt, _>(limit + 1);
    let q = match before {
        Some(b) => q.bind::<diesel::sql_types::Text, _>(b),
        None => q,
    };
    let rows: Vec<ItemRow> = q.load(conn)?;
    Ok(Page::from_rows(rows, limit, |i: &ItemRow| i.id.clone()))
}

/// An item by id.
pub(crate) fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<ItemRow>> {
    items::table.find(id).first(conn).optional()
}

/// Items, newest first (X4).
pub fn list(conn: &mut DbConn, before: Option<String>, limit: i64) -> QueryResult<Page<ItemRow>> {
    newest_first(conn, items::table.into_boxed(), items::id, before, limit, |i: &ItemRow| i.id.clone())
}

/// The versions of an item in a locale among `numbers` (those that exist; one query).
pub(crate) fn versions_numbered(
    conn: &mut DbConn,
    item_id: &str,
    locale: &str,
    numbers: &[i32],
) -> QueryResult<Vec<VersionRow>> {
    versions::table
        .filter(versions::item_id.eq(item_id).and(versions::locale.eq(locale)))
        .filter(versions::version.eq_any(numbers))
        .load(conn)
}

/// The latest version number of an item in a locale, if it has one there.
pub(crate) fn latest_version(conn: &mut DbConn, item_id: &str, locale: &str) -> QueryResult<Option<i32>> {
    versions::table
        .filter(versions::item_id.eq(item_id).and(versions::locale.eq(locale)))
        .select(diesel::dsl::max(versions::version))
        .first(conn)
}

/// The latest version of each locale of these items, as `(item, locale, version)`, in batches.
pub(crate) fn latest_versions(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, String, i32)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(5000) {
        let rows: Vec<(String, String, Option<i32>)> = versions::table
            .filter(versions::item_id.eq_any(chunk))
            .group_by((versions::item_id, versions::locale))
            .select((versions::item_id, versions::locale, diesel::dsl::max(versions::version)))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(i, l, v)| (i, l, v.unwrap_or(0))));
    }
    Ok(out)
}

/// An item's versions, newest first, `limit` of them after the first `offset`. Versions have no
/// single id-like key (they are ordered by time, locale and number), so this list pages by count.
pub fn versions(conn: &mut DbConn, item_id: &str, offset: i64, limit: i64) -> QueryResult<Vec<VersionRow>> {
    versions::table
        .filter(versions::item_id.eq(item_id))
        .order((versions::created_at.desc(), versions::locale, versions::version.desc()))
        .offset(offset)
        .limit(limit)
        .load(conn)
}

/// The size in bytes of the content of each of `versions(conn, item_id, offset, limit)`, in the
/// same order, without reading the contents (X4's byte budget of a page of versions).
pub(crate) fn version_sizes(conn: &mut DbConn, item_id: &str, offset: i64, limit: i64) -> QueryResult<Vec<i64>> {
    #[derive(QueryableByName)]
    struct Size {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        bytes: i64,
    }
    let bytes = match conn {
        DbConn::Pg(_) => "octet_length(content)::bigint",
        DbConn::Sqlite(_) => "length(CAST(content AS BLOB))",
    };
    let text = format!(
        "SELECT {bytes} AS bytes FROM versions WHERE item_id = $1 \
         ORDER BY created_at DESC, locale, version DESC LIMIT $2 OFFSET $3"
    );
    let sizes: Vec<Size> = super::sql(conn, &text)
        .bind::<diesel::sql_types::Text, _>(item_id)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .bind::<diesel::sql_types::BigInt, _>(offset)
        .load(conn)?;
    Ok(sizes.into_iter().map(|s| s.bytes).collect())
}

/// The integer key of each of these item ids that exists.
pub(crate) fn keys_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<HashMap<String, i64>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(5000) {
        out.extend(items::table.filter(items::id.eq_any(chunk)).select((items::id, items::key)).load(conn)?);
    }
    Ok(out)
}

/// The references of these versions, read in batches, as the ids each references.
pub(crate) fn references_of(
    conn: &mut DbConn,
    wanted: &HashSet<VersionKey>,
) -> QueryResult<HashMap<VersionKey, Vec<String>>> {
    let mut ids: Vec<&str> = wanted.iter().map(|w| w.0.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(5000) {
        let rows: Vec<(String, String, i32, String)> = versions::table
            .filter(versions::item_id.eq_any(chunk))
            .select((versions::item_id, versions::locale, versions::version, versions::refs))
            .load(conn)?;
        for (i, l, v, refs) in rows {
            let k = (i, l, v);
            if wanted.contains(&k) {
                out.insert(k, crate::error::stored_json(&refs, "version references"));
            }
        }
    }
    Ok(out)
}
