//! Partial rollback (B10) and what a rollback release has rolled back already (B11).

mod common;

use actix_web::http::StatusCode;
use common::{assert_problem, outcomes, spawn, ADMIN};
use serde_json::json;

#[actix_web::test]
async fn b10_b11_a_rollback_release_rolls_back_the_selected_keys_then_the_rest_and_the_first_is_already_rolled_back() {
    let app = spawn().await;
    app.env("production").await;
    let (a, b) = (app.item(2).await, app.item(2).await);
    app.publish("production", ADMIN, &a, 1).await;
    app.publish("production", ADMIN, &b, 1).await;
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(2)), (&b, "publish", Some(2))]).await;
    app.deploy_ok(&r, ADMIN, "production").await;
    let rb = app.rollback_release_id(&r, ADMIN).await;
    let sort = |mut v: Vec<(String, String, Option<String>)>| {
        v.sort();
        v
    };

    // The preview with one key: the other is skipped `not_selected`.
    let (s, v) = app.get(&format!("/v1/releases/{rb}/preview?environment=production&key={a}:en"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let expected = sort(vec![
        (a.clone(), "published".to_string(), None),
        (b.clone(), "skipped".to_string(), Some("not_selected".to_string())),
    ]);
    assert_eq!(sort(outcomes(v["data"].as_array().unwrap())), expected);

    let deploy = |keys: serde_json::Value| json!({"environments": ["production"], "keys": keys});
    let (s, v) =
        app.post(&format!("/v1/releases/{rb}/deploy"), ADMIN, deploy(json!([{"item_id": a, "locale": "en"}]))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let d = app.finished(v["data"][0]["id"].as_str().unwrap()).await;
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(sort(outcomes(&app.deployment_items(d["id"].as_str().unwrap()).await)), expected);
    assert_eq!((app.state("production", &a).await, app.state("production", &b).await), (Some(1), Some(2)));

    // The rest later: the same rollback release again, with `fail` (B11 is no conflict).
    let body = json!({"environments": ["production"], "on_conflict": "fail"});
    let (s, v) = app.post(&format!("/v1/releases/{rb}/deploy"), ADMIN, body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let d = app.finished(v["data"][0]["id"].as_str().unwrap()).await;
    assert_eq!(d["status"], "succeeded", "{d}");
    let rest = sort(vec![
        (a.clone(), "skipped".to_string(), Some("already_rolled_back".to_string())),
        (b.clone(), "published".to_string(), None),
    ]);
    assert_eq!(sort(outcomes(&app.deployment_items(d["id"].as_str().unwrap()).await)), rest);
    assert_eq!((app.state("production", &a).await, app.state("production", &b).await), (Some(1), Some(1)));

    // A key written by someone else after that is a conflict again, not "already rolled back".
    app.publish("production", ADMIN, &a, 2).await;
    let (_, v) = app.get(&format!("/v1/releases/{rb}/preview?environment=production&key={a}:en"), ADMIN).await;
    assert_eq!(
        v["data"].as_array().unwrap().iter().find(|i| i["item_id"] == a.as_str()).unwrap()["skip_reason"],
        "changed_after_deployment"
    );
}

#[actix_web::test]
async fn b10_a_selection_is_one_to_10000_distinct_keys_of_the_rollback_release() {
    let app = spawn().await;
    app.env("production").await;
    let (a, r) = app.deployed_release(ADMIN, "production").await;
    let outside = app.item(1).await;
    let rb = app.rollback_release_id(&r, ADMIN).await;
    let path = format!("/v1/releases/{rb}/deploy");
    let key = |item: &str| json!({"item_id": item, "locale": "en"});
    let many: Vec<_> = (0..10_001).map(|_| key(&uuid::Uuid::now_v7().to_string())).collect();
    for (keys, status, code) in [
        (json!([]), 400, "invalid_request"),
        (json!([key(&a), key(&a)]), 400, "invalid_request"),
        (json!([{"item_id": "nope", "locale": "en"}]), 400, "invalid_request"),
        (json!([{"item_id": a, "locale": "en", "extra": 1}]), 400, "invalid_request"),
        (json!(many), 400, "invalid_request"),
        (json!([key(&a), key(&outside)]), 422, "key_not_in_release"),
        (json!([{"item_id": a, "locale": "de"}]), 422, "key_not_in_release"),
    ] {
        let (s, v) = app.post(&path, ADMIN, json!({"environments": ["production"], "keys": keys})).await;
        assert_problem(s, &v, status, code);
    }
    let (s, v) = app.get(&format!("/v1/releases/{rb}/preview?environment=production&key={outside}:en"), ADMIN).await;
    assert_problem(s, &v, 422, "key_not_in_release");
    let (s, v) = app.get(&format!("/v1/releases/{rb}/preview?environment=production&key={a}"), ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
    // A standard release takes no selection.
    let (s, v) = app
        .post(&format!("/v1/releases/{r}/deploy"), ADMIN, json!({"environments": ["production"], "keys": [key(&a)]}))
        .await;
    assert_problem(s, &v, 422, "rollback_option_not_applicable");
    let (_, v) = app.get(&format!("/v1/releases/{rb}/deployments"), ADMIN).await;
    assert_eq!(v["data"], json!([]), "nothing refused was created");
    assert_eq!(app.state("production", &a).await, Some(1));
}

#[actix_web::test]
async fn b10_an_environment_rollback_rolls_back_only_the_selected_keys() {
    let app = spawn().await;
    app.env("production").await;
    let (a, b) = (app.item(2).await, app.item(2).await);
    let first = app.release(ADMIN, "R1", &[(&a, "publish", Some(1)), (&b, "publish", Some(1))]).await;
    app.deploy_ok(&first, ADMIN, "production").await;
    let second = app.release(ADMIN, "R2", &[(&a, "publish", Some(2)), (&b, "publish", Some(2))]).await;
    app.deploy_ok(&second, ADMIN, "production").await;

    let (s, v) = app.get(&format!("/v1/environments/production/rollback/preview?key={b}:en"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(outcomes(v["data"]["items"].as_array().unwrap()), vec![(b.clone(), "published".to_string(), None)]);

    let body = json!({"keys": [{"item_id": b, "locale": "en"}, {"item_id": a, "locale": "de"}]});
    let (s, v) = app.rollback_environment("production", ADMIN, body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let d = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(d["counts"]["published"], 1, "{d}");
    assert_eq!((app.state("production", &a).await, app.state("production", &b).await), (Some(2), Some(1)));

    let unknown = uuid::Uuid::now_v7();
    let (s, v) =
        app.rollback_environment("production", ADMIN, json!({"keys": [{"item_id": unknown, "locale": "en"}]})).await;
    assert_problem(s, &v, 422, "item_not_found");
}
