//! Manual publishes of different keys of one environment commit side by side on PostgreSQL,
//! and the publish log still means what B7 and E4 need: racing manual writes against
//! deployments and environment rollbacks, the events at or below a deployment's H are exactly
//! those that had committed when it committed, and every key's events chain.

mod common;
mod serve;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use common::TestDb;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde_json::{json, Value};
use serve::{http, request, Server};

#[derive(QueryableByName, Debug)]
struct Seen {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    high: i64,
    #[diesel(sql_type = BigInt)]
    below: i64,
}

#[derive(QueryableByName, Debug)]
struct Event {
    #[diesel(sql_type = BigInt)]
    item_key: i64,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    from_version: Option<i32>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    to_version: Option<i32>,
}

/// In one statement (one snapshot): each succeeded deployment of the environment, its H, and how
/// many events of the environment at or below H that snapshot sees.
const SNAPSHOT: &str = "SELECT d.id, d.high_event_id AS high, \
    (SELECT count(*) FROM publish_events e WHERE e.environment_key = v.key AND e.id <= d.high_event_id) AS below \
    FROM deployments d JOIN environments v ON v.id = d.environment_id \
    WHERE v.name = 'prod' AND d.status = 'succeeded'";

fn item(port: u16) -> String {
    let body = json!({"kind": "entry", "content_type": "page", "locale": "en", "content": {"v": 1}});
    let (s, v) = http(port, "POST", "/v1/items", Some(&body)).unwrap();
    assert_eq!(s, 201, "{v}");
    let id = v["data"]["id"].as_str().unwrap().to_string();
    for n in 2..=3 {
        let (s, _) = http(
            port,
            "POST",
            &format!("/v1/items/{id}/versions"),
            Some(&json!({"locale": "en", "content": {"v": n}})),
        )
        .unwrap();
        assert_eq!(s, 201);
    }
    id
}

fn deploy(port: u16, path: &str, body: &Value) -> Value {
    let r = request(port, "POST", path, &[("prefer", "wait=30")], Some(body)).unwrap();
    assert_eq!(r.status, 202, "{}", r.body);
    r.body
}

