//! Releases and their items (L1–L3, L8, B5).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use super::{items, numeric_cursor, Caller, Page, PageParams};
use crate::db::rows::{ReleaseItemRow, ReleaseRow};
use crate::db::schema::{deployments, release_items, releases, versions};
use crate::db::{new_id, now, write_transaction, DbConn, MultiBackend};
use crate::domain::{validate, Action, DeploymentStatus, Key, ReleaseKind};
use crate::error::{AppError, AppResult};

/// How deep `include_references` follows references (L2).
pub const REFERENCE_DEPTH: usize = 5;

/// A release with what the API shows beside its row.
#[derive(Debug, Clone)]
pub struct ReleaseView {
    pub row: ReleaseRow,
    pub locked: bool,
    pub item_count: i64,
}

/// An item to add to a release, as a request carries it.
#[derive(Debug, Clone)]
pub struct NewReleaseItem {
    pub item_id: String,
    pub locale: String,
    pub action: Action,
    pub version: Option<i32>,
}

/// What adding items did: the release after it, and the references that could not be added.
#[derive(Debug, Clone)]
pub struct AddedItems {
    pub release: ReleaseView,
    pub not_added: Vec<Key>,
}

/// A release row by id, deleted or not, visible or not (404 when unknown).
pub fn row(conn: &mut DbConn, id: &str) -> AppResult<ReleaseRow> {
    releases::table.find(id).first(conn).optional()?.ok_or_else(|| AppError::NotFound("no such release".into()))
}

/// A release the caller may see: not deleted; a rollback release only by its owner or an admin
/// (B5). Anything else does not exist for the caller (404).
pub fn visible(conn: &mut DbConn, caller: &Caller, id: &str) -> AppResult<ReleaseRow> {
    let r = row(conn, id)?;
    let hidden = r.deleted_at.is_some()
        || (r.kind == ReleaseKind::Rollback.as_str() && r.owner != caller.id && !caller.is_admin());
    if hidden {
        return Err(AppError::NotFound("no such release".into()));
    }
    Ok(r)
}

/// Locks the release's row until the transaction ends (PostgreSQL; SQLite's write transactions
/// run one at a time already), so that checks of its items, deployments, deletion and rollback
/// releases hold until the write that depends on them commits.
pub fn lock(conn: &mut DbConn, id: &str) -> AppResult<()> {
    if matches!(conn, DbConn::Pg(_)) {
        crate::db::sql(conn, "SELECT id FROM releases WHERE id = $1 FOR UPDATE").bind::<Text, _>(id).execute(conn)?;
    }
    Ok(())
}

/// How many items the release holds.
pub fn item_count(conn: &mut DbConn, id: &str) -> AppResult<i64> {
    Ok(release_items::table.filter(release_items::release_id.eq(id)).count().get_result(conn)?)
}

/// L3: a release's items are locked once it has a succeeded deployment; a rollback release's always.
fn locked(row: &ReleaseRow, deployed: &HashSet<String>) -> bool {
    row.kind == ReleaseKind::Rollback.as_str() || deployed.contains(&row.id)
}

/// Which of these releases have a succeeded deployment.
fn deployed_among(conn: &mut DbConn, ids: &[&str]) -> AppResult<HashSet<String>> {
    Ok(deployments::table
        .filter(deployments::release_id.eq_any(ids))
        .filter(deployments::status.eq(DeploymentStatus::Succeeded.as_str()))
        .select(deployments::release_id.assume_not_null())
        .distinct()
        .load(conn)?
        .into_iter()
        .collect())
}

/// The release as the API shows it.
pub fn view(conn: &mut DbConn, row: ReleaseRow) -> AppResult<ReleaseView> {
    Ok(views(conn, vec![row])?.remove(0))
}

/// Releases as the API shows them: item counts and locks read for all of them in two queries.
pub fn views(conn: &mut DbConn, rows: Vec<ReleaseRow>) -> AppResult<Vec<ReleaseView>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let counts: HashMap<String, i64> = release_items::table
        .filter(release_items::release_id.eq_any(&ids))
        .group_by(release_items::release_id)
        .select((release_items::release_id, diesel::dsl::count_star()))
        .load(conn)?
        .into_iter()
        .collect();
    let deployed = deployed_among(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| ReleaseView {
            locked: locked(&row, &deployed),
            item_count: counts.get(&row.id).copied().unwrap_or(0),
            row,
        })
        .collect())
}

