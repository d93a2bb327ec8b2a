//! U6: people see names, not ids: titles of versions and items, and the title search of
//! `GET /v1/items?q=`.

mod common;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use common::{assert_problem, spawn, TestApp, ADMIN};
use serde_json::{json, Value};

/// An entry whose version 1 in `locale` has `content`; answers its id.
async fn entry<S>(app: &TestApp<S>, locale: &str, content: Value) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let body = json!({"kind": "entry", "content_type": "page", "locale": locale, "content": content});
    let (s, v) = app.post("/v1/items", ADMIN, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["data"]["id"].as_str().unwrap().to_string()
}

/// The titles of the items `GET /v1/items?q=` finds, every page walked.
async fn found<S>(app: &TestApp<S>, q: &str) -> Vec<String>
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let titles = app.walk_pages(&format!("/v1/items?q={q}"), 2, "title").await;
    titles.into_iter().map(|t| t.as_str().unwrap_or_default().to_string()).collect()
}

#[actix_web::test]
async fn u6_versions_and_items_carry_the_title_of_their_content() {
    let app = spawn().await;
    let id = entry(&app, "fr", json!({"name": "Accueil", "label": "x"})).await;
    let (_, item) = app.get(&format!("/v1/items/{id}"), ADMIN).await;
    assert_eq!(item["data"]["title"], "Accueil");

    // A later locale does not retitle the item; an earlier one does; the first locale's latest
    // version does.
    let (s, v) = app
        .post(&format!("/v1/items/{id}/versions"), ADMIN, json!({"locale": "it", "content": {"title": "Casa"}}))
        .await;
    assert_eq!((s, &v["data"]["title"]), (StatusCode::CREATED, &json!("Casa")));
    assert_eq!(app.get(&format!("/v1/items/{id}"), ADMIN).await.1["data"]["title"], "Accueil");
    app.post(
        &format!("/v1/items/{id}/versions"),
        ADMIN,
        json!({"locale": "en", "content": {"title": 7, "label": "Home"}}),
    )
    .await;
    assert_eq!(app.get(&format!("/v1/items/{id}"), ADMIN).await.1["data"]["title"], "Home");
    app.post(&format!("/v1/items/{id}/versions"), ADMIN, json!({"locale": "en", "content": {"body": "no title"}}))
        .await;
    let (_, item) = app.get(&format!("/v1/items/{id}"), ADMIN).await;
    assert!(item["data"]["title"].is_null(), "{item}");

    let long = "é".repeat(250);
    let id2 = entry(&app, "en", json!({"title": long})).await;
    let (_, versions) = app.get(&format!("/v1/items/{id2}/versions"), ADMIN).await;
    assert_eq!(versions["data"][0]["title"].as_str().unwrap().chars().count(), 200);
    let (_, versions) = app.get(&format!("/v1/items/{id}/versions?limit=10"), ADMIN).await;
    let titles: Vec<&Value> = versions["data"].as_array().unwrap().iter().map(|v| &v["title"]).collect();
    assert_eq!(titles, [&Value::Null, &json!("Home"), &json!("Casa"), &json!("Accueil")]);
}

#[actix_web::test]
async fn u6_q_finds_titles_containing_the_text_case_insensitively_paged() {
    let app = spawn().await;
    for t in ["Summer Sale", "The summer of love", "Winter", "SUMMERTIME", "Ssummer"] {
        entry(&app, "en", json!({"title": t})).await;
    }
    entry(&app, "en", json!({"body": "untitled"})).await;
    let mut got = found(&app, "summer").await;
    got.sort();
    assert_eq!(got, ["SUMMERTIME", "Ssummer", "Summer Sale", "The summer of love"]);
    assert_eq!(found(&app, "MER OF").await, ["The summer of love"]);
    assert!(found(&app, "autumn").await.is_empty());
    // Newest first, as every list.
    assert_eq!(found(&app, "ummer").await.first().map(String::as_str), Some("Ssummer"));

    // A later version retitles the item; the search follows.
    let (_, list) = app.get("/v1/items?q=Winter", ADMIN).await;
    let winter = list["data"][0]["id"].as_str().unwrap().to_string();
    app.post(&format!("/v1/items/{winter}/versions"), ADMIN, json!({"locale": "en", "content": {"title": "Autumn"}}))
        .await;
    assert!(found(&app, "winter").await.is_empty());
    assert_eq!(found(&app, "autumn").await, ["Autumn"]);
}

#[actix_web::test]
async fn u6_percent_and_underscore_in_q_are_text() {
    let app = spawn().await;
    for t in ["100% cotton", "1000 cotton", "snake_case", "snakeXcase", "back\\slash"] {
        entry(&app, "en", json!({"title": t})).await;
    }
    assert_eq!(found(&app, "0% c").await, ["100% cotton"]);
    assert_eq!(found(&app, "e_c").await, ["snake_case"]);
    assert_eq!(found(&app, "%%%").await, Vec::<String>::new());
    assert_eq!(found(&app, "k\\s").await, ["back\\slash"]);
    assert_eq!(found(&app, "\"ca").await, Vec::<String>::new());
}

