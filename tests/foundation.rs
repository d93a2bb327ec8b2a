//! Users, environments, items, publishing (P1–P3) and the request rules (X1, X2, X4).

mod common;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use common::{assert_problem, spawn, ADMIN};
use serde_json::{json, Value};

#[actix_web::test]
async fn p1_publish_sets_state_and_writes_one_event_also_for_a_republish() {
    let app = spawn().await;
    app.env("production").await;
    let item = app.item(2).await;
    let (s, v) = app.publish("production", ADMIN, &item, 1).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["version"], 1);
    assert_eq!(app.state("production", &item).await, Some(1));
    assert_eq!(app.event_count("production").await, 1);
    // A republish of the published version is a change too.
    let (s, v) = app.publish("production", ADMIN, &item, 1).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.event_count("production").await, 2);
    let (_, ev) = app.get("/v1/environments/production/events", ADMIN).await;
    assert_eq!(ev["data"][0]["from_version"], 1);
    assert_eq!(ev["data"][0]["to_version"], 1);
    assert_eq!(ev["data"][0]["cause"], "manual");
    assert_eq!(ev["data"][0]["id"], v["data"]["last_event_id"]);
}

#[actix_web::test]
async fn p1_publishing_an_unknown_version_is_422_and_writes_nothing() {
    let app = spawn().await;
    app.env("production").await;
    let item = app.item(1).await;
    let (s, v) = app.publish("production", ADMIN, &item, 7).await;
    assert_problem(s, &v, 422, "version_not_found");
    let (s, v) = app
        .post("/v1/environments/production/publish", ADMIN, json!({"item_id": item, "locale": "de", "version": 1}))
        .await;
    assert_problem(s, &v, 422, "version_not_found");
    assert_eq!(app.event_count("production").await, 0);
    assert_eq!(app.state("production", &item).await, None);
}

#[actix_web::test]
async fn p2_unpublish_sets_none_and_unpublishing_the_unpublished_is_409() {
    let app = spawn().await;
    app.env("production").await;
    let item = app.item(1).await;
    let (s, v) = app.unpublish("production", ADMIN, &item).await;
    assert_problem(s, &v, 409, "not_published");
    assert_eq!(app.event_count("production").await, 0);
    app.publish("production", ADMIN, &item, 1).await;
    let (s, v) = app.unpublish("production", ADMIN, &item).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["data"]["version"].is_null());
    assert_eq!(app.event_count("production").await, 2);
    let (s, v) = app.unpublish("production", ADMIN, &item).await;
    assert_problem(s, &v, 409, "not_published");
    assert_eq!(app.event_count("production").await, 2);
}

#[actix_web::test]
async fn p3_publishing_needs_a_grant_on_the_environment_or_admin() {
    let app = spawn().await;
    app.env("production").await;
    app.env("staging").await;
    let item = app.item(1).await;
    let (_, editor) = app.editor("ed", &["staging"]).await;
    let (_, viewer) = app.user("vi", "viewer").await;
    let (s, v) = app.publish("production", &editor, &item, 1).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = app.publish("production", &viewer, &item, 1).await;
    assert_problem(s, &v, 403, "forbidden");
    assert_eq!(app.state("production", &item).await, None);
    let (s, _) = app.publish("staging", &editor, &item, 1).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app.unpublish("production", &editor, &item).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = app.get("/v1/me", &editor).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"]["grants"], json!(["staging"]));
}

#[actix_web::test]
async fn x1_errors_are_problem_json_with_a_code_and_field_errors() {
    let app = spawn().await;
    let r = TestRequest::post()
        .uri("/v1/environments")
        .insert_header(("authorization", format!("Bearer {ADMIN}")))
        .set_json(json!({"name": "Bad Name"}));
    let (s, h, v) = app.call(r).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(h.get("content-type").unwrap(), "application/problem+json");
    assert_eq!(v["errors"][0]["field"], "name");
    assert!(v["type"].is_string() && v["title"].is_string() && v["detail"].is_string());
}

