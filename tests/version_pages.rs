//! X4: one answer holds a bounded amount of content: a page of versions stops at 4 MiB of
//! content, and the console's item page shows one version's content at a time (U2).

mod common;
mod signed_in;

use actix_web::http::StatusCode;
use common::{spawn, ADMIN};
use serde_json::json;
use signed_in::{get, sign_in};

/// About 900 KB of content, marked with `n`.
fn big(n: usize) -> serde_json::Value {
    json!({"n": n, "body": "x".repeat(900 * 1024)})
}

#[actix_web::test]
async fn x4_a_page_of_versions_stops_at_its_byte_budget_and_says_where_to_go_on() {
    let app = spawn().await;
    let (s, v) = app.post("/v1/items", ADMIN, json!({"kind": "asset", "locale": "en", "content": big(1)})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let item = v["data"]["id"].as_str().unwrap().to_string();
    for n in 2..=10 {
        let (s, v) =
            app.post(&format!("/v1/items/{item}/versions"), ADMIN, json!({"locale": "en", "content": big(n)})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, page) = app.get(&format!("/v1/items/{item}/versions?limit=500"), ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    let first = page["data"].as_array().unwrap();
    assert_eq!(first.len(), 4, "4 of 900 KB fit in 4 MiB");
    assert_eq!(page["next_cursor"], "4");
    // Walking the pages lists every version once, newest first.
    let (mut numbers, mut next) = (vec![], format!("/v1/items/{item}/versions?limit=500"));
    loop {
        let (s, v) = app.get(&next, ADMIN).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        numbers.extend(v["data"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()));
        match v["next_cursor"].as_str() {
            Some(c) => next = format!("/v1/items/{item}/versions?limit=500&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(numbers, (1..=10).rev().collect::<Vec<_>>());
    // Small versions still page by `limit`.
    let (_, small) = app.get(&format!("/v1/items/{item}/versions?limit=2"), ADMIN).await;
    assert_eq!(small["data"].as_array().unwrap().len(), 2);
    assert_eq!(small["next_cursor"], "2");
}

#[actix_web::test]
async fn u2_the_item_page_shows_one_version_s_content_at_a_time() {
    let app = spawn().await;
    let (_, v) = app.post("/v1/items", ADMIN, json!({"kind": "asset", "locale": "en", "content": big(1)})).await;
    let item = v["data"]["id"].as_str().unwrap().to_string();
    for n in 2..=4 {
        app.post(&format!("/v1/items/{item}/versions"), ADMIN, json!({"locale": "en", "content": big(n)})).await;
    }
    let b = sign_in(&app, ADMIN).await;
    let page = get(&app, &format!("/console/items/{item}"), Some(&b)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.len() < 1024 * 1024, "one version's content: {} bytes", page.body.len());
    assert!(page.body.contains("Content of en v4"), "the newest is shown");
    let page = get(&app, &format!("/console/items/{item}?locale=en&version=2"), Some(&b)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.len() < 1024 * 1024);
    assert!(page.body.contains("Content of en v2") && page.body.contains("&#34;n&#34;: 2"), "version 2 is shown");
}
