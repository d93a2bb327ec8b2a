//! The deployment queue as the operator sees it: how much waits for a worker and for how long,
//! read in one set-based query over the `deployments_soonest (status, scheduled_at, id)` index.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamp};
use diesel::QueryResult;

use super::DbConn;

/// The queue at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueStats {
    /// Deployments queued, plus scheduled ones whose time has come.
    pub depth: i64,
    /// How long the oldest queued deployment has waited since it was created (0 when none).
    pub oldest_queued_age_seconds: f64,
    /// How far past its time the most overdue scheduled deployment is (0 when none is due).
    pub scheduler_lag_seconds: f64,
}

#[derive(QueryableByName)]
struct QueueRow {
    #[diesel(sql_type = BigInt)]
    depth: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    oldest_queued: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    most_overdue: Option<NaiveDateTime>,
}

fn seconds_since(then: Option<NaiveDateTime>, at: NaiveDateTime) -> f64 {
    then.map_or(0.0, |t| ((at - t).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6).max(0.0))
}

/// The queue as of `at` (the claim's own test of "due": `scheduled_at <= at`).
pub fn stats(conn: &mut DbConn, at: NaiveDateTime) -> QueryResult<QueueStats> {
    let row: QueueRow = super::sql(
        conn,
        "SELECT COUNT(*) AS depth, \
         MIN(CASE WHEN status = 'queued' THEN created_at END) AS oldest_queued, \
         MIN(CASE WHEN status = 'scheduled' THEN scheduled_at END) AS most_overdue \
         FROM deployments WHERE status = 'queued' OR (status = 'scheduled' AND scheduled_at <= $1)",
    )
    .bind::<Timestamp, _>(at)
    .get_result(conn)?;
    Ok(QueueStats {
        depth: row.depth,
        oldest_queued_age_seconds: seconds_since(row.oldest_queued, at),
        scheduler_lag_seconds: seconds_since(row.most_overdue, at),
    })
}
