//! Releases and their items (L1–L3, L8, B5).

use std::collections::{HashMap, HashSet};

use super::{items, numeric_cursor, Caller, Page, PageParams};
use crate::db::releases as q;
use crate::db::rows::{ReleaseItemRow, ReleaseRow};
use crate::db::{new_id, now, write_transaction, DbConn};
use crate::domain::ids::{ItemId, ReleaseId};
pub use crate::domain::release_items::NewReleaseItem;
use crate::domain::release_items::{follow_references, Latest, Level, Referenced};
use crate::domain::{validate, Action, Key, ReleaseKind};
use crate::error::{AppError, AppResult, ProblemCode};

/// A release with what the API shows beside its row.
#[derive(Debug, Clone)]
pub struct ReleaseView {
    pub row: ReleaseRow,
    pub locked: bool,
    pub item_count: i64,
    /// M2: the environments a promotion's release came from and was made for, by name.
    pub promotion: Option<PromotionView>,
}

/// M2: where a promotion's release came from: `source` and `target` environments by name, and
/// when it read them.
#[derive(Debug, Clone)]
pub struct PromotionView {
    pub source: String,
    pub target: String,
    pub at: chrono::NaiveDateTime,
}

/// What adding items did: the release after it, and the references that could not be added.
#[derive(Debug, Clone)]
pub struct AddedItems {
    pub release: ReleaseView,
    pub not_added: Vec<Key>,
}

/// A release row by id, deleted or not, visible or not (404 when unknown).
pub fn row(conn: &mut DbConn, id: &str) -> AppResult<ReleaseRow> {
    q::by_id(conn, id)?.ok_or_else(|| AppError::NotFound("no such release".into()))
}

/// A release the caller may see: not deleted; a rollback release only by its owner or an admin
/// (B5). Anything else does not exist for the caller (404).
pub fn visible(conn: &mut DbConn, caller: &Caller, id: &ReleaseId) -> AppResult<ReleaseRow> {
    let r = row(conn, id)?;
    let hidden =
        r.deleted_at.is_some() || (r.kind == ReleaseKind::Rollback && r.owner != caller.id && !caller.is_admin());
    if hidden {
        return Err(AppError::NotFound("no such release".into()));
    }
    Ok(r)
}

/// Locks the release's row until the transaction ends (PostgreSQL; SQLite's write transactions
/// run one at a time already), so that checks of its items, deployments, deletion and rollback
/// releases hold until the write that depends on them commits.
pub fn lock(conn: &mut DbConn, id: &str) -> AppResult<()> {
    Ok(q::lock(conn, id)?)
}

/// L3: a release's items are locked once it has a succeeded deployment; a rollback release's always.
fn locked(row: &ReleaseRow, deployed: &HashSet<String>) -> bool {
    row.kind == ReleaseKind::Rollback || deployed.contains(&row.id)
}

/// The release as the API shows it.
pub fn view(conn: &mut DbConn, row: ReleaseRow) -> AppResult<ReleaseView> {
    Ok(views(conn, vec![row])?.remove(0))
}

/// Releases as the API shows them: their kept item counts, and locks read for all in one query.
pub(crate) fn views(conn: &mut DbConn, rows: Vec<ReleaseRow>) -> AppResult<Vec<ReleaseView>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let deployed = q::deployed_among(conn, &ids)?;
    let envs: Vec<&str> =
        rows.iter().flat_map(|r| [r.promoted_from.as_deref(), r.promoted_to.as_deref()]).flatten().collect();
    let names = if envs.is_empty() { Default::default() } else { crate::db::environments::names(conn, &envs)? };
    let name = |id: &Option<String>| id.as_ref().and_then(|id| names.get(id)).cloned().unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|row| {
            let promotion = row.promoted_at.map(|at| PromotionView {
                source: name(&row.promoted_from),
                target: name(&row.promoted_to),
                at,
            });
            ReleaseView { locked: locked(&row, &deployed), item_count: row.item_count, promotion, row }
        })
        .collect())
}

