//! U2 over HTTP: the console's forms that the browser walk does not click do what they say,
//! checked through the API: deploying at a time (Q1 on the overview) and cancelling it, grants,
//! tokens made and revoked (T1), webhooks registered and a failed delivery retried (W1, W4).
//! On both backends.

mod common;
mod signed_in;

use std::time::Duration;

use actix_web::http::StatusCode;
use common::{spawn, spawn_delivering, ADMIN};
use rewind::settings::{Settings, WebhookSettings};
use serde_json::Value;
use signed_in::{get, sign_in, submit};

/// The text of `<pre id="{id}">…</pre>`: what a page shows only once (a token, a secret).
fn shown_once(body: &str, id: &str) -> Option<String> {
    let open = format!("<pre id=\"{id}\">");
    let at = body.find(&open)? + open.len();
    Some(body[at..].split("</pre>").next()?.to_string())
}

#[actix_web::test]
async fn u2_q1_a_release_deployed_at_a_time_from_the_console_is_on_the_schedule_until_cancelled() {
    let app = spawn().await;
    app.env("prod").await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "later", &[(&item, "publish", Some(1))]).await;
    let b = sign_in(&app, ADMIN).await;

    let deploy = format!("/console/releases/{release}/deploy");
    let a = submit(&app, &deploy, &b, &[("environments", "prod"), ("scheduled_at", "next tuesday")]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(a.body.contains("must be a time like 2026-12-24T18:00 (UTC)"), "the field's message: {}", a.body);
    let (_, none) = app.get(&format!("/v1/releases/{release}/deployments"), ADMIN).await;
    assert_eq!(none["data"].as_array().unwrap().len(), 0, "a refused form writes nothing");

    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).format("%Y-%m-%dT%H:%M").to_string();
    let a = submit(&app, &deploy, &b, &[("environments", "prod"), ("scheduled_at", &at)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id = a.location().rsplit('/').next().unwrap().to_string();
    let (_, d) = app.get(&format!("/v1/deployments/{id}"), ADMIN).await;
    assert_eq!(d["data"]["status"], "scheduled", "{d}");
    assert!(d["data"]["scheduled_at"].as_str().unwrap().starts_with(&at), "read as UTC: {d}");
    let (_, schedule) = app.get("/v1/deployments?status=scheduled", ADMIN).await;
    assert_eq!(schedule["data"][0]["id"], id.as_str(), "Q1 lists it: {schedule}");
    let overview = get(&app, "/console/", Some(&b)).await;
    assert!(overview.body.contains(&format!("<td><a href=\"/console/deployments/{id}\">")), "{}", overview.body);

    let a = submit(&app, &format!("/console/deployments/{id}/cancel"), &b, &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let (_, d) = app.get(&format!("/v1/deployments/{id}"), ADMIN).await;
    assert_eq!(d["data"]["status"], "cancelled", "{d}");
    assert!(get(&app, "/console/", Some(&b)).await.body.contains("None scheduled."));
    assert_eq!(app.state("prod", &item).await, None, "nothing was published");
}

#[actix_web::test]
async fn u2_t1_an_admin_grants_publishing_and_makes_and_revokes_a_token_from_the_console() {
    let app = spawn().await;
    app.env("prod").await;
    let item = app.item(2).await;
    let (ed, ed_token) = app.user("ed", "editor").await;
    assert_eq!(app.publish("prod", &ed_token, &item, 1).await.0, StatusCode::FORBIDDEN, "no grant yet");
    let b = sign_in(&app, ADMIN).await;

    let grants = format!("/console/users/{ed}/grants");
    let a = submit(&app, &grants, &b, &[("environment", "prod"), ("grant", "grant")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(app.publish("prod", &ed_token, &item, 1).await.0, StatusCode::OK, "granted");
    let a = submit(&app, &grants, &b, &[("environment", "prod"), ("grant", "revoke")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(app.publish("prod", &ed_token, &item, 2).await.0, StatusCode::FORBIDDEN, "revoked");
    let a = submit(&app, &grants, &b, &[("environment", "nowhere"), ("grant", "grant")]).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);

    let a = submit(&app, &format!("/console/users/{ed}/tokens"), &b, &[("label", "ci"), ("expires_in_days", "")]).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let token = shown_once(&a.body, "new-token").expect("the new token, shown once");
    let (s, me) = app.get("/v1/me", &token).await;
    assert_eq!((s, &me["data"]["id"]), (StatusCode::OK, &Value::from(ed.as_str())), "{me}");
    let page = get(&app, &format!("/console/users/{ed}"), Some(&b)).await;
    assert!(!page.body.contains(&token), "a token is shown only in the answer that made it");

    let (_, list) = app.get(&format!("/v1/users/{ed}/tokens"), ADMIN).await;
    let made = list["data"].as_array().unwrap().iter().find(|t| t["label"] == "ci").expect("listed").clone();
    let a =
        submit(&app, &format!("/console/users/{ed}/tokens/revoke"), &b, &[("token_id", made["id"].as_str().unwrap())])
            .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(app.get("/v1/me", &token).await.0, StatusCode::UNAUTHORIZED, "revoked at once");
    assert_eq!(app.get("/v1/me", &ed_token).await.0, StatusCode::OK, "the user's other token still works");
}

#[actix_web::test]
async fn u2_w4_an_admin_registers_a_webhook_and_retries_a_failed_delivery_from_the_console() {
    // No retries and a closed port: the one delivery fails at once, and can be retried.
    let app = spawn_delivering(Settings {
        webhooks: WebhookSettings { allow_private: true, timeout: Duration::from_millis(500), retry_schedule: vec![] },
        ..Settings::default()
    })
    .await;
    app.env("prod").await;
    let b = sign_in(&app, ADMIN).await;

    let form = [("url", "http://127.0.0.1:1/hook"), ("events", "deployment.succeeded"), ("environments", "prod")];
    let a = submit(&app, "/console/webhooks", &b, &form).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let secret = shown_once(&a.body, "new-secret").expect("the secret, shown once");
    let (_, hooks) = app.get("/v1/webhooks", ADMIN).await;
    let hook = hooks["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(hooks["data"][0]["url"], "http://127.0.0.1:1/hook", "{hooks}");
    assert_eq!(hooks["data"][0]["events"], serde_json::json!(["deployment.succeeded"]));
    assert!(!get(&app, "/console/webhooks", Some(&b)).await.body.contains(&secret), "shown only once");
    let a = submit(&app, "/console/webhooks", &b, &[("url", "ftp://example.com/"), ("events", "deployment.succeeded")])
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "W1 refuses it: {}", a.body);
    assert!(a.body.contains("must be an http or https URL"), "the rule's message: {}", a.body);
    assert_eq!(app.get("/v1/webhooks", ADMIN).await.1["data"].as_array().unwrap().len(), 1, "nothing written");

    let item = app.item(1).await;
    let release = app.release(ADMIN, "hooked", &[(&item, "publish", Some(1))]).await;
    app.deploy_ok(&release, ADMIN, "prod").await;
    let deliveries = format!("/v1/webhooks/{hook}/deliveries");
    let mut failed = Value::Null;
    let deadline = std::time::Instant::now() + common::SETTLE_WITHIN;
    while std::time::Instant::now() < deadline {
        let (_, list) = app.get(&deliveries, ADMIN).await;
        if list["data"][0]["status"] == "failed" {
            failed = list["data"][0].clone();
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(failed["attempts"], 1, "one attempt, no retry: {failed}");
    let delivery = failed["id"].as_str().unwrap();
    let page = get(&app, &format!("/console/webhooks/{hook}"), Some(&b)).await;
    assert!(page.body.contains(&format!("/deliveries/{delivery}/retry")), "a retry button: {}", page.body);

    let retry = format!("/console/webhooks/{hook}/deliveries/{delivery}/retry");
    let a = submit(&app, &retry, &b, &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let mut attempts = Value::Null;
    let deadline = std::time::Instant::now() + common::SETTLE_WITHIN;
    while std::time::Instant::now() < deadline {
        let (_, list) = app.get(&deliveries, ADMIN).await;
        if list["data"][0]["attempts"] == 2 && list["data"][0]["status"] == "failed" {
            attempts = list["data"][0]["attempts"].clone();
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(attempts, 2, "the retry made one more attempt");
}