#[test]
#[ignore = "needs PostgreSQL (SQLite writes one at a time by design): scripts/test runs it on its PostgreSQL pass"]
fn e4_b7_manual_writes_racing_deployments_leave_h_exactly_what_the_target_committed() {
    assert_eq!(common::backend(), "postgres");
    let db = TestDb::new();
    let server = Server::start(&db.url_string(), 1, &[("REWIND_POOL_SIZE", "16")]);
    let port = server.port;
    server.call("POST", "/v1/environments", Some(&json!({"name": "prod"})), 201);
    let items: Vec<String> = (0..24).map(|_| item(port)).collect();
    let release = server.call("POST", "/v1/releases", Some(&json!({"name": "r"})), 201)["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let release_items: Vec<Value> =
        items[..12].iter().map(|i| json!({"item_id": i, "locale": "en", "action": "publish", "version": 2})).collect();
    server.call("POST", &format!("/v1/releases/{release}/items"), Some(&json!({"items": release_items})), 200);

    let stop = Arc::new(AtomicBool::new(false));
    let observed: Arc<Mutex<Vec<(String, i64, i64)>>> = Arc::default();
    let started = Instant::now();
    std::thread::scope(|scope| {
        // Manual writers: publishes and unpublishes of random keys, the release's among them.
        for w in 0..6u64 {
            let (items, stop) = (&items, stop.clone());
            scope.spawn(move || {
                let mut n = w;
                while !stop.load(Ordering::Relaxed) {
                    n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let item = &items[(n >> 33) as usize % items.len()];
                    let (path, body) = if (n >> 20) % 3 == 0 {
                        ("/v1/environments/prod/unpublish", json!({"item_id": item, "locale": "en"}))
                    } else {
                        (
                            "/v1/environments/prod/publish",
                            json!({"item_id": item, "locale": "en", "version": 1 + (n >> 40) % 3}),
                        )
                    };
                    let (s, v) = http(port, "POST", path, Some(&body)).unwrap();
                    assert!(s == 200 || (s == 409 && v["code"] == "not_published"), "{s} {v}");
                }
            });
        }
        // The observer: snapshot after snapshot of what each committed deployment's H covers.
        {
            let (stop, observed, url) = (stop.clone(), observed.clone(), db.url.clone());
            scope.spawn(move || {
                let mut conn = rewind::db::connect(&url).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let seen: Vec<Seen> = diesel::sql_query(SNAPSHOT).load(&mut conn).unwrap();
                    observed.lock().unwrap().extend(seen.into_iter().map(|s| (s.id, s.high, s.below)));
                }
            });
        }
        // Deployments and environment rollbacks, one after another.
        let mut first = None;
        for round in 0..16 {
            let d = deploy(port, &format!("/v1/releases/{release}/deploy"), &json!({"environments": ["prod"]}));
            assert_eq!(d["data"][0]["status"], "succeeded", "{d}");
            first.get_or_insert(d["data"][0]["id"].as_str().unwrap().to_string());
            if round % 3 == 2 {
                let r = deploy(port, "/v1/environments/prod/rollback", &json!({"target_deployment_id": first}));
                assert_eq!(r["data"]["deployment"]["status"], "succeeded", "{r}");
            }
        }
        stop.store(true, Ordering::Relaxed);
    });

    let mut conn = db.connect();
    let finals: Vec<Seen> = diesel::sql_query(SNAPSHOT).load(&mut conn).unwrap();
    let observed = observed.lock().unwrap();
    eprintln!("{} snapshots of {} deployments in {:?}", observed.len(), finals.len(), started.elapsed());
    assert!(finals.len() >= 20, "{} deployments", finals.len());
    for f in &finals {
        for (_, _, below) in observed.iter().filter(|(id, _, _)| *id == f.id) {
            // A snapshot that saw the deployment committed but fewer events at or below its H
            // than there are: one of them committed after it.
            assert_eq!(*below, f.below, "an event at or below H {} of {} committed after it", f.high, f.id);
        }
    }
    // Every key's events chain: each starts from what the one before it left.
    let events: Vec<Event> = diesel::sql_query(
        "SELECT item_key, from_version, to_version FROM publish_events ORDER BY item_key, locale, id",
    )
    .load(&mut conn)
    .unwrap();
    for pair in events.windows(2).filter(|p| p[0].item_key == p[1].item_key) {
        assert_eq!(pair[1].from_version, pair[0].to_version, "a key's events do not chain: {pair:?}");
    }
    let manual: i64 = diesel::sql_query("SELECT count(*) AS n FROM publish_events WHERE cause = 'manual'")
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n;
    assert!(manual > 200, "only {manual} manual writes raced the deployments");
    // The kept count of published keys is the count of what is published, after all the races.
    let published: i64 = diesel::sql_query("SELECT count(*) AS n FROM publish_states WHERE version IS NOT NULL")
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n;
    let (_, env) = http(port, "GET", "/v1/environments/prod", None).unwrap();
    assert_eq!(env["data"]["published_keys"], published, "{env}");
}

#[actix_web::test]
async fn u2_an_environment_keeps_its_count_of_published_keys_through_publishes_and_deployments() {
    let app = common::spawn().await;
    app.env("prod").await;
    let count = || async { app.get("/v1/environments/prod", common::ADMIN).await.1["data"]["published_keys"].clone() };
    assert_eq!(count().await, 0);
    let items: Vec<String> = futures_util::future::join_all((0..4).map(|_| app.item(2))).await;
    for i in &items[..3] {
        assert_eq!(app.publish("prod", common::ADMIN, i, 1).await.0, 200);
    }
    // A republish changes nothing; an unpublish takes one away.
    assert_eq!(app.publish("prod", common::ADMIN, &items[0], 2).await.0, 200);
    assert_eq!(app.unpublish("prod", common::ADMIN, &items[1]).await.0, 200);
    assert_eq!(count().await, 2);
    // A deployment: one new key, one already published, one unpublished, one already unpublished.
    let release = app
        .release(
            common::ADMIN,
            "r",
            &[
                (&items[3], "publish", Some(1)),
                (&items[0], "publish", Some(1)),
                (&items[2], "unpublish", None),
                (&items[1], "unpublish", None),
            ],
        )
        .await;
    app.deploy_ok(&release, common::ADMIN, "prod").await;
    assert_eq!(count().await, 2);
    let (_, rb) = app.post(&format!("/v1/releases/{release}/rollback"), common::ADMIN, json!({})).await;
    app.deploy_ok(rb["data"]["id"].as_str().unwrap(), common::ADMIN, "prod").await;
    assert_eq!(count().await, 2);
    let (_, list) = app.get("/v1/environments", common::ADMIN).await;
    assert_eq!(list["data"][0]["published_keys"], 2);
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}