/// The release name to store (NFC-normalised, trimmed), or 400 with the rule it breaks.
pub(super) fn check_name(name: &str) -> AppResult<String> {
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
    let name = check_name(name)?;
    check_description(&description)?;
    let row = ReleaseRow {
        id: new_id(),
        name,
        description,
        kind: ReleaseKind::Standard,
        rollback_of: None,
        owner: caller.id.to_string(),
        created_at: now(),
        deleted_at: None,
        item_count: 0,
        promoted_from: None,
        promoted_to: None,
        promoted_at: None,
    };
    q::insert(conn, &row)?;
    Ok(ReleaseView { row, locked: false, item_count: 0, promotion: None })
}

/// L1, B5: releases the caller may see, newest first, optionally of one kind.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    kind: Option<ReleaseKind>,
    page: &PageParams,
) -> AppResult<Page<ReleaseView>> {
    super::own_cursor(conn, super::CursorTable::Releases, page)?;
    let seen_by = (!caller.is_admin()).then_some(caller.id.as_str());
    let rows = q::list(conn, seen_by, kind, page.cursor.clone(), page.limit)?;
    Ok(Page { data: views(conn, rows.data)?, next_cursor: rows.next_cursor })
}

/// Renames a release or changes its description (allowed also when locked, L3).
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &ReleaseId,
    name: Option<String>,
    description: Option<Option<String>>,
) -> AppResult<ReleaseView> {
    caller.require_writer()?;
    let mut r = visible(conn, caller, id)?;
    if let Some(n) = name {
        r.name = check_name(&n)?;
    }
    if let Some(d) = description {
        check_description(&d)?;
        r.description = d;
    }
    q::update_text(conn, id, &r.name, &r.description)?;
    // Read back: the item count may have changed since `r` was read.
    let r = row(conn, id)?;
    view(conn, r)
}

/// L8: hides a release and keeps its history; 409 `release_busy` while a deployment is pending.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn delete(conn: &mut DbConn, caller: &Caller, id: &ReleaseId) -> AppResult<()> {
    caller.require_writer()?;
    write_transaction(conn, |conn| {
        lock(conn, id)?;
        let r = visible(conn, caller, id)?;
        if q::pending_deployments(conn, id)? > 0 {
            return Err(AppError::Rule(ProblemCode::ReleaseBusy, "the release has a pending deployment".into()));
        }
        Ok(q::mark_deleted(conn, &r.id, now())?)
    })
}

/// A release's items in release order; the cursor is the position of the last one listed.
pub(crate) fn list_items(
    conn: &mut DbConn,
    caller: &Caller,
    id: &ReleaseId,
    page: &PageParams,
) -> AppResult<Page<ReleaseItemRow>> {
    visible(conn, caller, id)?;
    Ok(q::items(conn, id, numeric_cursor(&page.cursor)?, page.limit)?)
}

fn writable(conn: &mut DbConn, caller: &Caller, id: &ReleaseId) -> AppResult<ReleaseRow> {
    caller.require_writer()?;
    lock(conn, id)?;
    let r = visible(conn, caller, id)?;
    if locked(&r, &q::deployed_among(conn, &[r.id.as_str()])?) {
        return Err(AppError::Rule(ProblemCode::ReleaseLocked, "the release's items can no longer change".into()));
    }
    Ok(r)
}

/// Removes one key from a release (404 when it is not in it).
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub(crate) fn remove_item(
    conn: &mut DbConn,
    caller: &Caller,
    id: &ReleaseId,
    item_id: &ItemId,
    locale: &str,
) -> AppResult<()> {
    caller.require_writer()?;
    // A malformed request is 400 before any state is read, so before `release_locked`'s 409.
    super::parse_locale("locale", locale)?;
    write_transaction(conn, |conn| {
        writable(conn, caller, id)?;
        if !q::delete_item(conn, id, item_id, locale)? {
            return Err(AppError::NotFound("the release has no such item".into()));
        }
        Ok(())
    })
}

