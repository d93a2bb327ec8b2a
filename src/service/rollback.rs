//! Per-user rollback releases (B1–B6): creating one, listing them, and the deployments of the
//! original release that B7 reads.

use super::releases::{self, ReleaseView};
use super::{Caller, Page, PageParams};
use crate::db::rollback_releases as q;
use crate::db::rows::ReleaseRow;
use crate::db::{new_id, now, write_transaction, DbConn};
use crate::domain::rollback::{eligibility, first_and_latest as pick, Ineligible};
use crate::domain::ReleaseKind;
use crate::error::{AppError, AppResult, ProblemCode};

/// B7's F and L for a rollback release in one environment: the ids of its owner's first and
/// latest succeeded deployments of the original release there, since their last deletion.
pub fn first_and_latest(
    conn: &mut DbConn,
    rollback: &ReleaseRow,
    environment_id: &str,
) -> AppResult<Option<(String, String)>> {
    let original = rollback.rollback_of.as_deref().ok_or(AppError::Internal)?;
    let deps = q::owner_deployments(conn, original, &rollback.owner)?;
    let deleted = q::last_deletion(conn, original, &rollback.owner)?;
    Ok(pick(&deps, deleted, environment_id).map(|(f, l)| (f.id.clone(), l.id.clone())))
}

/// B1–B4: the caller's rollback release of a release; `true` when it was created just now.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn create(conn: &mut DbConn, caller: &Caller, release_id: &str) -> AppResult<(ReleaseView, bool)> {
    caller.require_writer()?;
    write_transaction(conn, |conn| {
        releases::lock(conn, release_id)?;
        let original = releases::visible(conn, caller, release_id)?;
        if original.kind != ReleaseKind::Standard {
            return Err(AppError::Rule(
                ProblemCode::RollbackOfRollback,
                "a rollback release cannot be rolled back".into(),
            ));
        }
        if let Some(r) = q::live_of(conn, &original.id, &caller.id)? {
            return Ok((releases::view(conn, r)?, false));
        }
        let deps = q::owner_deployments(conn, &original.id, &caller.id)?;
        let deleted = q::last_deletion(conn, &original.id, &caller.id)?;
        eligibility(&deps, deleted).map_err(|e| match e {
            Ineligible::NotDeployed => AppError::Rule(
                ProblemCode::ReleaseNotDeployed,
                "you have no succeeded deployment of this release".into(),
            ),
            Ineligible::RedeployRequired => AppError::Rule(
                ProblemCode::RedeployRequired,
                "deploy the release again before creating another rollback release".into(),
            ),
        })?;
        let mut row = ReleaseRow {
            id: new_id(),
            name: format!("Rollback of {}", original.name),
            description: None,
            kind: ReleaseKind::Rollback,
            rollback_of: Some(original.id.clone()),
            owner: caller.id.clone(),
            created_at: now(),
            deleted_at: None,
            item_count: 0,
        };
        crate::db::releases::insert(conn, &row)?;
        row.item_count = q::copy_keys(conn, &row.id, &original.id)?;
        Ok((releases::view(conn, row)?, true))
    })
}

/// B5: the rollback releases of a release that the caller may see (their own; all for admins).
pub fn list(conn: &mut DbConn, caller: &Caller, release_id: &str, page: &PageParams) -> AppResult<Page<ReleaseView>> {
    let original = releases::visible(conn, caller, release_id)?;
    let owner = (!caller.is_admin()).then_some(caller.id.as_str());
    let rows = q::list_of(conn, &original.id, owner, page.cursor.clone(), page.limit)?;
    Ok(Page { data: releases::views(conn, rows.data)?, next_cursor: rows.next_cursor })
}
