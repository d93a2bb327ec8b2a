//! Limits on what a request may carry (issue 26): locales of at most 35 characters (X2), times
//! without a leap second (X2), content kept as sent (X2), a list's own cursor (X4), the bearer
//! scheme's white space (X2).

mod common;

use actix_web::http::StatusCode;
use common::{assert_problem, spawn, ADMIN};
use serde_json::json;

#[actix_web::test]
async fn x2_a_locale_over_35_characters_is_400_everywhere_a_locale_is_taken() {
    let app = spawn().await;
    app.env("prod").await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "R", &[]).await;
    let huge = format!("en-{}", vec!["abcdefgh"; 300].join("-"));
    for long in [huge.as_str(), "abc-12345678-12345678-12345678-12345"] {
        let calls = [
            ("POST", "/v1/items".to_string(), Some(json!({"kind": "asset", "locale": long, "content": {}}))),
            ("POST", format!("/v1/items/{item}/versions"), Some(json!({"locale": long, "content": {}}))),
            (
                "POST",
                format!("/v1/releases/{release}/items"),
                Some(json!({"items": [{"item_id": item, "locale": long, "action": "unpublish"}]})),
            ),
            (
                "POST",
                "/v1/environments/prod/publish".into(),
                Some(json!({"item_id": item, "locale": long, "version": 1})),
            ),
            ("POST", "/v1/environments/prod/unpublish".into(), Some(json!({"item_id": item, "locale": long}))),
            ("GET", format!("/v1/items/{item}/diff?locale={long}&to=1"), None),
            ("DELETE", format!("/v1/releases/{release}/items/{item}?locale={long}"), None),
        ];
        for (method, path, body) in calls {
            let (s, v) = app.req(method, &path, ADMIN, body).await;
            assert_problem(s, &v, 400, "invalid_request");
            assert!(v["detail"].as_str().unwrap().contains("35"), "{method} {path}: {v}");
        }
    }
    // 35 characters is a locale.
    let ok = "abc-12345678-12345678-12345678-1234";
    let (s, v) = app.post("/v1/items", ADMIN, json!({"kind": "asset", "locale": ok, "content": {}})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(app.event_count("prod").await, 0);
}

