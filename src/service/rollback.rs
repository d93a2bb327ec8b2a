//! Per-user rollback releases (B1–B6): creating one, listing them, and the deployments of the
//! original release that B7 reads.

use chrono::NaiveDateTime;

use super::releases::{self, ReleaseView};
use super::{Caller, Page, PageParams};
use crate::db::rollback_releases as q;
use crate::db::rows::ReleaseRow;
use crate::db::{new_id, now, write_transaction, DbConn};
use crate::domain::ids::ReleaseId;
use crate::domain::rollback::{eligibility, first_and_latest as pick, Ineligible, OwnerDeployment};
use crate::domain::ReleaseKind;
use crate::error::{AppError, AppResult, ProblemCode};

/// What B7 reads of a rollback release's owner, once per release: their succeeded deployments
/// of the original release and their last deletion of a rollback release of it. F and L in any
/// environment come from it without another read.
#[derive(Debug, Clone)]
pub(crate) struct OwnerHistory {
    deployments: Vec<OwnerDeployment>,
    last_deletion: Option<NaiveDateTime>,
}

impl OwnerHistory {
    /// The history behind the rollback release `rollback`.
    pub fn of(conn: &mut DbConn, rollback: &ReleaseRow) -> AppResult<OwnerHistory> {
        let original = rollback
            .rollback_of
            .as_deref()
            .ok_or_else(|| AppError::internal("a rollback release without rollback_of"))?;
        OwnerHistory::read(conn, original, &rollback.owner)
    }

    /// `owner`'s history with the release `original`.
    fn read(conn: &mut DbConn, original: &str, owner: &str) -> AppResult<OwnerHistory> {
        Ok(OwnerHistory {
            deployments: q::owner_deployments(conn, original, owner)?,
            last_deletion: q::last_deletion(conn, original, owner)?,
        })
    }

    /// B7's F and L in one environment: the ids of the owner's first and latest succeeded
    /// deployments there since their last deletion, if there are any.
    pub(crate) fn first_and_latest(&self, environment_id: &str) -> Option<(&str, &str)> {
        pick(&self.deployments, self.last_deletion, environment_id).map(|(f, l)| (f.id.as_str(), l.id.as_str()))
    }
}

/// B1–B4: the caller's rollback release of a release; `true` when it was created just now.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn create(conn: &mut DbConn, caller: &Caller, release_id: &ReleaseId) -> AppResult<(ReleaseView, bool)> {
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
        let history = OwnerHistory::read(conn, &original.id, &caller.id)?;
        eligibility(&history.deployments, history.last_deletion).map_err(|e| match e {
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
            owner: caller.id.to_string(),
            created_at: now(),
            deleted_at: None,
            item_count: 0,
            promoted_from: None,
            promoted_to: None,
            promoted_at: None,
        };
        crate::db::releases::insert(conn, &row)?;
        row.item_count = q::copy_keys(conn, &row.id, &original.id)?;
        Ok((releases::view(conn, row)?, true))
    })
}

/// B5: the rollback releases of a release that the caller may see (their own; all for admins).
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &ReleaseId,
    page: &PageParams,
) -> AppResult<Page<ReleaseView>> {
    let original = releases::visible(conn, caller, release_id)?;
    super::own_cursor(conn, super::CursorTable::Releases, page)?;
    let owner = (!caller.is_admin()).then_some(caller.id.as_str());
    let rows = q::list_of(conn, &original.id, owner, page.cursor.clone(), page.limit)?;
    Ok(Page { data: releases::views(conn, rows.data)?, next_cursor: rows.next_cursor })
}
