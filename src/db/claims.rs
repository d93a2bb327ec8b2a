//! The worker's claims on deployments. On PostgreSQL a claim takes the row with
//! `FOR UPDATE SKIP LOCKED`, so processes never claim the same one, and the claiming session
//! holds an advisory lock on the deployment until it has run: a deployment left `in_progress`
//! whose lock is free belongs to a process that died. On SQLite one process writes, so the
//! locks are no-ops.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::QueryResult;

use super::schema::deployments;
use super::DbConn;
use crate::domain::DeploymentStatus;

diesel::define_sql_function! {
    /// PostgreSQL: takes a session advisory lock if it is free; whether it did.
    fn pg_try_advisory_lock(key: BigInt) -> Bool;
}

diesel::define_sql_function! {
    /// PostgreSQL: gives up a session advisory lock; whether it was held.
    fn pg_advisory_unlock(key: BigInt) -> Bool;
}

/// The advisory lock key of a deployment: the low 64 bits of its UUID.
fn lock_key(id: &str) -> i64 {
    uuid::Uuid::parse_str(id).map(|u| u.as_u128() as u64 as i64).unwrap_or(0)
}

/// The deployment that came due first (queued, or scheduled for `at` or before: by its time, else
/// by its creation) that no hold keeps back (H3: a standard release's deployment waits while its
/// environment is held or in an open freeze window, read in this same statement, so that a hold
/// placed by any process counts from the next claim); on PostgreSQL the row stays locked for the
/// transaction, and rows other claims hold are passed over.
pub(crate) fn next_due(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<Option<String>> {
    #[derive(QueryableByName)]
    struct Due {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let lock = match conn {
        DbConn::Pg(_) => " FOR UPDATE OF d SKIP LOCKED",
        DbConn::Sqlite(_) => "",
    };
    let (queued, scheduled) = (DeploymentStatus::Queued, DeploymentStatus::Scheduled);
    let text = format!(
        "SELECT d.id FROM deployments d \
         WHERE (d.status = '{queued}' OR (d.status = '{scheduled}' AND d.scheduled_at <= $1)) \
         AND NOT {held} \
         ORDER BY COALESCE(d.scheduled_at, d.created_at), d.created_at, d.id LIMIT 1{lock}",
        held = super::holds::held_back_sql("$2", "$3"),
    );
    // Each placeholder is bound on its own: the time, three times.
    let due: Option<Due> = super::sql(conn, &text)
        .bind::<Timestamp, _>(at)
        .bind::<Timestamp, _>(at)
        .bind::<Timestamp, _>(at)
        .get_result(conn)
        .optional()?;
    Ok(due.map(|d| d.id))
}

/// Takes the deployment's advisory lock for this session if nobody holds it; whether it did
/// (always on SQLite).
pub(crate) fn try_lock(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    Ok(match conn {
        DbConn::Pg(pg) => diesel::select(pg_try_advisory_lock(lock_key(id))).get_result(pg)?,
        DbConn::Sqlite(_) => true,
    })
}

/// Gives up the advisory lock `try_lock` took (PostgreSQL only).
pub(crate) fn unlock(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    if let DbConn::Pg(pg) = conn {
        diesel::select(pg_advisory_unlock(lock_key(id))).get_result::<bool>(pg)?;
    }
    Ok(())
}

/// Marks a claimed deployment `in_progress`, started at `at`.
pub fn start(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(deployments::table.find(id))
        .set((deployments::status.eq(DeploymentStatus::InProgress), deployments::started_at.eq(Some(at))))
        .execute(conn)?;
    Ok(())
}

/// Every `in_progress` deployment, to be checked for a live owner.
pub fn in_progress(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    deployments::table.filter(deployments::status.eq(DeploymentStatus::InProgress)).select(deployments::id).load(conn)
}