#[actix_web::test]
async fn x2_a_leap_second_is_400_in_every_time_the_api_takes() {
    let app = spawn().await;
    app.env("prod").await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "R", &[(&item, "publish", Some(1))]).await;
    let (s, v) = app
        .post(
            &format!("/v1/releases/{release}/deploy"),
            ADMIN,
            json!({"environments": ["prod"], "scheduled_at": "2030-12-10T00:00:60Z"}),
        )
        .await;
    assert_problem(s, &v, 400, "invalid_request");
    let (_, all) = app.get("/v1/deployments", ADMIN).await;
    assert_eq!(all["data"], json!([]), "nothing was created: {all}");
    for path in [
        "/v1/environments/prod/publish-state?at=2026-06-30T23:59:60Z",
        "/v1/deployments?status=scheduled&scheduled_before=2030-12-10T00:00:60Z",
        "/v1/deployments?status=scheduled&scheduled_after=2030-12-10T00:00:60%2B01:00",
    ] {
        let (s, v) = app.get(path, ADMIN).await;
        assert_problem(s, &v, 400, "invalid_request");
    }
    // The second before is a time.
    let (s, v) = app
        .post(
            &format!("/v1/releases/{release}/deploy"),
            ADMIN,
            json!({"environments": ["prod"], "scheduled_at": "2030-12-10T00:00:59Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
}

/// Sends `body` as it is written, as the admin; answers the status and the body as text.
async fn send_raw<S>(app: &common::TestApp<S>, method: &str, path: &str, body: &str) -> (StatusCode, String)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
    >,
{
    let req = actix_web::test::TestRequest::default()
        .method(method.parse().unwrap())
        .uri(path)
        .insert_header(("authorization", format!("Bearer {ADMIN}")))
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_string());
    let res = actix_web::test::call_service(&app.svc, req.to_request()).await;
    let status = res.status();
    (status, String::from_utf8(actix_web::test::read_body(res).await.to_vec()).unwrap())
}

#[actix_web::test]
async fn x2_a_version_s_content_is_answered_as_sent_with_every_digit() {
    let app = spawn().await;
    let first = r#"{"id":12345678901234567890123,"price":0.1000000000000000055511151231257827,"small":1e-400}"#;
    let (s, body) =
        send_raw(&app, "POST", "/v1/items", &format!(r#"{{"kind":"asset","locale":"en","content":{first}}}"#)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let item = serde_json::from_str::<serde_json::Value>(&body).unwrap()["data"]["id"].as_str().unwrap().to_string();
    let (s, body) = send_raw(
        &app,
        "POST",
        &format!("/v1/items/{item}/versions"),
        r#"{"locale":"en","content":{"id":12345678901234567890124}}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = send_raw(&app, "GET", &format!("/v1/items/{item}/versions"), "").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    for digits in
        ["12345678901234567890124", "12345678901234567890123", "0.1000000000000000055511151231257827", "1e-400"]
    {
        assert!(body.contains(digits), "{digits} in {body}");
    }
    let (s, body) = send_raw(&app, "GET", &format!("/v1/items/{item}/diff?locale=en&from=1&to=2"), "").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains(r#""value":12345678901234567890124"#), "{body}");
    let (s, body) = send_raw(&app, "GET", &format!("/v1/items/{item}/diff?locale=en&to=1"), "").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("0.1000000000000000055511151231257827"), "{body}");
}

#[actix_web::test]
async fn x4_another_list_s_cursor_is_404() {
    let app = spawn().await;
    app.env("prod").await;
    let release = app.release(ADMIN, "R", &[]).await;
    let item = app.item(1).await;
    for path in [
        format!("/v1/users?cursor={release}"),
        format!("/v1/releases?cursor={item}"),
        format!("/v1/items?cursor={release}"),
        format!("/v1/environments?cursor={release}"),
        format!("/v1/deployments?cursor={release}"),
        format!("/v1/environments/prod/deployments?cursor={release}"),
        format!("/v1/webhooks?cursor={release}"),
    ] {
        let (s, v) = app.get(&path, ADMIN).await;
        assert_problem(s, &v, 404, "not_found");
        assert!(v["detail"].as_str().unwrap().starts_with("cursor:"), "{path}: {v}");
    }
    // A list's own cursor goes on, also from a row that has left the list since.
    let (_, users) = app.get("/v1/users", ADMIN).await;
    let admin = users["data"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = app.get(&format!("/v1/users?cursor={admin}"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.get(&format!("/v1/releases?cursor={release}"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[actix_web::test]
async fn x2_the_bearer_scheme_may_be_followed_by_spaces_or_tabs() {
    let app = spawn().await;
    for header in [format!("Bearer\t{ADMIN}"), format!("Bearer \t  {ADMIN}"), format!("bearer  {ADMIN}")] {
        let req = actix_web::test::TestRequest::get().uri("/v1/me").insert_header(("authorization", header.clone()));
        let (s, _, v) = app.call(req).await;
        assert_eq!(s, StatusCode::OK, "{header:?}: {v}");
    }
    let req =
        actix_web::test::TestRequest::get().uri("/v1/me").insert_header(("authorization", format!("Bearer{ADMIN}")));
    let (s, _, v) = app.call(req).await;
    assert_problem(s, &v, 401, "unauthorized");
}

#[actix_web::test]
async fn w1_a_webhook_url_on_port_0_is_refused() {
    let settings = rewind::settings::Settings {
        webhooks: rewind::settings::WebhookSettings { allow_private: true, ..Default::default() },
        ..Default::default()
    };
    let app = common::spawn_with(settings).await;
    for url in ["http://127.0.0.1:0/hook", "https://hooks.example.com:0/x"] {
        let (s, v) = app.post("/v1/webhooks", ADMIN, json!({"url": url, "events": ["deployment.failed"]})).await;
        assert_problem(s, &v, 422, "webhook_url_not_allowed");
    }
    let (_, list) = app.get("/v1/webhooks", ADMIN).await;
    assert_eq!(list["data"], json!([]));
}
