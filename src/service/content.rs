//! V1, V2: what the website reads: an environment's published content, now, as it was at a time,
//! right after a deployment, a page at a time in item then locale order, or one key. Every read
//! is as of one event id of the environment (its *point*), which the answer's ETag is made of,
//! so that a conditional request costs the point's lookup and nothing else.

use chrono::NaiveDateTime;

use super::{environments, Page};
use crate::db::content::{self as q, ContentFilter, ContentRow};
use crate::db::rows::EnvironmentRow;
use crate::db::{deployments as deployment_rows, publish_state, DbConn};
use crate::domain::content_cursor::{ContentCursor, Stage};
use crate::domain::ids::{DeploymentId, ItemId, ReleaseId};
use crate::domain::DeploymentStatus;
use crate::error::{AppError, AppResult, ProblemCode};

/// V2: which content a read answers.
#[derive(Debug, Clone)]
pub enum AsOf {
    /// As published now.
    Now,
    /// As it was at a time (a time in the future reads as now).
    At(NaiveDateTime),
    /// Right after a deployment of the environment ended.
    Deployment(DeploymentId),
    /// As it would be if the release were deployed to the environment now (B9's plan).
    Release(ReleaseId),
}

/// A read's environment and point: the event id it reads as of (none for a release's plan,
/// which reads the current state and the release as they are).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub environment: EnvironmentRow,
    pub point: Option<i64>,
    /// The key the page goes on after (from a cursor).
    pub after: Option<(i64, String)>,
}

/// V1's filters, as the request gave them (the item id parsed).
#[derive(Debug, Clone, Default)]
pub struct ContentFilters {
    pub item_id: Option<ItemId>,
    pub locale: Option<String>,
    pub content_type: Option<String>,
}

/// The secret that signs content and sync cursors, as bytes.
pub(crate) fn cursor_secret(conn: &mut DbConn) -> AppResult<Vec<u8>> {
    Ok(q::cursor_secret(conn)?.into_bytes())
}

/// A cursor of `env` (400 `invalid_cursor` when it is not one this server wrote for it).
pub(crate) fn own_cursor(text: &str, env: &EnvironmentRow, secret: &[u8]) -> AppResult<ContentCursor> {
    ContentCursor::decode(text, secret)
        .filter(|c| c.environment_id == env.id)
        .ok_or_else(|| AppError::Rule(ProblemCode::InvalidCursor, "not a cursor of this environment's content".into()))
}

/// The point a read of `env` answers as of (V2): now, the settled latest event
/// (`db::content::settled_point`); at a time, its last event then, at most the settled latest
/// (a time ahead reads as now). Outside a transaction, so that the read after sees it all.
pub(crate) fn point_of(conn: &mut DbConn, env: &EnvironmentRow, as_of: &AsOf) -> AppResult<Option<i64>> {
    match as_of {
        AsOf::Now => Ok(Some(q::settled_point(conn, env.key)?)),
        AsOf::At(at) => {
            let settled = q::settled_point(conn, env.key)?;
            Ok(Some(publish_state::last_event_at(conn, env.key, *at)?.unwrap_or(0).min(settled)))
        }
        AsOf::Deployment(id) => deployment_point(conn, env, id).map(Some),
        AsOf::Release(_) => Ok(None),
    }
}

/// V2: the point right after the deployment ended: a succeeded one's H (the highest event id
/// written by its end); one that failed or was cancelled wrote nothing, so the environment's
/// last event by its end. 404 unknown; 422 `target_wrong_environment`, `deployment_not_finished`.
fn deployment_point(conn: &mut DbConn, env: &EnvironmentRow, id: &DeploymentId) -> AppResult<i64> {
    let d = deployment_rows::by_id(conn, id)?.ok_or_else(|| AppError::NotFound("no such deployment".into()))?;
    if d.environment_id != env.id {
        return Err(AppError::Rule(
            ProblemCode::TargetWrongEnvironment,
            format!("deployment {id} is of another environment"),
        ));
    }
    match (d.status, d.high_event_id, d.finished_at) {
        (DeploymentStatus::Succeeded, Some(high), _) => Ok(high),
        (s, _, Some(end)) if s.is_final() => Ok(publish_state::last_event_at(conn, env.key, end)?.unwrap_or(0)),
        _ => Err(AppError::Rule(ProblemCode::DeploymentNotFinished, format!("deployment {id} has not ended"))),
    }
}