#[actix_web::test]
async fn u6_a_q_too_long_or_too_short_is_invalid_request() {
    let app = spawn().await;
    let (s, v) = app.get(&format!("/v1/items?q={}", "a".repeat(10_000)), ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(v["errors"][0]["field"], "q", "{v}");
    let (s, v) = app.get("/v1/items?q=ab", ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
    let (s, v) = app.get(&format!("/v1/items?q={}", "a".repeat(200)), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[actix_web::test]
async fn u6_release_items_plans_deployment_items_states_and_content_carry_titles_deployments_their_release_name() {
    let app = spawn().await;
    app.env("prod").await;
    let home = entry(&app, "en", json!({"title": "Home"})).await;
    let (s, _) = app
        .post(&format!("/v1/items/{home}/versions"), ADMIN, json!({"locale": "en", "content": {"title": "Home v2"}}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let about = entry(&app, "en", json!({"name": "About"})).await;
    assert_eq!(app.publish("prod", ADMIN, &about, 1).await.0, StatusCode::OK);
    let release =
        app.release(ADMIN, "Spring launch", &[(&home, "publish", Some(1)), (&about, "unpublish", None)]).await;

    // Release items and the plan: the version's title when a version is named, else the item's.
    let (_, items) = app.get(&format!("/v1/releases/{release}/items"), ADMIN).await;
    let titles: Vec<&Value> = items["data"].as_array().unwrap().iter().map(|i| &i["title"]).collect();
    assert_eq!(titles, [&json!("Home"), &json!("About")]);
    let (_, plan) = app.get(&format!("/v1/releases/{release}/preview?environment=prod"), ADMIN).await;
    let titles: Vec<&Value> = plan["data"].as_array().unwrap().iter().map(|i| &i["title"]).collect();
    assert_eq!(titles, [&json!("Home"), &json!("About")], "{plan}");

    let d = app.deploy_ok(&release, ADMIN, "prod").await;
    assert_eq!(d["release_name"], "Spring launch", "{d}");
    let titles: Vec<Value> =
        app.deployment_items(d["id"].as_str().unwrap()).await.iter().map(|i| i["title"].clone()).collect();
    assert_eq!(titles, [json!("Home"), json!("About")]);
    let (_, env) = app.get("/v1/environments/prod", ADMIN).await;
    assert_eq!(env["data"]["active_deployment"]["release_name"], "Spring launch");

    // Publish states (also as of a time), the publish answer, and the content.
    let (_, states) = app.get("/v1/environments/prod/publish-state", ADMIN).await;
    let mut titles: Vec<String> =
        states["data"].as_array().unwrap().iter().map(|s| s["title"].as_str().unwrap().to_string()).collect();
    titles.sort();
    assert_eq!(titles, ["About", "Home"]);
    let (_, states) = app.get("/v1/environments/prod/publish-state?at=2999-01-01T00:00:00Z", ADMIN).await;
    assert_eq!(states["data"].as_array().unwrap().len(), 2);
    assert!(states["data"].as_array().unwrap().iter().all(|s| s["title"].is_string()), "{states}");
    let (_, published) = app.publish("prod", ADMIN, &home, 2).await;
    assert_eq!(published["data"]["title"], "Home v2");
    let (_, content) = app.get("/v1/environments/prod/content", ADMIN).await;
    assert_eq!(content["data"][0]["title"], "Home v2", "{content}");

    // An environment rollback has no release; its plan carries titles too.
    let target = d["id"].as_str().unwrap();
    let (s, v) = app.get(&format!("/v1/environments/prod/rollback/preview?target_deployment_id={target}"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items = v["data"]["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.iter().all(|i| i["title"] == "Home v2" || i["title"] == "Home"), "{v}");
    let (s, v) = app.rollback_environment("prod", ADMIN, json!({"target_deployment_id": target})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert!(v["data"]["deployment"]["release_name"].is_null(), "{v}");
}

#[test]
fn u6_the_migration_titles_the_versions_and_items_before_it_as_new_ones_are_titled() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use rewind::db::schema::{items, versions};
    let db = common::TestDb::new();
    let mut conn = db.connect();
    common::migrate_before(&mut conn, "_titles");
    let long = "é".repeat(250);
    conn.batch_execute(&format!(
        "INSERT INTO items (id, kind, content_type, created_at) VALUES ('a', 'entry', 'p', '2026-01-01 00:00:00'), \
           ('b', 'entry', 'p', '2026-01-01 00:00:00'); \
         INSERT INTO versions (item_id, locale, version, content, refs, created_at) VALUES \
           ('a', 'fr', 1, '{{\"title\": \"Accueil\"}}', '[]', '2026-01-01 00:00:00'), \
           ('a', 'en', 1, '{{\"title\": 5, \"name\": \"Home\"}}', '[]', '2026-01-01 00:00:00'), \
           ('a', 'en', 2, '{{\"title\": \"\", \"label\": \"Home 2\"}}', '[]', '2026-01-01 00:00:00'), \
           ('b', 'en', 1, '{{\"title\": \"{long}\"}}', '[]', '2026-01-01 00:00:00'), \
           ('b', 'en-us', 1, '{{\"body\": \"none\"}}', '[]', '2026-01-01 00:00:00');"
    ))
    .unwrap();
    rewind::db::migrate(&mut conn).unwrap();
    let mut got: Vec<(String, String, i32, Option<String>)> = versions::table
        .select((versions::item_id, versions::locale, versions::version, versions::title))
        .load(&mut conn)
        .unwrap();
    got.sort();
    let short: String = long.chars().take(200).collect();
    let v = |i: &str, l: &str, n: i32, t: Option<&str>| (i.to_string(), l.to_string(), n, t.map(str::to_string));
    assert_eq!(
        got,
        [
            v("a", "en", 1, Some("Home")),
            v("a", "en", 2, Some("Home 2")),
            v("a", "fr", 1, Some("Accueil")),
            v("b", "en", 1, Some(&short)),
            v("b", "en-us", 1, None),
        ]
    );
    let mut items: Vec<(String, Option<String>)> =
        items::table.select((items::id, items::title)).load(&mut conn).unwrap();
    items.sort();
    assert_eq!(items, [("a".to_string(), Some("Home 2".to_string())), ("b".to_string(), Some(short))]);
    common::revert_through(&mut conn, "_titles");
    rewind::db::migrate(&mut conn).unwrap();
}
