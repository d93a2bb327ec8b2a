//! The deployment benchmark: seeds a fresh database with N items, then times adding them all to
//! one release, deploying it, previewing its rollback release and deploying that. In the same
//! run and database it times the floor: the same writes as set-based statements on plain integer
//! tables, which no service can beat. Prints one JSON line on stdout; progress goes to stderr.
//!
//! ```text
//! rewind-bench --backend sqlite --items 100000
//! rewind-bench --backend postgres --url postgres://postgres@127.0.0.1:5432/postgres --items 100000
//! rewind-bench --backend sqlite --items 100000 --promote
//! rewind-bench --backend postgres --items 100000 --history 1000000 --sync
//! ```

use std::error::Error;
use std::time::Instant;

use clap::Parser;
use rewind::db::{self, seed, DbConn, Pool};
use rewind::domain::ids::{DeploymentId, ReleaseId};
use rewind::domain::webhooks::WebhookEvent;
use rewind::domain::{Action, DeploymentStatus};
use rewind::service::deployments::{self, DeploymentView, RollbackOptions};
use rewind::service::releases::{self, NewReleaseItem};
use rewind::service::{bootstrap, environments, rollback, tokens, webhooks, Caller};
use rewind::settings::DEPLOY_PAGE;
use serde::Serialize;

mod floor;
mod promote;
mod scratch;
mod sync;
mod writes;

use scratch::{Backend, ScratchDb};

/// Any failure ends the run with its message.
type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The environment every deployment of the run goes to.
const ENVIRONMENT: &str = "bench";

/// The command line.
#[derive(Parser, Debug)]
#[command(about = "Times a release deployment and its rollback on a fresh database")]
struct Args {
    /// The database backend to benchmark.
    #[arg(long, value_enum)]
    backend: Backend,
    /// The PostgreSQL server to create the scratch database on (postgres only).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    url: String,
    /// How many items the release deploys.
    #[arg(long, default_value_t = 100_000)]
    items: usize,
    /// Publish events already in the log before the deploy, spread over the release's keys: the
    /// deploy, preview and rollback must cost the same on top of a short or a long history.
    #[arg(long, default_value_t = 0)]
    history: usize,
    /// Every item's version 2 references the next item (by id, the last the first), so the plans
    /// carry R1's reference lookups: none dangles when deploying, half are looked up unpublishing.
    #[arg(long)]
    references: bool,
    /// Registers one webhook endpoint for every event of the bench environment before the
    /// measured steps, so each status change also writes its message (nothing delivers it here).
    #[arg(long)]
    webhook: bool,
    /// Instead of a deployment, time the write floor: single-key publish transactions straight
    /// to the database from `--connections` threads for `--seconds` (compared with the mixed
    /// publish load of scripts/load).
    #[arg(long)]
    writes: bool,
    /// After deploying the release (every key published in the bench environment), time M2's
    /// promotion of all of them to an empty environment instead of the rollback.
    #[arg(long)]
    promote: bool,
    /// After deploying the release, time V3: a full sync round of every key in pages of 500,
    /// then the delta round after 1,000 manual publishes (with `--history`, on a long log).
    #[arg(long)]
    sync: bool,
    /// With `--writes`: how many connections write at once.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// With `--writes`: for how long.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
}

/// What one run measured.
struct Timings {
    add_items_seconds: f64,
    deploy_seconds: f64,
    preview_seconds: f64,
    rollback_seconds: f64,
    floor_seconds: f64,
    deploy_rss: Rss,
    preview_rss: Rss,
    rollback_rss: Rss,
}

/// The resident set over one step: what it was when the step began, and its peak during it.
#[derive(Clone, Copy, Serialize)]
struct Rss {
    start_mb: Option<f64>,
    peak_mb: Option<f64>,
}

impl Rss {
    /// The step that began with the resident set `start_mb` (from [`reset_peak_rss`]) and ends now.
    fn since(start_mb: Option<f64>) -> Rss {
        Rss { start_mb: start_mb.map(tenths), peak_mb: peak_rss_mb().map(tenths) }
    }
}

/// Megabytes to a tenth.
fn tenths(mb: f64) -> f64 {
    (mb * 10.0).round() / 10.0
}

/// Sets the process's peak resident set back to what is resident now (`/proc/self/clear_refs`),
/// after giving freed memory back to the system, so that the next step's peak is its own; the
/// resident set now, in MB, if `/proc` tells it.
fn reset_peak_rss() -> Option<f64> {
    // SAFETY: `malloc_trim` only returns free heap pages to the system.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0)
    };
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Claims and runs the one queued deployment on `conn`; answers it and the seconds it took.
fn run_deployment(conn: &mut DbConn, id: &str) -> BenchResult<(DeploymentView, f64)> {
    let started = Instant::now();
    let ran = rewind::deployment_worker::run_one(
        conn,
        &Default::default(),
        &Default::default(),
        rewind::settings::DEPLOY_PAGE,
    )?;
    let seconds = started.elapsed().as_secs_f64();
    if !ran {
        return Err("the worker found no deployment to run".into());
    }
    let d = deployments::get(conn, &DeploymentId::stored(id))?;
    if d.row.status != DeploymentStatus::Succeeded {
        return Err(format!("deployment {id} ended {}: {}", d.row.status, d.row.error.unwrap_or_default()).into());
    }
    Ok((d, seconds))
}