/// V1, V2: resolves a read: the environment (404), its point (V2's refusals), and the cursor
/// (400 `invalid_cursor`), whose point a page keeps so that a walk of pages reads one state.
/// Outside a transaction (see [`point_of`]). The secret that signs cursors is read only to check
/// one.
pub fn resolve(conn: &mut DbConn, environment: &str, as_of: &AsOf, cursor: Option<&str>) -> AppResult<Resolved> {
    let env = environments::by_name(conn, environment)?;
    let mut point = point_of(conn, &env, as_of)?;
    let mut after = None;
    if let Some(text) = cursor {
        let secret = cursor_secret(conn)?;
        match own_cursor(text, &env, &secret)?.stage {
            Stage::Content { point: p, item_key, locale } if p.is_some() == point.is_some() => {
                point = p;
                after = Some((item_key, locale));
            }
            _ => return Err(AppError::Rule(ProblemCode::InvalidCursor, "not a cursor of this list".into())),
        }
    }
    Ok(Resolved { environment: env, point, after })
}

/// The store's filter for V1's.
pub(crate) fn store_filter(f: &ContentFilters) -> ContentFilter {
    ContentFilter {
        item_id: f.item_id.as_ref().map(ToString::to_string),
        locale: f.locale.clone(),
        content_type: f.content_type.clone(),
    }
}

/// V1: a page of the content as of the resolved point, in item then locale order; the next
/// page's cursor keeps the point. No transaction: the content as of a settled point never
/// changes (a key written since is read from the log at or below the point, and items and
/// versions are immutable), so the reads of one page need no common snapshot.
pub fn page(conn: &mut DbConn, r: &Resolved, filters: &ContentFilters, limit: i64) -> AppResult<Page<ContentRow>> {
    let point = r.point.ok_or_else(|| AppError::internal("a page of content without a point"))?;
    let after = r.after.as_ref().map(|(k, l)| (*k, l.as_str()));
    let rows = q::content_page(conn, r.environment.key, point, after, &store_filter(filters), limit + 1)?;
    paged(conn, &r.environment, Some(point), rows, limit)
}

/// The page of `rows` (read one beyond `limit`) with the next page's cursor, if there is a next
/// page: only then is the secret that signs it read.
pub(crate) fn paged(
    conn: &mut DbConn,
    env: &EnvironmentRow,
    point: Option<i64>,
    rows: Vec<ContentRow>,
    limit: i64,
) -> AppResult<Page<ContentRow>> {
    if rows.len() as i64 <= limit {
        return Ok(Page { data: rows, next_cursor: None });
    }
    let secret = cursor_secret(conn)?;
    Ok(Page::from_rows(rows, limit, |row| page_cursor(env, point, row, &secret)))
}

/// The cursor of the page after `row`, signed with `secret`.
pub(crate) fn page_cursor(env: &EnvironmentRow, point: Option<i64>, row: &ContentRow, secret: &[u8]) -> String {
    ContentCursor {
        environment_id: env.id.clone(),
        stage: Stage::Content { point, item_key: row.item_key, locale: row.locale.clone() },
        filters: Default::default(),
    }
    .encode(secret)
}

/// V1: one item's content in a locale as of the resolved point; without a locale, the one
/// locale it is published in (400 naming `locale` when it is published in several). 404
/// `not_published` when nothing is published.
pub fn one(conn: &mut DbConn, r: &Resolved, item_id: &ItemId, locale: Option<&str>) -> AppResult<ContentRow> {
    let filters =
        ContentFilters { item_id: Some(item_id.clone()), locale: locale.map(str::to_string), content_type: None };
    let found = page(conn, r, &filters, 2)?.data;
    pick_one(found, locale)
}

/// The one row of a read of one key (see [`one`]).
pub(crate) fn pick_one(mut found: Vec<ContentRow>, locale: Option<&str>) -> AppResult<ContentRow> {
    match found.len() {
        0 => Err(AppError::Rule(ProblemCode::ContentNotPublished, "the item is not published here".into())),
        1 => Ok(found.remove(0)),
        _ => Err(AppError::invalid_field(
            "locale",
            match locale {
                Some(_) => "matches several keys",
                None => "the item is published in several locales: name one",
            },
        )),
    }
}
