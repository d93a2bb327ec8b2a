//! What the website reads (V1, V2): an environment's published content, paged and filtered, one
//! key, with ETags; as it was at a time, right after a deployment, or as if a release were
//! deployed now.

mod common;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use common::{assert_problem, spawn, TestApp, ADMIN};
use serde_json::{json, Value};

/// An entry of `content_type` with version 1 in each of `locales`, titled `title`; answers its id.
async fn entry<S>(app: &TestApp<S>, content_type: &str, title: &str, locales: &[&str]) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let body =
        json!({"kind": "entry", "content_type": content_type, "locale": locales[0], "content": {"title": title}});
    let (s, v) = app.post("/v1/items", ADMIN, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_str().unwrap().to_string();
    for l in &locales[1..] {
        let (s, v) = app
            .post(
                &format!("/v1/items/{id}/versions"),
                ADMIN,
                json!({"locale": l, "content": {"title": format!("{title} {l}")}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    id
}

/// Publishes `(item, locale, version)` in `prod` as the admin; answers the state's event id.
async fn publish<S>(app: &TestApp<S>, item: &str, locale: &str, version: i32) -> i64
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let body = json!({"item_id": item, "locale": locale, "version": version});
    let (s, v) = app.post("/v1/environments/prod/publish", ADMIN, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"]["last_event_id"].as_i64().unwrap()
}

/// `(item_id, locale, version)` of each row of `GET path` (every page walked, 2 at a time).
async fn keys<S>(app: &TestApp<S>, path: &str) -> Vec<(String, String, i64)>
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = vec![];
    let mut next = format!("{path}{sep}limit=2");
    loop {
        let (s, v) = app.get(&next, ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for r in v["data"].as_array().unwrap() {
            out.push((
                r["item_id"].as_str().unwrap().into(),
                r["locale"].as_str().unwrap().into(),
                r["version"].as_i64().unwrap(),
            ));
        }
        match v["next_cursor"].as_str() {
            Some(c) => next = format!("{path}{sep}limit=2&cursor={c}"),
            None => return out,
        }
    }
}

fn k(item: &str, locale: &str, version: i64) -> (String, String, i64) {
    (item.to_string(), locale.to_string(), version)
}

#[actix_web::test]
async fn v1_content_is_the_published_keys_in_item_then_locale_order_paged_and_filtered() {
    let app = spawn().await;
    app.env("prod").await;
    let a = entry(&app, "page", "About", &["fr", "en"]).await;
    let b = entry(&app, "page", "Blog", &["en"]).await;
    let c = entry(&app, "post", "Cats", &["en"]).await;
    let d = entry(&app, "post", "Dogs", &["en"]).await;
    publish(&app, &a, "fr", 1).await;
    publish(&app, &a, "en", 1).await;
    publish(&app, &c, "en", 1).await;
    publish(&app, &d, "en", 1).await;
    let (s, _) = app.unpublish("prod", ADMIN, &d).await;
    assert_eq!(s, StatusCode::OK);
    let _ = b; // never published

    assert_eq!(keys(&app, "/v1/environments/prod/content").await, [k(&a, "en", 1), k(&a, "fr", 1), k(&c, "en", 1)]);
    assert_eq!(
        keys(&app, &format!("/v1/environments/prod/content?item_id={a}")).await,
        [k(&a, "en", 1), k(&a, "fr", 1)]
    );
    assert_eq!(keys(&app, "/v1/environments/prod/content?locale=en").await, [k(&a, "en", 1), k(&c, "en", 1)]);
    assert_eq!(keys(&app, "/v1/environments/prod/content?content_type=post").await, [k(&c, "en", 1)]);
    let unknown = "01890000-0000-7000-8000-000000000000";
    assert!(keys(&app, &format!("/v1/environments/prod/content?item_id={unknown}")).await.is_empty());

    // A viewer's token is a delivery token; a row carries the version's content and title.
    let (_, viewer) = app.user("web", "viewer").await;
    let (s, v) = app.get("/v1/environments/prod/content?locale=fr", &viewer).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let row = &v["data"][0];
    assert_eq!(
        (row["title"].as_str(), row["kind"].as_str(), row["content_type"].as_str()),
        (Some("About"), Some("entry"), Some("page"))
    );
    assert_eq!(row["content"], json!({"title": "About"}));
    assert_eq!(row["references"], json!([]));
    assert!(row["published_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{row}");

    for bad in ["limit=0", "limit=501", "cursor=nonsense", "locale=EN", "item_id=42"] {
        let (s, v) = app.get(&format!("/v1/environments/prod/content?{bad}"), ADMIN).await;
        let code = if bad.starts_with("cursor") { "invalid_cursor" } else { "invalid_request" };
        assert_problem(s, &v, 400, code);
    }
    let (s, v) = app.get("/v1/environments/nowhere/content", ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    let (s, v) = app.get("/v1/environments/prod/content", "bad-token").await;
    assert_problem(s, &v, 401, "unauthorized");
}

#[actix_web::test]
async fn v1_one_key_answers_its_content_or_404_not_published() {
    let app = spawn().await;
    app.env("prod").await;
    let a = entry(&app, "page", "About", &["en", "fr"]).await;
    let b = entry(&app, "page", "Blog", &["en"]).await;
    publish(&app, &a, "en", 1).await;
    publish(&app, &a, "fr", 1).await;
    let (_, viewer) = app.user("web", "viewer").await;

    let (s, v) = app.get(&format!("/v1/environments/prod/content/{a}?locale=fr"), &viewer).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["data"]["locale"].as_str(), v["data"]["title"].as_str()), (Some("fr"), Some("About fr")));
    // Without a locale: the one it is published in, else 400 naming `locale`.
    let (s, v) = app.get(&format!("/v1/environments/prod/content/{a}"), &viewer).await;
    assert_problem(s, &v, 400, "invalid_request");
    assert_eq!(v["errors"][0]["field"], "locale");
    let (s, v) = app.unpublish("prod", ADMIN, &a).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.get(&format!("/v1/environments/prod/content/{a}"), &viewer).await;
    assert_eq!((s, v["data"]["locale"].as_str()), (StatusCode::OK, Some("fr")));

    let (s, v) = app.get(&format!("/v1/environments/prod/content/{a}?locale=en"), &viewer).await;
    assert_problem(s, &v, 404, "not_published");
    let (s, v) = app.get(&format!("/v1/environments/prod/content/{b}"), &viewer).await;
    assert_problem(s, &v, 404, "not_published");
    let (s, v) = app.get("/v1/environments/prod/content/not-an-id", &viewer).await;
    assert_problem(s, &v, 400, "invalid_request");
}

/// `GET path` with `If-None-Match: tag` (none when empty): status, ETag and body.
async fn conditional<S>(app: &TestApp<S>, path: &str, tag: &str) -> (StatusCode, String, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let mut r = TestRequest::get().uri(path).insert_header(("authorization", format!("Bearer {ADMIN}")));
    if !tag.is_empty() {
        r = r.insert_header(("if-none-match", tag));
    }
    let (s, h, v) = app.call(r).await;
    (s, h.get("etag").map(|t| t.to_str().unwrap().to_string()).unwrap_or_default(), v)
}

#[actix_web::test]
async fn v1_an_etag_answers_304_until_the_content_changes() {
    let app = spawn().await;
    app.env("prod").await;
    let a = entry(&app, "page", "About", &["en"]).await;
    publish(&app, &a, "en", 1).await;
    let list = "/v1/environments/prod/content";
    let one = format!("/v1/environments/prod/content/{a}?locale=en");

    for path in [list, one.as_str()] {
        let (s, tag, v) = conditional(&app, path, "").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        let (s, again, v) = conditional(&app, path, &tag).await;
        assert_eq!((s, &again, &v), (StatusCode::NOT_MODIFIED, &tag, &Value::Null));
        let (s, _, _) = conditional(&app, path, &format!("\"other\", W/{tag}")).await;
        assert_eq!(s, StatusCode::NOT_MODIFIED);

        // Another question, another tag.
        let (_, other, _) = conditional(&app, &format!("{list}?limit=7"), "").await;
        assert_ne!(other, tag);

        // A change of the environment's content changes the tag, and the answer.
        app.post(&format!("/v1/items/{a}/versions"), ADMIN, json!({"locale": "en", "content": {"title": "New"}})).await;
        let version = if path == list { 2 } else { 3 };
        publish(&app, &a, "en", version).await;
        let (s, changed, v) = conditional(&app, path, &tag).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_ne!(changed, tag);
    }
}

#[actix_web::test]
async fn v2_at_answers_the_content_as_it_was_then_empty_before_the_first_event_now_in_the_future() {
    let app = spawn().await;
    app.env("prod").await;
    let a = entry(&app, "page", "About", &["en"]).await;
    app.post(&format!("/v1/items/{a}/versions"), ADMIN, json!({"locale": "en", "content": {"title": "About 2"}})).await;
    publish(&app, &a, "en", 1).await;
    let (_, states) = app.get("/v1/environments/prod/events", ADMIN).await;
    let first_at = states["data"][0]["at"].as_str().unwrap().to_string();
    publish(&app, &a, "en", 2).await;

    let q = |at: &str| format!("/v1/environments/prod/content?at={}", at.replace('+', "%2B"));
    assert_eq!(keys(&app, &q(&first_at)).await, [k(&a, "en", 1)]);
    assert!(keys(&app, &q("2001-01-01T00:00:00Z")).await.is_empty());
    assert_eq!(keys(&app, &q("2999-01-01T00:00:00+02:00")).await, [k(&a, "en", 2)]);
    let (s, v) = app.get(&format!("/v1/environments/prod/content/{a}?locale=en&at={first_at}"), ADMIN).await;
    assert_eq!((s, v["data"]["title"].as_str()), (StatusCode::OK, Some("About")));
    let (s, v) = app.get(&q("yesterday"), ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
}

#[actix_web::test]
async fn v2_deployment_answers_the_content_right_after_it_ended_of_this_environment_only() {
    let app = spawn().await;
    app.env("prod").await;
    app.env("stage").await;
    let (_, ed) = app.editor("ed", &["prod", "stage"]).await;
    let a = entry(&app, "page", "About", &["en"]).await;
    let release = app.release(&ed, "Launch", &[(&a, "publish", Some(1))]).await;
    let d = app.deploy_ok(&release, &ed, "prod").await["id"].as_str().unwrap().to_string();
    let other = app.deploy_ok(&release, &ed, "stage").await["id"].as_str().unwrap().to_string();
    let (s, _) = app.unpublish("prod", ADMIN, &a).await;
    assert_eq!(s, StatusCode::OK);

    assert!(keys(&app, "/v1/environments/prod/content").await.is_empty());
    assert_eq!(keys(&app, &format!("/v1/environments/prod/content?deployment={d}")).await, [k(&a, "en", 1)]);
    let (s, v) = app.get(&format!("/v1/environments/prod/content/{a}?locale=en&deployment={d}"), ADMIN).await;
    assert_eq!((s, v["data"]["version"].as_i64()), (StatusCode::OK, Some(1)));

    let (s, v) = app.get(&format!("/v1/environments/prod/content?deployment={other}"), ADMIN).await;
    assert_problem(s, &v, 422, "target_wrong_environment");
    let later = app.release(&ed, "Later", &[(&a, "publish", Some(1))]).await;
    let (s, v) = app.schedule_in_an_hour(&later, &ed, "prod").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let scheduled = v["data"][0]["id"].as_str().unwrap();
    let (s, v) = app.get(&format!("/v1/environments/prod/content?deployment={scheduled}"), ADMIN).await;
    assert_problem(s, &v, 422, "deployment_not_finished");
    let (s, v) = app.get("/v1/environments/prod/content?deployment=01890000-0000-7000-8000-000000000000", ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    let (s, v) = app.get(&format!("/v1/environments/prod/content?deployment={d}&at=2026-01-01T00:00:00Z"), ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
}

#[actix_web::test]
async fn v2_release_answers_the_content_as_if_it_were_deployed_now_standard_and_rollback_with_b5() {
    let app = spawn().await;
    app.env("prod").await;
    let (_, owner) = app.editor("owner", &["prod"]).await;
    let (_, other) = app.editor("other", &["prod"]).await;
    let a = entry(&app, "page", "About", &["en"]).await;
    let b = entry(&app, "page", "Blog", &["en"]).await;
    let c = entry(&app, "post", "Cats", &["en"]).await;
    publish(&app, &a, "en", 1).await;
    publish(&app, &c, "en", 1).await;
    let release = app.release(&owner, "Spring", &[(&a, "unpublish", None), (&b, "publish", Some(1))]).await;

    let as_if = format!("/v1/environments/prod/content?release={release}");
    assert_eq!(keys(&app, &as_if).await, [k(&b, "en", 1), k(&c, "en", 1)]);
    assert_eq!(keys(&app, &format!("{as_if}&content_type=page")).await, [k(&b, "en", 1)]);
    let (s, v) = app.get(&format!("/v1/environments/prod/content/{b}?release={release}"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["data"]["published_at"].is_null() && v["data"]["title"] == "Blog", "{v}");
    let (s, v) = app.get(&format!("/v1/environments/prod/content/{a}?release={release}"), ADMIN).await;
    assert_problem(s, &v, 404, "not_published");
    // Nothing was written.
    assert_eq!(keys(&app, "/v1/environments/prod/content").await, [k(&a, "en", 1), k(&c, "en", 1)]);

    // Deployed, then as if its owner's rollback release were deployed: back as it was.
    app.deploy_ok(&release, &owner, "prod").await;
    let rollback = app.rollback_release_id(&release, &owner).await;
    let back = format!("/v1/environments/prod/content?release={rollback}");
    let (s, v) = app.get(&back, &owner).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(keys(&app, &back).await, [k(&a, "en", 1), k(&c, "en", 1)]);
    // B5: someone else's rollback release does not exist for them; B9's refusals hold.
    let (s, v) = app.get(&back, &other).await;
    assert_problem(s, &v, 404, "not_found");
    let (_, viewer) = app.user("web", "viewer").await;
    let (s, v) = app.get(&as_if, &viewer).await;
    assert_problem(s, &v, 403, "forbidden");
    let empty = app.release(&owner, "Empty", &[]).await;
    let (s, v) = app.get(&format!("/v1/environments/prod/content?release={empty}"), ADMIN).await;
    assert_problem(s, &v, 422, "release_empty");
    let (s, v) = app.get(&format!("{as_if}&at=2026-01-01T00:00:00Z"), ADMIN).await;
    assert_problem(s, &v, 400, "invalid_request");
}
