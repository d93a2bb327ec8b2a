//! Holds and freeze windows (H1–H5): an environment stays where a rollback put it until a person
//! lifts the hold; standard releases wait, rollbacks and manual writes do not.

mod common;

use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use common::{assert_problem, spawn, TestApp, ADMIN};
use serde_json::{json, Value};

/// `POST /v1/environments/{env}/hold` with `reason`.
async fn hold<S>(app: &TestApp<S>, env: &str, token: &str, reason: &str) -> (StatusCode, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    app.post(&format!("/v1/environments/{env}/hold"), token, json!({"reason": reason})).await
}

/// `DELETE /v1/environments/{env}/hold`.
async fn lift<S>(app: &TestApp<S>, env: &str, token: &str) -> (StatusCode, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    app.req("DELETE", &format!("/v1/environments/{env}/hold"), token, None).await
}

#[actix_web::test]
async fn h1_a_hold_is_placed_once_shown_on_the_environment_listed_and_lifted_once() {
    let app = spawn().await;
    app.env("production").await;
    let (editor_id, editor) = app.editor("ed", &["production"]).await;
    let (_, outsider) = app.editor("out", &[]).await;
    let (_, viewer) = app.user("vi", "viewer").await;
    assert!(app.environment("production").await["hold"].is_null());

    let (s, v) = hold(&app, "production", &viewer, "no").await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = hold(&app, "production", &outsider, "no").await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = hold(&app, "production", &editor, "").await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = hold(&app, "production", &editor, &"x".repeat(501)).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.post("/v1/environments/production/hold", &editor, json!({})).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert!(app.environment("production").await["hold"].is_null(), "a refused hold wrote nothing");

    let (s, v) = hold(&app, "production", &editor, "bad release at 2 a.m.").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let h = &v["data"];
    assert_eq!((h["environment"].as_str(), h["cause"].as_str()), (Some("production"), Some("manual")));
    assert_eq!(
        (h["reason"].as_str(), h["held_by"].as_str()),
        (Some("bad release at 2 a.m."), Some(editor_id.as_str()))
    );
    assert!(h["deployment_id"].is_null() && h["lifted_at"].is_null() && h["lifted_by"].is_null(), "{h}");
    assert_eq!(app.environment("production").await["hold"]["id"], h["id"]);

    let (s, v) = hold(&app, "production", ADMIN, "again").await;
    assert_problem(s, &v, 409, "already_held");

    let (s, v) = lift(&app, "production", &viewer).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = lift(&app, "production", ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let lifted = &v["data"]["hold"];
    assert_eq!(lifted["id"], h["id"]);
    assert!(lifted["lifted_at"].is_string() && lifted["lifted_by"].is_string(), "{lifted}");
    assert_eq!(v["data"]["released"], json!([]));
    assert!(app.environment("production").await["hold"].is_null());
    let (s, v) = lift(&app, "production", ADMIN).await;
    assert_problem(s, &v, 409, "not_held");

    // The history, newest first, present and past, paged.
    hold(&app, "production", ADMIN, "second").await;
    let (s, v) = app.get("/v1/environments/production/holds?limit=1", ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"][0]["reason"], "second");
    let cursor = v["next_cursor"].as_str().expect("a second page").to_string();
    let (_, v) = app.get(&format!("/v1/environments/production/holds?limit=1&cursor={cursor}"), ADMIN).await;
    assert_eq!(v["data"][0]["reason"], "bad release at 2 a.m.");
    assert!(v["next_cursor"].is_null());
    let (s, v) = app.get("/v1/environments/nowhere/hold", ADMIN).await;
    assert_problem(s, &v, 405, "method_not_allowed");
    let (s, v) = hold(&app, "nowhere", ADMIN, "x").await;
    assert_problem(s, &v, 404, "not_found");
}

#[actix_web::test]
async fn h1_two_holds_placed_at_once_one_is_placed_and_the_other_is_already_held() {
    let app = spawn().await;
    app.env("production").await;
    let (a, b) = futures_util::join!(hold(&app, "production", ADMIN, "one"), hold(&app, "production", ADMIN, "two"));
    let mut statuses = [a.0.as_u16(), b.0.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{a:?} {b:?}");
    let (_, v) = app.get("/v1/environments/production/holds", ADMIN).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1, "{v}");
}

#[actix_web::test]
async fn h3_a_held_environment_refuses_standard_releases_for_every_environment_named_and_creates_nothing() {
    let app = spawn().await;
    app.env("production").await;
    app.env("staging").await;
    let item = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&item, "publish", Some(1))]).await;
    hold(&app, "production", ADMIN, "held").await;
    let (s, v) = app.deploy(&r, ADMIN, &["staging", "production"]).await;
    assert_problem(s, &v, 409, "environment_held");
    let (_, v) = app.get(&format!("/v1/releases/{r}/deployments"), ADMIN).await;
    assert_eq!(v["data"], json!([]), "nothing was created, not even for staging");

    // Manual writes are never held (H3).
    let (s, v) = app.publish("production", ADMIN, &item, 1).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(app.state("production", &item).await, Some(1));
}

