//! D1: the JSON Patch between two versions of an item, through HTTP and on random documents.

mod common;

use actix_web::http::StatusCode;
use common::{assert_problem, spawn, ADMIN};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Creates an item whose versions in `en` have these contents; answers its id.
async fn item_with<S>(app: &common::TestApp<S>, contents: &[Value]) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
    >,
{
    let (s, v) = app
        .post(
            "/v1/items",
            ADMIN,
            json!({"kind": "entry", "content_type": "page", "locale": "en", "content": contents[0]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_str().unwrap().to_string();
    for c in &contents[1..] {
        let (s, v) = app.post(&format!("/v1/items/{id}/versions"), ADMIN, json!({"locale": "en", "content": c})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    id
}

fn applied(from: &Value, patch: &Value) -> Value {
    let patch: json_patch::Patch = serde_json::from_value(patch.clone()).expect("an RFC 6902 patch");
    let mut doc = from.clone();
    json_patch::patch(&mut doc, &patch).expect("the patch applies");
    doc
}

#[actix_web::test]
async fn d1_the_patch_of_nested_objects_arrays_and_unicode_turns_from_into_to() {
    let app = spawn().await;
    let v1 = json!({"title": "Café", "blocks": [{"t": "p", "text": "a"}, {"t": "img"}], "meta": {"tags": ["x"]}});
    let v2 =
        json!({"title": "Café ☕ 東京", "blocks": [{"t": "p", "text": "b"}], "meta": {"tags": ["x", "y"], "n": 1}});
    let id = item_with(&app, &[v1.clone(), v2.clone()]).await;
    let (s, d) = app.get(&format!("/v1/items/{id}/diff?locale=en&from=1&to=2"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let d = &d["data"];
    assert_eq!(
        (d["item_id"].as_str(), d["locale"].as_str(), d["from"].as_i64(), d["to"].as_i64()),
        (Some(id.as_str()), Some("en"), Some(1), Some(2))
    );
    assert_eq!(applied(&v1, &d["patch"]), v2);
    // And back.
    let (_, back) = app.get(&format!("/v1/items/{id}/diff?locale=en&from=2&to=1"), ADMIN).await;
    assert_eq!(applied(&v2, &back["data"]["patch"]), v1);
}

#[actix_web::test]
async fn d1_without_from_the_patch_starts_from_the_empty_object_and_references_are_compared() {
    let app = spawn().await;
    let (a, b) = (app.item(1).await, app.item(1).await);
    let (s, v) = app
        .post(
            "/v1/items",
            ADMIN,
            json!({"kind": "entry", "content_type": "page", "locale": "en", "content": {"x": 1}, "references": [a]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_str().unwrap().to_string();
    let (s, _) = app
        .post(
            &format!("/v1/items/{id}/versions"),
            ADMIN,
            json!({"locale": "en", "content": {"x": 2}, "references": [b]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, d) = app.get(&format!("/v1/items/{id}/diff?locale=en&to=1"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["data"]["from"], Value::Null);
    assert_eq!(applied(&json!({}), &d["data"]["patch"]), json!({"x": 1}));
    assert_eq!(d["data"]["references"], json!({"added": [a], "removed": []}));
    let (_, d) = app.get(&format!("/v1/items/{id}/diff?locale=en&from=1&to=2"), ADMIN).await;
    assert_eq!(d["data"]["references"], json!({"added": [b], "removed": [a]}));
}

#[actix_web::test]
async fn d1_an_unknown_version_or_locale_is_422_and_an_unknown_item_404() {
    let app = spawn().await;
    let id = app.item(2).await;
    let (s, v) = app.get(&format!("/v1/items/{id}/diff?locale=en&from=1&to=3"), ADMIN).await;
    assert_problem(s, &v, 422, "version_not_found");
    let (s, v) = app.get(&format!("/v1/items/{id}/diff?locale=en&from=9&to=1"), ADMIN).await;
    assert_problem(s, &v, 422, "version_not_found");
    // Another locale has no versions of its own.
    let (s, v) = app.get(&format!("/v1/items/{id}/diff?locale=fr&from=1&to=2"), ADMIN).await;
    assert_problem(s, &v, 422, "version_not_found");
    let (s, _) = app
        .post(&format!("/v1/items/{id}/versions"), ADMIN, json!({"locale": "fr", "content": {"t": "bonjour"}}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, d) = app.get(&format!("/v1/items/{id}/diff?locale=fr&to=1"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(applied(&json!({}), &d["data"]["patch"]), json!({"t": "bonjour"}));
    let (s, v) = app.get("/v1/items/0193a0b0-0000-7000-8000-000000000000/diff?locale=en&to=1", ADMIN).await;
    assert_problem(s, &v, 404, "not_found");
    for bad in ["locale=EN&to=1", "locale=en", "locale=en&to=0", "locale=en&to=x", "locale=en&from=-1&to=1"] {
        let (s, v) = app.get(&format!("/v1/items/{id}/diff?{bad}"), ADMIN).await;
        assert_problem(s, &v, 400, "invalid_request");
    }
}

#[actix_web::test]
async fn d1_the_patch_between_two_contents_of_about_1_mib_applies() {
    let app = spawn().await;
    let big = |seed: usize| {
        let fields: serde_json::Map<String, Value> =
            (0..1000).map(|i| (format!("f{i}"), json!("x".repeat(1000 - (i + seed) % 7)))).collect();
        Value::Object(fields)
    };
    let (v1, v2) = (big(0), big(3));
    assert!(v1.to_string().len() > 990_000 && v1.to_string().len() <= 1024 * 1024);
    let id = item_with(&app, &[v1.clone(), v2.clone()]).await;
    let (s, d) = app.get(&format!("/v1/items/{id}/diff?locale=en&from=1&to=2"), ADMIN).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(applied(&v1, &d["data"]["patch"]), v2);
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "\\PC{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z~/é]{0,4}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[a-z~/ü]{0,4}", json_value(), 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn d1_applying_the_patch_to_from_gives_to_on_random_documents(from in object(), to in object()) {
        let d = rewind::domain::diff::between(Some((&from, &[])), (&to, &[]));
        let mut doc = from.clone();
        json_patch::patch(&mut doc, &d.patch).unwrap();
        prop_assert_eq!(doc, to);
    }
}
