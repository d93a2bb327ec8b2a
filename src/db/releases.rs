//! Releases and their items (L1–L3, L8): every query of both tables. A release's `item_count`
//! is kept here, in the transaction of each write that adds or removes its items.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel::QueryResult;

use super::page::{in_written_order, newest_first, Page};
use super::rows::{ReleaseItemRow, ReleaseRow};
use super::schema::{deployments, items, release_items, releases, versions};
use super::{DbConn, MultiBackend};
use crate::domain::release_items::NewReleaseItem;
use crate::domain::{DeploymentStatus, ReleaseKind};

/// A release row by id, deleted or not.
pub(crate) fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<ReleaseRow>> {
    releases::table.find(id).first(conn).optional()
}

/// U6: the names of the releases with these ids, by id (deleted ones too: a deployment keeps
/// its history).
pub(crate) fn names(conn: &mut DbConn, ids: &[&str]) -> QueryResult<std::collections::HashMap<String, String>> {
    Ok(releases::table
        .filter(releases::id.eq_any(ids))
        .select((releases::id, releases::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Locks the release's row until the transaction ends (PostgreSQL; SQLite's write transactions
/// run one at a time already).
pub fn lock(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    if matches!(conn, DbConn::Pg(_)) {
        super::sql(conn, "SELECT id FROM releases WHERE id = $1 FOR UPDATE").bind::<Text, _>(id).execute(conn)?;
    }
    Ok(())
}

/// Which of these releases have a succeeded deployment (L3).
pub(crate) fn deployed_among(conn: &mut DbConn, ids: &[&str]) -> QueryResult<HashSet<String>> {
    Ok(deployments::table
        .filter(deployments::release_id.eq_any(ids))
        .filter(deployments::status.eq(DeploymentStatus::Succeeded))
        .select(deployments::release_id.assume_not_null())
        .distinct()
        .load(conn)?
        .into_iter()
        .collect())
}

/// Stores a new release.
pub fn insert(conn: &mut DbConn, row: &ReleaseRow) -> QueryResult<()> {
    diesel::insert_into(releases::table).values(row).execute(conn)?;
    Ok(())
}

/// Releases not deleted, newest first (X4), of one kind or all; with `seen_by`, only standard
/// releases and that user's rollback releases (B5).
pub fn list(
    conn: &mut DbConn,
    seen_by: Option<&str>,
    kind: Option<ReleaseKind>,
    before: Option<String>,
    limit: i64,
) -> QueryResult<Page<ReleaseRow>> {
    let mut q = releases::table.filter(releases::deleted_at.is_null()).into_boxed();
    if let Some(user) = seen_by {
        q = q.filter(releases::kind.eq(ReleaseKind::Standard).or(releases::owner.eq(user.to_string())));
    }
    if let Some(k) = kind {
        q = q.filter(releases::kind.eq(k.as_str()));
    }
    newest_first(conn, q, releases::id, before, limit, |r: &ReleaseRow| r.id.clone())
}

/// Sets a release's name and description.
pub(crate) fn update_text(conn: &mut DbConn, id: &str, name: &str, description: &Option<String>) -> QueryResult<()> {
    diesel::update(releases::table.find(id))
        .set((releases::name.eq(name), releases::description.eq(description)))
        .execute(conn)?;
    Ok(())
}

/// How many of the release's deployments are still to run or running (L8).
pub(crate) fn pending_deployments(conn: &mut DbConn, id: &str) -> QueryResult<i64> {
    deployments::table
        .filter(deployments::release_id.eq(id))
        .filter(deployments::status.eq_any([
            DeploymentStatus::Scheduled,
            DeploymentStatus::Queued,
            DeploymentStatus::InProgress,
        ]))
        .count()
        .get_result(conn)
}

/// Marks a release deleted (L8: hidden, its history kept).
pub(crate) fn mark_deleted(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(releases::table.find(id)).set(releases::deleted_at.eq(at)).execute(conn)?;
    Ok(())
}

/// A release's items in release order, after the `after` position, each with its item's id.
pub fn items(conn: &mut DbConn, id: &str, after: Option<i64>, limit: i64) -> QueryResult<Page<ReleaseItemRow>> {
    let q = release_items::table
        .inner_join(items::table.on(items::key.eq(release_items::item_key)))
        .left_join(
            versions::table.on(versions::item_id
                .eq(items::id)
                .and(versions::locale.eq(release_items::locale))
                .and(versions::version.nullable().eq(release_items::version))),
        )
        .filter(release_items::release_id.eq(id.to_string()))
        .select((
            release_items::release_id,
            items::id,
            release_items::locale,
            release_items::action,
            release_items::version,
            release_items::position,
            versions::title.nullable(),
            items::title,
        ))
        .into_boxed();
    in_written_order(conn, q, release_items::position, after, limit, |i: &ReleaseItemRow| i.position.to_string())
}

/// Removes one key from a release and counts it out; whether it was there.
pub(crate) fn delete_item(conn: &mut DbConn, id: &str, item_id: &str, locale: &str) -> QueryResult<bool> {
    let key = items::table.filter(items::id.eq(item_id.to_string())).select(items::key).single_value();
    let n = diesel::delete(
        release_items::table
            .filter(release_items::release_id.eq(id))
            .filter(release_items::item_key.nullable().eq(key))
            .filter(release_items::locale.eq(locale)),
    )
    .execute(conn)?;
    add_to_item_count(conn, id, -(n as i64))?;
    Ok(n > 0)
}

/// Changes a release's kept item count by `delta`, in the transaction that added or removed them.
pub(crate) fn add_to_item_count(conn: &mut DbConn, id: &str, delta: i64) -> QueryResult<()> {
    if delta != 0 {
        diesel::update(releases::table.find(id))
            .set(releases::item_count.eq(releases::item_count + delta))
            .execute(conn)?;
    }
    Ok(())
}

/// The highest position in the release, if it has items.
pub(crate) fn last_position(conn: &mut DbConn, id: &str) -> QueryResult<Option<i64>> {
    release_items::table
        .filter(release_items::release_id.eq(id))
        .select(diesel::dsl::max(release_items::position))
        .first(conn)
}

/// Which keys of these items (by integer key) the release holds already, as `(item key, locale)`.
pub(crate) fn present_keys(conn: &mut DbConn, id: &str, item_keys: &[i64]) -> QueryResult<HashSet<(i64, String)>> {
    let mut out = HashSet::new();
    for chunk in item_keys.chunks(5000) {
        let rows: Vec<(i64, String)> = release_items::table
            .filter(release_items::release_id.eq(id))
            .filter(release_items::item_key.eq_any(chunk))
            .select((release_items::item_key, release_items::locale))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

/// Multi-row upserts of release items, each with its item's integer key, from `position` on:
/// `replace` sets the action and version of a key already there (explicit items); otherwise such
/// a key is left as it is (references). The caller counts the new keys in with
/// `add_to_item_count`: an upsert's row count does not tell new keys from replaced ones.
pub(crate) fn upsert_items(
    conn: &mut DbConn,
    id: &str,
    new: &[(i64, NewReleaseItem)],
    position: &mut i64,
    replace: bool,
) -> QueryResult<()> {
    for chunk in new.chunks(5000) {
        let mut sql = format!(
            "INSERT INTO release_items (release_id, item_key, locale, action, version, position) VALUES {}",
            super::values_list(conn, chunk.len(), 6)
        );
        sql.push_str(if replace {
            " ON CONFLICT (release_id, item_key, locale) DO UPDATE SET action = excluded.action, version = excluded.version"
        } else {
            " ON CONFLICT (release_id, item_key, locale) DO NOTHING"
        });
        let mut q = diesel::sql_query(sql).into_boxed::<MultiBackend>();
        for (key, it) in chunk {
            q = q
                .bind::<Text, _>(id.to_string())
                .bind::<BigInt, _>(*key)
                .bind::<Text, _>(it.locale.clone())
                .bind::<Nullable<Text>, _>(Some(it.action.as_str()))
                .bind::<Nullable<Integer>, _>(it.version)
                .bind::<BigInt, _>(*position);
            *position += 1;
        }
        q.execute(conn)?;
    }
    Ok(())
}