#[actix_web::test]
async fn x2_malformed_input_is_400_invalid_request() {
    let app = spawn().await;
    app.env("production").await;
    let bad_json = TestRequest::post()
        .uri("/v1/items")
        .insert_header(("authorization", format!("Bearer {ADMIN}")))
        .insert_header(("content-type", "application/json"))
        .set_payload("{\"kind\": ");
    let (s, _, v) = app.call(bad_json).await;
    assert_problem(s, &v, 400, "invalid_request");
    let cases = [
        ("/v1/items", json!({"kind": "entry", "content_type": "p", "locale": "en", "content": {}, "extra": 1})),
        ("/v1/items", json!({"kind": "blob", "locale": "en", "content": {}})),
        ("/v1/items", json!({"kind": "entry", "content_type": "p", "locale": "EN", "content": {}})),
        ("/v1/items", json!({"kind": "entry", "content_type": "p", "locale": "en", "content": [1]})),
        ("/v1/environments/production/publish", json!({"item_id": "not-a-uuid", "locale": "en", "version": 1})),
        ("/v1/environments/production/publish", json!({"item_id": "x", "locale": "en", "version": "one"})),
        ("/v1/users", json!({"name": "x", "role": "root"})),
    ];
    for (path, body) in cases {
        let (s, v) = app.post(path, ADMIN, body.clone()).await;
        assert_problem(s, &v, 400, "invalid_request");
    }
    let (s, v) = app.get("/v1/items/not-a-uuid", ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.get("/v1/items?limit=0", ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.get("/v1/items?limit=abc", ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.get("/v1/environments/production/publish-state?at=yesterday", ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
}

#[actix_web::test]
async fn x2_no_or_bad_token_is_401_with_www_authenticate() {
    let app = spawn().await;
    let (s, h, v) = app.call(TestRequest::get().uri("/v1/me")).await;
    assert_problem(s, &v, 401, "unauthorized");
    assert_eq!(h.get("www-authenticate").unwrap(), "Bearer");
    let (s, v) = app.get("/v1/me", "wrong").await;
    assert_problem(s, &v, 401, "unauthorized");
}

#[actix_web::test]
async fn x2_the_bearer_scheme_is_case_insensitive() {
    let app = spawn().await;
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let req = TestRequest::get().uri("/v1/me").insert_header(("authorization", format!("{scheme} {ADMIN}")));
        let (s, _, v) = app.call(req).await;
        assert_eq!(s, StatusCode::OK, "{scheme}: {v}");
        assert_eq!(v["data"]["name"], "admin");
    }
    for header in [format!("Basic {ADMIN}"), format!("Bearer{ADMIN}"), "bearer ".to_string()] {
        let (s, _, v) = app.call(TestRequest::get().uri("/v1/me").insert_header(("authorization", header))).await;
        assert_problem(s, &v, 401, "unauthorized");
    }
}

#[actix_web::test]
async fn x2_bodies_over_the_limit_and_content_over_1_mib_are_413() {
    let app = spawn().await;
    let big = "x".repeat(1024 * 1024 + 10);
    let (s, v) = app.post("/v1/items", ADMIN, json!({"kind": "asset", "locale": "en", "content": {"data": big}})).await;
    assert_problem(s, &v, 413, "payload_too_large");
    let huge = "x".repeat(3 * 1024 * 1024);
    let (s, v) =
        app.post("/v1/items", ADMIN, json!({"kind": "asset", "locale": "en", "content": {"data": huge}})).await;
    assert_problem(s, &v, 413, "payload_too_large");
    let (_, v) = app.get("/v1/items", ADMIN).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 0, "nothing was written");
}

#[actix_web::test]
async fn x2_taken_names_are_409_and_unknown_routes_404() {
    let app = spawn().await;
    app.env("production").await;
    let (s, v) = app.post("/v1/environments", ADMIN, json!({"name": "production"})).await;
    assert_problem(s, &v, 409, "name_taken");
    app.user("ann", "editor").await;
    let (s, v) = app.post("/v1/users", ADMIN, json!({"name": "ann", "role": "viewer"})).await;
    assert_problem(s, &v, 409, "name_taken");
    let (s, v) = app.get("/v1/nowhere", ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    let (s, v) = app.get("/nowhere", ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    let (s, v) = app.get("/v1/environments/staging", ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
}

#[actix_web::test]
async fn x2_only_admins_manage_users_and_environments() {
    let app = spawn().await;
    let (id, editor) = app.user("ed", "editor").await;
    let (s, v) = app.post("/v1/environments", &editor, json!({"name": "x"})).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, v) = app.post("/v1/users", &editor, json!({"name": "y", "role": "admin"})).await;
    assert_problem(s, &v, 403, "forbidden");
    let (s, _) = app.post(&format!("/v1/users/{id}/tokens"), &editor, json!({"label": "mine"})).await;
    assert_eq!(s, StatusCode::CREATED, "a user may make their own token");
    let (admin_id, _) = {
        let (_, me) = app.get("/v1/me", ADMIN).await;
        (me["data"]["id"].as_str().unwrap().to_string(), ())
    };
    let (s, v) = app.post(&format!("/v1/users/{admin_id}/tokens"), &editor, json!({})).await;
    assert_problem(s, &v, 403, "forbidden");
}

#[actix_web::test]
async fn x4_lists_page_newest_first_with_a_cursor() {
    let app = spawn().await;
    let mut ids = vec![];
    for _ in 0..5 {
        ids.push(app.item(1).await);
    }
    ids.reverse();
    let (_, p1) = app.get("/v1/items?limit=2", ADMIN).await;
    let got: Vec<&str> = p1["data"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(got, &ids[0..2]);
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = app.get(&format!("/v1/items?limit=2&cursor={cursor}"), ADMIN).await;
    let (_, p3) = app.get(&format!("/v1/items?limit=2&cursor={}", p2["next_cursor"].as_str().unwrap()), ADMIN).await;
    assert_eq!(p2["data"][0]["id"], ids[2]);
    assert_eq!(p3["data"].as_array().unwrap().len(), 1);
    assert!(p3["next_cursor"].is_null());
    let (_, one) = app.get(&format!("/v1/items/{}", ids[0]), ADMIN).await;
    assert_eq!(one["data"]["id"], ids[0]);
}

#[actix_web::test]
async fn x4_publish_state_as_of_a_time_and_the_log_filtered_by_item() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(3).await;
    let b = app.item(1).await;
    app.publish("production", ADMIN, &a, 1).await;
    app.publish("production", ADMIN, &b, 1).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    let then = chrono::Utc::now().to_rfc3339();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    app.publish("production", ADMIN, &a, 3).await;
    app.unpublish("production", ADMIN, &b).await;
    let (s, v) =
        app.get(&format!("/v1/environments/production/publish-state?at={}", then.replace('+', "%2B")), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let at: Vec<(String, i64)> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["item_id"].as_str().unwrap().to_string(), s["version"].as_i64().unwrap()))
        .collect();
    assert_eq!(at.len(), 2);
    assert!(at.contains(&(a.clone(), 1)) && at.contains(&(b.clone(), 1)));
    assert_eq!(app.state("production", &a).await, Some(3));
    assert_eq!(app.state("production", &b).await, None);
    let (_, ev) = app.get(&format!("/v1/environments/production/events?item_id={a}"), ADMIN).await;
    assert_eq!(ev["data"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn x4_publish_state_and_log_page_newest_first_with_and_without_an_item_filter() {
    let app = spawn().await;
    app.env("production").await;
    let a = app.item(3).await;
    let b = app.item(3).await;
    for v in 1..=3 {
        app.publish("production", ADMIN, &a, v).await;
        app.publish("production", ADMIN, &b, v).await;
    }
    app.unpublish("production", ADMIN, &a).await;
    let log = app.walk_pages("/v1/environments/production/events?", 2, "id").await;
    let ids: Vec<i64> = log.iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 7);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats: {ids:?}");
    let of_a = app.walk_pages(&format!("/v1/environments/production/events?item_id={a}"), 2, "id").await;
    let want: Vec<Value> = log.iter().step_by(2).cloned().collect();
    assert_eq!(of_a, want, "a's four events, newest first");
    let states = app.walk_pages("/v1/environments/production/publish-state?", 1, "item_id").await;
    assert_eq!(states, vec![json!(a), json!(b)], "a was changed last");
    let one = app.walk_pages(&format!("/v1/environments/production/publish-state?item_id={b}"), 1, "version").await;
    assert_eq!(one, vec![json!(3)]);
}

#[actix_web::test]
async fn versions_number_per_locale_and_references_must_exist() {
    let app = spawn().await;
    let a = app.item(2).await;
    let (s, v) = app.post(&format!("/v1/items/{a}/versions"), ADMIN, json!({"locale": "de", "content": {}})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["data"]["version"], 1);
    let (_, item) = app.get(&format!("/v1/items/{a}"), ADMIN).await;
    assert_eq!(item["data"]["locales"], json!({"de": 1, "en": 2}));
    let ghost = uuid::Uuid::now_v7().to_string();
    let (s, v) = app
        .post(&format!("/v1/items/{a}/versions"), ADMIN, json!({"locale": "en", "content": {}, "references": [ghost]}))
        .await;
    assert_problem(s, &v, 422, "item_not_found");
    let (_, list) = app.get(&format!("/v1/items/{a}/versions"), ADMIN).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 3);
    let (s, v) = app.post("/v1/items", ADMIN, json!({"kind": "entry", "locale": "en", "content": {}})).await;
    assert_problem(s, &v, 400, "invalid_request");
}

#[actix_web::test]
async fn health_metrics_and_openapi_need_no_token() {
    let app = spawn().await;
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs/"] {
        let (s, _, _) = app.call(TestRequest::get().uri(path)).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
    let (_, _, doc) = app.call(TestRequest::get().uri("/openapi.json")).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/v1/releases/{id}/rollback"].is_object());
    let (_, h, _) = app.call(TestRequest::get().uri("/healthz")).await;
    assert!(h.contains_key("x-request-id"));
}

#[test]
fn migrations_run_up_down_up() {
    let db = common::TestDb::new();
    let mut conn = db.connect();
    rewind::db::migrate(&mut conn).unwrap();
    rewind::db::revert_all(&mut conn).unwrap();
    rewind::db::migrate(&mut conn).unwrap();
    use diesel::prelude::*;
    let n: i64 = rewind::db::schema::publish_events::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n, 0);
}

#[test]
fn migration_to_item_keys_keeps_release_and_deployment_items_with_their_item_ids() {
    use diesel::connection::SimpleConnection;
    let db = common::TestDb::new();
    let mut conn = db.connect();
    common::migrate_before(&mut conn, "_item_keys_in_release_and_deployment_items");
    conn.batch_execute(
        "INSERT INTO users (id, name, role, created_at) VALUES ('u', 'admin', 'admin', '2026-01-01 00:00:00'); \
         INSERT INTO items (id, kind, content_type, created_at) VALUES ('a', 'entry', 'p', '2026-01-01 00:00:00'), \
           ('b', 'asset', NULL, '2026-01-01 00:00:00'); \
         INSERT INTO releases (id, name, description, kind, rollback_of, owner, created_at, deleted_at, item_count) \
           VALUES ('r', 'Launch', NULL, 'standard', NULL, 'u', '2026-01-01 00:00:00', NULL, 2); \
         INSERT INTO release_items (release_id, item_id, locale, action, version, position) \
           VALUES ('r', 'b', 'de', 'unpublish', NULL, 0), ('r', 'a', 'en', 'publish', 2, 1); \
         INSERT INTO deployment_items (deployment_id, position, item_id, locale, action, version, prior_version, \
           outcome, skip_reason, event_id, warnings) \
           VALUES ('d', 0, 'b', 'de', 'unpublish', NULL, NULL, 'skipped', 'already_unpublished', NULL, '[]'), \
           ('d', 1, 'a', 'en', 'publish', 2, 1, 'published', NULL, 7, '[]');",
    )
    .unwrap();
    rewind::db::migrate(&mut conn).unwrap();
    let items = rewind::db::releases::items(&mut conn, "r", None, 10).unwrap().data;
    let items: Vec<_> = items.iter().map(|i| (i.item_id.as_str(), i.locale.as_str(), i.version, i.position)).collect();
    assert_eq!(items, vec![("b", "de", None, 0), ("a", "en", Some(2), 1)]);
    let items = rewind::db::deployments::items_page(&mut conn, "d", None, None, 10).unwrap().data;
    let items: Vec<_> =
        items.iter().map(|i| (i.item_id.as_str(), i.outcome.as_str(), i.prior_version, i.event_id)).collect();
    assert_eq!(items, vec![("b", "skipped", None, None), ("a", "published", Some(1), Some(7))]);
    // And back: the down migration names each item by its id again.
    common::revert_through(&mut conn, "_item_keys_in_release_and_deployment_items");
    #[derive(diesel::QueryableByName)]
    struct Named {
        #[diesel(sql_type = diesel::sql_types::Text)]
        item_id: String,
    }
    for table in ["release_items", "deployment_items"] {
        let rows: Vec<Named> = diesel::RunQueryDsl::load(
            diesel::sql_query(format!("SELECT item_id FROM {table} ORDER BY position")),
            &mut conn,
        )
        .unwrap();
        assert_eq!(rows.iter().map(|r| r.item_id.as_str()).collect::<Vec<_>>(), vec!["b", "a"], "{table}");
    }
}

#[actix_web::test]
async fn x1_x2_validation_names_the_rule_that_failed() {
    let app = spawn().await;
    let (s, r) = app.post("/v1/releases", ADMIN, json!({"name": "Launch"})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let id = r["data"]["id"].as_str().unwrap();
    let (s, v) = app.req("PATCH", &format!("/v1/releases/{id}"), ADMIN, Some(json!({"name": "Launch\u{7}"}))).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(v["errors"][0]["field"], "name", "{v}");
    assert_eq!(v["errors"][0]["message"], "must not contain control characters", "{v}");
    let (s, v) = app.post("/v1/users", ADMIN, json!({"name": " ", "role": "viewer"})).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(v["errors"][0]["message"], "must not be blank", "{v}");
    let (s, v) = app.post("/v1/releases", ADMIN, json!({"name": "x".repeat(201)})).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(v["errors"][0]["message"], "must be 1 to 200 characters", "{v}");
}

#[actix_web::test]
async fn x2_free_text_with_a_nul_or_over_its_length_is_400_and_writes_nothing() {
    let app = spawn().await;
    app.env("production").await;
    let (_, me) = app.get("/v1/me", ADMIN).await;
    let me = me["data"]["id"].as_str().unwrap().to_string();
    let nul = "tab\tand\nline, then a NUL\u{0}";
    let (s, v) = app.post(&format!("/v1/users/{me}/tokens"), ADMIN, json!({"label": nul})).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(v["errors"][0]["field"], "label", "{v}");
    let (s, v) = app.post("/v1/releases", ADMIN, json!({"name": "Launch", "description": nul})).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(v["errors"][0]["field"], "description", "{v}");
    let (_, list) = app.get("/v1/releases", ADMIN).await;
    assert_eq!(list["data"], json!([]), "nothing was created");
    let (s, r) = app.post("/v1/releases", ADMIN, json!({"name": "Launch", "description": "tab\tand\nline"})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let id = r["data"]["id"].as_str().unwrap();
    let long = "x".repeat(2001);
    let (s, v) = app.req("PATCH", &format!("/v1/releases/{id}"), ADMIN, Some(json!({"description": long}))).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(v["errors"][0]["message"], "must be at most 2000 characters", "{v}");
    let (s, v) = app.rollback_environment("production", ADMIN, json!({"reason": nul})).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(v["errors"][0]["field"], "reason", "{v}");
}

#[actix_web::test]
async fn x4_a_cursor_of_the_publish_log_takes_any_event_id() {
    let app = spawn().await;
    app.env("production").await;
    for path in ["events", "publish-state"] {
        let (s, v) = app.get(&format!("/v1/environments/production/{path}?cursor=123456789012345678"), ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = app.get(&format!("/v1/environments/production/{path}?cursor=1234567890123456789"), ADMIN).await;
        assert_problem(s, &v, 400, "invalid_request");
    }
}

#[actix_web::test]
async fn x2_a_taken_name_is_name_taken_without_database_text() {
    let app = spawn().await;
    app.env("production").await;
    let (s, v) = app.post("/v1/environments", ADMIN, json!({"name": "production"})).await;
    assert_problem(s, &v, 409, "name_taken");
    let (s, v) = app.post("/v1/users", ADMIN, json!({"name": "admin", "role": "viewer"})).await;
    assert_problem(s, &v, 409, "name_taken");
    let text = v.to_string().to_lowercase();
    assert!(!text.contains("unique") && !text.contains("constraint"), "{v}");
}

#[actix_web::test]
async fn x2_a_body_that_is_not_a_json_object_is_400() {
    let app = spawn().await;
    let (s, r) = app.post("/v1/releases", ADMIN, json!({"name": "Launch"})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let id = r["data"]["id"].as_str().unwrap();
    let (s, v) = app.req("PATCH", &format!("/v1/releases/{id}"), ADMIN, Some(json!([null, null]))).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.post("/v1/releases", ADMIN, json!(["Launch"])).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.post(&format!("/v1/releases/{id}/deploy"), ADMIN, json!([["production"]])).await;
    assert_problem(s, &v, 400, "invalid_request");
}

#[actix_web::test]
async fn x2_a_known_route_under_another_method_is_405_with_allow() {
    let app = spawn().await;
    let (s, h, v) = app.call(TestRequest::default().method("PUT".parse().unwrap()).uri("/healthz")).await;
    assert_problem(s, &v, 405, "method_not_allowed");
    assert_eq!(h.get("allow").unwrap(), "GET");
    let (s, _, v) = app.call(TestRequest::get().uri("/v1/no-such-route")).await;
    assert_problem(s, &v, 404, "not_found");
}

#[actix_web::test]
async fn x1_the_openapi_document_resolves_every_ref_and_documents_problems() {
    let app = spawn().await;
    let (s, _, doc) = app.call(TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(s, StatusCode::OK);
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| match (k.as_str(), v.as_str()) {
                ("$ref", Some(r)) => out.push(r.to_string()),
                _ => refs(v, out),
            }),
            serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = vec![];
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in &all {
        let pointer = r.strip_prefix('#').expect("a local $ref");
        assert!(doc.pointer(pointer).is_some(), "unresolved $ref {r}");
    }
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_string()), "operationId {id} twice");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('4')), "{method} {path} has no 4xx answer");
            if path.starts_with("/v1/") {
                let problem = &responses["401"]["content"]["application/problem+json"];
                assert!(problem.is_object(), "{method} {path} has no problem+json 401");
            } else {
                assert_eq!(op["security"], json!([]), "{method} {path} needs no token");
            }
        }
    }
    assert!(doc["servers"][0]["url"].is_string());
}
