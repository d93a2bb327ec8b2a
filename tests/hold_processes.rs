//! Holds across processes, with the real `rewind serve` binary: a hold placed through one process
//! stops the deployments another process's worker would run (H3), and a rollback's hold commits
//! with its success or not at all (H2), also when the process is killed in between.
//!
//! The failpoint test needs the binary built with `--features failpoints` (scripts/test does so).

mod common;
mod serve;

use std::time::{Duration, Instant};

use common::TestDb;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use rewind::db::DbConn;
use serde_json::{json, Value};
use serve::Server;

/// An environment, an entry with two versions, and a release publishing version `version` of it;
/// answers the item and the release.
fn release_of(server: &Server, env: &str, version: i32) -> (String, String) {
    server.call("POST", "/v1/environments", Some(&json!({"name": env})), 201);
    let item = json!({"kind": "entry", "content_type": "page", "locale": "en", "content": {"v": 1}});
    let id = server.call("POST", "/v1/items", Some(&item), 201)["data"]["id"].as_str().unwrap().to_string();
    server.call("POST", &format!("/v1/items/{id}/versions"), Some(&json!({"locale": "en", "content": {"v": 2}})), 201);
    let release = server.call("POST", "/v1/releases", Some(&json!({"name": "R"})), 201)["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let items = json!({"items": [{"item_id": id, "locale": "en", "action": "publish", "version": version}]});
    server.call("POST", &format!("/v1/releases/{release}/items"), Some(&items), 200);
    (id, release)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Runs `SELECT count(*) AS n …`.
fn count(conn: &mut DbConn, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).expect("count").n
}

/// Polls a deployment until `done(status)` or `timeout`; answers it as it last stood.
fn poll(server: &Server, id: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let d = server.call("GET", &format!("/v1/deployments/{id}"), None, 200)["data"].clone();
        if done(d["status"].as_str().unwrap_or_default()) || Instant::now() > deadline {
            return d;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Deploys `release` to `env` now and waits until it succeeded; answers the deployment.
fn deployed(server: &Server, release: &str, env: &str) -> Value {
    let body = json!({"environments": [env]});
    let created = server.call("POST", &format!("/v1/releases/{release}/deploy"), Some(&body), 202);
    let d = poll(server, created["data"][0]["id"].as_str().unwrap(), Duration::from_secs(60), |s| s == "succeeded");
    assert_eq!(d["status"], "succeeded", "{d}");
    d
}

#[test]
#[ignore = "needs PostgreSQL (SQLite is one process by design): scripts/test runs it on its PostgreSQL pass"]
fn h3_a_hold_placed_through_one_process_stops_a_scheduled_deployment_the_others_worker_would_run() {
    assert_eq!(common::backend(), "postgres", "H3 across processes needs REWIND_TEST_BACKEND=postgres");
    let db = TestDb::new();
    // Both run a worker; the deployment is scheduled through `b`, the hold placed through `a`.
    let a = Server::start(&db.url_string(), 1, &[]);
    let b = Server::start(&db.url_string(), 1, &[]);
    let (item, release) = release_of(&b, "production", 1);
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let body = json!({"environments": ["production"], "scheduled_at": at});
    let created = b.call("POST", &format!("/v1/releases/{release}/deploy"), Some(&body), 202);
    let id = created["data"][0]["id"].as_str().unwrap().to_string();
    a.call("POST", "/v1/environments/production/hold", Some(&json!({"reason": "keep the rollback"})), 201);

    // Well past its time, neither worker (each polling every 50 ms) has claimed it.
    std::thread::sleep(Duration::from_secs(4));
    let d = b.call("GET", &format!("/v1/deployments/{id}"), None, 200)["data"].clone();
    assert_eq!((d["status"].as_str(), d["held"].as_bool()), (Some("scheduled"), Some(true)), "{d}");
    let state = b.call("GET", &format!("/v1/environments/production/publish-state?item_id={item}"), None, 200);
    assert_eq!(state["data"], json!([]), "nothing was published: {state}");

    // Lifted through `a`, the deployment runs, once.
    let lifted = a.call("DELETE", "/v1/environments/production/hold", None, 200);
    assert_eq!(lifted["data"]["released"][0]["id"], id.as_str(), "{lifted}");
    let d = poll(&b, &id, Duration::from_secs(60), |s| s == "succeeded");
    assert_eq!(d["status"], "succeeded", "{d}");
    let state = b.call("GET", &format!("/v1/environments/production/publish-state?item_id={item}"), None, 200);
    assert_eq!(state["data"][0]["version"], 1, "{state}");
}

#[test]
#[cfg_attr(not(feature = "failpoints"), ignore = "needs `--features failpoints` (scripts/test runs it so)")]
fn h2_a_process_killed_before_a_rollbacks_commit_leaves_neither_its_success_nor_its_hold() {
    let db = TestDb::new();
    let setup = Server::start(&db.url_string(), 1, &[]);
    let (_, first) = release_of(&setup, "production", 1);
    deployed(&setup, &first, "production");
    let second = setup.call("POST", "/v1/releases", Some(&json!({"name": "R2"})), 201)["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let item = setup.call("GET", "/v1/items", None, 200)["data"][0]["id"].as_str().unwrap().to_string();
    let items = json!({"items": [{"item_id": item, "locale": "en", "action": "publish", "version": 2}]});
    setup.call("POST", &format!("/v1/releases/{second}/items"), Some(&items), 200);
    deployed(&setup, &second, "production");
    setup.call("PATCH", "/v1/environments/production", Some(&json!({"hold_after_rollback": true})), 200);
    setup.sigkill();

    // The rollback is held just before its commit, with its hold written, then killed.
    let held = Server::start(&db.url_string(), 1, &[("FAILPOINTS", "deployment_before_commit=return(60000)")]);
    let rollback = held.call("POST", "/v1/environments/production/rollback", Some(&json!({})), 202);
    let id = rollback["data"]["deployment"]["id"].as_str().unwrap().to_string();
    held.wait_for_log(&["held at failpoint", "\"failpoint\":\"deployment_before_commit\""], Duration::from_secs(60));
    held.sigkill();

    let mut conn = db.connect();
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM holds"), 0, "a hold without its rollback's success");
    let status = format!("SELECT count(*) AS n FROM deployments WHERE id = '{id}' AND status = 'in_progress'");
    assert_eq!(count(&mut conn, &status), 1, "the rollback's success committed");

    // Run again by a new process: the success and the hold commit together, once.
    let restarted = Server::start(&db.url_string(), 1, &[]);
    let d = poll(&restarted, &id, Duration::from_secs(60), |s| s == "succeeded");
    assert_eq!(d["status"], "succeeded", "{d}");
    let holds = restarted.call("GET", "/v1/environments/production/holds", None, 200)["data"].clone();
    assert_eq!(holds.as_array().map(Vec::len), Some(1), "{holds}");
    assert_eq!((holds[0]["cause"].as_str(), holds[0]["deployment_id"].as_str()), (Some("rollback"), Some(id.as_str())));
}