fn check_name(name: &str) -> AppResult<()> {
    validate::display_name(name).map_err(|rule| AppError::invalid_field("name", rule))
}

fn check_description(description: &Option<String>) -> AppResult<()> {
    match description {
        Some(d) => {
            validate::free_text(d, validate::TEXT_MAX).map_err(|rule| AppError::invalid_field("description", rule))
        }
        None => Ok(()),
    }
}

/// Creates a standard release owned by the caller.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn create(conn: &mut DbConn, caller: &Caller, name: &str, description: Option<String>) -> AppResult<ReleaseView> {
    caller.require_writer()?;
    check_name(name)?;
    check_description(&description)?;
    let row = ReleaseRow {
        id: new_id(),
        name: name.into(),
        description,
        kind: ReleaseKind::Standard.as_str().into(),
        rollback_of: None,
        owner: caller.id.clone(),
        created_at: now(),
        deleted_at: None,
    };
    diesel::insert_into(releases::table).values(&row).execute(conn)?;
    Ok(ReleaseView { row, locked: false, item_count: 0 })
}

/// L1, B5: releases the caller may see, newest first, optionally of one kind.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    kind: Option<ReleaseKind>,
    page: &PageParams,
) -> AppResult<Page<ReleaseView>> {
    let mut q = releases::table
        .filter(releases::deleted_at.is_null())
        .order(releases::id.desc())
        .limit(page.limit + 1)
        .into_boxed();
    if !caller.is_admin() {
        q = q.filter(releases::kind.eq(ReleaseKind::Standard.as_str()).or(releases::owner.eq(caller.id.clone())));
    }
    if let Some(k) = kind {
        q = q.filter(releases::kind.eq(k.as_str()));
    }
    if let Some(c) = &page.cursor {
        q = q.filter(releases::id.lt(c.clone()));
    }
    let rows = Page::from_rows(q.load::<ReleaseRow>(conn)?, page.limit, |r| r.id.clone());
    Ok(Page { data: views(conn, rows.data)?, next_cursor: rows.next_cursor })
}

/// Renames a release or changes its description (allowed also when locked, L3).
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    name: Option<String>,
    description: Option<Option<String>>,
) -> AppResult<ReleaseView> {
    caller.require_writer()?;
    let mut r = visible(conn, caller, id)?;
    if let Some(n) = name {
        check_name(&n)?;
        r.name = n;
    }
    if let Some(d) = description {
        check_description(&d)?;
        r.description = d;
    }
    diesel::update(releases::table.find(id))
        .set((releases::name.eq(&r.name), releases::description.eq(&r.description)))
        .execute(conn)?;
    view(conn, r)
}

/// L8: hides a release and keeps its history; 409 `release_busy` while a deployment is pending.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn delete(conn: &mut DbConn, caller: &Caller, id: &str) -> AppResult<()> {
    caller.require_writer()?;
    write_transaction(conn, |conn| {
        lock(conn, id)?;
        let r = visible(conn, caller, id)?;
        let busy: i64 = deployments::table
            .filter(deployments::release_id.eq(id))
            .filter(deployments::status.eq_any([
                DeploymentStatus::Scheduled.as_str(),
                DeploymentStatus::Queued.as_str(),
                DeploymentStatus::InProgress.as_str(),
            ]))
            .count()
            .get_result(conn)?;
        if busy > 0 {
            return Err(AppError::Conflict("release_busy", "the release has a pending deployment".into()));
        }
        diesel::update(releases::table.find(&r.id)).set(releases::deleted_at.eq(now())).execute(conn)?;
        Ok(())
    })
}

/// A release's items in release order; the cursor is the position of the last one listed.
pub fn list_items(conn: &mut DbConn, caller: &Caller, id: &str, page: &PageParams) -> AppResult<Page<ReleaseItemRow>> {
    visible(conn, caller, id)?;
    let mut q = release_items::table
        .filter(release_items::release_id.eq(id))
        .order(release_items::position)
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(c) = numeric_cursor(&page.cursor)? {
        q = q.filter(release_items::position.gt(c));
    }
    Ok(Page::from_rows(q.load(conn)?, page.limit, |i: &ReleaseItemRow| i.position.to_string()))
}

