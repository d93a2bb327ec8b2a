//! What a hostile caller sends (issue 19): look-alike names (X2), ids in other spellings (X2),
//! versions below 1 (P1), a bad locale on a locked release (L3), a grant to a viewer (P3).

mod common;

use actix_web::http::StatusCode;
use common::{assert_problem, spawn, ADMIN};
use serde_json::json;

#[actix_web::test]
async fn x2_invisible_and_bidirectional_names_are_400_and_names_compare_normalised() {
    let app = spawn().await;
    for name in ["\u{200b}", "\u{3164}", "\u{2800}", "\u{feff}", "admin\u{200b}", "\u{202e}admin", "ad\u{2066}min"] {
        let (s, v) = app.post("/v1/users", ADMIN, json!({"name": name, "role": "viewer"})).await;
        assert_problem(s, &v, 400, "invalid_request");
        let message = v["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("invisible") || message.contains("bidirectional"), "{name:?}: {v}");
        let (s, v) = app.post("/v1/releases", ADMIN, json!({"name": name})).await;
        assert_problem(s, &v, 400, "invalid_request");
    }
    // `admin` exists (the bootstrap): a trailing space is the same name.
    let (s, v) = app.post("/v1/users", ADMIN, json!({"name": "admin ", "role": "viewer"})).await;
    assert_problem(s, &v, 409, "name_taken");
    let (s, v) = app.post("/v1/users", ADMIN, json!({"name": "Ren\u{e9}e", "role": "viewer"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app.post("/v1/users", ADMIN, json!({"name": "Rene\u{301}e", "role": "viewer"})).await;
    assert_problem(s, &v, 409, "name_taken");
    let (s, v) = app.post("/v1/users", ADMIN, json!({"name": "  Zoe\u{308}  ", "role": "viewer"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["data"]["name"], "Zo\u{eb}", "stored NFC-normalised and trimmed");
    let (_, users) = app.get("/v1/users?limit=500", ADMIN).await;
    assert_eq!(users["data"].as_array().unwrap().len(), 3, "admin, Renée, Zoë: {users}");
    let (s, v) = app.post("/v1/releases", ADMIN, json!({"name": " Launch\u{200d}\u{1f680} "})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["data"]["name"], "Launch\u{200d}\u{1f680}");
}

#[actix_web::test]
async fn x2_ids_in_any_spelling_but_the_canonical_one_are_400() {
    let app = spawn().await;
    let r = app.release(ADMIN, "R", &[]).await;
    let (s, _) = app.get(&format!("/v1/releases/{r}"), ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    let bare = r.replace('-', "");
    for other in [r.to_uppercase(), format!("%7B{r}%7D"), format!("urn:uuid:{r}"), bare] {
        let (s, v) = app.get(&format!("/v1/releases/{other}"), ADMIN).await;
        assert_problem(s, &v, 400, "invalid_request");
    }
    app.env("prod").await;
    let item = app.item(1).await;
    let (s, v) = app
        .post(
            "/v1/environments/prod/publish",
            ADMIN,
            json!({"item_id": item.to_uppercase(), "locale": "en", "version": 1}),
        )
        .await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(app.event_count("prod").await, 0);
}

#[actix_web::test]
async fn p1_a_version_below_1_is_400_not_version_not_found() {
    let app = spawn().await;
    app.env("prod").await;
    let item = app.item(1).await;
    for version in [0, -1] {
        let (s, v) = app.publish("prod", ADMIN, &item, version).await;
        assert_problem(s, &v, 400, "invalid_request");
        assert_eq!(v["errors"][0]["field"], "version", "{v}");
        let r = app.release(ADMIN, "R", &[]).await;
        let (s, v) = app
            .post(
                &format!("/v1/releases/{r}/items"),
                ADMIN,
                json!({"items": [{"item_id": item, "locale": "en", "action": "publish", "version": version}]}),
            )
            .await;
        assert_problem(s, &v, 400, "invalid_request");
    }
    let (s, v) = app.publish("prod", ADMIN, &item, 2).await;
    assert_problem(s, &v, 422, "version_not_found");
    assert_eq!(app.event_count("prod").await, 0);
}

#[actix_web::test]
async fn l3_a_bad_locale_on_removing_an_item_is_400_before_release_locked() {
    let app = spawn().await;
    app.env("prod").await;
    let item = app.item(1).await;
    let r = app.release(ADMIN, "R", &[(&item, "publish", Some(1))]).await;
    app.deploy_ok(&r, ADMIN, "prod").await;
    let (s, v) = app.req("DELETE", &format!("/v1/releases/{r}/items/{item}?locale=EN_us"), ADMIN, None).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.req("DELETE", &format!("/v1/releases/{r}/items/{item}?locale=en"), ADMIN, None).await;
    assert_problem(s, &v, 409, "release_locked");
}

#[actix_web::test]
async fn p3_a_grant_to_a_viewer_is_422_grant_not_applicable() {
    let app = spawn().await;
    app.env("prod").await;
    let (viewer_id, viewer) = app.user("vi", "viewer").await;
    let (s, v) = app.req("PUT", &format!("/v1/users/{viewer_id}/grants/prod"), ADMIN, None).await;
    assert_problem(s, &v, 422, "grant_not_applicable");
    let (_, me) = app.get("/v1/me", &viewer).await;
    assert_eq!(me["data"]["grants"], json!([]), "{me}");
    let (s, _) = app.req("DELETE", &format!("/v1/users/{viewer_id}/grants/prod"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let item = app.item(1).await;
    let (s, v) = app.publish("prod", &viewer, &item, 1).await;
    assert_problem(s, &v, 403, "forbidden");
    assert!(v["detail"].as_str().unwrap().contains("viewer"), "{v}");
    let (editor_id, _) = app.user("ed", "editor").await;
    let (s, _) = app.req("PUT", &format!("/v1/users/{editor_id}/grants/prod"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}
