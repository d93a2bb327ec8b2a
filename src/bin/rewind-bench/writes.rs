//! The write floor (`--writes`): the single-key transaction of a manual publish or unpublish
//! (read the key's state, append one event, update the state) straight to the database, from
//! `connections` threads at once, each with a connection of its own, for `seconds`: what the
//! mixed publish load of `scripts/load` is compared with.

use std::time::{Duration, Instant};

use rewind::db::{self, DatabaseUrl};
use serde::Serialize;

use super::{floor, BenchResult};

/// How many keys the writes go round, as the mixed load's 1,000.
const KEYS: usize = 1000;

/// The JSON line of a `--writes` run.
#[derive(Serialize)]
pub struct WriteFloor {
    pub backend: &'static str,
    pub connections: usize,
    pub seconds: f64,
    pub writes: usize,
    pub writes_per_s: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Runs the write floor on the scratch database at `url`.
pub fn run(backend: &'static str, url: &DatabaseUrl, connections: usize, seconds: f64) -> BenchResult<WriteFloor> {
    // The pool sets SQLite's write-ahead log once; the floor's tables are plain ones of its own.
    let pool = db::build_pool(url, 1)?;
    floor::write_floor_setup(&mut *pool.get()?, KEYS)?;
    drop(pool);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let latencies: Vec<Vec<f64>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..connections)
            .map(|t| {
                scope.spawn(move || -> BenchResult<Vec<f64>> {
                    let mut conn = db::connect(url)?;
                    let mine: Vec<i64> = (1..=KEYS as i64).filter(|k| *k as usize % connections == t).collect();
                    let mut out = Vec::new();
                    let mut n = 0usize;
                    while Instant::now() < deadline && !mine.is_empty() {
                        let key = mine[n % mine.len()];
                        // Unpublish on even rounds, publish version 1 on odd ones, as the mixed load.
                        let version = ((n / mine.len()) % 2 == 1).then_some(1);
                        let at = Instant::now();
                        floor::write_floor_one(&mut conn, key, version)?;
                        out.push(at.elapsed().as_secs_f64() * 1000.0);
                        n += 1;
                    }
                    Ok(out)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().expect("a writer thread")).collect::<BenchResult<Vec<_>>>()
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let mut all: Vec<f64> = latencies.into_iter().flatten().collect();
    all.sort_by(f64::total_cmp);
    let at =
        |q: f64| all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or(0.0);
    Ok(WriteFloor {
        backend,
        connections,
        seconds: (elapsed * 100.0).round() / 100.0,
        writes: all.len(),
        writes_per_s: (all.len() as f64 / elapsed).round() as u64,
        p50_ms: (at(0.5) * 100.0).round() / 100.0,
        p99_ms: (at(0.99) * 100.0).round() / 100.0,
    })
}
