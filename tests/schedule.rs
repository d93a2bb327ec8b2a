//! Q1: one list of deployments across environments, with its filters and orders.

mod common;

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use common::{assert_problem, spawn, ADMIN};
use serde_json::{json, Value};

fn ids(v: &Value) -> Vec<String> {
    v["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect()
}

fn at(d: &Value) -> DateTime<Utc> {
    d.as_str().unwrap().parse().unwrap()
}

#[actix_web::test]
async fn q1_scheduled_deployments_page_soonest_first_across_1000_of_them_and_environments() {
    let app = spawn().await;
    app.env("prod").await;
    app.env("staging").await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    let base = (Utc::now() + Duration::days(1)).trunc_subsecs(0);
    for n in 0..1000i64 {
        // Created in an order unlike their times; some share a time.
        let when = base + Duration::minutes((n * 7919) % 600);
        let env = if n % 3 == 0 { "staging" } else { "prod" };
        let (s, v) = app
            .post(
                &format!("/v1/releases/{release}/deploy"),
                ADMIN,
                json!({"environments": [env], "scheduled_at": when.to_rfc3339()}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    }
    let times = app.walk_pages("/v1/deployments?status=scheduled", 97, "scheduled_at").await;
    assert_eq!(times.len(), 1000);
    let times: Vec<DateTime<Utc>> = times.iter().map(at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "not soonest first");
    let all = app.walk_pages("/v1/deployments?status=scheduled", 97, "id").await;
    let mut unique = all.clone();
    unique.sort_by_key(|v| v.to_string());
    unique.dedup();
    assert_eq!(unique.len(), 1000, "a deployment listed twice across pages");

    // In one environment, and within a window.
    let staging = app.walk_pages("/v1/deployments?status=scheduled&environment=staging", 50, "environment").await;
    assert_eq!(staging.len(), 334);
    assert!(staging.iter().all(|e| e == "staging"));
    let (from, to) = (base + Duration::minutes(100), base + Duration::minutes(200));
    let window = format!(
        "/v1/deployments?status=scheduled&scheduled_after={}&scheduled_before={}",
        urlencode(&from.to_rfc3339()),
        urlencode(&to.to_rfc3339())
    );
    let inside: Vec<DateTime<Utc>> = app.walk_pages(&window, 40, "scheduled_at").await.iter().map(at).collect();
    let expected = times.iter().filter(|t| **t >= from && **t < to).count();
    assert_eq!(inside.len(), expected);
    assert!(inside.iter().all(|t| *t >= from && *t < to));
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[actix_web::test]
async fn q1_other_statuses_list_newest_first_with_every_filter() {
    let app = spawn().await;
    app.env("prod").await;
    app.env("staging").await;
    let (_, owner) = app.editor("olga", &["prod"]).await;
    let (_, other) = app.editor("otto", &["prod"]).await;
    let item = app.item(2).await;
    let release = app.release(&owner, "r", &[(&item, "publish", Some(2))]).await;
    let first = app.deploy_ok(&release, &owner, "prod").await;
    let (s, rb) = app.rollback_release(&release, &owner).await;
    assert_eq!(s, StatusCode::CREATED);
    let rb = rb["data"]["id"].as_str().unwrap().to_string();
    let rolled = app.deploy_ok(&rb, &owner, "prod").await;
    let other_release = app.release(ADMIN, "s", &[(&item, "publish", Some(1))]).await;
    let staged = app.deploy_ok(&other_release, ADMIN, "staging").await;
    let (s, v) = app.schedule_in_an_hour(&other_release, ADMIN, "prod").await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let scheduled = v["data"][0].clone();
    let (s, envrb) = app.rollback_environment("prod", ADMIN, json!({"target_deployment_id": first["id"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{envrb}");
    let envrb = app.finished(envrb["data"]["deployment"]["id"].as_str().unwrap()).await;
    let id = |d: &Value| d["id"].as_str().unwrap().to_string();

    // Everything, newest first; another editor sees the rollback release's deployment too (B5).
    let (s, all) = app.get("/v1/deployments", &other).await;
    assert_eq!(s, StatusCode::OK, "{all}");
    assert_eq!(ids(&all), [id(&envrb), id(&scheduled), id(&staged), id(&rolled), id(&first)]);
    let (_, v) = app.get("/v1/deployments?status=succeeded", ADMIN).await;
    assert_eq!(ids(&v), [id(&envrb), id(&staged), id(&rolled), id(&first)]);
    // Scheduled and another status: newest first.
    let (_, v) = app.get("/v1/deployments?status=scheduled&status=succeeded&environment=prod", ADMIN).await;
    assert_eq!(ids(&v), [id(&envrb), id(&scheduled), id(&rolled), id(&first)]);
    let (_, v) = app.get("/v1/deployments?environment=staging", ADMIN).await;
    assert_eq!(ids(&v), [id(&staged)]);
    let (_, v) = app.get(&format!("/v1/deployments?release_id={rb}"), &other).await;
    assert_eq!(ids(&v), [id(&rolled)]);
    let (_, v) = app.get("/v1/deployments?trigger=rollback", ADMIN).await;
    assert_eq!(ids(&v), [id(&envrb)]);
    let (_, v) = app.get("/v1/deployments?trigger=scheduled", ADMIN).await;
    assert_eq!(ids(&v), [id(&scheduled)]);
    // Paged one at a time, the same order.
    let walked = app.walk_pages("/v1/deployments?status=succeeded", 1, "id").await;
    assert_eq!(
        walked.iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>(),
        ids(&app.get("/v1/deployments?status=succeeded", ADMIN).await.1)
    );
}

#[actix_web::test]
async fn q1_bad_filters_and_cursors_are_400_and_an_unknown_environment_404() {
    let app = spawn().await;
    for bad in [
        "status=done",
        "trigger=cron",
        "scheduled_before=tomorrow",
        "limit=0",
        "release_id=nope",
        "cursor=nope",
        "cursor=12_0193a0b0-0000-7000-8000-000000000000",
        "colour=blue",
        "scheduled_before=",
        "trigger=",
        "status=",
    ] {
        let (s, v) = app.get(&format!("/v1/deployments?{bad}"), ADMIN).await;
        assert_problem(s, &v, 400, "invalid_request");
    }
    let (s, v) = app.get("/v1/deployments?environment=nowhere", ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    // Soonest first, a page goes on after the cursor's deployment, which must exist.
    let (s, v) = app.get("/v1/deployments?status=scheduled&cursor=0193a0b0-0000-7000-8000-000000000000", ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    // Nor one that was never scheduled.
    app.env("prod").await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    let now = app.deploy_ok(&release, ADMIN, "prod").await;
    let (s, v) =
        app.get(&format!("/v1/deployments?status=scheduled&cursor={}", now["id"].as_str().unwrap()), ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    // A bound past year 9999 counts as the last storable time, on both backends.
    let (s, v) = app.schedule_in_an_hour(&release, ADMIN, "prod").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let soon = v["data"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = app.get("/v1/deployments?status=scheduled&scheduled_before=9999-12-31T23:30:00-01:00", ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(ids(&v), [soon]);
    let (_, v) = app.get("/v1/deployments?status=scheduled&scheduled_after=9999-12-31T23:30:00-01:00", ADMIN).await;
    assert!(ids(&v).is_empty(), "{v}");
    let (s, v) = app.get("/v1/deployments", "nobody").await;
    assert_problem(s, &v, 401, "unauthorized");
}
