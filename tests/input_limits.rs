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
