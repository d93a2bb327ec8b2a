//! `--promote`: times M2's promotion of N keys from the bench environment (where a deployment of
//! the run published every one) to an empty environment, and M1's first compare page.

use std::time::Instant;

use rewind::db::DbConn;
use rewind::service::promotions::{self, Promotion};
use rewind::service::{environments, Caller, PageParams};
use serde::Serialize;

use super::{millis, BenchResult, ENVIRONMENT};

/// What `--promote` prints.
#[derive(Debug, Serialize)]
pub struct PromoteReport {
    pub backend: &'static str,
    pub items: usize,
    /// M2: the promotion of every key (one snapshot, one statement), in seconds.
    pub promote_seconds: f64,
    pub promoted_keys: i64,
    /// M1: the first page of 100 differences, in milliseconds.
    pub compare_page_ms: f64,
}

/// Promotes the bench environment's `n` published keys to a new, empty environment.
pub fn run(conn: &mut DbConn, caller: &Caller, backend: &'static str, n: usize) -> BenchResult<PromoteReport> {
    environments::create(conn, caller, "production")?;
    let started = Instant::now();
    let page = PageParams { limit: 100, cursor: None };
    let first = promotions::compare(conn, "production", ENVIRONMENT, Ok(page))?;
    let compare_page_ms = millis(started.elapsed().as_secs_f64() * 1000.0);
    if first.data.len() != 100.min(n) {
        return Err(format!("the first compare page had {} keys", first.data.len()).into());
    }
    let promotion = Promotion { source: ENVIRONMENT.into(), name: None, unpublish_missing: false, keys: None };
    let started = Instant::now();
    let release = promotions::promote(conn, caller, "production", Ok(promotion), n as i64)?;
    let promote_seconds = millis(started.elapsed().as_secs_f64());
    if release.item_count as usize != n {
        return Err(format!("the promotion holds {} of {n} keys", release.item_count).into());
    }
    eprintln!("promoted {n} keys in {promote_seconds:.2}s");
    Ok(PromoteReport { backend, items: n, promote_seconds, promoted_keys: release.item_count, compare_page_ms })
}
