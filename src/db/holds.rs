//! Holds and freeze windows (H1–H4): every query of their tables, and which environments hold
//! their standard deployments back now.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamp};
use diesel::QueryResult;

use super::page::{newest_first, Page};
use super::schema::{deployments, environments, freezes, holds, releases};
use super::DbConn;
use crate::domain::{DeploymentStatus, HoldCause, ReleaseKind};

/// A hold as stored: open while `lifted_at` is null.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = holds)]
pub struct HoldRow {
    pub id: String,
    pub environment_id: String,
    pub cause: HoldCause,
    pub reason: String,
    pub held_by: String,
    pub held_at: NaiveDateTime,
    pub deployment_id: Option<String>,
    pub lifted_by: Option<String>,
    pub lifted_at: Option<NaiveDateTime>,
}

/// A freeze window as stored.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = freezes)]
pub struct FreezeRow {
    pub id: String,
    pub environment_id: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub reason: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

/// Places a hold unless the environment has an open one (the partial unique index `holds_open`
/// decides, also between two placed at once); whether it was placed. No error aborts the
/// transaction, so a rollback's success may call it whatever stands.
pub fn place(conn: &mut DbConn, hold: &HoldRow) -> QueryResult<bool> {
    let n = super::sql(
        conn,
        "INSERT INTO holds (id, environment_id, cause, reason, held_by, held_at, deployment_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(&hold.id)
    .bind::<Text, _>(&hold.environment_id)
    .bind::<Text, _>(hold.cause.as_str())
    .bind::<Text, _>(&hold.reason)
    .bind::<Text, _>(&hold.held_by)
    .bind::<Timestamp, _>(hold.held_at)
    .bind::<Nullable<Text>, _>(hold.deployment_id.as_deref())
    .execute(conn)?;
    Ok(n == 1)
}

/// The environment's open hold, if it has one.
pub fn open(conn: &mut DbConn, environment_id: &str) -> QueryResult<Option<HoldRow>> {
    holds::table.filter(holds::environment_id.eq(environment_id).and(holds::lifted_at.is_null())).first(conn).optional()
}

/// Lifts the hold `id` if it is still open; whether it did.
pub fn lift(conn: &mut DbConn, id: &str, by: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(holds::table.filter(holds::id.eq(id).and(holds::lifted_at.is_null())))
        .set((holds::lifted_by.eq(Some(by)), holds::lifted_at.eq(Some(at))))
        .execute(conn)?;
    Ok(n == 1)
}

/// The environment's holds, present and past, newest first (X4).
pub fn history(
    conn: &mut DbConn,
    environment_id: &str,
    before: Option<String>,
    limit: i64,
) -> QueryResult<Page<HoldRow>> {
    let q = holds::table.filter(holds::environment_id.eq(environment_id.to_string())).into_boxed();
    newest_first(conn, q, holds::id, before, limit, |h: &HoldRow| h.id.clone())
}

/// Stores a freeze window.
pub(crate) fn insert_freeze(conn: &mut DbConn, row: &FreezeRow) -> QueryResult<()> {
    diesel::insert_into(freezes::table).values(row).execute(conn)?;
    Ok(())
}

/// The environment's windows that have not ended at `at`, soonest first.
pub(crate) fn freezes_ahead(conn: &mut DbConn, environment_id: &str, at: NaiveDateTime) -> QueryResult<Vec<FreezeRow>> {
    freezes::table
        .filter(freezes::environment_id.eq(environment_id).and(freezes::ends_at.gt(at)))
        .order((freezes::starts_at, freezes::id))
        .load(conn)
}

/// The environment's window open at `at`, if any (the one that ends last, when several overlap).
pub(crate) fn open_freeze(
    conn: &mut DbConn,
    environment_id: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<FreezeRow>> {
    freezes::table
        .filter(freezes::environment_id.eq(environment_id).and(freezes::starts_at.le(at)).and(freezes::ends_at.gt(at)))
        .order((freezes::ends_at.desc(), freezes::id))
        .first(conn)
        .optional()
}

/// Removes the environment's window `id`; whether there was one.
pub(crate) fn delete_freeze(conn: &mut DbConn, environment_id: &str, id: &str) -> QueryResult<bool> {
    let n = diesel::delete(freezes::table.filter(freezes::id.eq(id).and(freezes::environment_id.eq(environment_id))))
        .execute(conn)?;
    Ok(n == 1)
}

/// H3: which of these environments hold back their standard deployments at `at`: held, or in an
/// open freeze window.
pub fn holding(conn: &mut DbConn, environment_ids: &[&str], at: NaiveDateTime) -> QueryResult<HashSet<String>> {
    let held: Vec<String> = holds::table
        .filter(holds::environment_id.eq_any(environment_ids).and(holds::lifted_at.is_null()))
        .select(holds::environment_id)
        .load(conn)?;
    let frozen: Vec<String> = freezes::table
        .filter(
            freezes::environment_id.eq_any(environment_ids).and(freezes::starts_at.le(at)).and(freezes::ends_at.gt(at)),
        )
        .select(freezes::environment_id)
        .load(conn)?;
    Ok(held.into_iter().chain(frozen).collect())
}

/// H3 in SQL, for the statements that read the queue (the worker's claim, the queue gauges): a
/// condition true of a deployment `d` that holds and open freeze windows keep back at the time
/// bound to `starts` and `ends` (two placeholders, such as `$2` and `$3`): a standard release's
/// deployment to an environment held, or in a window open then.
pub(crate) fn held_back_sql(starts: &str, ends: &str) -> String {
    let standard = ReleaseKind::Standard;
    format!(
        "(d.release_id IS NOT NULL \
         AND EXISTS (SELECT 1 FROM releases r WHERE r.id = d.release_id AND r.kind = '{standard}') \
         AND (EXISTS (SELECT 1 FROM holds h WHERE h.environment_id = d.environment_id AND h.lifted_at IS NULL) \
           OR EXISTS (SELECT 1 FROM freezes f WHERE f.environment_id = d.environment_id \
             AND f.starts_at <= {starts} AND f.ends_at > {ends})))"
    )
}

/// H3: the deployments a hold keeps back in the environment whose id `environment` is, due at `at`
/// (queued, or scheduled for `at` or before), in the order they came due: those that run once it
/// is lifted, in the order the worker claims them.
pub(crate) fn due_standard(conn: &mut DbConn, environment: &str, at: NaiveDateTime) -> QueryResult<Vec<String>> {
    deployments::table
        .inner_join(releases::table)
        .filter(deployments::environment_id.eq(environment))
        .filter(releases::kind.eq(ReleaseKind::Standard))
        .filter(
            deployments::status
                .eq(DeploymentStatus::Queued)
                .or(deployments::status.eq(DeploymentStatus::Scheduled).and(deployments::scheduled_at.le(at))),
        )
        .order((
            diesel::dsl::sql::<Timestamp>("COALESCE(deployments.scheduled_at, deployments.created_at)"),
            deployments::created_at,
            deployments::id,
        ))
        .select(deployments::id)
        .load(conn)
}

/// H3: which of these releases are standard ones (the deployments that holds keep back).
pub(crate) fn standard_releases(conn: &mut DbConn, release_ids: &[&str]) -> QueryResult<HashSet<String>> {
    Ok(releases::table
        .filter(releases::id.eq_any(release_ids).and(releases::kind.eq(ReleaseKind::Standard)))
        .select(releases::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// H2: sets whether a rollback that succeeds in the environment holds it; whether it exists.
pub(crate) fn set_hold_after_rollback(conn: &mut DbConn, environment_id: &str, on: bool) -> QueryResult<bool> {
    let n = diesel::update(environments::table.find(environment_id))
        .set(environments::hold_after_rollback.eq(on))
        .execute(conn)?;
    Ok(n == 1)
}
