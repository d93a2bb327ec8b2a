//! W1–W4: webhook endpoints, the outbox, signed delivery with retries, and the deliveries list,
//! against a real receiver (`common::webhook_receiver`) that checks every signature.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use actix_web::http::StatusCode;
use common::addresses::{url_of, ALLOWED, REFUSED};
use common::webhook_receiver::{Mode, Receiver};
use common::{assert_problem, spawn_delivering, spawn_with, ADMIN};
use rewind::settings::{Settings, WebhookSettings};
use serde_json::{json, Value};

/// Settings for tests: private addresses allowed, a short timeout and a short schedule.
fn quick(retries: usize) -> Settings {
    Settings {
        webhooks: WebhookSettings {
            allow_private: true,
            timeout: Duration::from_millis(500),
            retry_schedule: vec![Duration::from_millis(200); retries],
        },
        ..Settings::default()
    }
}

/// Waits until `done` holds (at most `SETTLE_WITHIN`).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + common::SETTLE_WITHIN;
    while std::time::Instant::now() < deadline {
        if done() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

macro_rules! app_with_delivery {
    ($settings:expr) => {{
        spawn_delivering($settings).await
    }};
}

macro_rules! register {
    ($app:expr, $receiver:expr, $path:expr, $body:expr) => {{
        let mut body: Value = $body;
        body["url"] = json!($receiver.url($path));
        let (s, v) = $app.post("/v1/webhooks", ADMIN, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let secret = v["data"]["secret"].as_str().unwrap().to_string();
        $receiver.expect_secret($path, &secret);
        v["data"]["id"].as_str().unwrap().to_string()
    }};
}

macro_rules! deliveries {
    ($app:expr, $id:expr) => {{
        let (s, v) = $app.get(&format!("/v1/webhooks/{}/deliveries?limit=500", $id), ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["data"].as_array().unwrap().clone()
    }};
}

/// Polls an endpoint's deliveries until `done` holds for them (at most `SETTLE_WITHIN`); answers them.
macro_rules! deliveries_until {
    ($app:expr, $id:expr, $what:expr, $done:expr) => {{
        let mut last = vec![];
        let deadline = std::time::Instant::now() + common::SETTLE_WITHIN;
        while std::time::Instant::now() < deadline {
            last = deliveries!($app, $id);
            if $done(&last) {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        assert!($done(&last), "timed out waiting until {}: {last:?}", $what);
        last
    }};
}

#[actix_web::test]
async fn w1_admin_registers_an_endpoint_and_its_secret_is_shown_once() {
    let app = spawn_with(quick(1)).await;
    app.env("prod").await;
    let (s, v) = app
        .post(
            "/v1/webhooks",
            ADMIN,
            json!({"url": "http://127.0.0.1:9/hook", "events": ["deployment.succeeded", "deployment.failed"],
                   "environments": ["prod"], "description": "CI"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let d = &v["data"];
    let secret = d["secret"].as_str().unwrap();
    let key = secret.strip_prefix("whsec_").expect("whsec_ prefix");
    use base64::Engine;
    assert!(base64::engine::general_purpose::STANDARD.decode(key).unwrap().len() >= 24);
    assert_eq!(d["events"], json!(["deployment.succeeded", "deployment.failed"]));
    assert_eq!(d["environments"], json!(["prod"]));
    let id = d["id"].as_str().unwrap();

    let (s, one) = app.get(&format!("/v1/webhooks/{id}"), ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    assert!(one["data"].get("secret").is_none(), "{one}");
    assert_eq!(one["data"]["url"], "http://127.0.0.1:9/hook");
    let (s, all) = app.get("/v1/webhooks", ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
    assert!(all["data"][0].get("secret").is_none());

    let (s, _) = app.req("DELETE", &format!("/v1/webhooks/{id}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&format!("/v1/webhooks/{id}"), ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    let (s, v) = app.req("DELETE", &format!("/v1/webhooks/{id}"), ADMIN, None).await;
    assert_problem(s, &v, 404, "not_found");
}

#[actix_web::test]
async fn w1_refuses_bad_endpoints_and_non_admins() {
    let app = spawn_with(Settings::default()).await;
    app.env("prod").await;
    let ev = json!(["deployment.succeeded"]);
    for private in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest",
        "http://[::1]/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "https://0.0.0.0/hook",
    ] {
        let (s, v) = app.post("/v1/webhooks", ADMIN, json!({"url": private, "events": ev})).await;
        assert_problem(s, &v, 422, "webhook_url_not_allowed");
    }
    let (s, v) = app.post("/v1/webhooks", ADMIN, json!({"url": "ftp://example.com/x", "events": ev})).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.post("/v1/webhooks", ADMIN, json!({"url": "not a url", "events": ev})).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) =
        app.post("/v1/webhooks", ADMIN, json!({"url": "https://93.184.215.14/x", "events": ["deployment.done"]})).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.post("/v1/webhooks", ADMIN, json!({"url": "https://93.184.215.14/x", "events": []})).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) =
        app.post("/v1/webhooks", ADMIN, json!({"url": "https://93.184.215.14/x", "events": ev, "secret": "x"})).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app
        .post("/v1/webhooks", ADMIN, json!({"url": "https://93.184.215.14/x", "events": ev, "environments": ["nope"]}))
        .await;
    assert_problem(s, &v, 422, "environment_not_found");

    let (_, editor) = app.editor("ed", &["prod"]).await;
    let (_, viewer) = app.user("vi", "viewer").await;
    for token in [&editor, &viewer] {
        let (s, v) = app.post("/v1/webhooks", token, json!({"url": "https://93.184.215.14/x", "events": ev})).await;
        assert_problem(s, &v, 403, "forbidden");
        let (s, v) = app.get("/v1/webhooks", token).await;
        assert_problem(s, &v, 403, "forbidden");
    }
    // A public address passes (no request is made at registration).
    let (s, v) = app.post("/v1/webhooks", ADMIN, json!({"url": "https://93.184.215.14/x", "events": ev})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

/// Creates `n` assets, each with version 1 in `en`, straight in the database (set-based: through
/// the API this many would take minutes); answers their ids.
fn seed_assets(pool: &rewind::db::Pool, n: usize) -> Vec<String> {
    use diesel::connection::SimpleConnection;
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let mut conn = pool.get().expect("a connection");
    for chunk in ids.chunks(5000) {
        let rows: Vec<String> =
            chunk.iter().map(|id| format!("('{id}', 'asset', NULL, '2026-11-29 00:00:00')")).collect();
        conn.batch_execute(&format!(
            "INSERT INTO items (id, kind, content_type, created_at) VALUES {}",
            rows.join(",")
        ))
        .expect("insert items");
    }
    conn.batch_execute(
        "INSERT INTO versions (item_id, locale, version, content, refs, created_at) \
         SELECT id, 'en', 1, '{\"n\":1}', '[]', created_at FROM items WHERE kind = 'asset'",
    )
    .expect("insert versions");
    ids
}

#[actix_web::test]
async fn w2_one_signed_message_per_subscribed_endpoint_for_a_many_item_deployment() {
    let app = app_with_delivery!(quick(5));
    app.env("prod").await;
    app.env("staging").await;
    let rx = Receiver::start(vec![Mode::Ok]);
    let all = register!(app, rx, "/all", json!({"events": ["deployment.started", "deployment.succeeded"]}));
    let prod = register!(app, rx, "/prod", json!({"events": ["deployment.succeeded"], "environments": ["prod"]}));
    let other_env =
        register!(app, rx, "/staging", json!({"events": ["deployment.succeeded"], "environments": ["staging"]}));
    let other_event = register!(app, rx, "/cancelled", json!({"events": ["deployment.cancelled"]}));

    // 100,000 items in one release, added in one request.
    let ids = seed_assets(&app.state.pool, 100_000);
    let (_, r) = app.post("/v1/releases", ADMIN, json!({"name": "big"})).await;
    let release = r["data"]["id"].as_str().unwrap().to_string();
    let items: Vec<Value> =
        ids.iter().map(|i| json!({"item_id": i, "locale": "en", "action": "publish", "version": 1})).collect();
    let (s, v) = app.post(&format!("/v1/releases/{release}/items"), ADMIN, json!({"items": items})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = app.deploy_ok(&release, ADMIN, "prod").await;
    let deployment = d["id"].as_str().unwrap();

    until("both messages reach /all and one /prod", || rx.got("/all").len() == 2 && rx.got("/prod").len() == 1).await;
    let got_all = rx.got("/all");
    assert!(got_all.iter().all(|m| m.verified), "signatures: {got_all:?}");
    assert_eq!(got_all[0].body["type"], "deployment.started", "per-endpoint order");
    assert_eq!(got_all[0].body["data"]["deployment"]["status"], "in_progress");
    assert_eq!(got_all[1].body["type"], "deployment.succeeded");
    let sent = &got_all[1].body["data"]["deployment"];
    assert_eq!(sent["id"], deployment);
    assert_eq!(sent["status"], "succeeded");
    assert_eq!(sent["counts"]["published"], 100_000);
    assert_eq!(sent["environment"], "prod");
    assert!(got_all[1].body["timestamp"].as_str().unwrap().ends_with('Z'));
    let got_prod = rx.got("/prod");
    assert!(got_prod[0].verified);
    assert_eq!(got_prod[0].body["type"], "deployment.succeeded");

    let listed =
        deliveries_until!(app, prod, "delivered", |l: &Vec<Value>| l.len() == 1 && l[0]["status"] == "delivered");
    assert_eq!(listed[0]["id"].as_str().unwrap(), got_prod[0].webhook_id);
    assert_eq!(listed[0]["event_type"], "deployment.succeeded");
    assert_eq!(listed[0]["deployment_id"], deployment);
    assert_eq!(listed[0]["attempts"], 1);
    assert_eq!(listed[0]["last_status_code"], 204);
    assert!(listed[0]["delivered_at"].is_string() && listed[0]["next_attempt_at"].is_null());
    let listed_all = deliveries!(app, all);
    assert_eq!(listed_all.len(), 2);
    assert_eq!(listed_all[0]["event_type"], "deployment.succeeded", "newest first");

    // Nothing for an endpoint of another environment or another event, ever.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.got("/staging").is_empty() && rx.got("/cancelled").is_empty());
    assert!(deliveries!(app, other_env).is_empty() && deliveries!(app, other_event).is_empty());
    assert_eq!(rx.got("/all").len(), 2);
    assert_eq!(rx.got("/prod").len(), 1);
}

#[actix_web::test]
async fn w2_a_cancelled_deployment_is_announced() {
    let app = app_with_delivery!(quick(1));
    app.env("prod").await;
    let rx = Receiver::start(vec![Mode::Ok]);
    register!(app, rx, "/c", json!({"events": ["deployment.cancelled", "deployment.started"]}));
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    let (s, v) = app.schedule_in_an_hour(&release, ADMIN, "prod").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let id = v["data"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = app.post(&format!("/v1/deployments/{id}/cancel"), ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    until("the cancellation arrives", || rx.got("/c").len() == 1).await;
    let m = &rx.got("/c")[0];
    assert!(m.verified);
    assert_eq!(m.body["type"], "deployment.cancelled");
    assert_eq!(m.body["data"]["deployment"]["id"], id);
    assert_eq!(m.body["data"]["deployment"]["status"], "cancelled");
}

#[actix_web::test]
async fn w2_a_transaction_that_rolls_back_leaves_no_message() {
    use rewind::db::write_transaction;
    use rewind::error::AppError;
    let app = app_with_delivery!(quick(1));
    app.env("prod").await;
    let rx = Receiver::start(vec![Mode::Ok]);
    let hook = register!(app, rx, "/t", json!({"events": ["deployment.succeeded"]}));
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    let d = app.deploy_ok(&release, ADMIN, "prod").await;
    let id = d["id"].as_str().unwrap().to_string();
    until("the real message arrives", || rx.got("/t").len() == 1).await;

    // The same announcement, written in a transaction that then rolls back: no message.
    let mut conn = app.state.pool.get().unwrap();
    let view =
        rewind::service::deployments::get(&mut conn, &rewind::domain::ids::DeploymentId::stored(id.clone())).unwrap();
    let rolled_back: Result<(), AppError> = write_transaction(&mut conn, |c| {
        rewind::service::webhooks::announce(c, &view)?;
        Err(AppError::Rule(rewind::error::ProblemCode::ReleaseBusy, "rolled back".into()))
    });
    assert!(rolled_back.is_err());
    drop(conn);
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(deliveries!(app, hook).len(), 1);
    assert_eq!(rx.got("/t").len(), 1);

    // Committed, the same write is delivered: the check above could have failed.
    let mut conn = app.state.pool.get().unwrap();
    write_transaction(&mut conn, |c| rewind::service::webhooks::announce(c, &view)).unwrap();
    drop(conn);
    until("the committed message arrives", || rx.got("/t").len() == 2).await;
}

#[actix_web::test]
async fn w3_receiver_down_then_up_gets_the_message_once_with_the_same_webhook_id() {
    let app = app_with_delivery!(quick(5));
    app.env("prod").await;
    // Reserve a port, register it, and let nobody listen on it yet.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/down");
    let (s, v) = app.post("/v1/webhooks", ADMIN, json!({"url": url, "events": ["deployment.succeeded"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let hook = v["data"]["id"].as_str().unwrap().to_string();
    let secret = v["data"]["secret"].as_str().unwrap().to_string();
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    app.deploy_ok(&release, ADMIN, "prod").await;

    let failed_once = deliveries_until!(app, hook, "an attempt failed", |l: &Vec<Value>| l.len() == 1
        && l[0]["attempts"].as_i64().unwrap_or(0) >= 1);
    assert_eq!(failed_once[0]["status"], "pending");
    assert!(failed_once[0]["last_error"].is_string(), "{failed_once:?}");
    let message_id = failed_once[0]["id"].as_str().unwrap().to_string();

    // Up, first answering 500 once, then 2xx.
    let rx = Receiver::start_on(TcpListener::bind(("127.0.0.1", port)).unwrap(), vec![Mode::Fail, Mode::Ok]);
    rx.expect_secret("/down", &secret);
    let done = deliveries_until!(app, hook, "delivered", |l: &Vec<Value>| l[0]["status"] == "delivered");
    let got = rx.got("/down");
    assert!(got.len() >= 2, "{got:?}");
    assert!(got.iter().all(|m| m.verified && m.webhook_id == message_id), "{got:?}");
    assert_eq!(got.iter().filter(|m| m.accepted).count(), 1, "arrives once");
    assert_eq!(done[0]["attempts"].as_i64().unwrap(), failed_once[0]["attempts"].as_i64().unwrap() + 1 + 1);
    assert_eq!(done[0]["last_status_code"], 204);
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(rx.got("/down").len(), got.len(), "nothing more after delivery");
}

#[actix_web::test]
async fn w3_a_hanging_or_failing_endpoint_fails_after_the_schedule_and_w4_retry_queues_it_again() {
    let app = app_with_delivery!(quick(2));
    app.env("prod").await;
    let rx = Receiver::start(vec![Mode::Hang, Mode::Fail]);
    let hook = register!(app, rx, "/h", json!({"events": ["deployment.succeeded"]}));
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    app.deploy_ok(&release, ADMIN, "prod").await;

    // One attempt and two retries: hang (timeout), then 500 twice; then failed.
    let failed = deliveries_until!(app, hook, "failed", |l: &Vec<Value>| l.len() == 1 && l[0]["status"] == "failed");
    assert_eq!(failed[0]["attempts"], 3);
    assert_eq!(failed[0]["last_status_code"], 500);
    assert!(failed[0]["next_attempt_at"].is_null());
    let got = rx.got("/h");
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|m| m.verified));
    let id = failed[0]["id"].as_str().unwrap().to_string();

    // W4: a failed delivery can be queued again; it then arrives.
    rx.set_modes(vec![Mode::Ok]);
    let (s, v) = app.post(&format!("/v1/webhooks/{hook}/deliveries/{id}/retry"), ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["status"], "pending");
    let done = deliveries_until!(app, hook, "delivered", |l: &Vec<Value>| l[0]["status"] == "delivered");
    assert_eq!(done[0]["attempts"], 4);
    assert_eq!(rx.got("/h").last().unwrap().webhook_id, id);

    // Only a failed one can be retried.
    let (s, v) = app.post(&format!("/v1/webhooks/{hook}/deliveries/{id}/retry"), ADMIN, json!({})).await;
    assert_problem(s, &v, 409, "not_retryable");
    let (_, editor) = app.editor("ed", &["prod"]).await;
    let (s, v) = app.post(&format!("/v1/webhooks/{hook}/deliveries/{id}/retry"), &editor, json!({})).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = app.get(&format!("/v1/webhooks/{hook}/deliveries"), &editor).await;
    assert_problem(s, &v, 403, "forbidden");
}

#[actix_web::test]
async fn w4_deleting_an_endpoint_stops_its_pending_deliveries() {
    let app = app_with_delivery!(quick(5));
    app.env("prod").await;
    let rx = Receiver::start(vec![Mode::Fail]);
    let hook = register!(app, rx, "/d", json!({"events": ["deployment.succeeded"]}));
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    app.deploy_ok(&release, ADMIN, "prod").await;
    until("a first attempt", || !rx.got("/d").is_empty()).await;
    let (s, _) = app.req("DELETE", &format!("/v1/webhooks/{hook}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let seen = rx.got("/d").len();
    // Past the whole schedule (5 × 0.2 s): no more attempts.
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    assert!(rx.got("/d").len() <= seen + 1, "at most the attempt in flight when it was deleted");
    let settled = rx.got("/d").len();
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.got("/d").len(), settled);
    assert!(settled < 6, "the schedule did not run out: {settled}");
}

#[actix_web::test]
async fn w3_w4_messages_arrive_in_commit_order_and_deliveries_page_newest_first() {
    let app = app_with_delivery!(quick(1));
    app.env("prod").await;
    let rx = Receiver::start(vec![Mode::Ok]);
    let hook = register!(app, rx, "/p", json!({"events": ["deployment.started", "deployment.succeeded"]}));
    let item = app.item(3).await;
    for v in 1..=3 {
        let release = app.release(ADMIN, &format!("r{v}"), &[(&item, "publish", Some(v))]).await;
        app.deploy_ok(&release, ADMIN, "prod").await;
    }
    until("six messages", || rx.got("/p").len() == 6).await;
    let arrived: Vec<String> = rx.got("/p").iter().map(|m| m.webhook_id.clone()).collect();
    let listed = app.walk_pages(&format!("/v1/webhooks/{hook}/deliveries?"), 4, "id").await;
    let listed: Vec<String> = listed.iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let mut newest_first = arrived.clone();
    newest_first.reverse();
    assert_eq!(listed, newest_first, "sent in commit order, listed newest first");
    let (s, v) = app.get(&format!("/v1/webhooks/{hook}/deliveries?limit=0"), ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
}

#[actix_web::test]
async fn w1_only_globally_routable_unicast_is_allowed_at_registration_and_at_delivery() {
    let app = spawn_with(Settings::default()).await;
    let ev = json!(["deployment.succeeded"]);
    for address in REFUSED {
        let (s, v) = app.post("/v1/webhooks", ADMIN, json!({"url": url_of(address), "events": ev})).await;
        assert_problem(s, &v, 422, "webhook_url_not_allowed");
        // What a delivery runs: the URL check again, and the resolver's check of each address.
        let e = rewind::service::webhooks::check_url(&url_of(address), false).unwrap_err();
        assert_eq!(e.code().as_str(), "webhook_url_not_allowed", "{address}");
        assert!(!rewind::domain::addresses::address_allowed(address.parse().unwrap()), "{address}");
    }
    let (_, all) = app.get("/v1/webhooks", ADMIN).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 0, "a refused address registers nothing");
    for address in ALLOWED {
        let (s, v) = app.post("/v1/webhooks", ADMIN, json!({"url": url_of(address), "events": ev})).await;
        assert_eq!(s, StatusCode::CREATED, "{address}: {v}");
        assert!(rewind::service::webhooks::check_url(&url_of(address), false).is_ok(), "{address}");
        assert!(rewind::domain::addresses::address_allowed(address.parse().unwrap()), "{address}");
    }
}

#[actix_web::test]
async fn w1_a_url_with_userinfo_is_refused_and_a_stored_one_is_never_shown() {
    let app = spawn_with(quick(1)).await;
    let ev = json!(["deployment.succeeded"]);
    for url in ["https://user:pass@93.184.215.14/x", "https://user@93.184.215.14/x", "http://:pass@127.0.0.1:9/x"] {
        let (s, v) = app.post("/v1/webhooks", ADMIN, json!({"url": url, "events": ev})).await;
        assert_problem(s, &v, 422, "webhook_url_not_allowed");
    }
    let (_, all) = app.get("/v1/webhooks", ADMIN).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 0);
    // An endpoint stored with a credential before it was refused: its URL is shown without it.
    let (s, v) = app.post("/v1/webhooks", ADMIN, json!({"url": "https://93.184.215.14/x", "events": ev})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_str().unwrap().to_string();
    let mut conn = app.db.connect();
    let sql = format!("UPDATE webhook_endpoints SET url = 'https://user:s3cret@93.184.215.14/x' WHERE id = '{id}'");
    diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut conn).unwrap();
    let (_, one) = app.get(&format!("/v1/webhooks/{id}"), ADMIN).await;
    assert_eq!(one["data"]["url"], "https://93.184.215.14/x");
    let (_, all) = app.get("/v1/webhooks", ADMIN).await;
    assert!(!all.to_string().contains("s3cret"), "{all}");
}

#[actix_web::test]
async fn w1_the_address_check_runs_again_before_each_delivery() {
    let app = app_with_delivery!(Settings {
        webhooks: WebhookSettings { allow_private: false, ..quick(1).webhooks },
        ..Settings::default()
    });
    app.env("prod").await;
    let rx = Receiver::start(vec![Mode::Ok]);
    // Registered while private addresses were allowed (as an operator could have), by address
    // and by a name that resolves to one; delivered by a process where they are not.
    let mut hooks = vec![];
    for url in [rx.url("/literal"), format!("http://localhost:{}/name", rx.port)] {
        let mut conn = app.state.pool.get().unwrap();
        let new = rewind::service::webhooks::NewEndpoint {
            url,
            events: vec![rewind::domain::webhooks::WebhookEvent::Succeeded],
            environments: None,
            description: None,
        };
        hooks.push(rewind::service::webhooks::register(&mut conn, new, true).unwrap().0.row.id);
    }
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    app.deploy_ok(&release, ADMIN, "prod").await;
    for hook in &hooks {
        let d = deliveries_until!(app, hook, "the schedule ran out", |l: &Vec<Value>| l.len() == 1
            && l[0]["status"] == "failed");
        assert!(d[0]["last_error"].as_str().unwrap().contains("webhook_url_not_allowed"), "{d:?}");
        assert!(d[0]["last_status_code"].is_null());
    }
    assert!(rx.got("/literal").is_empty() && rx.got("/name").is_empty());
}

#[actix_web::test]
async fn w3_a_message_waiting_for_a_retry_does_not_hold_up_the_next_one() {
    let app = app_with_delivery!(Settings {
        // Long enough that the second deployment and its message are done before the retry is
        // due, even on a machine busy with the rest of the suite.
        webhooks: WebhookSettings { retry_schedule: vec![Duration::from_secs(8)], ..quick(1).webhooks },
        ..Settings::default()
    });
    app.env("prod").await;
    let rx = Receiver::start(vec![Mode::Fail, Mode::Ok]);
    register!(app, rx, "/r", json!({"events": ["deployment.succeeded"]}));
    let item = app.item(2).await;
    let first = app.release(ADMIN, "r1", &[(&item, "publish", Some(1))]).await;
    app.deploy_ok(&first, ADMIN, "prod").await;
    until("the first attempt fails", || rx.got("/r").len() == 1).await;
    let second = app.release(ADMIN, "r2", &[(&item, "publish", Some(2))]).await;
    app.deploy_ok(&second, ADMIN, "prod").await;
    until("both arrive", || rx.got("/r").iter().filter(|m| m.accepted).count() == 2).await;
    let got = rx.got("/r");
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(!got[0].accepted && got[1].accepted && got[2].accepted);
    assert_ne!(got[1].webhook_id, got[0].webhook_id, "the second message went ahead of the retry");
    assert_eq!(got[2].webhook_id, got[0].webhook_id, "then the retry");
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Subscribed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    endpoint_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    word: String,
}

/// The rows of `SELECT endpoint_id, <column> AS word FROM <table>`, sorted.
fn subscribed(conn: &mut rewind::db::DbConn, table: &str, column: &str) -> Vec<(String, String)> {
    use diesel::RunQueryDsl;
    let sql = format!("SELECT endpoint_id, {column} AS word FROM {table} ORDER BY endpoint_id, word");
    diesel::sql_query(sql).load::<Subscribed>(conn).unwrap().into_iter().map(|s| (s.endpoint_id, s.word)).collect()
}

#[test]
fn w1_the_migration_turns_the_stored_lists_of_events_and_environments_into_rows_and_back() {
    use diesel::connection::SimpleConnection;
    let db = common::TestDb::new();
    let mut conn = db.connect();
    common::migrate_before(&mut conn, "_webhook_subscriptions");
    conn.batch_execute(
        "INSERT INTO environments (id, name, created_at, key) VALUES ('e1', 'production', '2026-01-01 00:00:00', 1), \
           ('e2', 'staging', '2026-01-01 00:00:00', 2); \
         INSERT INTO webhook_endpoints (id, url, secret, events, environments, description, created_at) VALUES \
           ('a', 'https://93.184.215.14/a', 's', ',deployment.started,environment.held,', NULL, NULL, '2026-01-01 00:00:00'), \
           ('b', 'https://93.184.215.14/b', 's', ',deployment.failed,', ',e1,e2,', NULL, '2026-01-01 00:00:00'), \
           ('c', 'https://93.184.215.14/c', 's', ',deployment.failed,', ',', NULL, '2026-01-01 00:00:00');",
    )
    .unwrap();
    rewind::db::migrate(&mut conn).unwrap();
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        subscribed(&mut conn, "webhook_endpoint_events", "event"),
        [
            s("a", "deployment.started"),
            s("a", "environment.held"),
            s("b", "deployment.failed"),
            s("c", "deployment.failed")
        ]
    );
    assert_eq!(subscribed(&mut conn, "webhook_endpoint_environments", "environment_id"), [s("b", "e1"), s("b", "e2")]);
    // `c` was limited to no environment at all, and still is; `a` hears every one.
    let all = "SELECT id AS endpoint_id, CASE WHEN all_environments THEN 'all' ELSE 'some' END AS word FROM webhook_endpoints";
    let rows: Vec<Subscribed> =
        diesel::RunQueryDsl::load(diesel::sql_query(format!("{all} ORDER BY id")), &mut conn).unwrap();
    let rows: Vec<(String, String)> = rows.into_iter().map(|r| (r.endpoint_id, r.word)).collect();
    assert_eq!(rows, [s("a", "all"), s("b", "some"), s("c", "some")]);

    common::revert_through(&mut conn, "_webhook_subscriptions");
    let back =
        "SELECT id AS endpoint_id, events || '|' || COALESCE(environments, 'null') AS word FROM webhook_endpoints";
    let rows: Vec<Subscribed> =
        diesel::RunQueryDsl::load(diesel::sql_query(format!("{back} ORDER BY id")), &mut conn).unwrap();
    let rows: Vec<(String, String)> = rows.into_iter().map(|r| (r.endpoint_id, r.word)).collect();
    assert_eq!(
        rows,
        [
            s("a", ",deployment.started,environment.held,|null"),
            s("b", ",deployment.failed,|,e1,e2,"),
            s("c", ",deployment.failed,|,")
        ]
    );
}
