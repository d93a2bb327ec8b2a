//! Process-level tests: the real `rewind serve` binary as child processes, spoken to over HTTP.
//! L5: a process killed inside a deployment's transaction (held there by a failpoint) leaves the
//! publish state wholly before, and the restart runs the deployment again; killed right after the
//! commit, wholly after and not run again; SIGTERM stops claiming, finishes the running
//! deployment within the grace or leaves it to be run again, and exits 0. L7: several processes
//! on one PostgreSQL run each deployment exactly once.
//!
//! The failpoint tests need the binary built with `--features failpoints` (scripts/test does so).

mod common;
mod serve;

use std::io::Write;
use std::time::{Duration, Instant};

use common::TestDb;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use rewind::db::{self, DbConn};
use serde_json::{json, Value};
use serve::{read_reply, send_head, Server, TOKEN};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Runs `SELECT count(*) AS n …` with one text parameter `$1`.
fn count(conn: &mut DbConn, sql: &str, param: &str) -> i64 {
    db::sql(conn, sql).bind::<Text, _>(param).get_result::<Count>(conn).expect(sql).n
}

/// Inserts `rows`, SQL value tuples, with multi-row `INSERT`s of a few thousand rows each. With
/// `timed`, the tuples use `$1` for the current time.
fn insert_chunked(conn: &mut DbConn, head: &str, rows: &[String], timed: bool) -> QueryResult<()> {
    let at = db::now();
    for chunk in rows.chunks(2000) {
        let query = db::sql(conn, &format!("{head} VALUES {}", chunk.join(",")));
        if timed {
            query.bind::<Timestamp, _>(at).execute(conn)?;
        } else {
            query.execute(conn)?;
        }
    }
    Ok(())
}

/// Migrates the test database and creates the admin with `TOKEN`; answers its user id.
fn prepare(db: &TestDb) -> (DbConn, String) {
    let mut conn = db.connect();
    db::migrate(&mut conn).expect("migrate");
    rewind::service::bootstrap::bootstrap_admin(&mut conn, Some(TOKEN.into())).expect("bootstrap admin");
    let admin = rewind::db::schema::users::table
        .select(rewind::db::schema::users::id)
        .first::<String>(&mut conn)
        .expect("admin id");
    (conn, admin)
}

/// Seeds, in one transaction, the environment `production`, `items` entries with versions 1
/// and 2 in `en`, and `releases` releases of `per_release` consecutive items each, publishing
/// `version`. Answers the environment id and the release ids.
fn seed(
    conn: &mut DbConn,
    admin: &str,
    items: usize,
    releases: usize,
    per_release: usize,
    version: i32,
) -> (String, Vec<String>) {
    let new_id = || uuid::Uuid::now_v7().to_string();
    let env = new_id();
    let item_ids: Vec<String> = (0..items).map(|_| new_id()).collect();
    let release_ids: Vec<String> = (0..releases).map(|_| new_id()).collect();
    conn.transaction(|conn| {
        insert_chunked(
            conn,
            "INSERT INTO environments (id, name, created_at)",
            &[format!("('{env}', 'production', $1)")],
            true,
        )?;
        let rows: Vec<String> = item_ids.iter().map(|i| format!("('{i}', 'entry', 'page', $1)")).collect();
        insert_chunked(conn, "INSERT INTO items (id, kind, content_type, created_at)", &rows, true)?;
        let rows: Vec<String> = item_ids
            .iter()
            .flat_map(|i| [1, 2].map(|v| format!("('{i}', 'en', {v}, '{{\"n\":{v}}}', '[]', $1)")))
            .collect();
        insert_chunked(
            conn,
            "INSERT INTO versions (item_id, locale, version, content, refs, created_at)",
            &rows,
            true,
        )?;
        let rows: Vec<String> = release_ids
            .iter()
            .enumerate()
            .map(|(n, r)| format!("('{r}', 'release {n}', NULL, 'standard', NULL, '{admin}', $1, NULL, {per_release})"))
            .collect();
        insert_chunked(
            conn,
            "INSERT INTO releases (id, name, description, kind, rollback_of, owner, created_at, deleted_at, item_count)",
            &rows,
            true,
        )?;
        let rows: Vec<String> = release_ids
            .iter()
            .enumerate()
            .flat_map(|(n, r)| {
                item_ids[n * per_release..(n + 1) * per_release]
                    .iter()
                    .enumerate()
                    .map(move |(p, i)| {
                        format!("('{r}', (SELECT key FROM items WHERE id = '{i}'), 'en', 'publish', {version}, {p})")
                    })
            })
            .collect();
        insert_chunked(
            conn,
            "INSERT INTO release_items (release_id, item_key, locale, action, version, position)",
            &rows,
            false,
        )
    })
    .expect("seed");
    (env, release_ids)
}

