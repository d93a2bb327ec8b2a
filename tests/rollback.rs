//! Per-user rollback releases (B1–B9) and environment rollback (E1–E5).

mod common;

use actix_web::http::StatusCode;
use common::{assert_problem, outcomes, spawn, ADMIN};
use serde_json::{json, Value};

fn id(v: &Value) -> String {
    v["data"]["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn b1_each_deployer_gets_a_rollback_release_of_their_own() {
    let app = spawn().await;
    app.env("production").await;
    let (a, b) = (app.item(1).await, app.item(1).await);
    let (u1, t1) = app.editor("u1", &["production"]).await;
    let r = app.release(&t1, "Launch", &[(&a, "publish", Some(1)), (&b, "unpublish", None)]).await;
    app.deploy_ok(&r, &t1, "production").await;
    let (s, v) = app.rollback_release(&r, &t1).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let d = &v["data"];
    assert_eq!(d["kind"], "rollback");
    assert_eq!(d["rollback_of"], r);
    assert_eq!(d["owner"], u1);
    assert_eq!(d["name"], "Rollback of Launch");
    assert_eq!(d["locked"], true);
    let (_, items) = app.get(&format!("/v1/releases/{}/items", id(&v)), &t1).await;
    assert_eq!(
        items["data"],
        json!([{"item_id": a, "locale": "en", "title": null, "action": null, "version": null}, {"item_id": b, "locale": "en", "title": null, "action": null, "version": null}])
    );
    let (s, again) = app.rollback_release(&r, &t1).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(id(&again), id(&v));
}

#[actix_web::test]
async fn b2_a_rollback_release_cannot_be_rolled_back() {
    let app = spawn().await;
    app.env("production").await;
    let (_, r) = app.deployed_release(ADMIN, "production").await;
    let rb = app.rollback_release_id(&r, ADMIN).await;
    app.deploy_ok(&rb, ADMIN, "production").await;
    let (s, v) = app.rollback_release(&rb, ADMIN).await;
    assert_problem(s, &v, 422, "rollback_of_rollback");
}

#[actix_web::test]
async fn b3_only_a_user_with_a_succeeded_deployment_can_roll_back() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(1).await;
    let (_, t1) = app.editor("u1", &["production"]).await;
    let (_, t2) = app.editor("u2", &["production"]).await;
    let r = app.release(&t1, "R", &[(&a, "publish", Some(1))]).await;
    let (s, v) = app.rollback_release(&r, &t1).await;
    assert_problem(s, &v, 422, "release_not_deployed");
    // A scheduled deployment does not count until it has run.
    let (s, _) = app.schedule_in_an_hour(&r, &t1, "production").await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (s, v) = app.rollback_release(&r, &t1).await;
    assert_problem(s, &v, 422, "release_not_deployed");
    app.deploy_ok(&r, &t1, "production").await;
    let (s, v) = app.rollback_release(&r, &t2).await;
    assert_problem(s, &v, 422, "release_not_deployed");
    let (s, _) = app.rollback_release(&r, &t1).await;
    assert_eq!(s, StatusCode::CREATED);
}

