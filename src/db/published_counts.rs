//! The kept count of each environment's published keys (U2's overview), in shards so that
//! concurrent writes of one environment rarely wait on one row.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use super::DbConn;
use crate::domain::{Outcome, PlannedItem};

/// How many shards `published_counts` keeps per environment.
pub(super) const COUNT_SHARDS: u32 = 16;

/// Adds `delta` to the environment's kept count of published keys, in `shard`.
pub(super) fn count_published(conn: &mut DbConn, environment_key: i64, shard: i32, delta: i64) -> QueryResult<()> {
    if delta == 0 {
        return Ok(());
    }
    super::sql(
        conn,
        "INSERT INTO published_counts (environment_key, shard, published) VALUES ($1, $2, $3) \
         ON CONFLICT (environment_key, shard) DO UPDATE SET published = published_counts.published + excluded.published",
    )
    .bind::<BigInt, _>(environment_key)
    .bind::<Integer, _>(shard)
    .bind::<BigInt, _>(delta)
    .execute(conn)
    .map(|_| ())
}

/// How a plan applied moves the count of published keys: a key published that was not, up one;
/// a key unpublished that was published, down one.
pub(super) fn published_delta(plan: &[PlannedItem]) -> i64 {
    plan.iter()
        .map(|p| match (p.outcome, p.prior_version) {
            (Outcome::Published, None) => 1,
            (Outcome::Unpublished, Some(_)) => -1,
            _ => 0,
        })
        .sum()
}

/// The kept count of published keys of each of these environments (by key; absent is 0).
pub fn published_keys(conn: &mut DbConn, environment_keys: &[i64]) -> QueryResult<std::collections::HashMap<i64, i64>> {
    use super::schema::published_counts as c;
    // At most 16 rows an environment, summed here (SUM over BIGINT is NUMERIC on PostgreSQL).
    let rows: Vec<(i64, i64)> = c::table
        .filter(c::environment_key.eq_any(environment_keys))
        .select((c::environment_key, c::published))
        .load(conn)?;
    let mut counts = std::collections::HashMap::new();
    for (k, n) in rows {
        *counts.entry(k).or_insert(0) += n;
    }
    Ok(counts)
}
