//! X2: a database that is down gives 503 `unavailable`, and the service answers again without a
//! restart once it is back. The test starts a throwaway PostgreSQL of its own (the server
//! binaries of `/usr/lib/postgresql/*/bin`, as the `postgres` user when run as root), runs
//! `rewind serve` on it, stops the database under it and starts it again.

mod serve;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use serve::{free_port, request, Reply, Server};

/// A PostgreSQL server in a temporary directory on a free loopback port; stopped when dropped.
struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

/// Whether this process runs as root (then the server runs as `postgres`: initdb refuses root).
fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// A command of the PostgreSQL server binaries, as the `postgres` user when root.
fn pg_command(bin: &Path, program: &str) -> Command {
    let program = bin.join(program);
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl Postgres {
    /// Creates a cluster and starts it.
    fn start() -> Postgres {
        let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries in /usr/lib/postgresql")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("pg_ctl").exists())
            .collect();
        bins.sort_by_key(|p| p.to_string_lossy().split('/').nth(4).and_then(|v| v.parse::<u32>().ok()));
        let bin = bins.pop().expect("a PostgreSQL version with pg_ctl");
        let dir = tempfile::tempdir().expect("temp dir");
        if is_root() {
            let owned = Command::new("chown").arg("postgres").arg(dir.path()).status().expect("chown");
            assert!(owned.success(), "chown postgres {}", dir.path().display());
        }
        let pg = Postgres { bin, dir, port: free_port() };
        let init = pg_command(&pg.bin, "initdb")
            .arg("-D")
            .arg(pg.data())
            .args(["-U", "postgres", "--auth=trust"])
            .output()
            .expect("initdb");
        assert!(init.status.success(), "initdb: {}", String::from_utf8_lossy(&init.stderr));
        pg.up();
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the server and waits until it accepts connections.
    fn up(&self) {
        let options =
            format!("-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off", self.port, self.dir.path().display());
        let started = pg_command(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-w", "-o", &options, "start"])
            .output()
            .expect("pg_ctl start");
        assert!(started.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&started.stderr));
    }

    /// Stops the server: `fast` ends every session, as a crash or a failover does for a client.
    fn down(&self) {
        let stopped = pg_command(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .expect("pg_ctl stop");
        assert!(stopped.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&stopped.stderr));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = pg_command(&self.bin, "pg_ctl").arg("-D").arg(self.data()).args(["-m", "immediate", "stop"]).output();
    }
}

/// Asserts that `reply` is 503 `unavailable` as problem+json.
fn assert_unavailable(what: &str, reply: &Reply) {
    assert_eq!(reply.status, 503, "{what}: {reply:?}");
    assert!(
        reply.head.to_ascii_lowercase().contains("content-type: application/problem+json"),
        "{what}: {}",
        reply.head
    );
    assert_eq!(reply.body["code"], "unavailable", "{what}: {reply:?}");
    assert_eq!(reply.body["status"], 503, "{what}: {reply:?}");
}

#[test]
#[ignore = "needs PostgreSQL server binaries (it stops a database of its own): scripts/test runs it on its PostgreSQL pass"]
fn x2_database_down_answers_503_unavailable_and_recovers_without_a_restart() {
    let pg = Postgres::start();
    let mut server = Server::start(&pg.url(), 1, &[]);
    server.call("POST", "/v1/releases", Some(&json!({"name": "before"})), 201);
    server.call("GET", "/readyz", None, 200);

    pg.down();
    let reply = request(server.port, "GET", "/v1/releases", &[], None).expect("GET /v1/releases");
    assert_unavailable("a read while the database is down", &reply);
    let reply = request(server.port, "POST", "/v1/releases", &[], Some(&json!({"name": "while down"})))
        .expect("POST /v1/releases");
    assert_unavailable("a write while the database is down", &reply);
    let reply = request(server.port, "GET", "/readyz", &[], None).expect("GET /readyz");
    assert_unavailable("/readyz while the database is down", &reply);
    server.call("GET", "/healthz", None, 200);

    pg.up();
    let back = Instant::now();
    loop {
        let reply = request(server.port, "GET", "/readyz", &[], None).expect("GET /readyz");
        if reply.status == 200 {
            break;
        }
        assert_unavailable("/readyz while the database comes back", &reply);
        assert!(back.elapsed() < Duration::from_secs(30), "not ready 30 s after the database is back");
        std::thread::sleep(Duration::from_millis(100));
    }
    let list = server.call("GET", "/v1/releases", None, 200);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");
    server.call("POST", "/v1/releases", Some(&json!({"name": "after"})), 201);
    assert!(server.is_running(), "the server restarted");
}
