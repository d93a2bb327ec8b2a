//! Items (entries and assets) and their immutable versions.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{numeric_cursor, Caller, Page, PageParams, Parsed};
use crate::db::items as q;
use crate::db::rows::{ItemRow, NewItem, VersionRow};
use crate::db::{new_id, now, read_transaction, references, write_transaction, DbConn};
use crate::domain::diff::{self, VersionDiff};
use crate::domain::ids::ItemId;
use crate::domain::{answer_size, titles, validate, ItemKind};
use crate::error::{stored_json, AppError, AppResult, ProblemCode};

/// The largest `content` of a version, serialized (SPEC §1).
pub(crate) const MAX_CONTENT_BYTES: usize = 1024 * 1024;

/// An item with the latest version number of each of its locales.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub row: ItemRow,
    pub locales: BTreeMap<String, i32>,
}

/// A new version's content, as a request carries it.
#[derive(Debug, Clone)]
pub struct NewContent {
    pub locale: String,
    pub content: Value,
    pub references: Vec<String>,
}

/// Checks a new version's content and references; answers the content as JSON text and the
/// referenced item ids, sorted and without repeats.
fn check_content(conn: &mut DbConn, c: &NewContent) -> AppResult<(String, Vec<String>)> {
    super::parse_locale("locale", &c.locale)?;
    if !c.content.is_object() {
        return Err(AppError::invalid_field("content", "must be a JSON object"));
    }
    let content = c.content.to_string();
    if content.len() > MAX_CONTENT_BYTES {
        return Err(AppError::PayloadTooLarge("content is over 1 MiB".into()));
    }
    let mut refs = Vec::with_capacity(c.references.len());
    for r in &c.references {
        refs.push(super::parse_id::<ItemId>("references", r)?.into_string());
    }
    refs.sort();
    refs.dedup();
    if keys_of(conn, &refs)?.len() != refs.len() {
        return Err(AppError::Rule(ProblemCode::ItemNotFound, "a referenced item does not exist".into()));
    }
    Ok((content, refs))
}

/// Inserts a version and its rows in `version_references` (R1), in the caller's transaction.
fn insert_version(conn: &mut DbConn, v: &VersionRow, refs: &[String]) -> AppResult<()> {
    q::insert_version(conn, v)?;
    references::insert_for_version(conn, &v.item_id, &v.locale, v.version, refs)?;
    Ok(())
}

/// Creates an item with version 1 of its first locale (writers only).
pub fn create(
    conn: &mut DbConn,
    caller: &Caller,
    kind: ItemKind,
    content_type: Option<String>,
    first: NewContent,
) -> AppResult<ItemView> {
    caller.require_writer()?;
    let content_type = match (kind, &content_type) {
        (ItemKind::Entry, None) => {
            return Err(AppError::invalid_field("content_type", "an entry needs a content type"))
        }
        (ItemKind::Asset, Some(_)) => {
            return Err(AppError::invalid_field("content_type", "an asset has no content type"))
        }
        (_, Some(t)) => Some(validate::display_name(t).map_err(|rule| AppError::invalid_field("content_type", rule))?),
        (_, None) => None,
    };
    write_transaction(conn, |conn| {
        let (content, refs) = check_content(conn, &first)?;
        let at = now();
        let id = new_id();
        let title = titles::title_of(&first.content);
        let new =
            NewItem { id: &id, kind, content_type: content_type.as_deref(), created_at: at, title: title.as_deref() };
        let row = q::insert(conn, &new)?;
        let v = VersionRow {
            item_id: row.id.clone(),
            locale: first.locale.clone(),
            version: 1,
            content,
            refs: serde_json::to_string(&refs).unwrap_or_else(|_| "[]".into()),
            created_at: at,
            title,
        };
        insert_version(conn, &v, &refs)?;
        Ok(ItemView { row, locales: BTreeMap::from([(first.locale, 1)]) })
    })
}

/// Adds the next version of an item in a locale, 1 for a new locale (writers only; the role is
/// checked before the path's item id).
pub fn add_version(
    conn: &mut DbConn,
    caller: &Caller,
    item_id: Parsed<ItemId>,
    c: NewContent,
) -> AppResult<VersionRow> {
    caller.require_writer()?;
    let item_id = &item_id?;
    write_transaction(conn, |conn| {
        get_row(conn, item_id)?;
        let (content, refs) = check_content(conn, &c)?;
        let latest = q::latest_version(conn, item_id, &c.locale)?;
        let v = VersionRow {
            item_id: item_id.to_string(),
            locale: c.locale,
            version: latest.unwrap_or(0) + 1,
            content,
            refs: serde_json::to_string(&refs).unwrap_or_else(|_| "[]".into()),
            created_at: now(),
            title: titles::title_of(&c.content),
        };
        insert_version(conn, &v, &refs)?;
        // U6: the item's title follows its first locale's latest version, in the same transaction.
        let locales = q::locales(conn, item_id)?;
        if titles::retitles_item(&v.locale, locales.iter().map(String::as_str)) {
            q::set_title(conn, item_id, v.title.as_deref())?;
        }
        Ok(v)
    })
}

fn get_row(conn: &mut DbConn, item_id: &str) -> AppResult<ItemRow> {
    q::by_id(conn, item_id)?.ok_or_else(|| AppError::NotFound("no such item".into()))
}

fn with_locales(conn: &mut DbConn, rows: Vec<ItemRow>) -> AppResult<Vec<ItemView>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut by_item: BTreeMap<String, BTreeMap<String, i32>> = BTreeMap::new();
    for (item, locale, v) in q::latest_versions(conn, &ids)? {
        by_item.entry(item).or_default().insert(locale, v);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let locales = by_item.remove(&row.id).unwrap_or_default();
            ItemView { row, locales }
        })
        .collect())
}

