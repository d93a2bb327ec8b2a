//! Process-level tests: the real `rewind serve` binary as child processes, spoken to over HTTP.
//! L5 (a process killed mid-deployment leaves no partial state, and the deployment is not left
//! `in_progress` after a restart) and L7 (several processes on one PostgreSQL run each deployment
//! exactly once).

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TestDb;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};
use rewind::db::{self, DbConn};
use serde_json::{json, Value};

/// The bootstrap admin's token in every child process.
const TOKEN: &str = "process-test-admin-token";

/// One HTTP/1.1 request over a fresh connection, as the admin; answers the status and the JSON
/// body (Null when empty, a string when not JSON).
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> std::io::Result<(u16, Value)> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string()))
    };
    Ok((status, value))
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A `rewind serve` child process; killed when dropped, also when the test panics (and then
/// the tail of its log is printed).
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `rewind serve` on the test database with `workers` deployment workers and waits
    /// until it answers `/healthz`.
    fn start(db: &TestDb, workers: usize) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("serve.log");
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_rewind"))
            .arg("serve")
            .env("DATABASE_URL", db.url_string())
            .env("REWIND_BIND", format!("127.0.0.1:{port}"))
            .env("REWIND_BOOTSTRAP_TOKEN", TOKEN)
            .env("REWIND_POLL_MS", "50")
            .env("REWIND_WORKERS", workers.to_string())
            .env("REWIND_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("REWIND_WEBHOOK_RETRY_SECONDS", "1,1,1,1,1")
            .env("REWIND_LOG_FORMAT", "json")
            .env("RUST_LOG", "info,actix_server=warn,tracing_actix_web=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("log file"))
            .spawn()
            .expect("start rewind serve");
        let mut server = Server { child, port, log, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = http(port, "GET", "/healthz", None) {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("rewind serve exited with {status}:\n{}", server.log_tail());
            }
            assert!(Instant::now() < deadline, "rewind serve did not answer:\n{}", server.log_tail());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A request to this process that must answer `want`; answers the body.
    fn call(&self, method: &str, path: &str, body: Option<&Value>, want: u16) -> Value {
        let (status, value) = http(self.port, method, path, body).expect("HTTP request");
        assert_eq!(status, want, "{method} {path}: {value}");
        value
    }

    /// Kills the process with SIGKILL (no shutdown of any kind) and reaps it.
    fn sigkill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }

    /// The last lines the process logged.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// How many deployments this process logged as succeeded.
    fn succeeded_in_log(&self) -> usize {
        std::fs::read_to_string(&self.log).unwrap_or_default().matches("deployment succeeded").count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- rewind serve on port {} ---\n{}", self.port, self.log_tail());
        }
    }
}

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
    rewind::service::users::bootstrap_admin(&mut conn, Some(TOKEN.into())).expect("bootstrap admin");
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
            "INSERT INTO environments (id, name, last_event_id, created_at)",
            &[format!("('{env}', 'production', 0, $1)")],
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
            .map(|(n, r)| format!("('{r}', 'release {n}', NULL, 'standard', NULL, '{admin}', $1, NULL)"))
            .collect();
        insert_chunked(
            conn,
            "INSERT INTO releases (id, name, description, kind, rollback_of, owner, created_at, deleted_at)",
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
                    .map(move |(p, i)| format!("('{r}', '{i}', 'en', 'publish', {version}, {p})"))
            })
            .collect();
        insert_chunked(
            conn,
            "INSERT INTO release_items (release_id, item_id, locale, action, version, position)",
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
        states: count(conn, "SELECT count(*) AS n FROM publish_states WHERE environment_id = $1", env),
        states_at_2: count(
            conn,
            "SELECT count(*) AS n FROM publish_states WHERE environment_id = $1 AND version = 2",
            env,
        ),
        events: count(conn, "SELECT count(*) AS n FROM publish_events WHERE environment_id = $1", env),
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

#[test]
fn l5_killed_mid_deployment_leaves_state_wholly_before_or_after() {
    const ITEMS: usize = 100_000;
    let started = Instant::now();
    let db = TestDb::new();
    let (mut conn, admin) = prepare(&db);
    let (env, releases) = seed(&mut conn, &admin, ITEMS, 1, ITEMS, 2);
    eprintln!("seeded {ITEMS} items in {:?}", started.elapsed());

    let server = Server::start(&db, 1);
    let created = server.call(
        "POST",
        &format!("/v1/releases/{}/deploy", releases[0]),
        Some(&json!({"environments": ["production"]})),
        202,
    );
    let id = created["data"][0]["id"].as_str().expect("deployment id").to_string();
    let d = poll_deployment(&server, &id, Duration::from_secs(30), |s| s != "queued");
    assert_eq!(d["status"], "in_progress", "the deployment was never seen in progress: {d}");
    // Up to 4 s: on PostgreSQL the run takes about 6 s in a debug build, on SQLite longer, so
    // the kill lands in the planning, in the inserts, or (rarely) just after the commit.
    let pause = Duration::from_millis(rand::random::<u64>() % 4000);
    std::thread::sleep(pause);
    server.sigkill();

    // What the dead process left behind: all of the deployment or none of it.
    let status: String = rewind::db::schema::deployments::table
        .find(&id)
        .select(rewind::db::schema::deployments::status)
        .first(&mut conn)
        .expect("deployment row");
    let after = assert_whole(&written(&mut conn, &env, &id), ITEMS as i64);
    assert_eq!(after, status == "succeeded", "status {status} with the state wholly after: {after}");
    eprintln!(
        "killed {pause:?} into the run: status {status}, state wholly {}",
        if after { "after" } else { "before" }
    );

    // A restart runs it again or fails it; it is never left in progress.
    let restarted = Instant::now();
    let server = Server::start(&db, 1);
    let d = poll_deployment(&server, &id, Duration::from_secs(90), |s| s == "succeeded" || s == "failed");
    eprintln!(
        "after the restart: {} in {:?} (run from {} to {})",
        d["status"],
        restarted.elapsed(),
        d["started_at"],
        d["finished_at"]
    );
    let w = written(&mut conn, &env, &id);
    match d["status"].as_str() {
        Some("succeeded") => {
            assert!(assert_whole(&w, ITEMS as i64), "succeeded without its writes: {w:?}");
            assert_eq!(d["counts"]["published"].as_i64(), Some(w.deployment_events), "{d}");
        }
        Some("failed") => assert!(!assert_whole(&w, ITEMS as i64), "failed with its writes: {w:?}"),
        _ => panic!("the deployment is left {} after the restart: {d}", d["status"]),
    }
    drop(server);
    eprintln!("l5 took {:?}", started.elapsed());
}

#[test]
fn l7_two_processes_run_each_deployment_exactly_once() {
    if common::backend() != "postgres" {
        eprintln!(
            "l7_two_processes_run_each_deployment_exactly_once needs PostgreSQL (SQLite is one process by design)"
        );
        return;
    }
    const RELEASES: usize = 200;
    const PER_RELEASE: usize = 3;
    let started = Instant::now();
    let db = TestDb::new();
    let (mut conn, admin) = prepare(&db);
    let (env, releases) = seed(&mut conn, &admin, RELEASES * PER_RELEASE, RELEASES, PER_RELEASE, 1);
    let servers = [Server::start(&db, 2), Server::start(&db, 2)];

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
    let events = count(&mut conn, "SELECT count(*) AS n FROM publish_events WHERE environment_id = $1", &env);
    assert_eq!(events, (RELEASES * PER_RELEASE) as i64);
    let ran: Vec<usize> = servers.iter().map(Server::succeeded_in_log).collect();
    eprintln!("deployments run per process (from their logs): {ran:?}; l7 took {:?}", started.elapsed());
}

/// The requests a receiver got: each one's headers and body.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(http::HeaderMap, Vec<u8>)>>>;

/// A webhook receiver on a plain socket: answers every request 204 and keeps each request.
fn webhook_receiver(listener: TcpListener) -> Received {
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then as much body as content-length says.
            let (head_end, length) = loop {
                let Ok(n) = stream.read(&mut buf) else { break (0, 0) };
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
                match stream.read(&mut buf) {
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
    let port = free_port();
    let server = Server::start(&db, 1);
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

    let got = webhook_receiver(TcpListener::bind(("127.0.0.1", port)).expect("the receiver's port"));
    let server = Server::start(&db, 1);
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
