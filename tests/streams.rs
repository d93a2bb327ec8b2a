//! S1 and S2: deployments followed live as Server-Sent Events, through the app's HTTP routes.

mod common;

use std::time::Duration;

use actix_web::http::StatusCode;
use common::{assert_problem, spawn, spawn_with, Sse, ADMIN};
use rewind::domain::Action;
use rewind::service::releases::{self, NewReleaseItem};
use rewind::service::{environments, tokens};
use rewind::settings::Settings;
use serde_json::{json, Value};

const QUIET: Duration = Duration::from_secs(60);

fn statuses(events: &[Sse]) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for e in events {
        let s = e.data["status"].as_str().unwrap().to_string();
        if out.last() != Some(&s) {
            out.push(s);
        }
    }
    out
}

#[actix_web::test]
async fn s1_a_100000_item_deployment_streams_its_progress_in_order_at_most_ten_a_second_and_ends() {
    const N: usize = 100_000;
    let app = spawn().await;
    app.env("big").await;
    let release = {
        let mut conn = app.state.pool.get().unwrap();
        let caller = tokens::authenticate(&mut conn, ADMIN).unwrap();
        let env = environments::by_name(&mut conn, "big").unwrap();
        let ids = rewind::db::seed::items(&mut conn, &env.id, &caller.id, N, 0, false).unwrap();
        let release = releases::create(&mut conn, &caller, "big", None).unwrap();
        let items = ids
            .into_iter()
            .map(|item_id| NewReleaseItem { item_id, locale: "en".into(), action: Action::Publish, version: Some(2) })
            .collect();
        releases::add_items(
            &mut conn,
            &caller,
            &rewind::domain::ids::ReleaseId::stored(release.row.id.clone()),
            items,
            false,
            N as i64,
        )
        .unwrap();
        release.row.id
    };
    let (s, v) = app.post(&format!("/v1/releases/{release}/deploy"), ADMIN, json!({"environments": ["big"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let id = v["data"][0]["id"].as_str().unwrap().to_string();

    let (s, reader) = app.stream(&format!("/v1/deployments/{id}/stream"), ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    let events = reader.unwrap().events_to_end(QUIET).await;

    assert!(events.iter().all(|e| e.event.as_deref() == Some("deployment") && e.data["id"] == id.as_str()));
    let last = events.last().unwrap();
    assert_eq!(last.data["status"], "succeeded", "{}", last.data);
    assert_eq!(last.data["progress"]["done"], N);
    assert_eq!(last.data["counts"]["published"], N);
    // In order of progress: status never goes back, `done` never falls.
    let order = ["queued", "in_progress", "succeeded"];
    let seen = statuses(&events);
    assert!(seen.windows(2).all(|w| order.iter().position(|s| *s == w[0]) < order.iter().position(|s| *s == w[1])));
    let done: Vec<i64> = events.iter().map(|e| e.data["progress"]["done"].as_i64().unwrap()).collect();
    assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
    // The progress is live: some events come between the start and the end.
    assert!(done.iter().any(|d| *d > 0 && *d < N as i64), "no progress between start and end: {done:?}");
    // At most ten a second: progress events of a running deployment are 100 ms apart or more
    // (less a little for timer slack).
    let running: Vec<&Sse> = events.iter().filter(|e| e.data["status"] == "in_progress").collect();
    for w in running.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(gap >= Duration::from_millis(80), "progress events {gap:?} apart");
    }
}

#[actix_web::test]
async fn s1_a_finished_deployment_streams_one_event_and_closes() {
    let app = spawn().await;
    app.env("prod").await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    let d = app.deploy_ok(&release, ADMIN, "prod").await;
    let (_, viewer) = app.user("vera", "viewer").await;
    let (s, reader) = app.stream(&format!("/v1/deployments/{}/stream", d["id"].as_str().unwrap()), &viewer).await;
    assert_eq!(s, StatusCode::OK);
    let events = reader.unwrap().events_to_end(QUIET).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data, d);
}

#[actix_web::test]
async fn s1_an_unknown_deployment_is_404_and_no_token_is_401_before_any_stream() {
    let app = spawn().await;
    let (s, body) = app.stream("/v1/deployments/0193a0b0-0000-7000-8000-000000000000/stream", ADMIN).await;
    assert_problem(s, &body.err().unwrap(), 404, "not_found");
    let (s, body) = app.stream("/v1/deployments/0193a0b0-0000-7000-8000-000000000000/stream", "nobody").await;
    assert_problem(s, &body.err().unwrap(), 401, "unauthorized");
    let (s, body) = app.stream("/v1/deployments/stream", "nobody").await;
    assert_problem(s, &body.err().unwrap(), 401, "unauthorized");
    let (s, body) = app.stream("/v1/deployments/stream?environment=nowhere", ADMIN).await;
    assert_problem(s, &body.err().unwrap(), 404, "not_found");
}

#[actix_web::test]
async fn s1_another_editor_streams_the_deployment_of_a_rollback_release_they_cannot_see() {
    let app = spawn().await;
    app.env("prod").await;
    let (_, owner) = app.editor("olga", &["prod"]).await;
    let (_, other) = app.editor("otto", &["prod"]).await;
    let item = app.item(2).await;
    let release = app.release(&owner, "r", &[(&item, "publish", Some(2))]).await;
    app.deploy_ok(&release, &owner, "prod").await;
    let (s, rb) = app.rollback_release(&release, &owner).await;
    assert_eq!(s, StatusCode::CREATED, "{rb}");
    let rb = rb["data"]["id"].as_str().unwrap().to_string();
    let d = app.deploy_ok(&rb, &owner, "prod").await;
    // B5: the rollback release is hidden from the other editor, its deployment is not.
    let (s, _) = app.get(&format!("/v1/releases/{rb}"), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, reader) = app.stream(&format!("/v1/deployments/{}/stream", d["id"].as_str().unwrap()), &other).await;
    assert_eq!(s, StatusCode::OK);
    let events = reader.unwrap().events_to_end(QUIET).await;
    assert_eq!(events.last().unwrap().data["status"], "succeeded");
    assert_eq!(events.last().unwrap().data["release_id"], rb.as_str());
}

#[actix_web::test]
async fn s1_a_cancelled_scheduled_deployment_streams_its_cancellation_and_closes() {
    let app = spawn().await;
    app.env("prod").await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    let (s, v) = app.schedule_in_an_hour(&release, ADMIN, "prod").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let id = v["data"][0]["id"].as_str().unwrap().to_string();
    let (_, reader) = app.stream(&format!("/v1/deployments/{id}/stream"), ADMIN).await;
    let mut reader = reader.unwrap();
    let first = reader.next(QUIET).await.unwrap();
    assert_eq!(first.data["status"], "scheduled");
    let (s, _) = app.post(&format!("/v1/deployments/{id}/cancel"), ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let rest = reader.events_to_end(QUIET).await;
    assert_eq!(statuses(&rest), ["cancelled"]);
}

#[actix_web::test]
async fn s2_streams_every_deployment_created_or_changing_status_in_the_environments_asked_for() {
    let app = spawn_with(Settings { stream_heartbeat: Duration::from_millis(200), ..Settings::default() }).await;
    app.env("prod").await;
    app.env("staging").await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    let (s, reader) = app.stream("/v1/deployments/stream?environment=prod", ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    let mut reader = reader.unwrap();
    let (s, v) = app.deploy(&release, ADMIN, &["staging", "prod"]).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let prod = v["data"][1]["id"].as_str().unwrap().to_string();
    assert_eq!(v["data"][1]["environment"], "prod");
    let mut seen: Vec<Value> = vec![];
    let mut heartbeats = 0;
    while seen.last().map(|d| d["status"] != "succeeded").unwrap_or(true) || heartbeats == 0 {
        let e = reader.next(QUIET).await.expect("S2 does not end");
        match e.event {
            Some(_) => seen.push(e.data),
            None => heartbeats += 1,
        }
    }
    assert!(seen.iter().all(|d| d["environment"] == "prod" && d["id"] == prod.as_str()), "{seen:?}");
    let order: Vec<&str> = seen.iter().map(|d| d["status"].as_str().unwrap()).collect();
    assert_eq!(order.first(), Some(&"queued"), "{order:?}");
    assert_eq!(order.last(), Some(&"succeeded"), "{order:?}");
    // One event per change of status, not one per progress report.
    let mut dedup = order.clone();
    dedup.dedup();
    assert_eq!(dedup, order);
    assert!(heartbeats > 0);
}

#[actix_web::test]
async fn s2_without_a_filter_streams_every_environment_and_a_viewer_may_listen() {
    let app = spawn().await;
    app.env("prod").await;
    app.env("staging").await;
    let (_, viewer) = app.user("vera", "viewer").await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    let (s, reader) = app.stream("/v1/deployments/stream", &viewer).await;
    assert_eq!(s, StatusCode::OK);
    let mut reader = reader.unwrap();
    app.deploy(&release, ADMIN, &["staging", "prod"]).await;
    let mut finished = std::collections::BTreeSet::new();
    while finished.len() < 2 {
        let e = reader.next(QUIET).await.expect("S2 does not end");
        if e.data["status"] == "succeeded" {
            finished.insert(e.data["environment"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(finished.into_iter().collect::<Vec<_>>(), ["prod", "staging"]);
}

#[actix_web::test]
async fn s1_the_heartbeat_comes_while_other_deployments_keep_changing() {
    let app = spawn_with(Settings { stream_heartbeat: Duration::from_millis(300), ..Settings::default() }).await;
    app.env("prod").await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    let (s, v) = app.schedule_in_an_hour(&release, ADMIN, "prod").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let waiting = v["data"][0]["id"].as_str().unwrap().to_string();
    let (_, reader) = app.stream(&format!("/v1/deployments/{waiting}/stream"), ADMIN).await;
    let mut reader = reader.unwrap();
    assert_eq!(reader.next(QUIET).await.unwrap().data["status"], "scheduled");
    let other = app.release(ADMIN, "other", &[(&item, "publish", Some(1))]).await;
    let started = std::time::Instant::now();
    let mut heartbeats = 0;
    // Changes of other deployments every few milliseconds must not hold the heartbeat back.
    while started.elapsed() < Duration::from_millis(1200) {
        app.deploy(&other, ADMIN, &["prod"]).await;
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(5), reader.next(QUIET)).await {
            assert!(e.event.is_none(), "an event of another deployment: {:?}", e.data);
            heartbeats += 1;
        }
    }
    assert!(heartbeats >= 2, "{heartbeats} heartbeats in 1.2 s at one every 300 ms");
}

#[actix_web::test]
async fn s2_t1_a_stream_ends_once_its_token_is_revoked() {
    let app = spawn_with(Settings { stream_heartbeat: Duration::from_millis(200), ..Settings::default() }).await;
    let (user, token) = app.user("vera", "viewer").await;
    let (s, reader) = app.stream("/v1/deployments/stream", &token).await;
    assert_eq!(s, StatusCode::OK);
    let mut reader = reader.unwrap();
    assert!(reader.next(QUIET).await.unwrap().event.is_none(), "a heartbeat while the token is good");
    let (_, list) = app.get(&format!("/v1/users/{user}/tokens"), ADMIN).await;
    let token_id = list["data"][0]["id"].as_str().unwrap().to_string();
    let (s, _) = app.req("DELETE", &format!("/v1/users/{user}/tokens/{token_id}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let started = std::time::Instant::now();
    while reader.next(QUIET).await.is_some() {}
    assert!(started.elapsed() < Duration::from_secs(2), "the stream outlived its token");
}