/// An item with its locales (404 when unknown).
pub fn get(conn: &mut DbConn, item_id: &ItemId) -> AppResult<ItemView> {
    let row = get_row(conn, item_id)?;
    Ok(with_locales(conn, vec![row])?.remove(0))
}

/// Items, newest first; with `search`, only those whose title contains it, case-insensitively
/// (U6; 3 to 200 characters, 400 otherwise).
pub fn list(conn: &mut DbConn, search: Option<&str>, page: &PageParams) -> AppResult<Page<ItemView>> {
    let search = search.map(titles::search_text).transpose().map_err(|rule| AppError::invalid_field("q", rule))?;
    super::own_cursor(conn, super::CursorTable::Items, page)?;
    let rows = match search {
        Some(text) => q::search(conn, text, page.cursor.clone(), page.limit)?,
        None => q::list(conn, page.cursor.clone(), page.limit)?,
    };
    Ok(Page { data: with_locales(conn, rows.data)?, next_cursor: rows.next_cursor })
}

/// An item's versions, newest first; the cursor counts the versions already listed. A page ends
/// at `limit` versions or at 4 MiB of content (`answer_size`), whichever comes first: its
/// `next_cursor` then goes on from the first version it left out. The sizes are read first, so
/// that no more content than the page carries is read; both reads see one snapshot.
pub fn versions(conn: &mut DbConn, item_id: &ItemId, page: &PageParams) -> AppResult<Page<VersionRow>> {
    let offset = numeric_cursor(&page.cursor)?.unwrap_or(0).max(0);
    read_transaction(conn, |conn| {
        get_row(conn, item_id)?;
        let sizes = q::version_sizes(conn, item_id, offset, page.limit + 1)?;
        let within = &sizes[..sizes.len().min(page.limit as usize)];
        let take = answer_size::rows_within(within, answer_size::VERSION_PAGE_BYTES);
        let rows = q::versions(conn, item_id, offset, take as i64)?;
        let next = (sizes.len() > take).then(|| (offset + rows.len() as i64).to_string());
        Ok(Page { data: rows, next_cursor: next })
    })
}

/// One version of an item in a locale: 404 for an unknown item, 422 `version_not_found` for a
/// version it does not have in that locale.
pub fn version(conn: &mut DbConn, item_id: &ItemId, locale: &str, number: i32) -> AppResult<VersionRow> {
    super::parse_locale("locale", locale)?;
    get_row(conn, item_id)?;
    q::versions_numbered(conn, item_id, locale, &[number])?.pop().ok_or_else(|| {
        AppError::Rule(ProblemCode::VersionNotFound, format!("the item has no version {number} in '{locale}'"))
    })
}

/// D1: the difference between two versions of an item in a locale, from the empty object
/// when `from` is `None`. 404 for an unknown item, 422 `version_not_found` for a version it does
/// not have in that locale.
pub fn diff(conn: &mut DbConn, item_id: &ItemId, locale: &str, from: Option<i32>, to: i32) -> AppResult<VersionDiff> {
    super::parse_locale("locale", locale)?;
    get_row(conn, item_id)?;
    let numbers: Vec<i32> = from.into_iter().chain([to]).collect();
    let found = q::versions_numbered(conn, item_id, locale, &numbers)?;
    let parsed = |n: i32| -> AppResult<(serde_json::Value, Vec<String>)> {
        let v = found.iter().find(|v| v.version == n).ok_or_else(|| {
            AppError::Rule(ProblemCode::VersionNotFound, format!("the item has no version {n} in '{locale}'"))
        })?;
        Ok((stored_json(&v.content, "version content"), stored_json(&v.refs, "version references")))
    };
    let from = from.map(parsed).transpose()?;
    let to = parsed(to)?;
    Ok(diff::between(from.as_ref().map(|(c, r)| (c, r.as_slice())), (&to.0, &to.1)))
}

/// The latest version of each `(item, locale)` asked for, for many items in few queries.
pub(crate) fn latest_of(conn: &mut DbConn, item_ids: &[String]) -> AppResult<BTreeMap<(String, String), i32>> {
    Ok(q::latest_versions(conn, item_ids)?.into_iter().map(|(item, locale, v)| ((item, locale), v)).collect())
}

/// U6: sets the title of each planned key: the version it publishes, else the item's.
pub(crate) fn titled(conn: &mut DbConn, plan: &mut [crate::domain::PlannedItem]) -> AppResult<()> {
    let keys: Vec<q::NamedVersion> =
        plan.iter().map(|p| (p.key.item_id.clone(), p.key.locale.clone(), p.version)).collect();
    let mut titles = q::titles_of(conn, &keys)?;
    for (p, k) in plan.iter_mut().zip(keys) {
        p.title = titles.remove(&k);
    }
    Ok(())
}

/// U6: the title to show for each `(item_id, locale, version)` a list names by id (the
/// version's, else the item's), read in one batch; keys with neither are left out.
pub fn titles_of(conn: &mut DbConn, keys: &[q::NamedVersion]) -> AppResult<HashMap<q::NamedVersion, String>> {
    Ok(q::titles_of(conn, keys)?)
}

/// The integer key of each of these item ids that exists.
pub(crate) fn keys_of(conn: &mut DbConn, item_ids: &[String]) -> AppResult<HashMap<String, i64>> {
    Ok(q::keys_of(conn, item_ids)?)
}