fn writable(conn: &mut DbConn, caller: &Caller, id: &str) -> AppResult<ReleaseRow> {
    caller.require_writer()?;
    lock(conn, id)?;
    let r = visible(conn, caller, id)?;
    if locked(&r, &deployed_among(conn, &[r.id.as_str()])?) {
        return Err(AppError::Conflict("release_locked", "the release's items can no longer change".into()));
    }
    Ok(r)
}

/// Removes one key from a release (404 when it is not in it).
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn remove_item(conn: &mut DbConn, caller: &Caller, id: &str, item_id: &str, locale: &str) -> AppResult<()> {
    write_transaction(conn, |conn| {
        writable(conn, caller, id)?;
        let n = diesel::delete(release_items::table.find((id, item_id, locale))).execute(conn)?;
        if n == 0 {
            return Err(AppError::NotFound("the release has no such item".into()));
        }
        Ok(())
    })
}

/// The references of versions, read in batches: `(item, locale, version)` to referenced ids.
fn references_of(
    conn: &mut DbConn,
    wanted: &HashSet<(String, String, i32)>,
) -> AppResult<HashMap<(String, String, i32), Vec<String>>> {
    let mut ids: Vec<String> = wanted.iter().map(|w| w.0.clone()).collect();
    ids.sort();
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
                out.insert(k, serde_json::from_str(&refs).unwrap_or_default());
            }
        }
    }
    Ok(out)
}

