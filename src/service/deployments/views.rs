//! Reading deployments as the API shows them: one, several, the lists and a deployment's items.

use std::collections::HashSet;

use chrono::NaiveDateTime;

use super::super::{environments, numeric_cursor, Caller, Page, PageParams};
pub use crate::db::deployments::DeploymentView;
use crate::db::deployments::{self as rows, DeploymentsOf};
use crate::db::rows::{DeploymentItemRow, DeploymentRow};
use crate::db::{holds, now, DbConn};
use crate::domain::ids::{DeploymentId, ReleaseId};
use crate::domain::{DeploymentStatus, Outcome};
use crate::error::{AppError, AppResult};

/// The rows with their environments' names and whether a hold keeps them back (H3), in the
/// same order. Holds are read only when some row is a release's scheduled or queued deployment.
pub(super) fn views(conn: &mut DbConn, rows: Vec<DeploymentRow>) -> AppResult<Vec<DeploymentView>> {
    let mut ids: Vec<&str> = rows.iter().map(|r| r.environment_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let names = crate::db::environments::names(conn, &ids)?;
    let mut releases: Vec<&str> = rows.iter().filter_map(|r| r.release_id.as_deref()).collect();
    releases.sort_unstable();
    releases.dedup();
    let release_names = crate::db::releases::names(conn, &releases)?;
    let held = held(conn, &rows)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let environment = names.get(&row.environment_id).cloned().unwrap_or_default();
            let held = held.contains(&row.id);
            let release_name = row.release_id.as_ref().and_then(|r| release_names.get(r)).cloned();
            DeploymentView { row, environment, held, release_name }
        })
        .collect())
}

/// U6: the name of the release a deployment carries out, if it carries one out.
pub(crate) fn release_name(conn: &mut DbConn, row: &DeploymentRow) -> AppResult<Option<String>> {
    let Some(id) = row.release_id.as_deref() else { return Ok(None) };
    Ok(crate::db::releases::names(conn, &[id])?.remove(id))
}

/// H3: which of the rows a hold or an open freeze window keeps back now.
fn held(conn: &mut DbConn, rows: &[DeploymentRow]) -> AppResult<HashSet<String>> {
    let waiting: Vec<&DeploymentRow> = rows
        .iter()
        .filter(|r| {
            r.release_id.is_some() && matches!(r.status, DeploymentStatus::Scheduled | DeploymentStatus::Queued)
        })
        .collect();
    if waiting.is_empty() {
        return Ok(HashSet::new());
    }
    let envs: Vec<&str> = waiting.iter().map(|r| r.environment_id.as_str()).collect();
    let holding = holds::holding(conn, &envs, now())?;
    let waiting: Vec<&DeploymentRow> = waiting.into_iter().filter(|r| holding.contains(&r.environment_id)).collect();
    if waiting.is_empty() {
        return Ok(HashSet::new());
    }
    let releases: Vec<&str> = waiting.iter().filter_map(|r| r.release_id.as_deref()).collect();
    let standard = holds::standard_releases(conn, &releases)?;
    Ok(waiting
        .into_iter()
        .filter(|r| r.release_id.as_ref().is_some_and(|id| standard.contains(id)))
        .map(|r| r.id.clone())
        .collect())
}

/// The row of a deployment by id (404 `not_found` when there is none).
pub(super) fn row(conn: &mut DbConn, id: &str) -> AppResult<DeploymentRow> {
    rows::by_id(conn, id)?.ok_or_else(|| AppError::NotFound("no such deployment".into()))
}

/// A deployment by id. Deployments stay visible to everyone, also those of rollback releases:
/// they changed public publish state (B5).
pub fn get(conn: &mut DbConn, id: &DeploymentId) -> AppResult<DeploymentView> {
    view(conn, id)
}

/// A deployment by the id a row holds.
pub(super) fn view(conn: &mut DbConn, id: &str) -> AppResult<DeploymentView> {
    let r = row(conn, id)?;
    Ok(views(conn, vec![r])?.remove(0))
}

/// Several deployments by id, in the order given.
pub(crate) fn get_many(conn: &mut DbConn, ids: &[String]) -> AppResult<Vec<DeploymentView>> {
    let found = rows::by_ids(conn, ids)?;
    let mut by_id: std::collections::HashMap<String, DeploymentView> =
        views(conn, found)?.into_iter().map(|v| (v.row.id.clone(), v)).collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

fn page_of(conn: &mut DbConn, of: DeploymentsOf, page: &PageParams) -> AppResult<Page<DeploymentView>> {
    crate::service::own_cursor(conn, crate::service::CursorTable::Deployments, page)?;
    let rows = rows::page(conn, of, page.cursor.clone(), page.limit)?;
    Ok(Page { data: views(conn, rows.data)?, next_cursor: rows.next_cursor })
}

/// An environment's deployment history, newest first.
pub(crate) fn list_for_environment(
    conn: &mut DbConn,
    environment: &str,
    page: &PageParams,
) -> AppResult<Page<DeploymentView>> {
    let env = environments::by_name(conn, environment)?;
    page_of(conn, DeploymentsOf::Environment(&env.id), page)
}

/// A release's deployments, newest first.
pub(crate) fn list_for_release(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &ReleaseId,
    page: &PageParams,
) -> AppResult<Page<DeploymentView>> {
    let release = super::super::releases::visible(conn, caller, release_id)?;
    page_of(conn, DeploymentsOf::Release(&release.id), page)
}

/// A deployment's outcome per key, in release order, optionally only one outcome.
pub fn items(
    conn: &mut DbConn,
    id: &DeploymentId,
    outcome: Option<Outcome>,
    page: &PageParams,
) -> AppResult<Page<DeploymentItemRow>> {
    row(conn, id)?;
    let after = numeric_cursor(&page.cursor)?.map(|c| c as i32);
    Ok(rows::items_page(conn, id, outcome, after, page.limit)?)
}

/// S1, S2: the deployments that may have changed lately (queued or running, among `ids`, or
/// created or ended at or after `since`), for the deployment feed's watcher.
pub(crate) fn recently_changed(
    conn: &mut DbConn,
    ids: &[String],
    since: NaiveDateTime,
) -> AppResult<Vec<DeploymentView>> {
    let rows = rows::recently_changed(conn, ids, since)?;
    views(conn, rows)
}
