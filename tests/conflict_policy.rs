//! The conflict policy of rollbacks (C1): `on_conflict: fail` refuses a rollback release's or an
//! environment rollback's deployment when keys changed after the deployment it undoes.

mod common;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use common::{assert_problem, outcomes, spawn, spawn_with, TestApp, ADMIN};
use rewind::settings::Settings;
use serde_json::{json, Value};

/// Deploys the rollback release to `production` with `on_conflict: fail`; answers the finished deployment.
async fn deploy_with_fail<S>(app: &TestApp<S>, rollback_release: &str) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let body = json!({"environments": ["production"], "on_conflict": "fail"});
    let (s, v) = app.post(&format!("/v1/releases/{rollback_release}/deploy"), ADMIN, body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    app.finished(v["data"][0]["id"].as_str().unwrap()).await
}

/// With the default page and with pages of one key (the conflict on the second page): C1
/// decides on the whole plan before any page is written.
fn page_sizes() -> [Settings; 2] {
    [Settings::default(), Settings { deploy_page: 1, ..Settings::default() }]
}

#[actix_web::test]
async fn c1_fail_with_a_key_changed_after_deployment_writes_nothing_and_lists_the_conflict() {
    for settings in page_sizes() {
        let app = spawn_with(settings).await;
        app.env("production").await;
        let (a, b) = (app.item(2).await, app.item(2).await);
        app.publish("production", ADMIN, &a, 1).await;
        app.publish("production", ADMIN, &b, 1).await;
        let r = app.release(ADMIN, "R", &[(&a, "publish", Some(2)), (&b, "publish", Some(2))]).await;
        app.deploy_ok(&r, ADMIN, "production").await;
        app.publish("production", ADMIN, &b, 1).await; // by hand, after the deployment
        let rb = app.rollback_release_id(&r, ADMIN).await;

        // The preview answers the same plan under either policy.
        let (s, skip) = app.get(&format!("/v1/releases/{rb}/preview?environment=production"), ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{skip}");
        let (s, fail) =
            app.get(&format!("/v1/releases/{rb}/preview?environment=production&on_conflict=fail"), ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{fail}");
        assert_eq!(skip, fail);

        let events_before = app.event_count("production").await;
        let d = deploy_with_fail(&app, &rb).await;
        assert_eq!(d["status"], "failed", "{d}");
        assert!(d["error"].as_str().unwrap().starts_with("rollback_conflict: 1 "), "{d}");
        assert_eq!(d["counts"], json!({"published": 0, "unpublished": 0, "skipped": 0}));
        // Nothing was written: a is still at 2 although the plan would have put 1 back.
        assert_eq!(app.state("production", &a).await, Some(2));
        assert_eq!(app.state("production", &b).await, Some(1));
        assert_eq!(app.event_count("production").await, events_before);
        // The items are the plan, and the skipped ones are exactly the conflicts.
        let id = d["id"].as_str().unwrap();
        let items = app.deployment_items(id).await;
        assert_eq!(outcomes(&items), outcomes(fail["data"].as_array().unwrap()));
        assert!(items.iter().all(|i| i["event_id"].is_null()), "{items:?}");
        let (s, skipped) = app.get(&format!("/v1/deployments/{id}/items?outcome=skipped"), ADMIN).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            outcomes(skipped["data"].as_array().unwrap()),
            vec![(b.clone(), "skipped".to_string(), Some("changed_after_deployment".to_string()))]
        );
    }
}

#[actix_web::test]
async fn c1_fail_without_a_conflict_deploys_as_skip_would() {
    for settings in page_sizes() {
        let app = spawn_with(settings).await;
        app.env("production").await;
        let (a, b) = (app.item(2).await, app.item(1).await);
        app.publish("production", ADMIN, &a, 1).await;
        let r = app.release(ADMIN, "R", &[(&a, "publish", Some(2)), (&b, "publish", Some(1))]).await;
        app.deploy_ok(&r, ADMIN, "production").await;
        let rb = app.rollback_release_id(&r, ADMIN).await;
        let d = deploy_with_fail(&app, &rb).await;
        assert_eq!(d["status"], "succeeded", "{d}");
        assert_eq!(d["counts"], json!({"published": 1, "unpublished": 1, "skipped": 0}));
        assert_eq!(app.state("production", &a).await, Some(1));
        assert_eq!(app.state("production", &b).await, None);
    }
}

#[actix_web::test]
async fn c1_environment_rollback_with_fail_refuses_a_key_changed_by_hand() {
    let app = spawn().await;
    app.env("production").await;
    let (a, b) = (app.item(2).await, app.item(2).await);
    let r1 = app.release(ADMIN, "R1", &[(&a, "publish", Some(1)), (&b, "publish", Some(1))]).await;
    app.deploy_ok(&r1, ADMIN, "production").await;
    let r2 = app.release(ADMIN, "R2", &[(&a, "publish", Some(2)), (&b, "publish", Some(2))]).await;
    app.deploy_ok(&r2, ADMIN, "production").await;
    app.publish("production", ADMIN, &b, 1).await; // by hand, after R2
    let events_before = app.event_count("production").await;
    let (s, v) = app.rollback_environment("production", ADMIN, json!({"on_conflict": "fail"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let d = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(d["status"], "failed", "{d}");
    assert!(d["error"].as_str().unwrap().starts_with("rollback_conflict: 1 "), "{d}");
    assert_eq!(app.state("production", &a).await, Some(2));
    assert_eq!(app.event_count("production").await, events_before);
    // The default policy skips the conflict and rolls the rest back.
    let (s, v) = app.rollback_environment("production", ADMIN, json!({"on_conflict": "skip"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let d = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(app.state("production", &a).await, Some(1));
    assert_eq!(app.state("production", &b).await, Some(1));
}

#[actix_web::test]
async fn c1_on_conflict_on_a_standard_release_is_422_and_an_unknown_value_400() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(1))]).await;
    let deploy = format!("/v1/releases/{r}/deploy");
    let (s, v) = app.post(&deploy, ADMIN, json!({"environments": ["production"], "on_conflict": "skip"})).await;
    assert_problem(s, &v, 422, "on_conflict_not_applicable");
    let (s, v) = app.get(&format!("/v1/releases/{r}/preview?environment=production&on_conflict=fail"), ADMIN).await;
    assert_problem(s, &v, 422, "on_conflict_not_applicable");
    let (_, list) = app.get(&format!("/v1/releases/{r}/deployments"), ADMIN).await;
    assert_eq!(list["data"], json!([]), "nothing was created");

    app.deploy_ok(&r, ADMIN, "production").await;
    let rb = app.rollback_release_id(&r, ADMIN).await;
    let (s, v) = app
        .post(
            &format!("/v1/releases/{rb}/deploy"),
            ADMIN,
            json!({"environments": ["production"], "on_conflict": "maybe"}),
        )
        .await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.get(&format!("/v1/releases/{rb}/preview?environment=production&on_conflict=maybe"), ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.rollback_environment("production", ADMIN, json!({"on_conflict": "maybe"})).await;
    assert_problem(s, &v, 400, "invalid_request");
}
