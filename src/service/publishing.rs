//! Manual publish and unpublish (P1–P3), publish state (also as of a time) and the publish log.

use chrono::NaiveDateTime;

use super::{environments, numeric_cursor, users, Caller, Page, PageParams, Parsed};
use crate::db::items::{item_key, titles, version_exists};
use crate::db::publish::{current_state, lock_key, write_one};
use crate::db::publish_state;
use crate::db::rows::{EnvironmentRow, NewPublishEvent, PublishEventView, PublishStateView};
use crate::db::{now, write_transaction, DbConn};
use crate::domain::ids::ItemId;
use crate::error::{AppError, AppResult, ProblemCode};

/// P1: publishes a version of `(item, locale)`; a republish of the published version is a change too.
/// Viewers are refused (403) before the item id is read (400).
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn publish(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    item_id: Parsed<ItemId>,
    locale: &str,
    version: i32,
) -> AppResult<PublishStateView> {
    caller.require_writer()?;
    let item_id = &item_id?;
    let env = authorize(conn, caller, environment, locale)?;
    if version < 1 {
        return Err(AppError::invalid_field("version", "must be 1 or more"));
    }
    write_transaction(conn, |conn| {
        let item = require_item(conn, item_id)?;
        lock_key(conn, &env.id, env.key, item, locale)?;
        if !version_exists(conn, item_id, locale, version)? {
            return Err(AppError::Rule(
                ProblemCode::VersionNotFound,
                format!("item has no version {version} in locale '{locale}'"),
            ));
        }
        let prior = current_state(conn, env.key, item, locale)?.and_then(|s| s.version);
        let state = write_one(conn, &manual_event(&env, item, locale, prior, Some(version), &caller.id))?;
        let titles = titles(conn, item_id, locale, Some(version))?;
        Ok(PublishStateView::of(item_id, state, titles))
    })
}

/// P2: unpublishes `(item, locale)`; 409 `not_published` when nothing is published. Viewers are
/// refused (403) before the item id is read (400).
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn unpublish(
    conn: &mut DbConn,
    caller: &Caller,
    environment: &str,
    item_id: Parsed<ItemId>,
    locale: &str,
) -> AppResult<PublishStateView> {
    caller.require_writer()?;
    let item_id = &item_id?;
    let env = authorize(conn, caller, environment, locale)?;
    write_transaction(conn, |conn| {
        let item = require_item(conn, item_id)?;
        lock_key(conn, &env.id, env.key, item, locale)?;
        let Some(prior) = current_state(conn, env.key, item, locale)?.and_then(|s| s.version) else {
            return Err(AppError::Rule(ProblemCode::NotPublished, "nothing is published for this key".into()));
        };
        let state = write_one(conn, &manual_event(&env, item, locale, Some(prior), None, &caller.id))?;
        let titles = titles(conn, item_id, locale, None)?;
        Ok(PublishStateView::of(item_id, state, titles))
    })
}

fn authorize(conn: &mut DbConn, caller: &Caller, environment: &str, locale: &str) -> AppResult<EnvironmentRow> {
    let env = environments::by_name(conn, environment)?;
    users::require_grant(conn, caller, &env.id, environment)?;
    super::parse_locale("locale", locale)?;
    Ok(env)
}

/// The item's key, or 422 `item_not_found`.
fn require_item(conn: &mut DbConn, item_id: &str) -> AppResult<i64> {
    item_key(conn, item_id)?.ok_or_else(|| AppError::Rule(ProblemCode::ItemNotFound, "no such item".into()))
}

fn manual_event<'a>(
    env: &EnvironmentRow,
    item_key: i64,
    locale: &'a str,
    from_version: Option<i32>,
    to_version: Option<i32>,
    actor: &'a str,
) -> NewPublishEvent<'a> {
    NewPublishEvent {
        environment_key: env.key,
        item_key,
        locale,
        from_version,
        to_version,
        cause: "manual",
        deployment_id: None,
        actor,
        at: now(),
    }
}

/// The publish states of an environment, most recently changed first; with `at`, as they
/// stood then: each key's last event at or before the last event of that time.
pub fn states(
    conn: &mut DbConn,
    environment: &str,
    item_id: Option<&str>,
    at: Option<NaiveDateTime>,
    page: &PageParams,
) -> AppResult<Page<PublishStateView>> {
    let env = environments::by_name(conn, environment)?;
    let before = numeric_cursor(&page.cursor)?.unwrap_or(i64::MAX);
    let Some(item) = item_filter(conn, item_id)? else {
        return Ok(Page { data: vec![], next_cursor: None });
    };
    let rows = match at {
        None => publish_state::states_page(conn, env.key, item, before, page.limit + 1)?,
        Some(at) => match publish_state::last_event_at(conn, env.key, at)? {
            Some(high) => publish_state::states_at_page(conn, env.key, item, high, before, page.limit + 1)?,
            None => return Ok(Page { data: vec![], next_cursor: None }),
        },
    };
    Ok(Page::from_rows(rows, page.limit, |s| s.last_event_id.to_string()))
}

/// The publish log of an environment, newest first.
pub fn events(
    conn: &mut DbConn,
    environment: &str,
    item_id: Option<&str>,
    page: &PageParams,
) -> AppResult<Page<PublishEventView>> {
    let env = environments::by_name(conn, environment)?;
    let before = numeric_cursor(&page.cursor)?.unwrap_or(i64::MAX);
    let Some(item) = item_filter(conn, item_id)? else {
        return Ok(Page { data: vec![], next_cursor: None });
    };
    let rows = publish_state::events_page(conn, env.key, item, before, page.limit + 1)?;
    Ok(Page::from_rows(rows, page.limit, |e| e.id.to_string()))
}

/// The key of the `item_id` a page is filtered by: `Some(None)` without a filter, `None` when
/// no such item exists (its page is empty).
fn item_filter(conn: &mut DbConn, item_id: Option<&str>) -> AppResult<Option<Option<i64>>> {
    match item_id {
        None => Ok(Some(None)),
        Some(id) => Ok(item_key(conn, id)?.map(Some)),
    }
}
