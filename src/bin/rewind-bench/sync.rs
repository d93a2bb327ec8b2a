//! `--sync`: times V3 on the bench environment once its deployment published every key: a full
//! round in pages of 500, then, after 1,000 manual publishes on top of the log (`--history`
//! events long), the delta round that answers them.

use std::time::Instant;

use rewind::db::DbConn;
use rewind::domain::content_cursor::Filters;
use rewind::domain::ids::ItemId;
use rewind::service::{publishing, sync, Caller};
use serde::Serialize;

use super::{millis, BenchResult, ENVIRONMENT};

/// The page of a sync round the bench reads.
const PAGE: i64 = 500;
/// How many keys change between the two rounds.
const CHANGES: usize = 1_000;

/// What `--sync` prints.
#[derive(Debug, Serialize)]
pub struct SyncReport {
    pub backend: &'static str,
    pub items: usize,
    pub history_events: usize,
    /// A full round of every published key, in pages of 500.
    pub full_round_seconds: f64,
    pub full_round_entries: usize,
    /// The delta round after 1,000 changes, in milliseconds.
    pub delta_round_ms: f64,
    pub delta_round_entries: usize,
}

/// Reads one whole round from `cursor` (a full one when none); answers its entries and the
/// cursor of the next round.
fn round(conn: &mut DbConn, cursor: Option<String>) -> BenchResult<(usize, String)> {
    let (mut entries, mut cursor) = (0, cursor);
    loop {
        let page = sync::sync(conn, ENVIRONMENT, Filters::default(), cursor.as_deref(), PAGE)?;
        entries += page.entries.len();
        match (page.next_cursor, page.sync_cursor) {
            (Some(next), _) => cursor = Some(next),
            (None, Some(done)) => return Ok((entries, done)),
            (None, None) => return Err("a round's last page had no sync_cursor".into()),
        }
    }
}

/// Times a full round, then a delta round after `CHANGES` manual publishes of `ids`' keys
/// (published at version 2 by the deployment; each goes back to version 1).
pub fn run(
    conn: &mut DbConn,
    caller: &Caller,
    backend: &'static str,
    history: usize,
    ids: &[String],
) -> BenchResult<SyncReport> {
    let started = Instant::now();
    let (full_round_entries, cursor) = round(conn, None)?;
    let full_round_seconds = millis(started.elapsed().as_secs_f64());
    if full_round_entries != ids.len() {
        return Err(format!("the full round had {full_round_entries} of {} keys", ids.len()).into());
    }
    eprintln!("a full round of {full_round_entries} keys in {full_round_seconds:.2}s");
    for id in ids.iter().take(CHANGES) {
        publishing::publish(conn, caller, ENVIRONMENT, Ok(ItemId::stored(id.clone())), "en", 1)?;
    }
    let started = Instant::now();
    let (delta_round_entries, _) = round(conn, Some(cursor))?;
    let delta_round_ms = millis(started.elapsed().as_secs_f64() * 1000.0);
    if delta_round_entries != CHANGES.min(ids.len()) {
        return Err(format!("the delta round had {delta_round_entries} entries").into());
    }
    eprintln!("the delta round after {CHANGES} changes in {delta_round_ms:.1} ms");
    Ok(SyncReport {
        backend,
        items: ids.len(),
        history_events: history,
        full_round_seconds,
        full_round_entries,
        delta_round_ms,
        delta_round_entries,
    })
}