/// L2: adds items (replacing the action and version of a key already in the release), and with
/// `include_references` what their versions reference, to depth 5, at its latest version.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn add_items(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    new_items: Vec<NewReleaseItem>,
    include_references: bool,
    max_items: i64,
) -> AppResult<AddedItems> {
    for (i, it) in new_items.iter().enumerate() {
        if !validate::locale(&it.locale) {
            return Err(AppError::invalid_field(
                &format!("items[{i}].locale"),
                "must be a lowercase locale like en-us (^[a-z]{2,3}(-[a-z0-9]{2,8})*$)",
            ));
        }
        if it.action == Action::Publish && it.version.is_none() {
            return Err(AppError::invalid_field(&format!("items[{i}].version"), "a publish item needs a version"));
        }
    }
    write_transaction(conn, |conn| {
        let release = writable(conn, caller, id)?;
        let ids: Vec<String> = new_items.iter().map(|i| i.item_id.clone()).collect();
        let existing = items::existing(conn, &ids)?;
        if let Some(missing) = new_items.iter().find(|i| !existing.contains(&i.item_id)) {
            return Err(AppError::Unprocessable("item_not_found", format!("no item {}", missing.item_id)));
        }
        let mut latest = items::latest_of(conn, &ids)?;
        let mut explicit: Vec<NewReleaseItem> = Vec::with_capacity(new_items.len());
        let mut index: HashMap<Key, usize> = HashMap::new();
        for it in new_items {
            let last = latest.get(&(it.item_id.clone(), it.locale.clone())).copied().unwrap_or(0);
            let version = match it.action {
                Action::Publish => it.version,
                Action::Unpublish => None,
            };
            if let Some(v) = version {
                if v < 1 || v > last {
                    return Err(AppError::Unprocessable(
                        "version_not_found",
                        format!("item {} has no version {v} in locale '{}'", it.item_id, it.locale),
                    ));
                }
            }
            let key = Key::new(it.item_id.clone(), it.locale.clone());
            let item = NewReleaseItem { version, ..it };
            match index.get(&key) {
                Some(&i) => explicit[i] = item,
                None => {
                    index.insert(key, explicit.len());
                    explicit.push(item);
                }
            }
        }
        let mut referenced: Vec<NewReleaseItem> = Vec::new();
        let mut not_added: Vec<Key> = Vec::new();
        if include_references {
            let mut seen: HashSet<Key> = index.keys().cloned().collect();
            let mut frontier: Vec<(NewReleaseItem, i32)> = explicit
                .iter()
                .filter_map(|it| {
                    let v = it.version.or_else(|| latest.get(&(it.item_id.clone(), it.locale.clone())).copied())?;
                    Some((it.clone(), v))
                })
                .collect();
            for _ in 0..REFERENCE_DEPTH {
                if frontier.is_empty() {
                    break;
                }
                let wanted: HashSet<(String, String, i32)> =
                    frontier.iter().map(|(it, v)| (it.item_id.clone(), it.locale.clone(), *v)).collect();
                let refs = references_of(conn, &wanted)?;
                let ref_ids: Vec<String> = refs.values().flatten().cloned().collect();
                latest.extend(items::latest_of(conn, &ref_ids)?);
                let mut next = Vec::new();
                for (it, v) in &frontier {
                    for r in refs.get(&(it.item_id.clone(), it.locale.clone(), *v)).into_iter().flatten() {
                        let key = Key::new(r.clone(), it.locale.clone());
                        if !seen.insert(key.clone()) {
                            continue;
                        }
                        match latest.get(&(r.clone(), it.locale.clone())) {
                            Some(&lv) => {
                                let item = NewReleaseItem {
                                    item_id: r.clone(),
                                    locale: it.locale.clone(),
                                    action: it.action,
                                    version: (it.action == Action::Publish).then_some(lv),
                                };
                                next.push((item.clone(), lv));
                                referenced.push(item);
                            }
                            None => not_added.push(key),
                        }
                    }
                }
                frontier = next;
            }
        }
        let before = item_count(conn, &release.id)?;
        let all: Vec<&NewReleaseItem> = explicit.iter().chain(referenced.iter()).collect();
        let present = present_keys(conn, &release.id, &all)?;
        let added =
            all.iter().filter(|i| !present.contains(&Key::new(i.item_id.clone(), i.locale.clone()))).count() as i64;
        if before + added > max_items {
            return Err(AppError::Unprocessable(
                "release_too_large",
                format!("a release holds at most {max_items} items"),
            ));
        }
        let start: Option<i64> = release_items::table
            .filter(release_items::release_id.eq(&release.id))
            .select(diesel::dsl::max(release_items::position))
            .first(conn)?;
        let mut position = start.unwrap_or(0) + 1;
        insert_items(conn, &release.id, &explicit, &mut position, true)?;
        insert_items(conn, &release.id, &referenced, &mut position, false)?;
        let release = view(conn, release)?;
        Ok(AddedItems { release, not_added })
    })
}

/// Which of these keys the release holds already.
fn present_keys(conn: &mut DbConn, release_id: &str, all: &[&NewReleaseItem]) -> AppResult<HashSet<Key>> {
    let mut ids: Vec<&str> = all.iter().map(|i| i.item_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashSet::new();
    for chunk in ids.chunks(5000) {
        let rows: Vec<(String, String)> = release_items::table
            .filter(release_items::release_id.eq(release_id))
            .filter(release_items::item_id.eq_any(chunk))
            .select((release_items::item_id, release_items::locale))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(i, l)| Key::new(i, l)));
    }
    Ok(out)
}

/// Multi-row upserts of release items: `replace` sets the action and version of a key already
/// there (explicit items); otherwise such a key is left as it is (references).
fn insert_items(
    conn: &mut DbConn,
    release_id: &str,
    items: &[NewReleaseItem],
    position: &mut i64,
    replace: bool,
) -> AppResult<()> {
    for chunk in items.chunks(5000) {
        let mut sql = format!(
            "INSERT INTO release_items (release_id, item_id, locale, action, version, position) VALUES {}",
            crate::db::values_list(conn, chunk.len(), 6)
        );
        sql.push_str(if replace {
            " ON CONFLICT (release_id, item_id, locale) DO UPDATE SET action = excluded.action, version = excluded.version"
        } else {
            " ON CONFLICT (release_id, item_id, locale) DO NOTHING"
        });
        let mut q = diesel::sql_query(sql).into_boxed::<MultiBackend>();
        for it in chunk {
            q = q
                .bind::<Text, _>(release_id.to_string())
                .bind::<Text, _>(it.item_id.clone())
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
