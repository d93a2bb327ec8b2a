//! X2: a database that is down gives 503 `unavailable`, and the service answers again without a
//! restart once it is back. The test starts a throwaway PostgreSQL of its own (the server
//! binaries of `/usr/lib/postgresql/*/bin`, as the `postgres` user when run as root), runs
//! `rewind serve` on it, stops the database under it and starts it again.

mod serve;

use std::time::{Duration, Instant};

use serde_json::json;
use serve::postgres::Postgres;
use serve::{request, Reply, Server};

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
    // Every request from here on is answered, also many at once, which take connections that sat
    // idle in the pool through the outage: each is replaced at its checkout, not handed to a
    // request that would answer 503 with the database back.
    let port = server.port;
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let callers: Vec<_> = (0..10)
            .map(|_| {
                s.spawn(move || {
                    (0..5)
                        .map(|_| request(port, "GET", "/v1/releases", &[], None).expect("GET /v1/releases").status)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        callers.into_iter().flat_map(|c| c.join().expect("a caller")).collect()
    });
    assert!(statuses.iter().all(|s| *s == 200), "answers once the database is back: {statuses:?}");
    let list = server.call("GET", "/v1/releases", None, 200);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");
    server.call("POST", "/v1/releases", Some(&json!({"name": "after"})), 201);
    assert!(server.is_running(), "the server restarted");
}
