//! `rewind serve` as a child process, spoken to over plain HTTP/1.1: the harness of the tests
//! that start the real binary (tests/processes.rs, tests/database_down.rs).
#![allow(dead_code)]

pub mod postgres;

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The bootstrap admin's token in every child process.
pub const TOKEN: &str = "process-test-admin-token";

/// An answer: status, head (status line and headers, as sent) and the JSON body (Null when
/// empty, a string when not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: Value,
}

/// One request over a fresh connection, as the admin, with `extra` headers.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: Option<&Value>,
) -> std::io::Result<Reply> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = send_head(port, method, path, extra, body.len())?;
    stream.write_all(body.as_bytes())?;
    read_reply(stream)
}

/// Opens a connection and sends a request's head, as the admin, announcing a JSON body of
/// `body_len` bytes that the caller writes to the answered stream.
pub fn send_head(
    port: u16,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body_len: usize,
) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(90)))?;
    let extra: String = extra.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n{extra}\
         Content-Type: application/json\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n"
    )?;
    Ok(stream)
}

/// Reads the answer to a request sent on `stream`, up to the end of the connection.
pub fn read_reply(mut stream: TcpStream) -> std::io::Result<Reply> {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n");
    let (head, body) = match split {
        Some(at) => (String::from_utf8_lossy(&raw[..at]).into_owned(), &raw[at + 4..]),
        None => (String::from_utf8_lossy(&raw).into_owned(), &raw[raw.len()..]),
    };
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    let body = if chunked { dechunk(body) } else { body.to_vec() };
    let body = String::from_utf8_lossy(&body);
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).unwrap_or_else(|_| Value::String(body.to_string()))
    };
    Ok(Reply { status, head, body })
}

/// A body sent in chunks (`transfer-encoding: chunked`, as a streamed answer such as a preview
/// comes) put back together.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..end]).ok().and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let Some(size) = size.filter(|&n| n > 0 && end + 2 + n <= rest.len()) else { break };
        out.extend_from_slice(&rest[end + 2..end + 2 + size]);
        rest = rest.get(end + 4 + size..).unwrap_or_default();
    }
    out
}

/// One request as the admin; answers the status and the JSON body.
pub fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> std::io::Result<(u16, Value)> {
    request(port, method, path, &[], body).map(|r| (r.status, r.body))
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// A `rewind serve` child process; killed when dropped, also when the test panics (and then
/// the tail of its log is printed).
pub struct Server {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `rewind serve` on `database_url` with `workers` deployment workers and the `env`
    /// settings (e.g. `FAILPOINTS`), and waits until it answers `/healthz`.
    pub fn start(database_url: &str, workers: usize, env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("serve.log");
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_rewind"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("REWIND_BIND", format!("127.0.0.1:{port}"))
            .env("REWIND_BOOTSTRAP_TOKEN", TOKEN)
            .env("REWIND_POLL_MS", "50")
            .env("REWIND_WORKERS", workers.to_string())
            .env("REWIND_LOG_FORMAT", "json")
            .env("RUST_LOG", "info,actix_server=warn,tracing_actix_web=warn")
            .envs(env.iter().copied())
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
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>, want: u16) -> Value {
        let (status, value) = http(self.port, method, path, body).expect("HTTP request");
        assert_eq!(status, want, "{method} {path}: {value}");
        value
    }

    /// The process id (to read its memory and CPU time in `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process with SIGKILL (no shutdown of any kind) and reaps it.
    pub fn sigkill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }

    /// Sends SIGTERM (a graceful stop).
    pub fn sigterm(&self) {
        let sent = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(sent.success(), "kill -TERM failed");
    }

    /// Waits up to `timeout` for the process to exit; answers how it exited.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "rewind serve still runs after {timeout:?}:\n{}", self.log_tail());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last lines the process logged.
    pub fn log_tail(&self) -> String {
        let text = self.log();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Waits up to `timeout` until a log line holds every one of `needles`.
    pub fn wait_for_log(&self, needles: &[&str], timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.log().lines().any(|l| needles.iter().all(|n| l.contains(n))) {
            assert!(Instant::now() < deadline, "no log line with {needles:?}:\n{}", self.log_tail());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many deployments this process logged as succeeded.
    pub fn succeeded_in_log(&self) -> usize {
        self.log().matches("deployment succeeded").count()
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