#[actix_web::test]
async fn h3_a_due_deployment_of_a_held_environment_waits_held_and_runs_when_the_hold_is_lifted() {
    let app = spawn().await;
    app.env("production").await;
    let item = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&item, "publish", Some(1))]).await;
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let (s, v) = app
        .post(&format!("/v1/releases/{r}/deploy"), ADMIN, json!({"environments": ["production"], "scheduled_at": soon}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let id = v["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(v["data"][0]["held"], false);
    hold(&app, "production", ADMIN, "keep it").await;
    assert_eq!(app.deployment(&id).await["held"], true, "held as soon as the environment is, due or not");

    // Past its time the worker (polling every 20 ms) leaves it: it keeps its status, held.
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    let d = app.deployment(&id).await;
    assert_eq!((d["status"].as_str(), d["held"].as_bool()), (Some("scheduled"), Some(true)), "{d}");
    assert_eq!(app.state("production", &item).await, None);
    let (_, listed) = app.get("/v1/environments/production/deployments", ADMIN).await;
    assert_eq!(listed["data"][0]["held"], true, "lists say held too: {listed}");

    let (s, v) = lift(&app, "production", ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let released = v["data"]["released"].as_array().unwrap();
    assert_eq!(released.len(), 1, "{v}");
    assert_eq!((released[0]["id"].as_str(), released[0]["held"].as_bool()), (Some(id.as_str()), Some(false)));
    let d = app.finished(&id).await;
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(app.state("production", &item).await, Some(1));
}

#[actix_web::test]
async fn h3_rollbacks_are_never_held() {
    let app = spawn().await;
    app.env("production").await;
    let (item, r) = app.deployed_release(ADMIN, "production").await;
    let second = app.release(ADMIN, "R2", &[(&item, "unpublish", None)]).await;
    app.deploy_ok(&second, ADMIN, "production").await;
    hold(&app, "production", ADMIN, "held").await;

    // An environment rollback (E1) runs into a held environment.
    let (s, v) = app.rollback_environment("production", ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["data"]["deployment"]["held"], false);
    let d = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(app.state("production", &item).await, Some(1));

    // So does a rollback release's deployment.
    let rb = app.rollback_release_id(&r, ADMIN).await;
    let (s, v) = app.deploy(&rb, ADMIN, &["production"]).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["data"][0]["status"], "succeeded", "{v}");
}

#[actix_web::test]
async fn h2_an_environment_set_to_hold_after_rollback_is_held_by_its_rollback_and_a_request_decides_for_itself() {
    let app = spawn().await;
    app.env("production").await;
    let (_, editor) = app.editor("ed", &["production"]).await;
    assert_eq!(app.environment("production").await["hold_after_rollback"], false, "off by default");
    let (s, v) =
        app.req("PATCH", "/v1/environments/production", &editor, Some(json!({"hold_after_rollback": true}))).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) =
        app.req("PATCH", "/v1/environments/production", ADMIN, Some(json!({"hold_after_rollback": "yes"}))).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) =
        app.req("PATCH", "/v1/environments/production", ADMIN, Some(json!({"hold_after_rollback": true}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["hold_after_rollback"], true);

    let (item, _) = app.deployed_release(&editor, "production").await;
    let r2 = app.release(&editor, "R2", &[(&item, "unpublish", None)]).await;
    app.deploy_ok(&r2, &editor, "production").await;

    // "hold": false keeps this rollback from holding.
    let (s, v) = app.rollback_environment("production", &editor, json!({"hold": false})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let first = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert!(app.environment("production").await["hold"].is_null());

    // Left to the setting, the rollback holds the environment with its success.
    app.deploy_ok(&r2, &editor, "production").await;
    let (s, v) = app.rollback_environment("production", &editor, json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let rolled = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(rolled["status"], "succeeded", "{rolled}");
    let h = app.environment("production").await["hold"].clone();
    assert_eq!(h["cause"], "rollback", "{h}");
    assert_eq!(h["deployment_id"], rolled["id"]);
    assert_eq!(h["held_by"], rolled["deployed_by"]);
    let target = rolled["rolled_back_to_deployment_id"].as_str().unwrap();
    assert_eq!(h["reason"], format!("Rollback to {target}"));

    // A hold already there stays as it is.
    let (s, v) = app.rollback_environment("production", &editor, json!({"reason": "again"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(app.environment("production").await["hold"]["id"], h["id"]);
}

#[actix_web::test]
async fn h2_a_rollback_release_asked_to_hold_holds_an_environment_not_set_to() {
    let app = spawn().await;
    app.env("production").await;
    let (item, r) = app.deployed_release(ADMIN, "production").await;
    let rb = app.rollback_release_id(&r, ADMIN).await;
    let (s, v) = app
        .post(&format!("/v1/releases/{r}/deploy"), ADMIN, json!({"environments": ["production"], "hold": true}))
        .await;
    assert_problem(s, &v, 422, "rollback_option_not_applicable");
    let (s, v) = app
        .post(&format!("/v1/releases/{rb}/deploy"), ADMIN, json!({"environments": ["production"], "hold": true}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let d = app.finished(v["data"][0]["id"].as_str().unwrap()).await;
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(app.state("production", &item).await, None);
    let h = app.environment("production").await["hold"].clone();
    assert_eq!((h["cause"].as_str(), h["reason"].as_str()), (Some("rollback"), Some("Rollback of R")), "{h}");
}

#[actix_web::test]
async fn h4_a_freeze_window_holds_while_open_is_refused_when_malformed_and_removed_by_an_admin() {
    let app = spawn().await;
    app.env("production").await;
    let (_, editor) = app.editor("ed", &["production"]).await;
    let at = |minutes: i64| (chrono::Utc::now() + chrono::Duration::minutes(minutes)).to_rfc3339();
    let window = |from: String, until: String| json!({"starts_at": from, "ends_at": until, "reason": "launch week"});
    let path = "/v1/environments/production/freezes";
    for (from, until) in [(at(60), at(30)), (at(-120), at(-60)), (at(0), at(60 * 24 * 367))] {
        let (s, v) = app.post(path, ADMIN, window(from, until)).await;
        assert_problem(s, &v, 422, "invalid_window");
    }
    let (s, v) = app.post(path, &editor, window(at(-1), at(60))).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = app.post(path, ADMIN, json!({"starts_at": at(-1), "reason": "x"})).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (_, v) = app.get(path, ADMIN).await;
    assert_eq!(v["data"], json!([]), "nothing refused was written");

    let (s, later) = app.post(path, ADMIN, window(at(600), at(660))).await;
    assert_eq!(s, StatusCode::CREATED, "{later}");
    let (s, open) = app.post(path, ADMIN, window(at(-1), at(60))).await;
    assert_eq!(s, StatusCode::CREATED, "{open}");
    let (_, v) = app.get(path, ADMIN).await;
    let ids: Vec<&Value> = v["data"].as_array().unwrap().iter().map(|f| &f["id"]).collect();
    assert_eq!(ids, [&open["data"]["id"], &later["data"]["id"]], "soonest first");
    assert_eq!(app.environment("production").await["freeze"]["id"], open["data"]["id"]);

    let item = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&item, "publish", Some(1))]).await;
    let (s, v) = app.deploy(&r, ADMIN, &["production"]).await;
    assert_problem(s, &v, 409, "environment_frozen");

    let open_path = format!("{path}/{}", open["data"]["id"].as_str().unwrap());
    let (s, v) = app.req("DELETE", &open_path, &editor, None).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, _) = app.req("DELETE", &open_path, ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.req("DELETE", &open_path, ADMIN, None).await;
    assert_problem(s, &v, 404, "not_found");
    assert!(app.environment("production").await["freeze"].is_null());
    app.deploy_ok(&r, ADMIN, "production").await;
}

#[actix_web::test]
async fn h5_placing_and_lifting_a_hold_writes_one_message_per_subscribed_endpoint() {
    let app = spawn().await;
    app.env("production").await;
    let hook = json!({"url": "https://93.184.215.14/hold", "events": ["environment.held", "environment.released"]});
    let (s, v) = app.post("/v1/webhooks", ADMIN, hook).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let endpoint = v["data"]["id"].as_str().unwrap().to_string();
    let other = json!({"url": "https://93.184.215.14/deployments", "events": ["deployment.succeeded"]});
    let (_, v) = app.post("/v1/webhooks", ADMIN, other).await;
    let unsubscribed = v["data"]["id"].as_str().unwrap().to_string();

    hold(&app, "production", ADMIN, "held").await;
    lift(&app, "production", ADMIN).await;
    let (s, v) = app.get(&format!("/v1/webhooks/{endpoint}/deliveries"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let kinds: Vec<(&str, &Value)> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["event_type"].as_str().unwrap(), &d["deployment_id"]))
        .collect();
    assert_eq!(kinds, [("environment.released", &Value::Null), ("environment.held", &Value::Null)], "{v}");
    let (_, v) = app.get(&format!("/v1/webhooks/{unsubscribed}/deliveries"), ADMIN).await;
    assert_eq!(v["data"], json!([]));
}

#[actix_web::test]
async fn h1_h3_the_gauges_count_held_environments_and_the_deployments_they_keep_back() {
    let app = spawn().await;
    app.env("production").await;
    app.env("staging").await;
    let item = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&item, "publish", Some(1))]).await;
    let (s, v) = app.schedule_in_an_hour(&r, ADMIN, "production").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let stats = || {
        let mut conn = app.state.pool.get().unwrap();
        rewind::db::queue_stats::stats(&mut conn, rewind::db::now()).unwrap()
    };
    assert_eq!((stats().held_environments, stats().held_deployments), (0, 0));
    hold(&app, "production", ADMIN, "held").await;
    let at = |m: i64| (chrono::Utc::now() + chrono::Duration::minutes(m)).to_rfc3339();
    let window = json!({"starts_at": at(-1), "ends_at": at(60), "reason": "freeze"});
    let (s, v) = app.post("/v1/environments/staging/freezes", ADMIN, window).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!((stats().held_environments, stats().held_deployments), (2, 1));
    let (s, text) = app.get("/metrics", ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    let text = text.as_str().unwrap_or_default();
    assert!(text.lines().any(|l| l == "rewind_held_environments 2"), "{text}");
    assert!(text.lines().any(|l| l == "rewind_held_deployments 1"), "{text}");
    lift(&app, "production", ADMIN).await;
    assert_eq!((stats().held_environments, stats().held_deployments), (1, 0));
}

#[actix_web::test]
async fn h3_deployments_a_hold_kept_back_run_in_the_order_they_came_due() {
    let app = spawn().await;
    app.env("production").await;
    let item = app.item(2).await;
    let first = app.release(ADMIN, "R1", &[(&item, "publish", Some(1))]).await;
    let second = app.release(ADMIN, "R2", &[(&item, "publish", Some(2))]).await;
    let at = |ms: i64| (chrono::Utc::now() + chrono::Duration::milliseconds(ms)).to_rfc3339();
    let schedule = |release: String, when: String| {
        let app = &app;
        async move {
            let body = json!({"environments": ["production"], "scheduled_at": when});
            let (s, v) = app.post(&format!("/v1/releases/{release}/deploy"), ADMIN, body).await;
            assert_eq!(s, StatusCode::ACCEPTED, "{v}");
            v["data"][0]["id"].as_str().unwrap().to_string()
        }
    };
    // Created first but due last, and created last but due first.
    let late = schedule(first, at(2000)).await;
    let early = schedule(second, at(1200)).await;
    hold(&app, "production", ADMIN, "keep it").await;
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    let (s, v) = lift(&app, "production", ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let released: Vec<&str> =
        v["data"]["released"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(released, [early.as_str(), late.as_str()], "in the order they came due");
    let (a, b) = (app.finished(&early).await, app.finished(&late).await);
    assert!(a["started_at"].as_str() < b["started_at"].as_str(), "{a} {b}");
    assert_eq!(app.state("production", &item).await, Some(1), "the one due last ran last");
}

#[actix_web::test]
async fn h2_a_rollback_with_an_empty_reason_holds_with_the_default_reason() {
    let app = spawn().await;
    app.env("production").await;
    let (item, r) = app.deployed_release(ADMIN, "production").await;
    let second = app.release(ADMIN, "R2", &[(&item, "unpublish", None)]).await;
    app.deploy_ok(&second, ADMIN, "production").await;
    let (s, v) = app.rollback_environment("production", ADMIN, json!({"reason": "", "hold": true})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let d = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(d["status"], "succeeded", "{d}");
    let h = app.environment("production").await["hold"].clone();
    let target = d["rolled_back_to_deployment_id"].as_str().unwrap();
    assert_eq!(h["reason"], format!("Rollback to {target}"), "{h} ({r})");
}
