//! Approvals (A1–A3): with a rule, a release's deployment waits for its approvals, runs once it
//! has them, and never runs once rejected; rollbacks never wait.

mod common;

use std::time::{Duration, Instant};

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use common::{assert_problem, spawn, TestApp, ADMIN};
use serde_json::{json, Value};

/// `PUT /v1/environments/{env}/approval-rule`.
async fn rule<S>(app: &TestApp<S>, env: &str, token: &str, body: Value) -> (StatusCode, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    app.req("PUT", &format!("/v1/environments/{env}/approval-rule"), token, Some(body)).await
}

/// `POST /v1/deployments/{id}/approve`, with a comment when given.
async fn approve<S>(app: &TestApp<S>, id: &str, token: &str, comment: Option<&str>) -> (StatusCode, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let body = comment.map_or(json!({}), |c| json!({"comment": c}));
    app.post(&format!("/v1/deployments/{id}/approve"), token, body).await
}

/// `POST /v1/deployments/{id}/reject` with `comment`.
async fn reject<S>(app: &TestApp<S>, id: &str, token: &str, comment: &str) -> (StatusCode, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    app.post(&format!("/v1/deployments/{id}/reject"), token, json!({"comment": comment})).await
}

/// Deploys `release` to `env` as `token` without waiting; asserts it was accepted and answers
/// the deployment.
async fn deploy_now<S>(app: &TestApp<S>, release: &str, token: &str, env: &str) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let (s, v) = app.post(&format!("/v1/releases/{release}/deploy"), token, json!({"environments": [env]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    v["data"][0].clone()
}

fn id(d: &Value) -> String {
    d["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a1_an_admin_sets_and_removes_the_rule_and_other_rules_are_refused() {
    let app = spawn().await;
    app.env("production").await;
    let (_, editor) = app.editor("ed", &["production"]).await;
    assert!(app.environment("production").await["approval_rule"].is_null());

    let (s, v) = rule(&app, "production", &editor, json!({"required": 1})).await;
    assert_problem(s, &v, 403, "forbidden");
    for bad in [json!({"required": 0}), json!({"required": 6}), json!({}), json!({"required": 1, "extra": 1})] {
        let (s, v) = rule(&app, "production", ADMIN, bad.clone()).await;
        assert_problem(s, &v, 400, "invalid_request");
    }
    assert!(app.environment("production").await["approval_rule"].is_null(), "a refused rule wrote nothing");
    let (s, v) = rule(&app, "nowhere", ADMIN, json!({"required": 1})).await;
    assert_problem(s, &v, 404, "not_found");

    let (s, v) = rule(&app, "production", ADMIN, json!({"required": 2})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["approval_rule"], json!({"required": 2, "allow_self_approval": false}));
    assert_eq!(app.environment("production").await["approval_rule"]["required"], 2);

    let (s, _) = app.req("DELETE", "/v1/environments/production/approval-rule", &editor, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.req("DELETE", "/v1/environments/production/approval-rule", ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(app.environment("production").await["approval_rule"].is_null());
}

#[actix_web::test]
async fn a2_a_deployment_awaits_its_approvals_then_runs_and_the_refusals_come_in_order() {
    let app = spawn().await;
    app.env("production").await;
    let (deployer_id, deployer) = app.editor("dep", &["production"]).await;
    let (second_id, second) = app.editor("second", &["production"]).await;
    let (_, outsider) = app.editor("out", &[]).await;
    let (_, viewer) = app.user("vi", "viewer").await;
    rule(&app, "production", ADMIN, json!({"required": 2})).await;
    let item = app.item(1).await;
    let r = app.release(&deployer, "R", &[(&item, "publish", Some(1))]).await;

    // L6: a deployment awaiting approval is not waited for.
    let started = Instant::now();
    let (s, v) = app.deploy(&r, &deployer, &["production"]).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert!(started.elapsed() < Duration::from_secs(10), "Prefer: wait waited for an approval");
    let d = v["data"][0].clone();
    assert_eq!(d["status"], "awaiting_approval", "{d}");
    assert_eq!(d["approvals"], json!({"required": 2, "given": []}));
    assert!(d["rejection"].is_null());
    let d = id(&d);

    let (s, v) = approve(&app, &d, &viewer, None).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = approve(&app, &d, &outsider, None).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = approve(&app, &d, &deployer, None).await;
    assert_problem(s, &v, 403, "self_approval");
    let (s, v) = approve(&app, &d, &second, Some(&"x".repeat(501))).await;
    assert_problem(s, &v, 400, "invalid_request");

    let (s, v) = approve(&app, &d, &second, Some("looks right on staging")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["status"], "awaiting_approval");
    let given = &v["data"]["approvals"]["given"];
    assert_eq!(
        (given[0]["user_id"].as_str(), given[0]["comment"].as_str()),
        (Some(second_id.as_str()), Some("looks right on staging"))
    );
    let (s, v) = approve(&app, &d, &second, None).await;
    assert_problem(s, &v, 409, "already_approved");
    assert_eq!(app.state("production", &item).await, None, "nothing ran before the approvals were complete");

    let (s, v) = approve(&app, &d, ADMIN, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["approvals"]["given"].as_array().unwrap().len(), 2);
    assert!(matches!(v["data"]["status"].as_str(), Some("queued" | "in_progress" | "succeeded")), "{v}");
    let ended = app.finished(&d).await;
    assert_eq!(ended["status"], "succeeded", "{ended}");
    assert_eq!(ended["deployed_by"], deployer_id.as_str());
    assert_eq!(app.state("production", &item).await, Some(1));

    // Not awaiting comes first, even for the deployer who may not approve anyway.
    let (s, v) = approve(&app, &d, &deployer, None).await;
    assert_problem(s, &v, 409, "not_awaiting_approval");
    let (s, v) = approve(&app, &d, &second, None).await;
    assert_problem(s, &v, 409, "not_awaiting_approval");
}

#[actix_web::test]
async fn a2_the_rule_in_force_at_creation_counts_and_self_approval_only_where_allowed() {
    let app = spawn().await;
    app.env("production").await;
    let item = app.item(2).await;
    rule(&app, "production", ADMIN, json!({"required": 2})).await;
    let r1 = app.release(ADMIN, "R1", &[(&item, "publish", Some(1))]).await;
    let first = id(&deploy_now(&app, &r1, ADMIN, "production").await);

    // Changed and then removed: the first keeps needing two; a new one needs none.
    rule(&app, "production", ADMIN, json!({"required": 1, "allow_self_approval": true})).await;
    let r2 = app.release(ADMIN, "R2", &[(&item, "publish", Some(2))]).await;
    let second = deploy_now(&app, &r2, ADMIN, "production").await;
    assert_eq!(second["approvals"], json!({"required": 1, "given": []}));
    let (s, v) = approve(&app, &id(&second), ADMIN, None).await;
    assert_eq!(s, StatusCode::OK, "self approval where the rule allows it: {v}");
    assert_eq!(app.finished(&id(&second)).await["status"], "succeeded");

    app.req("DELETE", "/v1/environments/production/approval-rule", ADMIN, None).await;
    let d = app.deployment(&first).await;
    assert_eq!((d["status"].as_str(), &d["approvals"]["required"]), (Some("awaiting_approval"), &json!(2)));
    let (s, v) = approve(&app, &first, ADMIN, None).await;
    assert_problem(s, &v, 403, "self_approval");
    let third = app.deploy_ok(&r1, ADMIN, "production").await;
    assert!(third["approvals"].is_null(), "{third}");
}

#[actix_web::test]
async fn a2_a_rejected_or_cancelled_deployment_ends_cancelled_and_never_runs() {
    let app = spawn().await;
    app.env("production").await;
    let (deployer_id, deployer) = app.editor("dep", &["production"]).await;
    let (_, viewer) = app.user("vi", "viewer").await;
    rule(&app, "production", ADMIN, json!({"required": 1})).await;
    let item = app.item(1).await;
    let r = app.release(&deployer, "R", &[(&item, "publish", Some(1))]).await;
    let d = id(&deploy_now(&app, &r, &deployer, "production").await);

    let (s, v) = reject(&app, &d, &viewer, "no").await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = reject(&app, &d, &deployer, "").await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.post(&format!("/v1/deployments/{d}/reject"), &deployer, json!({})).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = reject(&app, &d, &deployer, "wrong release").await;
    assert_eq!(s, StatusCode::OK, "its deployer may reject: {v}");
    let rejected = &v["data"];
    assert_eq!(rejected["status"], "cancelled");
    assert!(rejected["finished_at"].is_string());
    assert_eq!(
        (rejected["rejection"]["user_id"].as_str(), rejected["rejection"]["comment"].as_str()),
        (Some(deployer_id.as_str()), Some("wrong release"))
    );
    let (s, v) = reject(&app, &d, ADMIN, "again").await;
    assert_problem(s, &v, 409, "not_awaiting_approval");
    let (s, v) = approve(&app, &d, ADMIN, None).await;
    assert_problem(s, &v, 409, "not_awaiting_approval");

    // L7's cancel takes a deployment awaiting approval too.
    let other = id(&deploy_now(&app, &r, &deployer, "production").await);
    let (s, v) = app.post(&format!("/v1/deployments/{other}/cancel"), &deployer, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["status"], "cancelled");
    assert!(v["data"]["rejection"].is_null());
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.state("production", &item).await, None, "neither ran");
    assert_eq!(app.event_count("production").await, 0);
}

#[actix_web::test]
async fn a2_an_approval_racing_a_reject_or_a_cancel_exactly_one_wins() {
    let app = spawn().await;
    app.env("production").await;
    rule(&app, "production", ADMIN, json!({"required": 1, "allow_self_approval": true})).await;
    let item = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&item, "publish", Some(1))]).await;
    for _ in 0..3 {
        let d = id(&deploy_now(&app, &r, ADMIN, "production").await);
        let (a, b) = futures_util::join!(approve(&app, &d, ADMIN, None), reject(&app, &d, ADMIN, "no"));
        let mut statuses = [a.0.as_u16(), b.0.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
        let ended = app.finished(&d).await;
        let approved = a.0 == StatusCode::OK;
        assert_eq!(ended["status"], if approved { "succeeded" } else { "cancelled" }, "{ended}");
        assert_eq!(ended["rejection"].is_null(), approved, "{ended}");
    }
    // A cancel beside an approval: it never both ran and was cancelled.
    let d = id(&deploy_now(&app, &r, ADMIN, "production").await);
    let before = app.event_count("production").await;
    let cancel_path = format!("/v1/deployments/{d}/cancel");
    let cancel = app.post(&cancel_path, ADMIN, json!({}));
    let (a, c) = futures_util::join!(approve(&app, &d, ADMIN, None), cancel);
    let ended = app.finished(&d).await;
    let ran = app.event_count("production").await > before;
    match ended["status"].as_str() {
        Some("cancelled") => assert!(c.0 == StatusCode::OK && !ran, "{a:?} {c:?} {ended}"),
        Some("succeeded") => assert!(a.0 == StatusCode::OK && c.0 == StatusCode::CONFLICT, "{a:?} {c:?}"),
        other => panic!("ended {other:?}"),
    }
}

#[actix_web::test]
async fn a2_an_approved_scheduled_deployment_waits_for_its_time_and_an_approved_one_waits_for_a_hold() {
    let app = spawn().await;
    app.env("production").await;
    rule(&app, "production", ADMIN, json!({"required": 1, "allow_self_approval": true})).await;
    let item = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&item, "publish", Some(1))]).await;
    let (s, v) = app.schedule_in_an_hour(&r, ADMIN, "production").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let scheduled = id(&v["data"][0]);
    assert_eq!(v["data"][0]["status"], "awaiting_approval");
    let (_, v) = approve(&app, &scheduled, ADMIN, None).await;
    assert_eq!(v["data"]["status"], "scheduled", "{v}");

    // H3: approved while the environment is held, it is queued, held, and runs once lifted.
    let d = id(&deploy_now(&app, &r, ADMIN, "production").await);
    let (s, v) = app.post("/v1/environments/production/hold", ADMIN, json!({"reason": "incident"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, v) = approve(&app, &d, ADMIN, None).await;
    assert_eq!((v["data"]["status"].as_str(), v["data"]["held"].as_bool()), (Some("queued"), Some(true)), "{v}");
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.deployment(&d).await["status"], "queued");
    let (s, v) = app.req("DELETE", "/v1/environments/production/hold", ADMIN, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(app.finished(&d).await["status"], "succeeded");
}

#[actix_web::test]
async fn a3_rollbacks_never_wait_for_approval() {
    let app = spawn().await;
    app.env("production").await;
    let (item, release) = app.deployed_release(ADMIN, "production").await;
    rule(&app, "production", ADMIN, json!({"required": 2})).await;
    let rollback = app.rollback_release_id(&release, ADMIN).await;
    let d = app.deploy_ok(&rollback, ADMIN, "production").await;
    assert!(d["approvals"].is_null(), "{d}");
    assert_eq!(app.state("production", &item).await, None);

    let (s, v) = app.rollback_environment("production", ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let d = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(d["status"], "succeeded", "{d}");
    assert!(d["approvals"].is_null());
}

#[actix_web::test]
async fn a3_awaiting_approval_is_listed_streamed_and_announced() {
    let app = spawn().await;
    app.env("production").await;
    app.env("staging").await;
    let hook = json!({"url": "https://93.184.215.14/approvals", "events": ["deployment.awaiting_approval"]});
    let (s, v) = app.post("/v1/webhooks", ADMIN, hook).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let endpoint = v["data"]["id"].as_str().unwrap().to_string();
    rule(&app, "production", ADMIN, json!({"required": 1, "allow_self_approval": true})).await;
    let item = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&item, "publish", Some(1))]).await;
    let (s, v) =
        app.post(&format!("/v1/releases/{r}/deploy"), ADMIN, json!({"environments": ["staging", "production"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let by_env = |env: &str| v["data"].as_array().unwrap().iter().find(|d| d["environment"] == env).cloned().unwrap();
    let (waiting, staging) = (by_env("production"), by_env("staging"));
    assert_eq!(waiting["status"], "awaiting_approval");
    assert!(staging["approvals"].is_null(), "only the environment with a rule waits: {staging}");
    let waiting = id(&waiting);

    let (s, v) = app.get("/v1/deployments?status=awaiting_approval", ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let listed: Vec<&str> = v["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(listed, [waiting.as_str()]);

    let (_, v) = app.get(&format!("/v1/webhooks/{endpoint}/deliveries"), ADMIN).await;
    let kinds: Vec<(&str, &str)> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["event_type"].as_str().unwrap(), d["deployment_id"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("deployment.awaiting_approval", waiting.as_str())], "{v}");

    // S1: the stream of a deployment awaiting approval carries its changes to its end.
    let (s, reader) = app.stream(&format!("/v1/deployments/{waiting}/stream"), ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    let mut reader = reader.unwrap();
    let first = reader.next(Duration::from_secs(10)).await.expect("the deployment as it stands");
    assert_eq!(first.data["status"], "awaiting_approval");
    approve(&app, &waiting, ADMIN, None).await;
    let statuses: Vec<String> = reader
        .events_to_end(Duration::from_secs(60))
        .await
        .iter()
        .map(|e| e.data["status"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(statuses.last().map(String::as_str), Some("succeeded"), "{statuses:?}");
    let request = TestRequest::get()
        .uri("/v1/deployments?status=awaiting")
        .insert_header(("authorization", format!("Bearer {ADMIN}")));
    let (s, _, v) = app.call(request).await;
    assert_problem(s, &v, 400, "invalid_request");
}