/// The publish state of the environment and the events of the deployment, as committed now.
#[derive(Debug, PartialEq)]
struct Written {
    states: i64,
    states_at_2: i64,
    events: i64,
    deployment_events: i64,
    deployment_items: i64,
}

/// Reads what the deployment `deployment` has written in `env`.
fn written(conn: &mut DbConn, env: &str, deployment: &str) -> Written {
    Written {
        states: count(conn, "SELECT count(*) AS n FROM publish_states WHERE environment_key = (SELECT key FROM environments WHERE id = $1)", env),
        states_at_2: count(
            conn,
            "SELECT count(*) AS n FROM publish_states WHERE environment_key = (SELECT key FROM environments WHERE id = $1) AND version = 2",
            env,
        ),
        events: count(conn, "SELECT count(*) AS n FROM publish_events WHERE environment_key = (SELECT key FROM environments WHERE id = $1)", env),
        deployment_events: count(conn, "SELECT count(*) AS n FROM publish_events WHERE deployment_id = $1", deployment),
        deployment_items: count(
            conn,
            "SELECT count(*) AS n FROM deployment_items WHERE deployment_id = $1",
            deployment,
        ),
    }
}

/// Asserts that `w` is wholly before the deployment (nothing written) or wholly after it (every
/// item published at version 2, one event each); answers whether it is after.
fn assert_whole(w: &Written, items: i64) -> bool {
    let before = Written { states: 0, states_at_2: 0, events: 0, deployment_events: 0, deployment_items: 0 };
    let after =
        Written { states: items, states_at_2: items, events: items, deployment_events: items, deployment_items: items };
    assert!(*w == before || *w == after, "partial publish state: {w:?}");
    *w == after
}

