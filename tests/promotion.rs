//! Promotion (M1, M2): compare two environments key by key, and make the target publish what the
//! source does through an ordinary standard release.

mod common;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use common::{assert_problem, spawn, spawn_with, TestApp, ADMIN};
use rewind::settings::Settings;
use serde_json::{json, Value};

/// Publishes `(item, locale)` at `version` in `env` as the admin, asserting it.
async fn put<S>(app: &TestApp<S>, env: &str, item: &str, locale: &str, version: i32)
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let body = json!({"item_id": item, "locale": locale, "version": version});
    let (s, v) = app.post(&format!("/v1/environments/{env}/publish"), ADMIN, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// An entry with `versions` versions in `en` and one in `de`; answers its id.
async fn item_in_two_locales<S>(app: &TestApp<S>, versions: i32) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let id = app.item(versions).await;
    let (s, v) =
        app.post(&format!("/v1/items/{id}/versions"), ADMIN, json!({"locale": "de", "content": {"v": 1}})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    id
}

/// Every difference, page by page, as `(item, locale, source, target)`.
async fn compare_all<S>(
    app: &TestApp<S>,
    target: &str,
    source: &str,
    limit: usize,
) -> Vec<(String, String, Value, Value)>
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let path = format!("/v1/environments/{target}/compare?source={source}&limit={limit}");
    let (mut got, mut next) = (vec![], path.clone());
    loop {
        let (s, v) = app.get(&next, ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let rows = v["data"].as_array().expect("a list");
        assert!(rows.len() <= limit);
        got.extend(rows.iter().map(|d| {
            (
                d["item_id"].as_str().unwrap().to_string(),
                d["locale"].as_str().unwrap().to_string(),
                d["source_version"].clone(),
                d["target_version"].clone(),
            )
        }));
        match v["next_cursor"].as_str() {
            Some(c) => next = format!("{path}&cursor={c}"),
            None => return got,
        }
    }
}

/// staging and production, with four items: `same` equal in both, `newer` at 2 in staging and 1
/// in production (and `de` only in staging), `only_staging`, `only_production`.
async fn two_environments<S>(app: &TestApp<S>) -> [String; 4]
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    app.env("staging").await;
    app.env("production").await;
    let same = app.item(1).await;
    let newer = item_in_two_locales(app, 2).await;
    let only_staging = app.item(1).await;
    let only_production = app.item(1).await;
    for env in ["staging", "production"] {
        put(app, env, &same, "en", 1).await;
    }
    put(app, "staging", &newer, "en", 2).await;
    put(app, "staging", &newer, "de", 1).await;
    put(app, "production", &newer, "en", 1).await;
    put(app, "staging", &only_staging, "en", 1).await;
    put(app, "production", &only_production, "en", 1).await;
    // Published once and unpublished again: the same as never published.
    let gone = app.item(1).await;
    put(app, "production", &gone, "en", 1).await;
    let (s, v) = app.unpublish("production", ADMIN, &gone).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    [same, newer, only_staging, only_production]
}