#[actix_web::test]
async fn b4_after_a_deletion_a_redeploy_comes_before_another_rollback_release() {
    let app = spawn().await;
    app.env("production").await;
    let (_, t1) = app.editor("u1", &["production"]).await;
    let (_, r) = app.deployed_release(&t1, "production").await;
    let (_, rb) = app.rollback_release(&r, &t1).await;
    // Deleted by an admin: the same rule holds for the owner.
    let (s, _) = app.req("DELETE", &format!("/v1/releases/{}", id(&rb)), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.rollback_release(&r, &t1).await;
    assert_problem(s, &v, 422, "redeploy_required");
    app.deploy_ok(&r, &t1, "production").await;
    let (s, rb2) = app.rollback_release(&r, &t1).await;
    assert_eq!(s, StatusCode::CREATED, "{rb2}");
    assert_ne!(id(&rb2), id(&rb));
    let (s, _) = app.req("DELETE", &format!("/v1/releases/{}", id(&rb2)), &t1, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.rollback_release(&r, &t1).await;
    assert_problem(s, &v, 422, "redeploy_required");
}

#[actix_web::test]
async fn b5_a_rollback_release_exists_only_for_its_owner_and_admins() {
    let app = spawn().await;
    app.env("production").await;
    let (_, t1) = app.editor("u1", &["production"]).await;
    let (_, t2) = app.editor("u2", &["production"]).await;
    let (_, r) = app.deployed_release(&t1, "production").await;
    let rb = app.rollback_release_id(&r, &t1).await;
    let d = app.deploy_ok(&rb, &t1, "production").await;
    for path in
        [format!("/v1/releases/{rb}"), format!("/v1/releases/{rb}/items"), format!("/v1/releases/{rb}/deployments")]
    {
        let (s, v) = app.get(&path, &t2).await;
        assert_problem(s, &v, 404, "not_found");
    }
    let (s, v) = app.get(&format!("/v1/releases/{rb}/preview?environment=production"), &t2).await;
    assert_problem(s, &v, 404, "not_found");
    let (_, list) = app.get("/v1/releases", &t2).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (_, list) = app.get(&format!("/v1/releases/{r}/rollbacks"), &t2).await;
    assert!(list["data"].as_array().unwrap().is_empty());
    for token in [&t1, ADMIN] {
        let (_, list) = app.get(&format!("/v1/releases/{r}/rollbacks"), token).await;
        assert_eq!(list["data"][0]["id"], rb);
        let (s, _) = app.get(&format!("/v1/releases/{rb}"), token).await;
        assert_eq!(s, StatusCode::OK);
    }
    // Its deployment changed public state: it stays in the environment's history.
    let (_, hist) = app.get("/v1/environments/production/deployments", &t2).await;
    assert_eq!(hist["data"][0]["id"], d["id"]);
    assert_eq!(hist["data"][0]["release_id"], rb);
}

#[actix_web::test]
async fn b6_deploying_a_rollback_release_now_by_its_owner_or_an_admin_with_a_grant() {
    let app = spawn().await;
    app.env("production").await;
    app.env("staging").await;
    let (u1, t1) = app.editor("u1", &["production", "staging"]).await;
    let (_, t2) = app.editor("u2", &["production"]).await;
    let (a, r) = app.deployed_release(&t1, "production").await;
    let b = app.item(1).await;
    let rb = app.rollback_release_id(&r, &t1).await;
    let (s, v) = app.schedule_in_an_hour(&rb, &t1, "production").await;
    assert_problem(s, &v, 422, "rollback_cannot_be_scheduled");
    let (s, v) = app
        .post(
            &format!("/v1/releases/{rb}/items"),
            &t1,
            json!({"items": [{"item_id": b, "locale": "en", "action": "publish", "version": 1}]}),
        )
        .await;
    assert_problem(s, &v, 409, "release_locked");
    let (s, v) = app.deploy(&rb, &t1, &["staging"]).await;
    assert_problem(s, &v, 422, "release_not_deployed_to_environment");
    let (s, v) = app.get(&format!("/v1/releases/{rb}/preview?environment=staging"), &t1).await;
    assert_problem(s, &v, 422, "release_not_deployed_to_environment");
    let (s, _) = app.req("DELETE", &format!("/v1/users/{u1}/grants/production"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.deploy(&rb, &t1, &["production"]).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = app.deploy(&rb, &t2, &["production"]).await;
    assert_problem(s, &v, 404, "not_found");
    assert_eq!(app.state("production", &a).await, Some(1));
    let d = app.deploy_ok(&rb, ADMIN, "production").await;
    assert_eq!(d["counts"]["unpublished"], 1);
    assert_eq!(app.state("production", &a).await, None);
}

/// The whole story: one user deploys, another changes an item by hand, the first rolls back.
#[actix_web::test]
async fn b7_rollback_restores_the_first_deployments_prior_state_and_skips_what_changed_after() {
    let app = spawn().await;
    app.env("production").await;
    let (a, b, c, d, e, f) = (
        app.item(3).await,
        app.item(2).await,
        app.item(2).await,
        app.item(2).await,
        app.item(1).await,
        app.item(2).await,
    );
    let (_, t1) = app.editor("u1", &["production"]).await;
    let (_, t2) = app.editor("u2", &["production"]).await;
    for k in [&a, &c, &d, &f] {
        app.publish("production", ADMIN, k, 1).await;
    }
    let r = app
        .release(
            &t1,
            "R",
            &[
                (&a, "publish", Some(2)),
                (&b, "publish", Some(1)),
                (&c, "unpublish", None),
                (&d, "publish", Some(2)),
                (&e, "unpublish", None),
                (&f, "unpublish", None),
            ],
        )
        .await;
    app.deploy_ok(&r, &t1, "production").await;
    // Between the user's two deployments: a and f change by hand; the second deployment then
    // writes a and f again, but finds c (and e) unpublished already and writes no event for them.
    app.publish("production", ADMIN, &a, 3).await;
    app.publish("production", ADMIN, &f, 2).await;
    let latest = app.deploy_ok(&r, &t1, "production").await;
    let latest_items = app.deployment_items(latest["id"].as_str().unwrap()).await;
    assert_eq!(latest_items[0]["prior_version"], 3);
    // Someone else republishes d's very same version after the deployment: that is a change.
    let (s, _) = app.publish("production", &t2, &d, 2).await;
    assert_eq!(s, StatusCode::OK);
    let events_before = app.event_count("production").await;
    let rb = app.rollback_release_id(&r, &t1).await;
    let (_, preview) = app.get(&format!("/v1/releases/{rb}/preview?environment=production"), &t1).await;
    let dep = app.deploy_ok(&rb, &t1, "production").await;
    let items = app.deployment_items(dep["id"].as_str().unwrap()).await;
    assert_eq!(
        outcomes(&items),
        vec![
            (a.clone(), "published".into(), None),
            (b.clone(), "unpublished".into(), None),
            (c.clone(), "skipped".into(), Some("not_deployed".into())),
            (d.clone(), "skipped".into(), Some("changed_after_deployment".into())),
            (e.clone(), "skipped".into(), Some("not_deployed".into())),
            (f.clone(), "published".into(), None),
        ]
    );
    assert_eq!(items[0]["version"], 1, "F's prior version, not L's");
    assert_eq!(items[5]["version"], 1, "F unpublished f: its prior version comes back");
    assert_eq!(app.state("production", &a).await, Some(1));
    assert_eq!(app.state("production", &b).await, None);
    assert_eq!(app.state("production", &c).await, None);
    assert_eq!(app.state("production", &d).await, Some(2));
    assert_eq!(app.state("production", &f).await, Some(1));
    assert_eq!(app.event_count("production").await, events_before + 3);
    let mut done = items.clone();
    for i in done.iter_mut() {
        i.as_object_mut().unwrap().remove("event_id");
    }
    assert_eq!(preview["data"].as_array().unwrap(), &done, "B9: the preview is the plan the deployment carried out");
}

#[actix_web::test]
async fn b7_a_second_users_rollback_uses_their_own_deployments() {
    let app = spawn().await;
    app.env("production").await;
    let (a, b) = (app.item(3).await, app.item(1).await);
    let (_, t1) = app.editor("u1", &["production"]).await;
    let (_, t2) = app.editor("u2", &["production"]).await;
    app.publish("production", ADMIN, &a, 1).await;
    let r = app.release(&t1, "R", &[(&a, "publish", Some(2)), (&b, "publish", Some(1))]).await;
    app.deploy_ok(&r, &t1, "production").await;
    app.publish("production", ADMIN, &a, 3).await;
    app.deploy_ok(&r, &t2, "production").await;
    // u2's first deployment saw a at 3 and b at 1: that is what u2's rollback puts back.
    let rb2 = app.rollback_release_id(&r, &t2).await;
    let d2 = app.deploy_ok(&rb2, &t2, "production").await;
    assert_eq!(d2["counts"], json!({"published": 2, "unpublished": 0, "skipped": 0}));
    assert_eq!(app.state("production", &a).await, Some(3));
    assert_eq!(app.state("production", &b).await, Some(1));
    // u1's latest deployment's events are no longer the keys' last: all changed after.
    let rb1 = app.rollback_release_id(&r, &t1).await;
    let d1 = app.deploy_ok(&rb1, &t1, "production").await;
    let items = app.deployment_items(d1["id"].as_str().unwrap()).await;
    assert!(items.iter().all(|i| i["skip_reason"] == "changed_after_deployment"), "{items:?}");
}

#[actix_web::test]
async fn b8_a_rollback_touches_only_its_keys_in_its_environment_and_creates_no_version() {
    let app = spawn().await;
    app.env("production").await;
    app.env("staging").await;
    let (a, other) = (app.item(2).await, app.item(1).await);
    let (s, _) = app.post(&format!("/v1/items/{a}/versions"), ADMIN, json!({"locale": "de", "content": {}})).await;
    assert_eq!(s, StatusCode::CREATED);
    app.publish("production", ADMIN, &a, 1).await;
    app.publish("production", ADMIN, &other, 1).await;
    app.post("/v1/environments/production/publish", ADMIN, json!({"item_id": a, "locale": "de", "version": 1})).await;
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(2))]).await;
    app.deploy_ok(&r, ADMIN, "production").await;
    app.deploy_ok(&r, ADMIN, "staging").await;
    let rb = app.rollback_release_id(&r, ADMIN).await;
    app.deploy_ok(&rb, ADMIN, "production").await;
    assert_eq!(app.state("production", &a).await, Some(1));
    assert_eq!(app.state("staging", &a).await, Some(2), "other environments are untouched");
    assert_eq!(app.state("production", &other).await, Some(1));
    let (_, de) = app.get(&format!("/v1/environments/production/publish-state?item_id={a}"), ADMIN).await;
    assert!(de["data"].as_array().unwrap().iter().any(|s| s["locale"] == "de" && s["version"] == 1));
    let (_, item) = app.get(&format!("/v1/items/{a}"), ADMIN).await;
    assert_eq!(item["data"]["locales"], json!({"de": 1, "en": 2}), "no version created");
}

#[actix_web::test]
async fn e1_environment_rollback_is_a_deployment_in_the_history() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(3).await;
    let r1 = app.release(ADMIN, "R1", &[(&a, "publish", Some(1))]).await;
    let r2 = app.release(ADMIN, "R2", &[(&a, "publish", Some(2))]).await;
    let d1 = app.deploy_ok(&r1, ADMIN, "production").await;
    let d2 = app.deploy_ok(&r2, ADMIN, "production").await;
    let (s, v) = app
        .req(
            "POST",
            "/v1/environments/production/rollback",
            ADMIN,
            Some(json!({"target_deployment_id": d1["id"], "reason": "bad"})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let dep = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(dep["trigger"], "rollback");
    assert_eq!(dep["reason"], "bad");
    assert_eq!(dep["rolled_back_to_deployment_id"], d1["id"]);
    assert!(dep["release_id"].is_null());
    assert_eq!(app.state("production", &a).await, Some(1));
    let (_, hist) = app.get("/v1/environments/production/deployments", ADMIN).await;
    assert_eq!(hist["data"][0]["id"], dep["id"]);
    // A rollback deployment can itself be a target.
    let (s, v) = app.rollback_environment("production", ADMIN, json!({"target_deployment_id": d2["id"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(app.state("production", &a).await, Some(2));
    let (s, v) = app.rollback_environment("production", ADMIN, json!({"target_deployment_id": dep["id"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let last = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(app.state("production", &a).await, Some(1));
    let (_, env) = app.get("/v1/environments/production", ADMIN).await;
    assert_eq!(env["data"]["active_deployment"]["id"], last["id"]);
}

#[actix_web::test]
async fn e2_the_target_must_be_a_succeeded_deployment_of_the_environment() {
    let app = spawn().await;
    app.env("production").await;
    app.env("staging").await;
    let a = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&a, "publish", Some(1))]).await;
    let staged = app.deploy_ok(&r, ADMIN, "staging").await;
    let (_, v) = app.schedule_in_an_hour(&r, ADMIN, "production").await;
    let scheduled = v["data"][0]["id"].clone();
    let (s, v) = app.rollback_environment("production", ADMIN, json!({"target_deployment_id": scheduled})).await;
    assert_problem(s, &v, 422, "target_not_successful");
    let (s, v) = app.rollback_environment("production", ADMIN, json!({"target_deployment_id": staged["id"]})).await;
    assert_problem(s, &v, 422, "target_wrong_environment");
    let (s, v) = app
        .post("/v1/environments/production/rollback", ADMIN, json!({"target_deployment_id": uuid::Uuid::now_v7()}))
        .await;
    assert_problem(s, &v, 404, "not_found");
    let (s, v) = app.rollback_environment("production", ADMIN, json!({"target_deployment_id": "nope"})).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (_, viewer) = app.user("vi", "viewer").await;
    let (s, v) = app.rollback_environment("production", &viewer, json!({})).await;
    assert_problem(s, &v, 403, "forbidden");
}

#[actix_web::test]
async fn e3_without_a_target_roll_back_to_the_one_before_the_active_and_again_undoes_it() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(2).await;
    let (s, v) = app.rollback_environment("production", ADMIN, json!({})).await;
    assert_problem(s, &v, 422, "no_rollback_target");
    let r1 = app.release(ADMIN, "R1", &[(&a, "publish", Some(1))]).await;
    let r2 = app.release(ADMIN, "R2", &[(&a, "publish", Some(2))]).await;
    app.deploy_ok(&r1, ADMIN, "production").await;
    let (s, v) = app.rollback_environment("production", ADMIN, json!({})).await;
    assert_problem(s, &v, 422, "no_rollback_target");
    let d2 = app.deploy_ok(&r2, ADMIN, "production").await;
    let (s, v) = app.rollback_environment("production", ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(app.state("production", &a).await, Some(1));
    let (_, v) = app.rollback_environment("production", ADMIN, json!({})).await;
    let undo = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    assert_eq!(undo["rolled_back_to_deployment_id"], d2["id"]);
    assert_eq!(app.state("production", &a).await, Some(2), "the second rollback undoes the first");
}

#[actix_web::test]
async fn e4_keys_return_to_their_state_at_the_target_unless_changed_by_hand() {
    let app = spawn().await;
    app.env("production").await;
    let (a, b, c, d) = (app.item(2).await, app.item(2).await, app.item(2).await, app.item(2).await);
    let r1 =
        app.release(ADMIN, "R1", &[(&a, "publish", Some(1)), (&b, "publish", Some(1)), (&c, "publish", Some(1))]).await;
    let d1 = app.deploy_ok(&r1, ADMIN, "production").await;
    let r2 = app
        .release(
            ADMIN,
            "R2",
            &[(&a, "publish", Some(2)), (&b, "publish", Some(2)), (&c, "publish", Some(1)), (&d, "publish", Some(1))],
        )
        .await;
    app.deploy_ok(&r2, ADMIN, "production").await;
    app.publish("production", ADMIN, &b, 1).await; // by hand, after
    let (s, v) = app.rollback_environment("production", ADMIN, json!({"target_deployment_id": d1["id"]})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let dep = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    let items = app.deployment_items(dep["id"].as_str().unwrap()).await;
    let mut got = outcomes(&items);
    got.sort();
    let mut want = vec![
        (a.clone(), "published".to_string(), None),
        (b.clone(), "skipped".to_string(), Some("changed_after_deployment".to_string())),
        (c.clone(), "skipped".to_string(), Some("unchanged".to_string())),
        (d.clone(), "unpublished".to_string(), None),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(app.state("production", &a).await, Some(1));
    assert_eq!(app.state("production", &b).await, Some(1));
    assert_eq!(app.state("production", &d).await, None);
}

/// E4 as B9 previews a release: `GET /v1/environments/{env}/rollback/preview` is, key for key,
/// what the rollback then does, names its target, writes nothing, and refuses what E1–E3 refuse.
#[actix_web::test]
async fn e4_b9_the_environment_rollback_preview_is_the_plan_the_rollback_carries_out() {
    let app = spawn().await;
    app.env("production").await;
    app.env("staging").await;
    let (a, b, c) = (app.item(2).await, app.item(2).await, app.item(2).await);
    let r1 = app.release(ADMIN, "R1", &[(&a, "publish", Some(1)), (&b, "publish", Some(1))]).await;
    let d1 = app.deploy_ok(&r1, ADMIN, "production").await;
    let (s, v) = app.get("/v1/environments/production/rollback/preview", ADMIN).await;
    assert_problem(s, &v, 422, "no_rollback_target");
    let r2 =
        app.release(ADMIN, "R2", &[(&a, "publish", Some(2)), (&b, "publish", Some(2)), (&c, "publish", Some(1))]).await;
    app.deploy_ok(&r2, ADMIN, "production").await;
    app.publish("production", ADMIN, &b, 1).await; // by hand, after
    let (_, before) = app.get("/v1/environments/production/events?limit=100", ADMIN).await;

    let (s, plan) = app.get("/v1/environments/production/rollback/preview", ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    assert_eq!(plan["data"]["target_deployment"]["id"], d1["id"], "E3: the one before the active one");
    let (s, same) = app
        .get(
            &format!(
                "/v1/environments/production/rollback/preview?target_deployment_id={}",
                d1["id"].as_str().unwrap()
            ),
            ADMIN,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{same}");
    assert_eq!(same, plan, "the named target plans as the implied one");
    let (_, after) = app.get("/v1/environments/production/events?limit=100", ADMIN).await;
    assert_eq!(after, before, "a preview writes nothing");

    let (s, v) = app.rollback_environment("production", ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let dep = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    let done = app.deployment_items(dep["id"].as_str().unwrap()).await;
    let planned = plan["data"]["items"].as_array().unwrap();
    assert_eq!(outcomes(planned), outcomes(&done), "the plan is what the rollback did");
    let mut got = outcomes(planned);
    got.sort();
    let mut want = vec![
        (a.clone(), "published".to_string(), None),
        (b.clone(), "skipped".to_string(), Some("changed_after_deployment".to_string())),
        (c.clone(), "unpublished".to_string(), None),
    ];
    want.sort();
    assert_eq!(got, want);

    let staged = app.deploy_ok(&r1, ADMIN, "staging").await;
    let (_, v) = app.schedule_in_an_hour(&r2, ADMIN, "production").await;
    let preview =
        |target: String| format!("/v1/environments/production/rollback/preview?target_deployment_id={target}");
    let (s, v) = app.get(&preview(v["data"][0]["id"].as_str().unwrap().into()), ADMIN).await;
    assert_problem(s, &v, 422, "target_not_successful");
    let (s, v) = app.get(&preview(staged["id"].as_str().unwrap().into()), ADMIN).await;
    assert_problem(s, &v, 422, "target_wrong_environment");
    let (s, v) = app.get(&preview(uuid::Uuid::now_v7().to_string()), ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    let (s, v) = app.get(&preview("nope".into()), ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.get("/v1/environments/nowhere/rollback/preview", ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    let (_, viewer) = app.user("vi", "viewer").await;
    let (s, v) = app.get("/v1/environments/production/rollback/preview", &viewer).await;
    assert_problem(s, &v, 403, "forbidden");
}

/// Manual publishes racing a rollback deployment on the same keys never lose an update.
#[actix_web::test]
async fn b7_concurrent_manual_publishes_and_a_rollback_lose_no_update() {
    let app = spawn().await;
    app.env("production").await;
    let mut keys = vec![];
    for _ in 0..20 {
        keys.push(app.item(3).await);
    }
    for k in &keys {
        app.publish("production", ADMIN, k, 1).await;
    }
    let items: Vec<(&str, &str, Option<i32>)> = keys.iter().map(|k| (k.as_str(), "publish", Some(2))).collect();
    let r = app.release(ADMIN, "R", &items).await;
    app.deploy_ok(&r, ADMIN, "production").await;
    let rb = app.rollback_release_id(&r, ADMIN).await;
    let pool = app.state.pool.clone();
    let writer_keys = keys.clone();
    let writer = std::thread::spawn(move || {
        let mut conn = pool.get().unwrap();
        let mut c2 = pool.get().unwrap();
        let admin = rewind::service::tokens::authenticate(&mut c2, ADMIN).unwrap();
        for (n, k) in writer_keys.iter().enumerate().cycle().take(60) {
            rewind::service::publishing::publish(
                &mut conn,
                &admin,
                "production",
                Ok(rewind::domain::ids::ItemId::stored(k.clone())),
                "en",
                (n % 3) as i32 + 1,
            )
            .unwrap();
        }
    });
    let (s, v) = app.deploy(&rb, ADMIN, &["production"]).await;
    writer.join().unwrap();
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let dep = app.finished(v["data"][0]["id"].as_str().unwrap()).await;
    assert_eq!(dep["status"], "succeeded");
    let (_, log) = app.get("/v1/environments/production/events?limit=500", ADMIN).await;
    let mut events = log["data"].as_array().unwrap().clone();
    events.reverse();
    let done = app.deployment_items(dep["id"].as_str().unwrap()).await;
    for k in &keys {
        let mine: Vec<&Value> = events.iter().filter(|e| e["item_id"] == *k).collect();
        for pair in mine.windows(2) {
            assert_eq!(pair[1]["from_version"], pair[0]["to_version"], "an update was lost on {k}");
        }
        assert_eq!(
            mine.last().unwrap()["to_version"].as_i64(),
            app.state("production", k).await,
            "replay gives the state"
        );
        let item = done.iter().find(|i| i["item_id"] == *k).unwrap();
        match item["outcome"].as_str().unwrap() {
            "published" => {
                let pos = mine.iter().position(|e| e["id"] == item["event_id"]).unwrap();
                let before = mine[pos - 1];
                assert_eq!(
                    before["cause"], "deployment",
                    "the rollback applied only where L's event was still the last"
                );
            }
            "skipped" => assert_eq!(item["skip_reason"], "changed_after_deployment"),
            other => panic!("unexpected outcome {other}"),
        }
    }
}

#[actix_web::test]
async fn e5_the_answer_carries_the_new_deployment_and_the_active_one() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(2).await;
    let r1 = app.release(ADMIN, "R1", &[(&a, "publish", Some(1))]).await;
    let r2 = app.release(ADMIN, "R2", &[(&a, "publish", Some(2))]).await;
    app.deploy_ok(&r1, ADMIN, "production").await;
    let d2 = app.deploy_ok(&r2, ADMIN, "production").await;
    // Without waiting, the environment's active deployment is still the one before.
    let (s, v) = app.rollback_environment("production", ADMIN, json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["data"]["deployment"]["trigger"], "rollback");
    assert!(["queued", "in_progress", "succeeded"].contains(&v["data"]["deployment"]["status"].as_str().unwrap()));
    let active = &v["data"]["active_deployment"];
    assert!(active["id"] == d2["id"] || active["id"] == v["data"]["deployment"]["id"], "{v}");
    let first = app.finished(v["data"]["deployment"]["id"].as_str().unwrap()).await;
    // With Prefer: wait, the answer comes when it has finished: the new one is active.
    let r = actix_web::test::TestRequest::post()
        .uri("/v1/environments/production/rollback")
        .insert_header(("authorization", format!("Bearer {ADMIN}")))
        .insert_header(("prefer", "wait=30"))
        .set_json(json!({"reason": "undo"}));
    let (s, _, v) = app.call(r).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["data"]["deployment"]["status"], "succeeded");
    assert_eq!(v["data"]["active_deployment"]["id"], v["data"]["deployment"]["id"]);
    assert_eq!(v["data"]["deployment"]["rolled_back_to_deployment_id"], d2["id"]);
    assert_ne!(first["id"], v["data"]["deployment"]["id"]);
}

#[actix_web::test]
async fn b1_concurrent_requests_give_the_user_one_rollback_release() {
    let app = spawn().await;
    app.env("production").await;
    let (_, r) = app.deployed_release(ADMIN, "production").await;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (pool, r, barrier) = (app.state.pool.clone(), r.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                let admin = rewind::service::tokens::authenticate(&mut conn, ADMIN).unwrap();
                barrier.wait();
                rewind::service::rollback::create(&mut conn, &admin, &rewind::domain::ids::ReleaseId::stored(r))
                    .map(|(v, created)| (v.row.id, created))
                    .unwrap()
            })
        })
        .collect();
    let results: Vec<(String, bool)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1, "{results:?}");
    assert!(results.iter().all(|(id, _)| *id == results[0].0), "{results:?}");
    let (_, list) = app.get(&format!("/v1/releases/{r}/rollbacks"), ADMIN).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}
