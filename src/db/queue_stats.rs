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
    /// Deployments queued, plus scheduled ones whose time has come, but for those a hold keeps back.
    pub depth: i64,
    /// How long the oldest queued deployment has waited since it was created (0 when none).
    pub oldest_queued_age_seconds: f64,
    /// How far past its time the most overdue scheduled deployment is (0 when none is due).
    pub scheduler_lag_seconds: f64,
    /// H1, H4: environments held, or in an open freeze window.
    pub held_environments: i64,
    /// H3: standard releases' scheduled or queued deployments such environments hold back.
    pub held_deployments: i64,
}

#[derive(QueryableByName)]
struct HeldRow {
    #[diesel(sql_type = BigInt)]
    environments: i64,
    #[diesel(sql_type = BigInt)]
    deployments: i64,
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
    // What a hold keeps back waits by design (H3): it is counted by the held gauges, not here.
    let text = format!(
        "SELECT COUNT(*) AS depth, \
         MIN(CASE WHEN d.status = 'queued' THEN d.created_at END) AS oldest_queued, \
         MIN(CASE WHEN d.status = 'scheduled' THEN d.scheduled_at END) AS most_overdue \
         FROM deployments d WHERE (d.status = 'queued' OR (d.status = 'scheduled' AND d.scheduled_at <= $1)) \
         AND NOT {}",
        super::holds::held_back_sql("$2", "$3")
    );
    let row: QueueRow = super::sql(conn, &text)
        .bind::<Timestamp, _>(at)
        .bind::<Timestamp, _>(at)
        .bind::<Timestamp, _>(at)
        .get_result(conn)?;
    // Holds are few: the open ones on `holds_open`, the open windows on `freezes_by_end`.
    let held: HeldRow = super::sql(
        conn,
        "WITH holding AS (SELECT environment_id FROM holds WHERE lifted_at IS NULL \
           UNION SELECT environment_id FROM freezes WHERE starts_at <= $1 AND ends_at > $2) \
         SELECT (SELECT COUNT(*) FROM holding) AS environments, \
           (SELECT COUNT(*) FROM deployments d JOIN releases r ON r.id = d.release_id \
             WHERE d.environment_id IN (SELECT environment_id FROM holding) \
             AND d.status IN ('queued', 'scheduled') AND r.kind = 'standard') AS deployments",
    )
    .bind::<Timestamp, _>(at)
    .bind::<Timestamp, _>(at)
    .get_result(conn)?;
    Ok(QueueStats {
        depth: row.depth,
        oldest_queued_age_seconds: seconds_since(row.oldest_queued, at),
        scheduler_lag_seconds: seconds_since(row.most_overdue, at),
        held_environments: held.environments,
        held_deployments: held.deployments,
    })
}