/// Queues a deployment of the release to the bench environment; answers its id.
fn queue_deployment(conn: &mut DbConn, caller: &Caller, release_id: &ReleaseId) -> BenchResult<String> {
    // The bench runs the worker itself (`run_one`): the creation's effects have nothing to wake.
    let envs = [ENVIRONMENT.to_string()];
    let all = RollbackOptions::default();
    let mut created = deployments::create_for_release(conn, caller, release_id, &envs, None, &all)?.into_value();
    Ok(created.pop().ok_or("no deployment was created")?.row.id)
}

/// What the run has when the release is deployed: every key published at version 2.
struct Deployed {
    caller: Caller,
    release_id: ReleaseId,
    add_items_seconds: f64,
    deploy_seconds: f64,
    deploy_rss: Rss,
    /// The items, in the order seeded.
    ids: Vec<String>,
}

/// Seeds the database, adds every item to one release and deploys it, timing both.
fn deploy(
    conn: &mut DbConn,
    postgres: bool,
    n: usize,
    history: usize,
    references: bool,
    webhook: bool,
) -> BenchResult<Deployed> {
    let token = bootstrap::bootstrap_admin(conn, None)?.ok_or("the scratch database already has users")?;
    let caller = tokens::authenticate(conn, &token)?;
    let env = environments::create(conn, &caller, ENVIRONMENT)?;

    eprintln!(
        "seeding {n} items (half of them published at version 1, references: {references}) and {history} events of history"
    );
    let started = Instant::now();
    let ids = seed::items(conn, &env.row.id, &caller.id, n, history, references)?;
    eprintln!("seeded in {:.2}s", started.elapsed().as_secs_f64());
    if webhook {
        let endpoint = webhooks::NewEndpoint {
            url: "http://127.0.0.1:9/bench".into(),
            events: WebhookEvent::ALL.to_vec(),
            environments: Some(vec![ENVIRONMENT.to_string()]),
            description: None,
        };
        webhooks::create(conn, &caller, endpoint, true)?;
    }

    let release = releases::create(conn, &caller, "bench", None)?;
    let new_items: Vec<NewReleaseItem> = ids
        .iter()
        .cloned()
        .map(|item_id| NewReleaseItem { item_id, locale: "en".into(), action: Action::Publish, version: Some(2) })
        .collect();
    let started = Instant::now();
    let release_id = ReleaseId::stored(release.row.id.clone());
    releases::add_items(conn, &caller, &release_id, new_items, false, n as i64)?;
    let add_items_seconds = started.elapsed().as_secs_f64();
    eprintln!("added {n} items to the release in {add_items_seconds:.2}s");
    if postgres {
        seed::analyze(conn)?;
    }

    let id = queue_deployment(conn, &caller, &release_id)?;
    let before = reset_peak_rss();
    let (d, deploy_seconds) = run_deployment(conn, &id)?;
    let deploy_rss = Rss::since(before);
    if d.row.published as usize != n {
        return Err(format!("the deployment published {} of {n} items", d.row.published).into());
    }
    eprintln!("deployed {n} items in {deploy_seconds:.2}s");
    Ok(Deployed { caller, release_id, add_items_seconds, deploy_seconds, deploy_rss, ids })
}

/// Seeds the database behind `pool`, then runs and times the measured steps.
fn run(pool: &Pool, postgres: bool, n: usize, history: usize, references: bool, webhook: bool) -> BenchResult<Timings> {
    let mut conn = pool.get()?;
    let Deployed { caller, release_id, add_items_seconds, deploy_seconds, deploy_rss, .. } =
        deploy(&mut conn, postgres, n, history, references, webhook)?;

    let (rollback_release, _) = rollback::create(&mut conn, &caller, &release_id)?;
    let started = Instant::now();
    let rollback_id = ReleaseId::stored(rollback_release.row.id.clone());
    let before = reset_peak_rss();
    let mut planned = 0;
    let count = &mut |page: Vec<_>| {
        planned += page.len();
        Ok(())
    };
    let all = RollbackOptions::default();
    deployments::preview_in_pages(&mut conn, &caller, &rollback_id, ENVIRONMENT, &all, DEPLOY_PAGE, count)?;
    let preview_seconds = started.elapsed().as_secs_f64();
    let preview_rss = Rss::since(before);
    if planned != n {
        return Err(format!("the rollback preview planned {planned} of {n} items").into());
    }
    eprintln!("previewed the rollback of {n} items in {preview_seconds:.2}s");

    let id = queue_deployment(&mut conn, &caller, &rollback_id)?;
    let before = reset_peak_rss();
    let (d, rollback_seconds) = run_deployment(&mut conn, &id)?;
    let rollback_rss = Rss::since(before);
    if (d.row.published + d.row.unpublished) as usize != n {
        return Err(format!(
            "the rollback published {} and unpublished {} of {n} items",
            d.row.published, d.row.unpublished
        )
        .into());
    }
    eprintln!("rolled back {n} items in {rollback_seconds:.2}s");

    let floor_seconds = floor(&mut conn, n)?;
    eprintln!("the floor: the same writes on plain integer tables in {floor_seconds:.2}s");
    Ok(Timings {
        add_items_seconds,
        deploy_seconds,
        preview_seconds,
        rollback_seconds,
        floor_seconds,
        deploy_rss,
        preview_rss,
        rollback_rss,
    })
}