/// Polls a deployment over HTTP until `done` holds for its status (or `timeout`); answers it.
fn poll_deployment(server: &Server, id: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let d = server.call("GET", &format!("/v1/deployments/{id}"), None, 200)["data"].clone();
        if done(d["status"].as_str().unwrap_or_default()) || Instant::now() >= deadline {
            return d;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Items per release in the failpoint tests: enough for a real multi-row write.
const ITEMS: usize = 2_000;

/// Deploys `release` to `production` now through `server`; answers the deployment id.
fn deploy(server: &Server, release: &str) -> String {
    let created = server.call(
        "POST",
        &format!("/v1/releases/{release}/deploy"),
        Some(&json!({"environments": ["production"]})),
        202,
    );
    created["data"][0]["id"].as_str().expect("deployment id").to_string()
}

/// The deployment's status and start time as committed now.
fn committed(conn: &mut DbConn, id: &str) -> (String, Option<chrono::NaiveDateTime>) {
    use rewind::db::schema::deployments as d;
    d::table.find(id).select((d::status, d::started_at)).first(conn).expect("deployment row")
}

/// Waits until the process logs that it is held at `failpoint`.
fn wait_until_held(server: &Server, failpoint: &str) {
    if !cfg!(feature = "failpoints") {
        panic!("failpoints are off: run with `--features failpoints`");
    }
    let name = format!("\"failpoint\":\"{failpoint}\"");
    server.wait_for_log(&["held at failpoint", &name], Duration::from_secs(60));
}

/// A deployment of `ITEMS` keys held at `failpoint` by a server of one worker on `db`, started
/// with `vars` too: the server, a connection of the test's own, the environment and the deployment.
fn held_at(db: &TestDb, failpoint: &str, vars: &[(&str, &str)]) -> (Server, DbConn, String, String) {
    let (mut conn, admin) = prepare(db);
    let (env, releases) = seed(&mut conn, &admin, ITEMS, 1, ITEMS, 2);
    let held = format!("{failpoint}=return(60000)");
    let vars: Vec<(&str, &str)> = [("FAILPOINTS", held.as_str())].into_iter().chain(vars.iter().copied()).collect();
    let server = Server::start(&db.url_string(), 1, &vars);
    let id = deploy(&server, &releases[0]);
    wait_until_held(&server, failpoint);
    (server, conn, env, id)
}

/// `held_at` with nothing else set, then SIGKILL: the database, a connection of the test's own,
/// the environment and the deployment the killed process left.
fn killed_at(failpoint: &str) -> (TestDb, DbConn, String, String) {
    let db = TestDb::new();
    let (server, conn, env, id) = held_at(&db, failpoint, &[]);
    server.sigkill();
    (db, conn, env, id)
}

/// L5: none of the deployment's writes are there and it is still `in_progress`; a server started
/// anew runs it again, to `succeeded` with all of them. Answers that server and the deployment.
fn assert_undone_then_run_again(db: &TestDb, conn: &mut DbConn, env: &str, id: &str) -> (Server, Value) {
    let w = written(conn, env, id);
    assert!(!assert_whole(&w, ITEMS as i64), "the unfinished run was committed: {w:?}");
    assert_eq!(committed(conn, id).0, "in_progress");
    let server = Server::start(&db.url_string(), 1, &[]);
    let d = poll_deployment(&server, id, Duration::from_secs(60), is_finished);
    assert_eq!(d["status"], "succeeded", "the restart did not run it again: {d}");
    let w = written(conn, env, id);
    assert!(assert_whole(&w, ITEMS as i64), "succeeded without its writes: {w:?}");
    (server, d)
}

fn is_finished(status: &str) -> bool {
    rewind::domain::DeploymentStatus::parse(status).is_some_and(rewind::domain::DeploymentStatus::is_final)
}

#[test]
#[cfg_attr(not(feature = "failpoints"), ignore = "needs `--features failpoints` (scripts/test runs it so)")]
fn l5_killed_inside_the_transaction_leaves_state_wholly_before_and_the_restart_runs_it_again() {
    // Every write of the run is done and the commit is next: kill the process there.
    let (db, mut conn, env, id) = killed_at("deployment_before_commit");
    let (server, d) = assert_undone_then_run_again(&db, &mut conn, &env, &id);
    assert_eq!(d["counts"]["published"], ITEMS, "{d}");
    // The line is logged just after the commit that the poll may already have seen.
    server.wait_for_log(&["deployment succeeded", &id], Duration::from_secs(10));
    assert_eq!(server.succeeded_in_log(), 1, "{}", server.log_tail());
}

#[test]
#[cfg_attr(not(feature = "failpoints"), ignore = "needs `--features failpoints` (scripts/test runs it so)")]
fn l5_killed_right_after_the_commit_leaves_state_wholly_after_and_it_is_not_run_again() {
    let (db, mut conn, env, id) = killed_at("deployment_after_commit");

    let w = written(&mut conn, &env, &id);
    assert!(assert_whole(&w, ITEMS as i64), "the committed run is not all there: {w:?}");
    let before = committed(&mut conn, &id);
    assert_eq!(before.0, "succeeded");

    // The restart finds nothing to recover: the deployment keeps its run and its events.
    let server = Server::start(&db.url_string(), 1, &[]);
    std::thread::sleep(Duration::from_millis(1000));
    let d = server.call("GET", &format!("/v1/deployments/{id}"), None, 200)["data"].clone();
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(committed(&mut conn, &id), before, "the deployment was run again");
    assert_eq!(written(&mut conn, &env, &id), w, "events doubled");
    assert_eq!(server.succeeded_in_log(), 0, "{}", server.log_tail());
}

#[test]
#[cfg_attr(not(feature = "failpoints"), ignore = "needs `--features failpoints` (scripts/test runs it so)")]
fn l5_sigterm_stops_claiming_finishes_the_running_deployment_answers_and_exits_0() {
    let db = TestDb::new();
    let (mut conn, admin) = prepare(&db);
    let (env, releases) = seed(&mut conn, &admin, 2 * ITEMS, 2, ITEMS, 2);
    // Two workers: one is held in the run for 5 s, the other is idle and could claim more.
    let mut server = Server::start(&db.url_string(), 2, &[("FAILPOINTS", "deployment_before_commit=return(5000)")]);
    let held = deploy(&server, &releases[0]);
    wait_until_held(&server, "deployment_before_commit");

    // A request is open when SIGTERM comes: its head is sent, its body only once the process
    // is stopping, so the deployment it creates comes after the stop and must not be claimed.
    let body = json!({"environments": ["production"]}).to_string();
    let (first, rest) = body.split_at(10);
    let path = format!("/v1/releases/{}/deploy", releases[1]);
    let mut open = send_head(server.port, "POST", &path, &[], body.len()).expect("open request");
    open.write_all(first.as_bytes()).expect("first part of the body");
    std::thread::sleep(Duration::from_millis(200));
    let stopping = Instant::now();
    server.sigterm();
    server.wait_for_log(&["stopping: no new deployments are claimed"], Duration::from_secs(10));
    assert_eq!(committed(&mut conn, &held).0, "in_progress", "the held run ended before SIGTERM");
    open.write_all(rest.as_bytes()).expect("rest of the body");
    let reply = read_reply(open).expect("an answer to the open request");
    assert_eq!(reply.status, 202, "{reply:?}");
    let queued = reply.body["data"][0]["id"].as_str().expect("deployment id").to_string();

    let exit = server.wait_exit(Duration::from_secs(30));
    assert_eq!(exit.code(), Some(0), "{exit}:\n{}", server.log_tail());
    eprintln!("stopped {:?} after SIGTERM", stopping.elapsed());
    // The idle worker did not claim the new deployment.
    assert_eq!(committed(&mut conn, &queued).0, "queued");
    // The running deployment finished within the grace.
    assert_eq!(committed(&mut conn, &held).0, "succeeded");
    assert!(assert_whole(&written(&mut conn, &env, &held), ITEMS as i64));
}

#[test]
#[cfg_attr(not(feature = "failpoints"), ignore = "needs `--features failpoints` (scripts/test runs it so)")]
fn l5_sigterm_past_the_grace_exits_0_and_leaves_the_deployment_to_run_again() {
    let db = TestDb::new();
    let (mut server, mut conn, env, id) = held_at(&db, "deployment_before_commit", &[("REWIND_SHUTDOWN_GRACE_S", "1")]);
    let stopping = Instant::now();
    server.sigterm();
    let exit = server.wait_exit(Duration::from_secs(20));
    assert_eq!(exit.code(), Some(0), "{exit}:\n{}", server.log_tail());
    assert!(stopping.elapsed() < Duration::from_secs(10), "waited for the held run: {:?}", stopping.elapsed());
    assert!(server.log().contains("grace over"), "{}", server.log_tail());

    assert_undone_then_run_again(&db, &mut conn, &env, &id);
}

#[test]
#[ignore = "needs PostgreSQL (SQLite is one process by design): scripts/test runs it on its PostgreSQL pass"]
fn l7_two_processes_run_each_deployment_exactly_once() {
    assert_eq!(common::backend(), "postgres", "L7 needs REWIND_TEST_BACKEND=postgres");
    const RELEASES: usize = 200;
    const PER_RELEASE: usize = 3;
    let started = Instant::now();
    let db = TestDb::new();
    let (mut conn, admin) = prepare(&db);
    let (env, releases) = seed(&mut conn, &admin, RELEASES * PER_RELEASE, RELEASES, PER_RELEASE, 1);
    let servers = [Server::start(&db.url_string(), 2, &[]), Server::start(&db.url_string(), 2, &[])];

    // The same instant for all, far enough ahead that every request is answered before it.
    let at = (chrono::Utc::now() + chrono::Duration::seconds(8)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let body = json!({"environments": ["production"], "scheduled_at": at});
    // Half of the deployments are created through each process, both at once.
    let ids: Vec<String> = std::thread::scope(|scope| {
        let halves: Vec<_> = servers
            .iter()
            .enumerate()
            .map(|(k, server)| {
                let (releases, body) = (&releases, &body);
                scope.spawn(move || {
                    releases
                        .iter()
                        .skip(k)
                        .step_by(2)
                        .map(|release| {
                            let path = format!("/v1/releases/{release}/deploy");
                            let created = server.call("POST", &path, Some(body), 202);
                            assert_eq!(created["data"][0]["status"], "scheduled", "{created}");
                            created["data"][0]["id"].as_str().expect("deployment id").to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().expect("deploy requests")).collect()
    });
    eprintln!("{RELEASES} deployments scheduled for {at} by {:?}", started.elapsed());

    let deadline = Instant::now() + Duration::from_secs(90);
    let finished = "SELECT count(*) AS n FROM deployments WHERE environment_id = $1 \
                    AND status IN ('succeeded', 'failed', 'cancelled')";
    while count(&mut conn, finished, &env) < RELEASES as i64 {
        assert!(Instant::now() < deadline, "not all deployments finished");
        std::thread::sleep(Duration::from_millis(100));
    }

    assert_eq!(ids.len(), RELEASES);
    for (n, id) in ids.iter().enumerate() {
        let d = servers[n % 2].call("GET", &format!("/v1/deployments/{id}"), None, 200)["data"].clone();
        assert_eq!(d["status"], "succeeded", "{d}");
        assert_eq!(d["trigger"], "scheduled", "{d}");
        assert_eq!(d["counts"]["published"], PER_RELEASE, "{d}");
        let events = count(&mut conn, "SELECT count(*) AS n FROM publish_events WHERE deployment_id = $1", id);
        assert_eq!(events, PER_RELEASE as i64, "deployment {id} wrote {events} events");
        let items = count(&mut conn, "SELECT count(*) AS n FROM deployment_items WHERE deployment_id = $1", id);
        assert_eq!(items, PER_RELEASE as i64, "deployment {id} has {items} deployment items");
    }
    let events = count(
        &mut conn,
        "SELECT count(*) AS n FROM publish_events WHERE environment_key = (SELECT key FROM environments WHERE id = $1)",
        &env,
    );
    assert_eq!(events, (RELEASES * PER_RELEASE) as i64);
    // Each process logs a run just after its commit, which the count above may already see.
    let logged = Instant::now();
    let mut ran: Vec<usize> = servers.iter().map(Server::succeeded_in_log).collect();
    while ran.iter().sum::<usize>() < RELEASES && logged.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
        ran = servers.iter().map(Server::succeeded_in_log).collect();
    }
    eprintln!("deployments run per process (from their logs): {ran:?}; l7 took {:?}", started.elapsed());
    assert!(ran.iter().all(|&n| n > 0), "a process ran no deployment: {ran:?}");
    assert_eq!(ran.iter().sum::<usize>(), RELEASES, "runs per process {ran:?} for {RELEASES} deployments");
}

#[test]
#[ignore = "needs PostgreSQL (SQLite is one process by design): scripts/test runs it on its PostgreSQL pass"]
fn a2_approvals_sent_through_two_processes_at_once_complete_each_deployment_once_and_it_runs_once() {
    assert_eq!(common::backend(), "postgres", "A2 across processes needs REWIND_TEST_BACKEND=postgres");
    const RELEASES: usize = 20;
    let db = TestDb::new();
    let (mut conn, admin) = prepare(&db);
    let (env, releases) = seed(&mut conn, &admin, RELEASES, RELEASES, 1, 1);
    let servers = [Server::start(&db.url_string(), 2, &[]), Server::start(&db.url_string(), 2, &[])];
    let rule = json!({"required": 1, "allow_self_approval": true});
    servers[0].call("PUT", "/v1/environments/production/approval-rule", Some(&rule), 200);
    let body = json!({"environments": ["production"]});
    let ids: Vec<String> = releases
        .iter()
        .map(|r| {
            let created = servers[1].call("POST", &format!("/v1/releases/{r}/deploy"), Some(&body), 202);
            assert_eq!(created["data"][0]["status"], "awaiting_approval", "{created}");
            created["data"][0]["id"].as_str().unwrap().to_string()
        })
        .collect();

    // Every deployment is approved through both processes at once: one approval counts.
    let answers: Vec<u16> = std::thread::scope(|scope| {
        let sent: Vec<_> = servers
            .iter()
            .map(|server| {
                let ids = &ids;
                scope.spawn(move || {
                    ids.iter()
                        .map(|id| {
                            let path = format!("/v1/deployments/{id}/approve");
                            serve::request(server.port, "POST", &path, &[], Some(&json!({}))).expect("approve").status
                        })
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        sent.into_iter().flat_map(|h| h.join().expect("approvals")).collect()
    });
    assert_eq!(answers.iter().filter(|&&s| s == 200).count(), RELEASES, "{answers:?}");
    assert_eq!(answers.iter().filter(|&&s| s == 409).count(), RELEASES, "{answers:?}");

    let deadline = Instant::now() + Duration::from_secs(90);
    let finished = "SELECT count(*) AS n FROM deployments WHERE environment_id = $1 AND status = 'succeeded'";
    while count(&mut conn, finished, &env) < RELEASES as i64 {
        assert!(Instant::now() < deadline, "not every approved deployment ran");
        std::thread::sleep(Duration::from_millis(100));
    }
    for id in &ids {
        let d = servers[0].call("GET", &format!("/v1/deployments/{id}"), None, 200)["data"].clone();
        assert_eq!(d["approvals"]["given"].as_array().map(Vec::len), Some(1), "{d}");
        let events = count(&mut conn, "SELECT count(*) AS n FROM publish_events WHERE deployment_id = $1", id);
        assert_eq!(events, 1, "deployment {id} wrote {events} events");
    }
}

/// Webhooks to a receiver on 127.0.0.1, retried every second.
const WEBHOOK_ENV: &[(&str, &str)] =
    &[("REWIND_WEBHOOK_ALLOW_PRIVATE", "true"), ("REWIND_WEBHOOK_RETRY_SECONDS", "1,1,1,1,1")];

/// The requests a receiver got: each one's headers and body.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(http::HeaderMap, Vec<u8>)>>>;

/// A webhook receiver on a plain socket: answers every request 204 and keeps each request.
fn webhook_receiver(listener: std::net::TcpListener) -> Received {
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then as much body as content-length says.
            let (head_end, length) = loop {
                let Ok(n) = std::io::Read::read(&mut stream, &mut buf) else { break (0, 0) };
                if n == 0 {
                    break (0, 0);
                }
                raw.extend_from_slice(&buf[..n]);
                if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&raw[..i]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                        .unwrap_or(0);
                    break (i + 4, length);
                }
            };
            while head_end > 0 && raw.len() < head_end + length {
                match std::io::Read::read(&mut stream, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => raw.extend_from_slice(&buf[..n]),
                }
            }
            let mut headers = http::HeaderMap::new();
            for line in String::from_utf8_lossy(&raw[..head_end]).lines().skip(1) {
                if let Some((k, v)) = line.split_once(':') {
                    if let (Ok(k), Ok(v)) = (http::HeaderName::from_bytes(k.trim().as_bytes()), v.trim().parse()) {
                        headers.append(k, v);
                    }
                }
            }
            keep.lock().unwrap().push((headers, raw[head_end.min(raw.len())..].to_vec()));
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        }
    });
    got
}

#[test]
fn w2_w3_a_message_committed_before_a_sigkill_is_delivered_after_the_restart() {
    let db = TestDb::new();
    let (mut conn, admin) = prepare(&db);
    let (_, releases) = seed(&mut conn, &admin, 10, 1, 10, 2);
    // The receiver's port, with nobody listening yet: the first attempts fail.
    let port = serve::free_port();
    let server = Server::start(&db.url_string(), 1, WEBHOOK_ENV);
    let hook = server.call(
        "POST",
        "/v1/webhooks",
        Some(&json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["deployment.succeeded"]})),
        201,
    );
    let hook_id = hook["data"]["id"].as_str().unwrap().to_string();
    let secret = hook["data"]["secret"].as_str().unwrap().to_string();
    let created = server.call(
        "POST",
        &format!("/v1/releases/{}/deploy", releases[0]),
        Some(&json!({"environments": ["production"]})),
        202,
    );
    let id = created["data"][0]["id"].as_str().unwrap().to_string();
    poll_deployment(&server, &id, Duration::from_secs(30), |s| s == "succeeded");
    // Committed with the status change; not delivered: then the process dies.
    let listed = server.call("GET", &format!("/v1/webhooks/{hook_id}/deliveries"), None, 200);
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["data"][0]["status"], "pending", "{listed}");
    let message_id = listed["data"][0]["id"].as_str().unwrap().to_string();
    server.sigkill();

    let got = webhook_receiver(std::net::TcpListener::bind(("127.0.0.1", port)).expect("the receiver's port"));
    let server = Server::start(&db.url_string(), 1, WEBHOOK_ENV);
    // 60 s: an attempt in flight at the kill keeps its lease (timeout + 30 s) until it runs out.
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the message never arrived after the restart");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let got = got.lock().unwrap();
    assert_eq!(got.len(), 1, "delivered once");
    let (headers, body) = &got[0];
    standardwebhooks::Webhook::new(&secret).unwrap().verify(body, headers).expect("a valid signature");
    assert_eq!(headers.get("webhook-id").unwrap(), message_id.as_str());
    let body: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(body["type"], "deployment.succeeded");
    assert_eq!(body["data"]["deployment"]["id"], id.as_str());
    let listed = server.call("GET", &format!("/v1/webhooks/{hook_id}/deliveries"), None, 200);
    assert_eq!(listed["data"][0]["status"], "delivered", "{listed}");
}

#[test]
#[ignore = "needs PostgreSQL (SQLite is one process by design): scripts/test runs it on its PostgreSQL pass"]
fn w3_two_processes_on_postgresql_deliver_every_message_and_send_none_twice() {
    assert_eq!(common::backend(), "postgres", "needs REWIND_TEST_BACKEND=postgres");
    const RELEASES: usize = 30;
    let db = TestDb::new();
    let (mut conn, admin) = prepare(&db);
    let (_, releases) = seed(&mut conn, &admin, RELEASES, RELEASES, 1, 1);
    let servers = [Server::start(&db.url_string(), 2, WEBHOOK_ENV), Server::start(&db.url_string(), 2, WEBHOOK_ENV)];
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().unwrap().port();
    let got = webhook_receiver(listener);
    let mut secrets = std::collections::HashMap::new();
    for path in ["/a", "/b"] {
        let hook = servers[0].call(
            "POST",
            "/v1/webhooks",
            Some(&json!({"url": format!("http://127.0.0.1:{port}{path}"),
                         "events": ["deployment.started", "deployment.succeeded"]})),
            201,
        );
        secrets.insert(path, hook["data"]["secret"].as_str().unwrap().to_string());
    }
    for (k, release) in releases.iter().enumerate() {
        servers[k % 2].call(
            "POST",
            &format!("/v1/releases/{release}/deploy"),
            Some(&json!({"environments": ["production"]})),
            202,
        );
    }
    // Two messages per deployment (started, succeeded) to each of two endpoints.
    let want = RELEASES * 2 * 2;
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.lock().unwrap().len() < want {
        assert!(Instant::now() < deadline, "{} of {want} messages arrived", got.lock().unwrap().len());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1));
    let got = got.lock().unwrap();
    assert_eq!(got.len(), want, "no message sent twice");
    let mut ids = std::collections::BTreeSet::new();
    for (headers, body) in got.iter() {
        assert!(ids.insert(headers.get("webhook-id").unwrap().to_str().unwrap().to_string()), "an id arrived twice");
        let ok = secrets.values().any(|s| standardwebhooks::Webhook::new(s).unwrap().verify(body, headers).is_ok());
        assert!(ok, "a message whose signature does not verify");
    }
    let sent: Vec<usize> = servers.iter().map(|s| s.log().matches("webhook delivered").count()).collect();
    eprintln!("messages delivered per process (from their logs): {sent:?}");
    assert_eq!(sent.iter().sum::<usize>(), want, "attempts logged {sent:?}");
}
