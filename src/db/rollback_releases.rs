//! Per-user rollback releases (B1–B7): the rows of the releases table that roll another back,
//! and what creating and deploying them reads.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::QueryResult;

use super::page::{newest_first, Page};
use super::rows::ReleaseRow;
use super::schema::{deployments, releases};
use super::DbConn;
use crate::domain::rollback::OwnerDeployment;
use crate::domain::DeploymentStatus;

/// When `owner` last deleted a rollback release of `release_id`, if ever.
pub(crate) fn last_deletion(conn: &mut DbConn, release_id: &str, owner: &str) -> QueryResult<Option<NaiveDateTime>> {
    releases::table
        .filter(releases::rollback_of.eq(release_id))
        .filter(releases::owner.eq(owner))
        .select(diesel::dsl::max(releases::deleted_at))
        .first(conn)
}

/// The succeeded deployments of `release_id` by `owner`.
pub(crate) fn owner_deployments(conn: &mut DbConn, release_id: &str, owner: &str) -> QueryResult<Vec<OwnerDeployment>> {
    let rows: Vec<(String, String, Option<NaiveDateTime>)> = deployments::table
        .filter(deployments::release_id.eq(release_id))
        .filter(deployments::deployed_by.eq(owner))
        .filter(deployments::status.eq(DeploymentStatus::Succeeded))
        .select((deployments::id, deployments::environment_id, deployments::finished_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, environment_id, f)| Some(OwnerDeployment { id, environment_id, finished_at: f? }))
        .collect())
}

/// `owner`'s rollback release of `release_id` that is not deleted, if any (B2).
pub(crate) fn live_of(conn: &mut DbConn, release_id: &str, owner: &str) -> QueryResult<Option<ReleaseRow>> {
    releases::table
        .filter(releases::rollback_of.eq(release_id))
        .filter(releases::owner.eq(owner))
        .filter(releases::deleted_at.is_null())
        .first(conn)
        .optional()
}

/// The rollback releases of a release not deleted, newest first (X4); with `owner`, only theirs.
pub(crate) fn list_of(
    conn: &mut DbConn,
    release_id: &str,
    owner: Option<&str>,
    before: Option<String>,
    limit: i64,
) -> QueryResult<Page<ReleaseRow>> {
    let mut q = releases::table
        .filter(releases::rollback_of.eq(release_id.to_string()))
        .filter(releases::deleted_at.is_null())
        .into_boxed();
    if let Some(o) = owner {
        q = q.filter(releases::owner.eq(o.to_string()));
    }
    newest_first(conn, q, releases::id, before, limit, |r: &ReleaseRow| r.id.clone())
}

/// B3: gives a new rollback release every key of the original, without action or version, in
/// the original's order, and counts them into its `item_count`; how many there were.
pub(crate) fn copy_keys(conn: &mut DbConn, rollback_id: &str, original_id: &str) -> QueryResult<i64> {
    let n = super::sql(
        conn,
        "INSERT INTO release_items (release_id, item_key, locale, action, version, position) \
         SELECT $1, item_key, locale, NULL, NULL, position FROM release_items WHERE release_id = $2",
    )
    .bind::<Text, _>(rollback_id)
    .bind::<Text, _>(original_id)
    .execute(conn)? as i64;
    super::releases::add_to_item_count(conn, rollback_id, n)?;
    Ok(n)
}
