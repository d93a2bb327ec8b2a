//! L9: a deployment runs with its deployer's rights as they are when it starts.

mod common;

use actix_web::http::StatusCode;
use common::{spawn, ADMIN};
use serde_json::{json, Value};

/// Schedules `release` to production by `token`, a second from now; answers the deployment id.
async fn schedule_soon<S>(app: &common::TestApp<S>, release: &str, token: &str) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
    >,
{
    let at = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let (s, v) = app
        .post(
            &format!("/v1/releases/{release}/deploy"),
            token,
            json!({"environments": ["production"], "scheduled_at": at}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    v["data"][0]["id"].as_str().unwrap().to_string()
}

fn assert_forbidden(d: &Value) {
    assert_eq!(d["status"], "failed", "{d}");
    assert!(d["error"].as_str().unwrap().starts_with("forbidden:"), "{d}");
    assert_eq!(d["counts"], json!({"published": 0, "unpublished": 0, "skipped": 0}), "{d}");
}

#[actix_web::test]
async fn l9_a_scheduled_deployment_of_a_deactivated_deployer_fails_forbidden() {
    let app = spawn().await;
    app.env("production").await;
    let (editor_id, editor) = app.editor("edna", &["production"]).await;
    let item = app.item(1).await;
    let release = app.release(&editor, "R", &[(&item, "publish", Some(1))]).await;
    let id = schedule_soon(&app, &release, &editor).await;
    let (s, v) = app.req("DELETE", &format!("/v1/users/{editor_id}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_forbidden(&app.finished(&id).await);
    assert_eq!(app.state("production", &item).await, None);
    assert_eq!(app.event_count("production").await, 0);
}

#[actix_web::test]
async fn l9_a_scheduled_deployment_whose_grant_was_revoked_fails_forbidden_and_says_so_by_webhook() {
    let settings = rewind::settings::Settings {
        webhooks: rewind::settings::WebhookSettings { allow_private: true, ..Default::default() },
        ..Default::default()
    };
    let app = common::spawn_with(settings).await;
    app.env("production").await;
    let (s, hook) = app
        .post("/v1/webhooks", ADMIN, json!({"url": "http://127.0.0.1:9/hook", "events": ["deployment.failed"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let hook = hook["data"]["id"].as_str().unwrap().to_string();
    let (editor_id, editor) = app.editor("edgar", &["production"]).await;
    let item = app.item(1).await;
    let release = app.release(&editor, "R", &[(&item, "publish", Some(1))]).await;
    let id = schedule_soon(&app, &release, &editor).await;
    let (s, v) = app.req("DELETE", &format!("/v1/users/{editor_id}/grants/production"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    assert_forbidden(&app.finished(&id).await);
    assert_eq!(app.state("production", &item).await, None);
    let (_, deliveries) = app.get(&format!("/v1/webhooks/{hook}/deliveries"), ADMIN).await;
    let deliveries = deliveries["data"].as_array().unwrap();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(deliveries[0]["event_type"], "deployment.failed");
    assert_eq!(deliveries[0]["deployment_id"], id.as_str());
    // An admin's scheduled deployment needs no grant.
    let id = schedule_soon(&app, &release, ADMIN).await;
    assert_eq!(app.finished(&id).await["status"], "succeeded");
}