#[actix_web::test]
async fn m1_compare_lists_the_differing_keys_in_item_then_locale_order_paged() {
    let app = spawn().await;
    let [_, newer, only_staging, only_production] = two_environments(&app).await;
    let (_, viewer) = app.user("vi", "viewer").await;
    let want = vec![
        (newer.clone(), "de".to_string(), json!(1), Value::Null),
        (newer.clone(), "en".to_string(), json!(2), json!(1)),
        (only_staging.clone(), "en".to_string(), json!(1), Value::Null),
        (only_production.clone(), "en".to_string(), Value::Null, json!(1)),
    ];
    for limit in [1, 2, 3, 50] {
        assert_eq!(compare_all(&app, "production", "staging", limit).await, want, "pages of {limit}");
    }
    let (s, v) = app.get("/v1/environments/production/compare?source=staging&limit=2", &viewer).await;
    assert_eq!(s, StatusCode::OK, "any user compares: {v}");
    assert_eq!(v["next_cursor"], format!("{newer}:en"));
    let reverse: Vec<(String, String)> =
        compare_all(&app, "staging", "production", 50).await.into_iter().map(|(i, l, _, _)| (i, l)).collect();
    assert_eq!(reverse.len(), 4, "{reverse:?}");

    let (s, v) = app.get("/v1/environments/production/compare?source=nowhere", ADMIN).await;
    assert_problem(s, &v, 422, "environment_not_found");
    let (s, v) = app.get("/v1/environments/nowhere/compare?source=staging", ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    let (s, v) = app.get("/v1/environments/production/compare", ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
    for bad in ["x", "not-an-id:en", &format!("{newer}:EN!"), newer.as_str()] {
        let (s, v) = app.get(&format!("/v1/environments/production/compare?source=staging&cursor={bad}"), ADMIN).await;
        assert_problem(s, &v, 400, "invalid_request");
    }
    let unknown = "0193a0b0-0000-7000-8000-000000000000:en";
    let (s, v) = app.get(&format!("/v1/environments/production/compare?source=staging&cursor={unknown}"), ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    let (s, v) = app.get("/v1/environments/production/compare?source=staging&limit=0", ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.get("/v1/environments/production/compare?source=production", ADMIN).await;
    assert_eq!((s, &v["data"]), (StatusCode::OK, &json!([])), "an environment does not differ from itself");
}

#[actix_web::test]
async fn m2_a_promotion_is_a_release_of_the_difference_that_deploys_and_rolls_back() {
    let app = spawn().await;
    let [same, newer, only_staging, only_production] = two_environments(&app).await;
    let (editor_id, editor) = app.editor("ed", &["production"]).await;

    let (s, v) = app.post("/v1/environments/production/promote", &editor, json!({"source": "staging"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let release = &v["data"];
    assert_eq!(
        (release["name"].as_str(), release["kind"].as_str()),
        (Some("Promote staging to production"), Some("standard"))
    );
    assert_eq!(
        (release["promotion"]["source"].as_str(), release["promotion"]["target"].as_str()),
        (Some("staging"), Some("production"))
    );
    assert!(release["promotion"]["at"].is_string());
    assert_eq!((release["owner"].as_str(), release["item_count"].as_i64()), (Some(editor_id.as_str()), Some(3)));
    let id = release["id"].as_str().unwrap().to_string();
    let (_, items) = app.get(&format!("/v1/releases/{id}/items"), ADMIN).await;
    let items: Vec<(String, String, String, Value)> = items["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["item_id"].as_str().unwrap().into(),
                i["locale"].as_str().unwrap().into(),
                i["action"].as_str().unwrap().into(),
                i["version"].clone(),
            )
        })
        .collect();
    let publish =
        |item: &str, locale: &str, v: i32| (item.to_string(), locale.to_string(), "publish".to_string(), json!(v));
    assert_eq!(items, vec![publish(&newer, "de", 1), publish(&newer, "en", 2), publish(&only_staging, "en", 1)]);
    let (_, other) = app
        .get(&format!("/v1/releases/{}", app.release(ADMIN, "plain", &[(&same, "publish", Some(1))]).await), ADMIN)
        .await;
    assert!(other["data"]["promotion"].is_null(), "{other}");

    // An ordinary release from here on: its preview is the plan, it deploys, it rolls back.
    let (s, v) = app.get(&format!("/v1/releases/{id}/preview?environment=production"), &editor).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"].as_array().unwrap().len(), 3);
    app.deploy_ok(&id, &editor, "production").await;
    let left: Vec<(String, String)> =
        compare_all(&app, "production", "staging", 50).await.into_iter().map(|(i, l, _, _)| (i, l)).collect();
    assert_eq!(left, vec![(only_production.clone(), "en".to_string())], "only what staging does not publish is left");
    let rollback = app.rollback_release_id(&id, &editor).await;
    app.deploy_ok(&rollback, &editor, "production").await;
    assert_eq!(app.state("production", &newer).await, Some(1));
    assert_eq!(app.state("production", &only_staging).await, None);

    // With unpublish_missing, what production alone publishes goes too.
    let body = json!({"source": "staging", "name": "Mirror staging", "unpublish_missing": true});
    let (s, v) = app.post("/v1/environments/production/promote", ADMIN, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!((v["data"]["name"].as_str(), v["data"]["item_count"].as_i64()), (Some("Mirror staging"), Some(4)));
    app.deploy_ok(v["data"]["id"].as_str().unwrap(), ADMIN, "production").await;
    assert_eq!(compare_all(&app, "production", "staging", 50).await, vec![], "production now looks like staging");
    let (s, v) = app.post("/v1/environments/production/promote", ADMIN, json!({"source": "staging"})).await;
    assert_problem(s, &v, 422, "nothing_to_promote");
}

#[actix_web::test]
async fn m2_keys_promote_only_those_and_every_refusal_writes_nothing() {
    let app = spawn_with(Settings { max_release_items: 2, ..Settings::default() }).await;
    let [same, newer, only_staging, only_production] = two_environments(&app).await;
    let (_, viewer) = app.user("vi", "viewer").await;
    let (_, outsider) = app.editor("out", &["staging"]).await;
    let releases = || async { app.get("/v1/releases", ADMIN).await.1["data"].as_array().unwrap().len() };
    let key = |item: &str, locale: &str| json!({"item_id": item, "locale": locale});

    let refusals = [
        (&viewer, json!({"source": "staging"}), 403, "forbidden"),
        (&outsider, json!({"source": "staging"}), 403, "forbidden"),
        (&ADMIN.to_string(), json!({"source": "production"}), 422, "same_environment"),
        (&ADMIN.to_string(), json!({"source": "nowhere"}), 422, "environment_not_found"),
        (&ADMIN.to_string(), json!({}), 400, "invalid_request"),
        (&ADMIN.to_string(), json!({"source": "staging", "keys": []}), 400, "invalid_request"),
        (&ADMIN.to_string(), json!({"source": "staging", "name": ""}), 400, "invalid_request"),
        (
            &ADMIN.to_string(),
            json!({"source": "staging", "keys": [key(&newer, "en"), key(&newer, "en")]}),
            400,
            "invalid_request",
        ),
        (&ADMIN.to_string(), json!({"source": "staging", "keys": [key(&same, "en")]}), 422, "key_not_in_difference"),
        (
            &ADMIN.to_string(),
            json!({"source": "staging", "keys": [key(&only_production, "en")]}),
            422,
            "key_not_in_difference",
        ),
        (
            &ADMIN.to_string(),
            json!({"source": "staging", "keys": [key("0193a0b0-0000-7000-8000-000000000000", "en")]}),
            422,
            "key_not_in_difference",
        ),
        (&ADMIN.to_string(), json!({"source": "staging"}), 422, "release_too_large"),
    ];
    for (token, body, status, code) in refusals {
        let (s, v) = app.post("/v1/environments/production/promote", token, body.clone()).await;
        assert_problem(s, &v, status, code);
    }
    let (s, v) = app.post("/v1/environments/nowhere/promote", ADMIN, json!({"source": "staging"})).await;
    assert_problem(s, &v, 404, "not_found");
    assert_eq!(releases().await, 0, "no refusal left a release behind");

    let body = json!({"source": "staging", "keys": [key(&only_staging, "en"), key(&newer, "de")]});
    let (s, v) = app.post("/v1/environments/production/promote", ADMIN, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_str().unwrap();
    let (_, items) = app.get(&format!("/v1/releases/{id}/items"), ADMIN).await;
    let keys: Vec<(&str, &str, &str)> = items["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["item_id"].as_str().unwrap(), i["locale"].as_str().unwrap(), i["action"].as_str().unwrap()))
        .collect();
    assert_eq!(keys, [(newer.as_str(), "de", "publish"), (only_staging.as_str(), "en", "publish")]);
    let body = json!({"source": "staging", "unpublish_missing": true, "keys": [key(&only_production, "en")]});
    let (s, v) = app.post("/v1/environments/production/promote", ADMIN, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["data"]["item_count"], 1);
}