/// Checks the request's items before any is read: locales, and a version for each publish.
fn check_items(new_items: &[NewReleaseItem]) -> AppResult<()> {
    for (i, it) in new_items.iter().enumerate() {
        super::parse_locale(&format!("items[{i}].locale"), &it.locale)?;
        if it.action == Action::Publish && it.version.is_none() {
            return Err(AppError::invalid_field(&format!("items[{i}].version"), "a publish item needs a version"));
        }
        if it.version.is_some_and(|v| v < 1) {
            return Err(AppError::invalid_field(&format!("items[{i}].version"), "must be 1 or more"));
        }
    }
    Ok(())
}

/// L2: the request's items once each key appears once (a later one replaces an earlier), each
/// publish version checked to exist; an unpublish item carries no version.
fn explicit_items(new_items: Vec<NewReleaseItem>, latest: &Latest) -> AppResult<Vec<NewReleaseItem>> {
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
                return Err(AppError::Rule(
                    ProblemCode::VersionNotFound,
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
    Ok(explicit)
}

/// L2: adds items (replacing the action and version of a key already in the release), and with
/// `include_references` what their versions reference, to depth 5, at its latest version.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn add_items(
    conn: &mut DbConn,
    caller: &Caller,
    id: &ReleaseId,
    new_items: Vec<NewReleaseItem>,
    include_references: bool,
    max_items: i64,
) -> AppResult<AddedItems> {
    check_items(&new_items)?;
    write_transaction(conn, |conn| {
        let release = writable(conn, caller, id)?;
        let ids: Vec<String> = new_items.iter().map(|i| i.item_id.clone()).collect();
        let mut keys = items::keys_of(conn, &ids)?;
        if let Some(missing) = new_items.iter().find(|i| !keys.contains_key(&i.item_id)) {
            return Err(AppError::Rule(ProblemCode::ItemNotFound, format!("no item {}", missing.item_id)));
        }
        let latest = items::latest_of(conn, &ids)?;
        let explicit = explicit_items(new_items, &latest)?;
        let referenced = if include_references {
            follow_references(&explicit, latest, |wanted| {
                let refs = crate::db::items::references_of(conn, wanted)?;
                let ref_ids: Vec<String> = refs.values().flatten().cloned().collect();
                Ok::<_, AppError>(Level { refs, latest: items::latest_of(conn, &ref_ids)? })
            })?
        } else {
            Referenced::default()
        };
        let mut unknown: Vec<String> =
            referenced.items.iter().map(|i| i.item_id.clone()).filter(|i| !keys.contains_key(i)).collect();
        unknown.sort_unstable();
        unknown.dedup();
        keys.extend(items::keys_of(conn, &unknown)?);
        let keyed = |list: Vec<NewReleaseItem>| -> AppResult<Vec<(i64, NewReleaseItem)>> {
            list.into_iter()
                .map(|i| match keys.get(&i.item_id) {
                    Some(key) => Ok((*key, i)),
                    None => Err(AppError::Rule(ProblemCode::ItemNotFound, format!("no item {}", i.item_id))),
                })
                .collect()
        };
        let (explicit, referenced_items) = (keyed(explicit)?, keyed(referenced.items)?);
        let mut item_keys: Vec<i64> = explicit.iter().chain(&referenced_items).map(|(k, _)| *k).collect();
        item_keys.sort_unstable();
        item_keys.dedup();
        let present = q::present_keys(conn, &release.id, &item_keys)?;
        let added = explicit
            .iter()
            .chain(&referenced_items)
            .filter(|(k, i)| !present.contains(&(*k, i.locale.clone())))
            .count() as i64;
        if release.item_count + added > max_items {
            return Err(AppError::Rule(
                ProblemCode::ReleaseTooLarge,
                format!("a release holds at most {max_items} items"),
            ));
        }
        let mut position = q::last_position(conn, &release.id)?.unwrap_or(0) + 1;
        q::upsert_items(conn, &release.id, &explicit, &mut position, true)?;
        q::upsert_items(conn, &release.id, &referenced_items, &mut position, false)?;
        q::add_to_item_count(conn, &release.id, added)?;
        let release = view(conn, ReleaseRow { item_count: release.item_count + added, ..release })?;
        Ok(AddedItems { release, not_added: referenced.not_added })
    })
}
