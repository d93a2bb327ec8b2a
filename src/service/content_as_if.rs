//! V2's `release`: the content of an environment as it would be if a release, standard or
//! rollback, were deployed to it now: B9's plan applied to the current state, refused as B9
//! refuses (and invisible where B5 hides the release). The plan and the current content are read
//! in one snapshot. A page costs the plan (the release's size) and the page's keys.

use std::collections::BTreeMap;

use super::content::{own_cursor, paged, pick_one, store_filter, ContentFilters, Resolved};
use super::deployments::{plan_pages, RollbackOptions, DEPLOY_PAGE};
use super::{environments, Caller, Page};
use crate::db::content::{self as q, ContentFilter, ContentRow};
use crate::db::{items, read_transaction, DbConn};
use crate::domain::content_cursor::Stage;
use crate::domain::ids::{ItemId, ReleaseId};
use crate::domain::Outcome;
use crate::error::{AppError, AppResult, ProblemCode};

/// What the plan does to each key it changes, by `(item_key, locale)`: the version it publishes,
/// or none for an unpublish. Keys it skips keep their state and are not listed.
type Changes = BTreeMap<(i64, String), (String, Option<i32>)>;

fn changes(conn: &mut DbConn, caller: &Caller, release: &ReleaseId, environment: &str) -> AppResult<Changes> {
    let mut planned = Vec::new();
    plan_pages(conn, caller, release, environment, &RollbackOptions::default(), DEPLOY_PAGE, &mut |page| {
        planned.extend(page.into_iter().filter(|p| p.outcome != Outcome::Skipped));
        Ok(())
    })?;
    let ids: Vec<String> = planned.iter().map(|p| p.key.item_id.clone()).collect();
    let keys = items::keys_of(conn, &ids)?;
    Ok(planned
        .into_iter()
        .filter_map(|p| {
            let key = *keys.get(&p.key.item_id)?;
            let version = if p.outcome == Outcome::Published { p.version } else { None };
            Some(((key, p.key.locale), (p.key.item_id, version)))
        })
        .collect())
}

/// The row of a key the plan publishes at `version`, if the key passes `filter`.
fn planned_row(
    conn: &mut DbConn,
    key: &(i64, String),
    item_id: &str,
    version: i32,
    filter: &ContentFilter,
) -> AppResult<Option<ContentRow>> {
    let (item_key, locale) = key;
    if filter.item_id.as_ref().is_some_and(|i| i != item_id) || filter.locale.as_ref().is_some_and(|l| l != locale) {
        return Ok(None);
    }
    let item = items::by_id(conn, item_id)?.ok_or_else(|| AppError::internal("a planned item that does not exist"))?;
    if filter.content_type.is_some() && filter.content_type != item.content_type {
        return Ok(None);
    }
    let v = items::versions_numbered(conn, item_id, locale, &[version])?
        .pop()
        .ok_or_else(|| AppError::internal("a planned version that does not exist"))?;
    Ok(Some(ContentRow {
        item_key: *item_key,
        item_id: item.id,
        kind: item.kind.to_string(),
        content_type: item.content_type,
        locale: locale.clone(),
        version: Some(version),
        event_id: 0,
        published_at: None,
        content: Some(v.content),
        refs: Some(v.refs),
        title: v.title,
    }))
}

/// V2: a page of the content as if the release were deployed now, in item then locale order.
pub fn page(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    release: &ReleaseId,
    filters: &ContentFilters,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Page<ContentRow>> {
    read_transaction(conn, |conn| {
        let env = environments::by_name(conn, environment)?;
        let own = |c: &str, conn: &mut DbConn| own_cursor(c, &env, &super::content::cursor_secret(conn)?);
        let after = match cursor.map(|c| own(c, conn)).transpose()?.map(|c| c.stage) {
            None => None,
            Some(Stage::Content { point: None, item_key, locale }) => Some((item_key, locale)),
            Some(_) => return Err(AppError::Rule(ProblemCode::InvalidCursor, "not a cursor of this list".into())),
        };
        let changes = changes(conn, caller, release, environment)?;
        let resolved = Resolved { environment: env, point: None, after };
        let rows = merged(conn, &resolved, &changes, &store_filter(filters), limit + 1)?;
        paged(conn, &resolved.environment, None, rows, limit)
    })
}

/// Up to `wanted` rows of the current content after the resolved key with the plan's changes
/// applied, in key order. Reading as many current rows as the plan removes beyond `wanted` is
/// enough to fill the page.
fn merged(
    conn: &mut DbConn,
    r: &Resolved,
    changes: &Changes,
    filter: &ContentFilter,
    wanted: i64,
) -> AppResult<Vec<ContentRow>> {
    let after = r.after.as_ref().map(|(k, l)| (*k, l.as_str()));
    let ahead = |k: &(i64, String)| after.is_none_or(|(ak, al)| (k.0, k.1.as_str()) > (ak, al));
    let removed = changes.iter().filter(|(k, (_, v))| v.is_none() && ahead(k)).count() as i64;
    let point = crate::db::publish::highest_event(conn, r.environment.key)?;
    let read = wanted + removed;
    let current = q::content_page(conn, r.environment.key, point, after, filter, read)?;
    let exhausted = (current.len() as i64) < read;
    let last = current.last().map(|c| (c.item_key, c.locale.clone()));
    let mut out: BTreeMap<(i64, String), ContentRow> = BTreeMap::new();
    for row in current {
        let key = (row.item_key, row.locale.clone());
        if !changes.contains_key(&key) {
            out.insert(key, row);
        }
    }
    for (key, (item_id, version)) in changes {
        let within = exhausted || last.as_ref().is_some_and(|l| key <= l);
        if let (Some(v), true, true) = (version, ahead(key), within) {
            if let Some(row) = planned_row(conn, key, item_id, *v, filter)? {
                out.insert(key.clone(), row);
            }
        }
    }
    Ok(out.into_values().take(wanted as usize).collect())
}

/// V2: one item's content in a locale as if the release were deployed now (404 `not_published`
/// when it would not be published).
pub fn one(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    release: &ReleaseId,
    item_id: &ItemId,
    locale: Option<&str>,
) -> AppResult<ContentRow> {
    let filters =
        ContentFilters { item_id: Some(item_id.clone()), locale: locale.map(str::to_string), content_type: None };
    pick_one(page(conn, caller, environment, release, &filters, None, 2)?.data, locale)
}
