//! Releases and deployments (L1–L8), previews of standard releases (B9) and retries (X3).

mod common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use common::{assert_problem, outcomes, spawn, spawn_with, ADMIN};
use rewind::settings::Settings;
use serde_json::{json, Value};

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

#[actix_web::test]
async fn l1_standard_releases_are_visible_to_every_authenticated_user() {
    let app = spawn().await;
    let (_, editor) = app.user("ed", "editor").await;
    let (_, viewer) = app.user("vi", "viewer").await;
    let r = app.release(&editor, "Spring", &[]).await;
    let (s, v) = app.get(&format!("/v1/releases/{r}"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["kind"], "standard");
    let (_, list) = app.get("/v1/releases", &viewer).await;
    assert_eq!(ids(&list), vec![r.clone()]);
    let (s, v) = app.post("/v1/releases", &viewer, json!({"name": "nope"})).await;
    assert_problem(s, &v, 403, "forbidden");
    let (_, list) = app.get("/v1/releases?kind=rollback", &viewer).await;
    assert!(ids(&list).is_empty());
}

#[actix_web::test]
async fn l2_items_must_exist_and_a_key_appears_once_in_release_order() {
    let app = spawn().await;
    let a = app.item(2).await;
    let b = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(1)), (&b, "unpublish", None)]).await;
    let ghost = uuid::Uuid::now_v7().to_string();
    let path = format!("/v1/releases/{r}/items");
    let (s, v) = app
        .post(&path, ADMIN, json!({"items": [{"item_id": ghost, "locale": "en", "action": "publish", "version": 1}]}))
        .await;
    assert_problem(s, &v, 422, "item_not_found");
    let (s, v) = app
        .post(&path, ADMIN, json!({"items": [{"item_id": a, "locale": "en", "action": "publish", "version": 3}]}))
        .await;
    assert_problem(s, &v, 422, "version_not_found");
    let (s, v) = app
        .post(&path, ADMIN, json!({"items": [{"item_id": a, "locale": "de", "action": "publish", "version": 1}]}))
        .await;
    assert_problem(s, &v, 422, "version_not_found");
    // Adding a key again replaces its action and version and keeps its place.
    let (s, v) = app
        .post(&path, ADMIN, json!({"items": [{"item_id": a, "locale": "en", "action": "publish", "version": 2}]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["release"]["item_count"], 2);
    let (_, items) = app.get(&path, ADMIN).await;
    assert_eq!(
        items["data"][0],
        json!({"item_id": a, "locale": "en", "title": null, "action": "publish", "version": 2})
    );
    assert_eq!(
        items["data"][1],
        json!({"item_id": b, "locale": "en", "title": null, "action": "unpublish", "version": null})
    );
    let (s, _) = app.req("DELETE", &format!("/v1/releases/{r}/items/{a}?locale=en"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, items) = app.get(&path, ADMIN).await;
    assert_eq!(items["data"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn l2_b3_the_item_count_a_release_shows_follows_adds_replaces_removes_and_its_rollback_release() {
    let app = spawn().await;
    app.env("prod").await;
    let count = |v: &Value| v["data"]["item_count"].as_i64().unwrap();
    let a = app.item(2).await;
    let b = app.item(1).await;
    let (s, v) = app
        .post(
            "/v1/items",
            ADMIN,
            json!({"kind": "entry", "content_type": "page", "locale": "en", "content": {}, "references": [a, b]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let c = v["data"]["id"].as_str().unwrap().to_string();
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(1))]).await;
    let path = format!("/v1/releases/{r}");
    assert_eq!(count(&app.get(&path, ADMIN).await.1), 1);
    // Replacing a key's version keeps the count; a reference already in the release is not counted twice.
    let items = json!({"items": [{"item_id": a, "locale": "en", "action": "publish", "version": 2},
                                 {"item_id": c, "locale": "en", "action": "publish", "version": 1}],
                       "include_references": true});
    let (s, v) = app.post(&format!("{path}/items"), ADMIN, items).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["release"]["item_count"], 3);
    assert_eq!(count(&app.get(&path, ADMIN).await.1), 3);
    let (s, _) = app.req("DELETE", &format!("{path}/items/{b}?locale=en"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.req("DELETE", &format!("{path}/items/{b}?locale=en"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(count(&app.get(&path, ADMIN).await.1), 2);
    let (_, list) = app.get("/v1/releases", ADMIN).await;
    assert_eq!(list["data"][0]["item_count"], 2);
    app.deploy_ok(&r, ADMIN, "prod").await;
    let (s, rb) = app.post(&format!("{path}/rollback"), ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{rb}");
    assert_eq!(count(&rb), 2);
    let rb_id = rb["data"]["id"].as_str().unwrap();
    assert_eq!(count(&app.get(&format!("/v1/releases/{rb_id}"), ADMIN).await.1), 2);
    let (_, list) = app.get(&format!("{path}/rollbacks"), ADMIN).await;
    assert_eq!(list["data"][0]["item_count"], 2);
}

#[actix_web::test]
async fn l2_include_references_adds_what_versions_reference_to_depth_five() {
    let app = spawn().await;
    // A chain of seven items: each references the next one.
    let mut chain: Vec<String> = vec![];
    for _ in 0..7 {
        let refs: Vec<String> = chain.last().cloned().into_iter().collect();
        let (s, v) = app
            .post(
                "/v1/items",
                ADMIN,
                json!({"kind": "entry", "content_type": "p", "locale": "en", "content": {}, "references": refs}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        chain.push(v["data"]["id"].as_str().unwrap().to_string());
    }
    chain.reverse(); // chain[0] references chain[1] … chain[5] references chain[6]
                     // An item with no version in "en" referenced by the head: not added, and listed.
    let (_, de) = app.post("/v1/items", ADMIN, json!({"kind": "asset", "locale": "de", "content": {}})).await;
    let de = de["data"]["id"].as_str().unwrap().to_string();
    let (s, head) = app
        .post(
            &format!("/v1/items/{}/versions", chain[0]),
            ADMIN,
            json!({"locale": "en", "content": {}, "references": [chain[1], de]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{head}");
    let r = app.release(ADMIN, "R", &[]).await;
    // chain[2] is in the release already with its own action: it stays as it is.
    let (s, _) = app
        .post(
            &format!("/v1/releases/{r}/items"),
            ADMIN,
            json!({"items": [{"item_id": chain[2], "locale": "en", "action": "unpublish"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(
            &format!("/v1/releases/{r}/items"),
            ADMIN,
            json!({"items": [{"item_id": chain[0], "locale": "en", "action": "publish", "version": 2}], "include_references": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["not_added"], json!([{"item_id": de, "locale": "en"}]));
    let (_, items) = app.get(&format!("/v1/releases/{r}/items"), ADMIN).await;
    let got: Vec<(String, String)> = items["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["item_id"].as_str().unwrap().to_string(), i["action"].as_str().unwrap().to_string()))
        .collect();
    // Depth 5 from chain[0]: chain[1..=5]; chain[6] is six steps away.
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got[0], (chain[2].clone(), "unpublish".into()));
    assert_eq!(got[1], (chain[0].clone(), "publish".into()));
    for c in [&chain[1], &chain[3], &chain[4], &chain[5]] {
        assert!(got.contains(&(c.clone(), "publish".into())));
    }
    assert!(!got.iter().any(|(i, _)| i == &chain[6]));
}

#[actix_web::test]
async fn l2_a_release_holds_at_most_the_configured_number_of_items() {
    let app = spawn_with(Settings { max_release_items: 2, ..Settings::default() }).await;
    let (a, b, c) = (app.item(1).await, app.item(1).await, app.item(1).await);
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(1)), (&b, "publish", Some(1))]).await;
    let (s, v) = app
        .post(
            &format!("/v1/releases/{r}/items"),
            ADMIN,
            json!({"items": [{"item_id": c, "locale": "en", "action": "publish", "version": 1}]}),
        )
        .await;
    assert_problem(s, &v, 422, "release_too_large");
    let (_, rel) = app.get(&format!("/v1/releases/{r}"), ADMIN).await;
    assert_eq!(rel["data"]["item_count"], 2);
}

#[actix_web::test]
async fn l3_items_lock_after_a_succeeded_deployment_but_name_stays_editable() {
    let app = spawn().await;
    app.env("production").await;
    let (a, b) = (app.item(1).await, app.item(1).await);
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(1))]).await;
    app.deploy_ok(&r, ADMIN, "production").await;
    let (s, v) = app
        .post(
            &format!("/v1/releases/{r}/items"),
            ADMIN,
            json!({"items": [{"item_id": b, "locale": "en", "action": "publish", "version": 1}]}),
        )
        .await;
    assert_problem(s, &v, 409, "release_locked");
    let (s, v) = app.req("DELETE", &format!("/v1/releases/{r}/items/{a}?locale=en"), ADMIN, None).await;
    assert_problem(s, &v, 409, "release_locked");
    let (s, v) =
        app.req("PATCH", &format!("/v1/releases/{r}"), ADMIN, Some(json!({"name": "R2", "description": "d"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["name"], "R2");
    assert_eq!(v["data"]["locked"], true);
}

#[actix_web::test]
async fn l4_deploy_creates_one_deployment_per_environment_or_nothing() {
    let app = spawn().await;
    app.env("production").await;
    app.env("staging").await;
    let a = app.item(1).await;
    let (_, editor) = app.editor("ed", &["staging"]).await;
    let empty = app.release(&editor, "Empty", &[]).await;
    let (s, v) = app.deploy(&empty, &editor, &["staging"]).await;
    assert_problem(s, &v, 422, "release_empty");
    let (s, v) = app.deploy(&empty, &editor, &["staging", "production"]).await;
    assert_problem(s, &v, 403, "forbidden");
    let r = app.release(&editor, "R", &[(&a, "publish", Some(1))]).await;
    let (s, v) = app.deploy(&r, &editor, &["staging", "nowhere"]).await;
    assert_problem(s, &v, 422, "environment_not_found");
    let (s, v) = app.deploy(&r, &editor, &["staging", "production"]).await;
    assert_problem(s, &v, 403, "forbidden");
    let (_, list) = app.get(&format!("/v1/releases/{r}/deployments"), ADMIN).await;
    assert!(ids(&list).is_empty(), "a refused deploy creates nothing");
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let (s, v) = app
        .post(&format!("/v1/releases/{r}/deploy"), ADMIN, json!({"environments": ["staging"], "scheduled_at": past}))
        .await;
    assert_problem(s, &v, 422, "invalid_schedule");
    let (s, v) = app.deploy(&r, ADMIN, &["staging", "production"]).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let envs: Vec<&str> = v["data"].as_array().unwrap().iter().map(|d| d["environment"].as_str().unwrap()).collect();
    assert_eq!(envs, ["staging", "production"]);
    assert_eq!(app.state("staging", &a).await, Some(1));
    assert_eq!(app.state("production", &a).await, Some(1));
}

#[actix_web::test]
async fn l5_unpublishing_the_unpublished_is_skipped_and_writes_no_event() {
    let app = spawn().await;
    app.env("production").await;
    let (a, b, c) = (app.item(2).await, app.item(1).await, app.item(1).await);
    app.publish("production", ADMIN, &b, 1).await;
    let r =
        app.release(ADMIN, "R", &[(&a, "publish", Some(2)), (&b, "unpublish", None), (&c, "unpublish", None)]).await;
    let d = app.deploy_ok(&r, ADMIN, "production").await;
    assert_eq!(d["counts"], json!({"published": 1, "unpublished": 1, "skipped": 1}));
    assert_eq!(d["progress"], json!({"total": 3, "done": 3}));
    let items = app.deployment_items(d["id"].as_str().unwrap()).await;
    assert_eq!(items[0]["outcome"], "published");
    assert_eq!(items[1]["outcome"], "unpublished");
    assert_eq!(items[1]["prior_version"], 1);
    assert_eq!(items[2]["outcome"], "skipped");
    assert_eq!(items[2]["skip_reason"], "already_unpublished");
    assert!(items[2]["event_id"].is_null());
    assert_eq!(app.event_count("production").await, 3, "one manual + two by the deployment");
    let (_, skipped) =
        app.get(&format!("/v1/deployments/{}/items?outcome=skipped", d["id"].as_str().unwrap()), ADMIN).await;
    assert_eq!(skipped["data"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn l5_a_failing_deployment_applies_nothing_and_ends_failed() {
    let app = spawn().await;
    app.env("production").await;
    let (a, b, c) = (app.item(1).await, app.item(1).await, app.item(1).await);
    app.publish("production", ADMIN, &a, 1).await;
    // A trigger makes the database refuse the event of the last item.
    let mut conn = app.db.connect();
    use diesel::connection::SimpleConnection;
    let trigger = if common::backend() == "postgres" {
        format!(
            "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.item_key = (SELECT key FROM items WHERE id = '{c}') THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER boom BEFORE INSERT ON publish_events FOR EACH ROW EXECUTE FUNCTION boom();"
        )
    } else {
        format!("CREATE TRIGGER boom BEFORE INSERT ON publish_events WHEN NEW.item_key = (SELECT key FROM items WHERE id = '{c}') BEGIN SELECT RAISE(ABORT, 'boom'); END;")
    };
    conn.batch_execute(&trigger).unwrap();
    let r =
        app.release(ADMIN, "R", &[(&a, "unpublish", None), (&b, "publish", Some(1)), (&c, "publish", Some(1))]).await;
    let (s, v) = app.deploy(&r, ADMIN, &["production"]).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let d = &v["data"][0];
    assert_eq!(d["status"], "failed", "{d}");
    assert!(d["error"].is_string());
    assert_eq!(app.state("production", &a).await, Some(1));
    assert_eq!(app.state("production", &b).await, None);
    assert_eq!(app.event_count("production").await, 1);
    assert!(app.deployment_items(d["id"].as_str().unwrap()).await.is_empty());
    let (_, rel) = app.get(&format!("/v1/releases/{r}"), ADMIN).await;
    assert_eq!(rel["data"]["locked"], false, "a failed deployment does not lock");
}

#[actix_web::test]
async fn l6_deployments_run_in_the_background_and_prefer_wait_holds_the_answer() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(1))]).await;
    let (s, v) = app.post(&format!("/v1/releases/{r}/deploy"), ADMIN, json!({"environments": ["production"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["data"][0]["status"], "queued");
    let d = app.finished(v["data"][0]["id"].as_str().unwrap()).await;
    assert_eq!(d["status"], "succeeded");
    assert!(d["started_at"].is_string() && d["finished_at"].is_string());
    let r2 = app.release(ADMIN, "R2", &[(&a, "unpublish", None)]).await;
    let d = app.deploy_ok(&r2, ADMIN, "production").await;
    assert_eq!(d["counts"]["unpublished"], 1);
    let (_, env) = app.get("/v1/environments/production", ADMIN).await;
    assert_eq!(env["data"]["active_deployment"]["id"], d["id"]);
    let (_, hist) = app.get("/v1/environments/production/deployments", ADMIN).await;
    assert_eq!(hist["data"].as_array().unwrap().len(), 2);
    assert_eq!(hist["data"][0]["id"], d["id"]);
}

#[actix_web::test]
async fn l7_scheduled_deployments_wait_for_their_time_and_can_be_cancelled() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(1).await;
    let (_, other) = app.editor("other", &["production"]).await;
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(1))]).await;
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(800))
        .with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap());
    let (s, v) = app
        .post(
            &format!("/v1/releases/{r}/deploy"),
            ADMIN,
            json!({"environments": ["production"], "scheduled_at": soon.to_rfc3339()}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let id = v["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(v["data"][0]["status"], "scheduled");
    assert_eq!(v["data"][0]["trigger"], "scheduled");
    assert!(v["data"][0]["scheduled_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(app.state("production", &a).await, None);
    let d = app.finished(&id).await;
    assert_eq!(d["status"], "succeeded");
    assert_eq!(app.state("production", &a).await, Some(1));
    let (s, v) = app.post(&format!("/v1/deployments/{id}/cancel"), ADMIN, json!({})).await;
    assert_problem(s, &v, 409, "not_cancellable");

    let r2 = app.release(ADMIN, "R2", &[(&a, "unpublish", None)]).await;
    let (_, v) = app.schedule_in_an_hour(&r2, ADMIN, "production").await;
    let id2 = v["data"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = app.post(&format!("/v1/deployments/{id2}/cancel"), &other, json!({})).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = app.post(&format!("/v1/deployments/{id2}/cancel"), ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["status"], "cancelled");
    assert_eq!(app.state("production", &a).await, Some(1));
}

#[actix_web::test]
async fn l7_a_schedule_more_than_ten_years_ahead_is_refused_and_nothing_runs() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(1))]).await;
    let eleven_years = (chrono::Utc::now() + chrono::Duration::days(11 * 366)).to_rfc3339();
    // The first is year 10000 once in UTC; stored as text it would sort before today's times.
    for at in ["9999-12-31T23:00:00-05:00", "+10000-01-01T00:00:00Z", &eleven_years] {
        let (s, v) = app
            .post(
                &format!("/v1/releases/{r}/deploy"),
                ADMIN,
                json!({"environments": ["production"], "scheduled_at": at}),
            )
            .await;
        assert_problem(s, &v, 422, "invalid_schedule");
    }
    actix_web::rt::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, list) = app.get(&format!("/v1/releases/{r}/deployments"), ADMIN).await;
    assert!(ids(&list).is_empty(), "a refused schedule creates nothing: {list}");
    assert_eq!(app.state("production", &a).await, None, "nothing ran");
    let nine_years = chrono::Utc::now() + chrono::Duration::days(9 * 365);
    let (s, v) = app
        .post(
            &format!("/v1/releases/{r}/deploy"),
            ADMIN,
            json!({"environments": ["production"], "scheduled_at": nine_years.to_rfc3339()}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["data"][0]["status"], "scheduled");
    assert!(v["data"][0]["scheduled_at"].as_str().unwrap().starts_with(&nine_years.format("%Y-").to_string()));
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, d) = app.get(&format!("/v1/deployments/{}", v["data"][0]["id"].as_str().unwrap()), ADMIN).await;
    assert_eq!(d["data"]["status"], "scheduled");
    assert_eq!(app.state("production", &a).await, None);
}

#[actix_web::test]
async fn l8_deleting_hides_the_release_keeps_history_and_waits_for_pending_work() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(1))]).await;
    let done = app.deploy_ok(&r, ADMIN, "production").await;
    let (_, v) = app.schedule_in_an_hour(&r, ADMIN, "production").await;
    let pending = v["data"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = app.req("DELETE", &format!("/v1/releases/{r}"), ADMIN, None).await;
    assert_problem(s, &v, 409, "release_busy");
    app.post(&format!("/v1/deployments/{pending}/cancel"), ADMIN, json!({})).await;
    let (s, _) = app.req("DELETE", &format!("/v1/releases/{r}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&format!("/v1/releases/{r}"), ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    let (_, list) = app.get("/v1/releases", ADMIN).await;
    assert!(ids(&list).is_empty());
    let (s, d) = app.get(&format!("/v1/deployments/{}", done["id"].as_str().unwrap()), ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["data"]["release_id"], r);
    assert_eq!(app.state("production", &a).await, Some(1));
}

#[actix_web::test]
async fn b9_preview_of_a_standard_release_plans_without_writing_and_refuses_like_deploy() {
    let app = spawn().await;
    app.env("production").await;
    app.env("staging").await;
    let (a, b) = (app.item(2).await, app.item(1).await);
    app.publish("production", ADMIN, &a, 1).await;
    let (_, editor) = app.editor("ed", &["staging"]).await;
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(2)), (&b, "unpublish", None)]).await;
    let (s, v) = app.get(&format!("/v1/releases/{r}/preview?environment=production"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v["data"],
        json!([
            {"item_id": a, "locale": "en", "title": null, "action": "publish", "outcome": "published", "version": 2, "prior_version": 1, "skip_reason": null, "warnings": []},
            {"item_id": b, "locale": "en", "title": null, "action": "unpublish", "outcome": "skipped", "version": null, "prior_version": null, "skip_reason": "already_unpublished", "warnings": []}
        ])
    );
    let plan = v["data"].as_array().unwrap().clone();
    assert_eq!(app.event_count("production").await, 1, "a preview writes nothing");
    let (s, v) = app.get(&format!("/v1/releases/{r}/preview?environment=nowhere"), ADMIN).await;
    assert_problem(s, &v, 422, "environment_not_found");
    let (s, v) = app.get(&format!("/v1/releases/{r}/preview?environment=production"), &editor).await;
    assert_problem(s, &v, 403, "forbidden");
    let empty = app.release(ADMIN, "E", &[]).await;
    let (s, v) = app.get(&format!("/v1/releases/{empty}/preview?environment=production"), ADMIN).await;
    assert_problem(s, &v, 422, "release_empty");
    // The deployment then does exactly what the preview said, with the same fields.
    let d = app.deploy_ok(&r, ADMIN, "production").await;
    let mut items = app.deployment_items(d["id"].as_str().unwrap()).await;
    for i in items.iter_mut() {
        i.as_object_mut().unwrap().remove("event_id");
    }
    assert_eq!(items, plan);
}

/// B9 in pages: the preview is planned and sent a page of keys at a time (`REWIND_DEPLOY_PAGE`,
/// here 2), and the client gets the whole plan in release order as one document, also when the
/// last page is full; what the deployment then carries out is that plan.
#[actix_web::test]
async fn b9_a_preview_sent_a_page_at_a_time_is_the_whole_plan_in_release_order() {
    let app = spawn_with(Settings { deploy_page: 2, ..Settings::default() }).await;
    app.env("production").await;
    let items = [app.item(2).await, app.item(1).await, app.item(1).await, app.item(1).await, app.item(1).await];
    let [a, b, c, d, e] = &items;
    for (k, v) in [(a, 1), (d, 1), (e, 1)] {
        app.publish("production", ADMIN, k, v).await;
    }
    let r = app
        .release(
            ADMIN,
            "R",
            &[(a, "publish", Some(2)), (b, "unpublish", None), (c, "publish", Some(1)), (d, "publish", Some(1))],
        )
        .await;
    let s = |x: &str| Some(x.to_string());
    let (status, v) = app.get(&format!("/v1/releases/{r}/preview?environment=production"), ADMIN).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let four = vec![
        (a.clone(), "published".to_string(), None),
        (b.clone(), "skipped".to_string(), s("already_unpublished")),
        (c.clone(), "published".to_string(), None),
        (d.clone(), "published".to_string(), None),
    ];
    assert_eq!(outcomes(v["data"].as_array().unwrap()), four, "two full pages: {v}");
    let (status, added) = app
        .post(
            &format!("/v1/releases/{r}/items"),
            ADMIN,
            json!({"items": [
        {"item_id": e, "locale": "en", "action": "unpublish"}]}),
        )
        .await;
    assert!(status.is_success(), "{added}");
    let (status, v) = app.get(&format!("/v1/releases/{r}/preview?environment=production"), ADMIN).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let mut five = four;
    five.push((e.clone(), "unpublished".to_string(), None));
    assert_eq!(outcomes(v["data"].as_array().unwrap()), five, "pages of 2, 2 and 1: {v}");
    let deployed = app.deploy_ok(&r, ADMIN, "production").await;
    let items = app.deployment_items(deployed["id"].as_str().unwrap()).await;
    assert_eq!(outcomes(&items), five);
}

fn keyed(path: &str, key: &str, body: Value) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(("authorization", format!("Bearer {ADMIN}")))
        .insert_header(("idempotency-key", key.to_string()))
        .set_json(body)
}

#[actix_web::test]
async fn x3_a_repeated_idempotency_key_answers_the_first_answer_and_does_nothing_again() {
    let app = spawn().await;
    app.env("production").await;
    app.env("staging").await;
    let a = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(1))]).await;
    let path = format!("/v1/releases/{r}/deploy");
    let (s1, _, v1) = app.call(keyed(&path, "k-1", json!({"environments": ["production"]}))).await;
    assert_eq!(s1, StatusCode::ACCEPTED, "{v1}");
    let (s2, _, v2) = app.call(keyed(&path, "k-1", json!({"environments": ["production"]}))).await;
    assert_eq!(s2, StatusCode::ACCEPTED);
    assert_eq!(v1, v2);
    let (_, list) = app.get(&path.replace("/deploy", "/deployments"), ADMIN).await;
    assert_eq!(ids(&list).len(), 1);
    let (s, _, v) = app.call(keyed(&path, "k-1", json!({"environments": ["staging"]}))).await;
    assert_problem(s, &v, 422, "idempotency_key_reused");
    let (s, _, v) = app.call(keyed("/v1/environments/production/rollback", "k-1", json!({}))).await;
    assert_problem(s, &v, 422, "idempotency_key_reused");
    let (s, _, v) = app.call(keyed(&path, &"x".repeat(256), json!({"environments": ["production"]}))).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, _, v) = app.call(keyed(&path, "k\t2", json!({"environments": ["production"]}))).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(v["errors"][0]["message"], "must be visible ASCII and spaces", "{v}");
}

#[actix_web::test]
async fn x3_only_success_is_kept_and_a_key_in_use_is_409() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(1).await;
    let r = app.release(ADMIN, "R", &[]).await;
    let path = format!("/v1/releases/{r}/deploy");
    let (s, _, v) = app.call(keyed(&path, "k-2", json!({"environments": ["production"]}))).await;
    assert_problem(s, &v, 422, "release_empty");
    app.post(
        &format!("/v1/releases/{r}/items"),
        ADMIN,
        json!({"items": [{"item_id": a, "locale": "en", "action": "publish", "version": 1}]}),
    )
    .await;
    let (s, _, v) = app.call(keyed(&path, "k-2", json!({"environments": ["production"]}))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "after an error the key can be used again: {v}");
    // A first request still being answered: its key is taken but has no answer yet.
    let (_, me) = app.get("/v1/me", ADMIN).await;
    let mut conn = app.db.connect();
    use diesel::prelude::*;
    use rewind::db::schema::idempotency_keys as ik;
    diesel::insert_into(ik::table)
        .values((
            ik::user_id.eq(me["data"]["id"].as_str().unwrap()),
            ik::key.eq("k-3"),
            ik::method.eq("POST"),
            ik::path.eq(&path),
            ik::body_hash.eq(rewind::service::idempotency::Request::new(
                "u",
                "k",
                "POST",
                &path,
                &json!({"environments": ["production"]}),
            )
            .unwrap()
            .body_hash),
            ik::created_at.eq(rewind::db::now()),
        ))
        .execute(&mut conn)
        .unwrap();
    let (s, _, v) = app.call(keyed(&path, "k-3", json!({"environments": ["production"]}))).await;
    assert_problem(s, &v, 409, "idempotency_key_in_use");
    // A key that never got its answer (the client or the process went away) is free again later.
    diesel::update(ik::table.filter(ik::key.eq("k-3")))
        .set(ik::created_at.eq(rewind::db::now() - chrono::Duration::minutes(3)))
        .execute(&mut conn)
        .unwrap();
    let (s, _, v) = app.call(keyed(&path, "k-3", json!({"environments": ["production"]}))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
}