/// The floor under a deployment of `n` items: the writes it must make as set-based statements
/// on plain integer tables in the same database (`floor.rs`). Answers the seconds they took.
fn floor(conn: &mut DbConn, n: usize) -> BenchResult<f64> {
    floor::floor_setup(conn, n)?;
    let started = Instant::now();
    floor::floor_writes(conn)?;
    Ok(started.elapsed().as_secs_f64())
}

/// The process's peak resident set (`VmHWM`) in MB, if `/proc` tells it.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The JSON line a run prints, fields in this order.
#[derive(Serialize)]
struct Report {
    backend: &'static str,
    items: usize,
    history_events: usize,
    /// Whether every item's version 2 references another item (`--references`).
    references: bool,
    /// Whether a webhook endpoint was registered (`--webhook`).
    webhook: bool,
    add_items_seconds: f64,
    deploy_seconds: f64,
    items_per_s: u64,
    preview_seconds: f64,
    preview_items_per_s: u64,
    rollback_seconds: f64,
    rollback_items_per_s: u64,
    floor_seconds: f64,
    floor_items_per_s: u64,
    /// Deploy throughput as a share of the floor's (1.0 = as fast as the database itself).
    deploy_floor_ratio: f64,
    rollback_floor_ratio: f64,
    /// The resident set at the start of each step and its peak during it: a step's own memory.
    deploy_rss: Rss,
    preview_rss: Rss,
    rollback_rss: Rss,
    /// The highest of the three steps' peaks (the seeding before them is not counted).
    peak_rss_mb: Option<f64>,
}

/// Items per second, to a whole number.
fn rate(n: usize, seconds: f64) -> u64 {
    (n as f64 / seconds).round() as u64
}

/// How much of the floor's throughput a step reached, to two places.
fn ratio(floor_seconds: f64, seconds: f64) -> f64 {
    (floor_seconds / seconds * 100.0).round() / 100.0
}

/// Seconds to the millisecond.
fn millis(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

fn main() -> BenchResult<()> {
    let args = Args::parse();
    if args.items == 0 {
        return Err("--items must be at least 1".into());
    }
    let scratch = ScratchDb::create(args.backend, &args.url)?;
    if args.writes {
        let floor = writes::run(args.backend.name(), &scratch.url(), args.connections.max(1), args.seconds)?;
        println!("{}", serde_json::to_string(&floor)?);
        return Ok(());
    }
    let pool = db::build_pool(&scratch.url(), 2)?;
    if args.promote || args.sync {
        let mut conn = pool.get()?;
        let postgres = args.backend == Backend::Postgres;
        let d = deploy(&mut conn, postgres, args.items, args.history, args.references, args.webhook)?;
        let name = args.backend.name();
        let report = if args.promote {
            serde_json::to_string(&promote::run(&mut conn, &d.caller, name, args.items)?)?
        } else {
            serde_json::to_string(&sync::run(&mut conn, &d.caller, name, args.history, &d.ids)?)?
        };
        println!("{report}");
        return Ok(());
    }
    let t = run(&pool, args.backend == Backend::Postgres, args.items, args.history, args.references, args.webhook)?;
    drop(pool);
    drop(scratch);
    let n = args.items;
    let report = Report {
        backend: args.backend.name(),
        items: n,
        history_events: args.history,
        references: args.references,
        webhook: args.webhook,
        add_items_seconds: millis(t.add_items_seconds),
        deploy_seconds: millis(t.deploy_seconds),
        items_per_s: rate(n, t.deploy_seconds),
        preview_seconds: millis(t.preview_seconds),
        preview_items_per_s: rate(n, t.preview_seconds),
        rollback_seconds: millis(t.rollback_seconds),
        rollback_items_per_s: rate(n, t.rollback_seconds),
        floor_seconds: millis(t.floor_seconds),
        floor_items_per_s: rate(n, t.floor_seconds),
        deploy_floor_ratio: ratio(t.floor_seconds, t.deploy_seconds),
        rollback_floor_ratio: ratio(t.floor_seconds, t.rollback_seconds),
        deploy_rss: t.deploy_rss,
        preview_rss: t.preview_rss,
        rollback_rss: t.rollback_rss,
        peak_rss_mb: [t.deploy_rss, t.preview_rss, t.rollback_rss].iter().filter_map(|r| r.peak_mb).reduce(f64::max),
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
