//! Promotion (M1, M2): comparing two environments, and making the target look like the source
//! through an ordinary standard release.

use super::environments::{self, named_in_body};
use super::releases::{self as release_use_cases, ReleaseView};
use super::{parse_id, parse_locale, users, Caller, Page, PageParams, Parsed};
use crate::db::promotions::{self as q, DifferenceRow};
use crate::db::releases as release_rows;
use crate::db::rows::{EnvironmentRow, ReleaseRow};
use crate::db::{items, new_id, now, write_transaction, DbConn};
use crate::domain::holds::{parse_key, selection};
use crate::domain::ids::ItemId;
use crate::domain::promotion::{self as rules, default_name};
use crate::domain::release_items::NewReleaseItem;
use crate::domain::{Key, ReleaseKind};
use crate::error::{AppError, AppResult, ProblemCode};

/// M1: a page of the keys whose publish state differs between `source` and `environment`, in
/// key order. The cursor is the last key of the page, `<item_id>:<locale>`.
pub fn compare(
    conn: &mut DbConn,
    environment: &str,
    source: &str,
    page: Parsed<PageParams>,
) -> AppResult<Page<DifferenceRow>> {
    let target = environments::by_name(conn, environment)?;
    let page = page?;
    let source = named_in_body(conn, source)?;
    let after = match &page.cursor {
        Some(c) => Some(cursor_key(conn, c)?),
        None => None,
    };
    let rows = q::difference_page(conn, source.key, target.key, after, page.limit + 1)?;
    Ok(Page::from_rows(rows, page.limit, |r| format!("{}:{}", r.item_id, r.locale)))
}

/// X4: where a compare page starts: after the key its cursor names (400 when it is not one;
/// 404 when its item does not exist).
fn cursor_key(conn: &mut DbConn, cursor: &str) -> AppResult<(i64, String)> {
    let bad = || AppError::invalid_field("cursor", "not a cursor of this list: give the next_cursor of its last page");
    let key = parse_key(cursor).ok_or_else(bad)?;
    let item: ItemId = parse_id("cursor", &key.item_id)?;
    parse_locale("cursor", &key.locale)?;
    let item_key = items::item_key(conn, item.as_str())?
        .ok_or_else(|| AppError::NotFound("cursor: not a cursor of this list".into()))?;
    Ok((item_key, key.locale))
}

/// What a promotion asks for (M2).
#[derive(Debug, Clone)]
pub struct Promotion {
    pub source: String,
    pub name: Option<String>,
    pub unpublish_missing: bool,
    pub keys: Option<Vec<Key>>,
}

/// M2: creates a standard release that makes `environment` publish what `source` does: admins,
/// or users with a grant on `environment`. Its items are read from both states in one snapshot.
/// 422 `same_environment`, `key_not_in_difference`, `nothing_to_promote`, `release_too_large`.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn promote(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    promotion: Parsed<Promotion>,
    max_items: i64,
) -> AppResult<ReleaseView> {
    let target = environments::by_name(conn, environment)?;
    caller.require_writer()?;
    users::require_grant(conn, caller, &target.id, &target.name)?;
    let p = promotion?;
    if let Some(keys) = &p.keys {
        selection(keys).map_err(|rule| AppError::invalid_field("keys", rule))?;
    }
    let source = named_in_body(conn, &p.source)?;
    if source.id == target.id {
        return Err(AppError::Rule(
            ProblemCode::SameEnvironment,
            "an environment cannot be promoted onto itself".into(),
        ));
    }
    let name = match &p.name {
        Some(n) => n.clone(),
        None => default_name(&source.name, &target.name),
    };
    let name = release_use_cases::check_name(&name)?;
    write_transaction(conn, |conn| {
        let at = now();
        let row = ReleaseRow {
            id: new_id(),
            name,
            description: None,
            kind: ReleaseKind::Standard,
            rollback_of: None,
            owner: caller.id.to_string(),
            created_at: at,
            deleted_at: None,
            item_count: 0,
            promoted_from: Some(source.id.clone()),
            promoted_to: Some(target.id.clone()),
            promoted_at: Some(at),
        };
        release_rows::insert(conn, &row)?;
        let written = match &p.keys {
            Some(keys) => fill_selected(conn, &row.id, [&source, &target], keys, p.unpublish_missing)?,
            None => {
                q::fill_release(conn, &row.id, [source.key, target.key], p.unpublish_missing, max_items + 1)? as i64
            }
        };
        if written == 0 {
            return Err(AppError::Rule(
                ProblemCode::NothingToPromote,
                format!("'{}' publishes nothing that '{}' does not", source.name, target.name),
            ));
        }
        if written > max_items {
            return Err(AppError::Rule(
                ProblemCode::ReleaseTooLarge,
                format!("more than {max_items} keys differ; a release holds at most {max_items} items"),
            ));
        }
        release_rows::add_to_item_count(conn, &row.id, written)?;
        release_use_cases::view(conn, ReleaseRow { item_count: written, ..row })
    })
}

/// M2 with `keys`: the items of the selected keys, each of which must differ in a way the
/// promotion acts on (422 `key_not_in_difference` otherwise). Answers how many it wrote.
fn fill_selected(
    conn: &mut DbConn,
    release_id: &str,
    [source, target]: [&EnvironmentRow; 2],
    keys: &[Key],
    unpublish_missing: bool,
) -> AppResult<i64> {
    let ids: Vec<String> = keys.iter().map(|k| k.item_id.clone()).collect();
    let item_keys = items::keys_of(conn, &ids)?;
    let mut wanted: Vec<i64> = item_keys.values().copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let states = q::states_of(conn, [source.key, target.key], &wanted)?;
    let version =
        |env: i64, item: i64, locale: &str| states.get(&env).and_then(|s| s.get(&(item, locale.to_string()))).copied();
    let mut new = Vec::with_capacity(keys.len());
    for k in keys {
        let not_in = || {
            AppError::Rule(
                ProblemCode::KeyNotInDifference,
                format!("the key {}:{} is not one this promotion changes", k.item_id, k.locale),
            )
        };
        let item = *item_keys.get(&k.item_id).ok_or_else(not_in)?;
        let (s, t) = (version(source.key, item, &k.locale), version(target.key, item, &k.locale));
        let (action, version) = rules::item(s, t, unpublish_missing).ok_or_else(not_in)?;
        new.push((item, NewReleaseItem { item_id: k.item_id.clone(), locale: k.locale.clone(), action, version }));
    }
    new.sort_by(|a, b| (a.0, &a.1.locale).cmp(&(b.0, &b.1.locale)));
    let mut position = 1;
    release_rows::upsert_items(conn, release_id, &new, &mut position, false)?;
    Ok(new.len() as i64)
}
