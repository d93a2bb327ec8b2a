//! Per-user rollback releases (B1–B6): creating one, listing them, and the deployments of the
//! original release that B7 reads.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::releases::{self, ReleaseView};
use super::{Caller, Page, PageParams};
use crate::db::rows::ReleaseRow;
use crate::db::schema::{deployments, releases as rel};
use crate::db::{new_id, now, write_transaction, DbConn};
use crate::domain::rollback::{eligibility, first_and_latest as pick, Ineligible, OwnerDeployment};
use crate::domain::{DeploymentStatus, ReleaseKind};
use crate::error::{AppError, AppResult};

/// When `owner` last deleted a rollback release of `release_id`, if ever.
fn last_deletion(conn: &mut DbConn, release_id: &str, owner: &str) -> AppResult<Option<NaiveDateTime>> {
    Ok(rel::table
        .filter(rel::rollback_of.eq(release_id))
        .filter(rel::owner.eq(owner))
        .select(diesel::dsl::max(rel::deleted_at))
        .first(conn)?)
}

/// The succeeded deployments of `release_id` by `owner`.
fn owner_deployments(conn: &mut DbConn, release_id: &str, owner: &str) -> AppResult<Vec<OwnerDeployment>> {
    let rows: Vec<(String, String, Option<NaiveDateTime>)> = deployments::table
        .filter(deployments::release_id.eq(release_id))
        .filter(deployments::deployed_by.eq(owner))
        .filter(deployments::status.eq(DeploymentStatus::Succeeded.as_str()))
        .select((deployments::id, deployments::environment_id, deployments::finished_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, environment_id, f)| Some(OwnerDeployment { id, environment_id, finished_at: f? }))
        .collect())
}

/// B7's F and L for a rollback release in one environment: the ids of its owner's first and
/// latest succeeded deployments of the original release there, since their last deletion.
pub fn first_and_latest(
    conn: &mut DbConn,
    rollback: &ReleaseRow,
    environment_id: &str,
) -> AppResult<Option<(String, String)>> {
    let original = rollback.rollback_of.as_deref().ok_or(AppError::Internal)?;
    let deps = owner_deployments(conn, original, &rollback.owner)?;
    let deleted = last_deletion(conn, original, &rollback.owner)?;
    Ok(pick(&deps, deleted, environment_id).map(|(f, l)| (f.id.clone(), l.id.clone())))
}

/// B1–B4: the caller's rollback release of a release; `true` when it was created just now.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub fn create(conn: &mut DbConn, caller: &Caller, release_id: &str) -> AppResult<(ReleaseView, bool)> {
    caller.require_writer()?;
    write_transaction(conn, |conn| {
        releases::lock(conn, release_id)?;
        let original = releases::visible(conn, caller, release_id)?;
        if original.kind != ReleaseKind::Standard.as_str() {
            return Err(AppError::Unprocessable(
                "rollback_of_rollback",
                "a rollback release cannot be rolled back".into(),
            ));
        }
        let existing: Option<ReleaseRow> = rel::table
            .filter(rel::rollback_of.eq(&original.id))
            .filter(rel::owner.eq(&caller.id))
            .filter(rel::deleted_at.is_null())
            .first(conn)
            .optional()?;
        if let Some(r) = existing {
            return Ok((releases::view(conn, r)?, false));
        }
        let deps = owner_deployments(conn, &original.id, &caller.id)?;
        let deleted = last_deletion(conn, &original.id, &caller.id)?;
        eligibility(&deps, deleted).map_err(|e| match e {
            Ineligible::NotDeployed => AppError::Unprocessable(
                "release_not_deployed",
                "you have no succeeded deployment of this release".into(),
            ),
            Ineligible::RedeployRequired => AppError::Unprocessable(
                "redeploy_required",
                "deploy the release again before creating another rollback release".into(),
            ),
        })?;
        let row = ReleaseRow {
            id: new_id(),
            name: format!("Rollback of {}", original.name),
            description: None,
            kind: ReleaseKind::Rollback.as_str().into(),
            rollback_of: Some(original.id.clone()),
            owner: caller.id.clone(),
            created_at: now(),
            deleted_at: None,
        };
        diesel::insert_into(rel::table).values(&row).execute(conn)?;
        crate::db::sql(
            conn,
            "INSERT INTO release_items (release_id, item_id, locale, action, version, position) \
             SELECT $1, item_id, locale, NULL, NULL, position FROM release_items WHERE release_id = $2",
        )
        .bind::<Text, _>(&row.id)
        .bind::<Text, _>(&original.id)
        .execute(conn)?;
        Ok((releases::view(conn, row)?, true))
    })
}

/// B5: the rollback releases of a release that the caller may see (their own; all for admins).
pub fn list(conn: &mut DbConn, caller: &Caller, release_id: &str, page: &PageParams) -> AppResult<Page<ReleaseView>> {
    let original = releases::visible(conn, caller, release_id)?;
    let mut q = rel::table
        .filter(rel::rollback_of.eq(&original.id))
        .filter(rel::deleted_at.is_null())
        .order(rel::id.desc())
        .limit(page.limit + 1)
        .into_boxed();
    if !caller.is_admin() {
        q = q.filter(rel::owner.eq(caller.id.clone()));
    }
    if let Some(c) = &page.cursor {
        q = q.filter(rel::id.lt(c.clone()));
    }
    let rows = Page::from_rows(q.load::<ReleaseRow>(conn)?, page.limit, |r| r.id.clone());
    Ok(Page { data: releases::views(conn, rows.data)?, next_cursor: rows.next_cursor })
}
