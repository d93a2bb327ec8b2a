//! Reference warnings (R1): every planned item of a preview or a deployment carries what it
//! leaves dangling or still referenced, judged over the whole plan.

mod common;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use common::{spawn, spawn_with, TestApp, ADMIN};
use rewind::settings::Settings;
use serde_json::{json, Value};

/// The test app's service, whatever its concrete type.
trait Svc: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error> {}
impl<S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>> Svc for S {}

async fn app() -> TestApp<impl Svc> {
    let app = spawn().await;
    app.env("production").await;
    app
}

/// An entry whose version 1 (in `en`) references `refs`; answers its id.
async fn item_referencing<S: Svc>(app: &TestApp<S>, refs: &[&str]) -> String {
    let (s, v) = app
        .post(
            "/v1/items",
            ADMIN,
            json!({"kind": "entry", "content_type": "page", "locale": "en", "content": {}, "references": refs}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["data"]["id"].as_str().unwrap().to_string()
}

/// Adds the next version of `item` in `en`, referencing `refs`; answers its number.
async fn version_referencing<S: Svc>(app: &TestApp<S>, item: &str, refs: &[&str]) -> i64 {
    let (s, v) = app
        .post(&format!("/v1/items/{item}/versions"), ADMIN, json!({"locale": "en", "content": {}, "references": refs}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["data"]["version"].as_i64().unwrap()
}

/// `(code, item_id)` of each warning of a planned item.
fn warnings(item: &Value) -> Vec<(String, String)> {
    item["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("no warnings list: {item}"))
        .iter()
        .map(|w| {
            assert_eq!(w["locale"], "en", "{w}");
            (w["code"].as_str().unwrap().to_string(), w["item_id"].as_str().unwrap().to_string())
        })
        .collect()
}

fn w(code: &str, item: &str) -> (String, String) {
    (code.to_string(), item.to_string())
}

/// The preview of `release` in production.
async fn preview<S: Svc>(app: &TestApp<S>, release: &str) -> Vec<Value> {
    let (s, v) = app.get(&format!("/v1/releases/{release}/preview?environment=production"), ADMIN).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().clone()
}

/// Deploys `release` to production; answers the deployment and its items, after checking
/// that the items are the preview taken just before (B9, R1).
async fn deploy_as_previewed<S: Svc>(app: &TestApp<S>, release: &str) -> (Value, Vec<Value>) {
    let planned = preview(app, release).await;
    let d = app.deploy_ok(release, ADMIN, "production").await;
    let mut items = app.deployment_items(d["id"].as_str().unwrap()).await;
    for i in items.iter_mut() {
        i.as_object_mut().unwrap().remove("event_id");
    }
    assert_eq!(planned, items, "the preview is the plan the deployment carried out, warnings included");
    let (_, d) = app.get(&format!("/v1/deployments/{}", d["id"].as_str().unwrap()), ADMIN).await;
    (d["data"].clone(), items)
}

#[actix_web::test]
async fn r1_dangling_and_still_referenced_warnings_on_a_small_graph() {
    let app = app().await;
    let (a, b) = (app.item(1).await, app.item(1).await);
    let page = app.item(1).await;
    let v2 = version_referencing(&app, &page, &[&a, &b]).await;
    let (s, _) = app.publish("production", ADMIN, &a, 1).await;
    assert_eq!(s, StatusCode::OK);

    // The page's version 2 references a (published) and b (not published, not in the release).
    let other = app.item(1).await;
    let r = app.release(ADMIN, "page", &[(&page, "publish", Some(v2 as i32)), (&other, "publish", Some(1))]).await;
    let (d, items) = deploy_as_previewed(&app, &r).await;
    assert_eq!(warnings(&items[0]), vec![w("dangling_reference", &b)]);
    assert_eq!(warnings(&items[1]), vec![], "an empty list when there is nothing to say");
    assert_eq!(d["warned_items"], 1, "{d}");

    // Unpublishing a leaves the published page pointing at it; `old` referenced a only in a
    // version that is no longer the published one.
    let old = item_referencing(&app, &[&a]).await;
    let v2 = version_referencing(&app, &old, &[]).await;
    let (s, _) = app.publish("production", ADMIN, &old, v2 as i32).await;
    assert_eq!(s, StatusCode::OK);
    let r = app.release(ADMIN, "drop a", &[(&a, "unpublish", None), (&other, "unpublish", None)]).await;
    let (d, items) = deploy_as_previewed(&app, &r).await;
    assert_eq!(warnings(&items[0]), vec![w("still_referenced", &page)]);
    assert_eq!(warnings(&items[1]), vec![]);
    assert_eq!(d["warned_items"], 1, "{d}");
    assert_eq!(app.state("production", &a).await, None, "a warning does not stop the deployment");
}

#[actix_web::test]
async fn r1_no_warning_when_the_same_deployment_publishes_the_reference_or_unpublishes_the_referrer() {
    let app = app().await;
    let target = app.item(1).await;
    let page = item_referencing(&app, &[&target]).await;
    let r = app.release(ADMIN, "both", &[(&page, "publish", Some(1)), (&target, "publish", Some(1))]).await;
    let (d, items) = deploy_as_previewed(&app, &r).await;
    assert!(items.iter().all(|i| warnings(i).is_empty()), "{items:?}");
    assert_eq!(d["warned_items"], 0);

    let r = app.release(ADMIN, "neither", &[(&target, "unpublish", None), (&page, "unpublish", None)]).await;
    let (d, items) = deploy_as_previewed(&app, &r).await;
    assert!(items.iter().all(|i| warnings(i).is_empty()), "{items:?}");
    assert_eq!(d["warned_items"], 0);
}

#[actix_web::test]
async fn r1_at_most_twenty_warnings_per_item_in_item_order() {
    let app = app().await;
    let mut targets = Vec::new();
    for _ in 0..25 {
        targets.push(app.item(1).await);
    }
    let refs: Vec<&str> = targets.iter().map(String::as_str).collect();
    let page = item_referencing(&app, &refs).await;
    let r = app.release(ADMIN, "page", &[(&page, "publish", Some(1))]).await;
    let (d, items) = deploy_as_previewed(&app, &r).await;
    targets.sort();
    let want: Vec<(String, String)> = targets[..20].iter().map(|t| w("dangling_reference", t)).collect();
    assert_eq!(warnings(&items[0]), want);
    assert_eq!(d["warned_items"], 1);
}

#[actix_web::test]
async fn r1_a_rollback_release_warns_when_it_unpublishes_what_a_page_references() {
    let app = app().await;
    let a = app.item(1).await;
    let r = app.release(ADMIN, "a", &[(&a, "publish", Some(1))]).await;
    app.deploy_ok(&r, ADMIN, "production").await;
    // A page published by hand afterwards references a.
    let page = item_referencing(&app, &[&a]).await;
    let (s, _) = app.publish("production", ADMIN, &page, 1).await;
    assert_eq!(s, StatusCode::OK);
    let (s, rb) = app.rollback_release(&r, ADMIN).await;
    assert_eq!(s, StatusCode::CREATED, "{rb}");
    let (d, items) = deploy_as_previewed(&app, rb["data"]["id"].as_str().unwrap()).await;
    assert_eq!(items[0]["outcome"], "unpublished");
    assert_eq!(warnings(&items[0]), vec![w("still_referenced", &page)]);
    assert_eq!(d["warned_items"], 1);
}

#[actix_web::test]
async fn r1_an_environment_rollback_warns_and_counts_a_skipped_referrer_as_staying() {
    let app = app().await;
    let (x, a) = (app.item(1).await, app.item(1).await);
    let r0 = app.release(ADMIN, "x", &[(&x, "publish", Some(1))]).await;
    app.deploy_ok(&r0, ADMIN, "production").await;
    let r1 = app.release(ADMIN, "a", &[(&a, "publish", Some(1))]).await;
    app.deploy_ok(&r1, ADMIN, "production").await;
    // Published by hand: the rollback skips the page (changed_after_deployment), so it stays.
    let page = item_referencing(&app, &[&a]).await;
    let (s, _) = app.publish("production", ADMIN, &page, 1).await;
    assert_eq!(s, StatusCode::OK);
    let req = TestRequest::post()
        .uri("/v1/environments/production/rollback")
        .insert_header(("authorization", format!("Bearer {ADMIN}")))
        .insert_header(("prefer", "wait=30"))
        .set_json(json!({}));
    let (s, _, v) = app.call(req).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let d = &v["data"]["deployment"];
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(d["warned_items"], 1, "{d}");
    let items = app.deployment_items(d["id"].as_str().unwrap()).await;
    let of = |id: &str| items.iter().find(|i| i["item_id"] == id).unwrap().clone();
    assert_eq!(of(&a)["outcome"], "unpublished");
    assert_eq!(warnings(&of(&a)), vec![w("still_referenced", &page)]);
    assert_eq!(of(&page)["skip_reason"], "changed_after_deployment");
    assert_eq!(warnings(&of(&page)), vec![], "a skipped item changes nothing and warns of nothing");
}

#[actix_web::test]
async fn r1_the_openapi_document_describes_warnings_and_its_references_resolve() {
    let app = app().await;
    let (s, _, doc) = app.call(TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(s, StatusCode::OK);
    let schemas = &doc["components"]["schemas"];
    // A plan item is inlined in the list and data wrappers of the preview and the items list.
    let preview = &schemas["Data_Vec_PlanItem"]["properties"]["data"]["items"];
    let items = &schemas["List_PlanItem"]["properties"]["data"]["items"];
    for plan_item in [preview, items] {
        assert!(plan_item["properties"]["warnings"].is_object(), "{plan_item}");
        assert!(plan_item["required"].as_array().unwrap().contains(&json!("warnings")), "{plan_item}");
    }
    assert!(schemas["Deployment"]["properties"]["warned_items"].is_object(), "{}", schemas["Deployment"]);
    let codes = &schemas["WarningCode"]["enum"];
    assert_eq!(codes, &json!(["dangling_reference", "still_referenced"]), "{}", schemas["WarningCode"]);
    for field in ["code", "item_id", "locale"] {
        assert!(schemas["Warning"]["properties"][field].is_object(), "{}", schemas["Warning"]);
    }
    // The wire types R1 changed resolve within the document.
    let mut refs = Vec::new();
    for schema in [preview, items, &schemas["Deployment"], &schemas["Warning"]] {
        collect_refs(schema, &mut refs);
    }
    assert!(refs.iter().any(|r| r.ends_with("/Warning")), "{refs:?}");
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(schemas[name].is_object(), "{r} does not resolve");
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(s)) => out.push(s.clone()),
                    _ => collect_refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[test]
fn r1_the_migration_fills_version_references_from_the_versions_before_it() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use rewind::db::schema::version_references as vr;
    let db = common::TestDb::new();
    let mut conn = db.connect();
    common::migrate_before(&mut conn, "_version_references");
    conn.batch_execute(
        "INSERT INTO items VALUES ('a', 'entry', 'p', '2026-01-01 00:00:00'), ('b', 'entry', 'p', '2026-01-01 00:00:00'); \
         INSERT INTO versions VALUES ('a', 'en', 1, '{}', '[\"b\"]', '2026-01-01 00:00:00'), \
           ('a', 'en', 2, '{}', '[\"a\",\"b\"]', '2026-01-01 00:00:00'), ('b', 'en', 1, '{}', '[]', '2026-01-01 00:00:00'), \
           ('b', 'de', 1, '{}', '[\"a\"]', '2026-01-01 00:00:00');",
    )
    .unwrap();
    rewind::db::migrate(&mut conn).unwrap();
    let mut rows: Vec<(String, String, i32, String)> =
        vr::table.select((vr::item_id, vr::locale, vr::version, vr::referenced_item_id)).load(&mut conn).unwrap();
    rows.sort();
    let row = |i: &str, l: &str, v: i32, r: &str| (i.to_string(), l.to_string(), v, r.to_string());
    assert_eq!(
        rows,
        vec![row("a", "en", 1, "b"), row("a", "en", 2, "a"), row("a", "en", 2, "b"), row("b", "de", 1, "a")]
    );
}

/// Walks a release's plan page by page, `limit` keys a page, as the console does.
fn plan_by_pages(
    conn: &mut rewind::db::DbConn,
    caller: &rewind::service::Caller,
    release: &str,
    limit: i64,
) -> Vec<rewind::domain::PlannedItem> {
    let release = rewind::domain::ids::ReleaseId::stored(release);
    let (mut all, mut after) = (Vec::new(), None);
    loop {
        let page = rewind::service::deployments::preview_page(conn, caller, &release, "production", after, limit)
            .expect("a page of the plan");
        assert!(page.items.len() as i64 <= limit);
        all.extend(page.items);
        match page.next_after {
            Some(a) => after = Some(a),
            None => return all,
        }
    }
}

/// A release whose references cross any page boundary, and the items it is made of.
struct Crossing {
    release: String,
    a: String,
    b: String,
    c: String,
    d: String,
    e: String,
    f: String,
    g: String,
}

/// Items a to g and the release of a, c, b, d, e in production, in that order: a references b
/// (which the release unpublishes), c references d, and f and g (outside the release, published)
/// reference e (unpublished by the release) and d.
async fn crossing_release<S: Svc>(app: &TestApp<S>) -> Crossing {
    let b = item_referencing(app, &[]).await;
    let d = item_referencing(app, &[]).await;
    let e = item_referencing(app, &[]).await;
    let a = item_referencing(app, &[&b]).await;
    let c = item_referencing(app, &[&d]).await;
    let f = item_referencing(app, &[&e]).await;
    // g, outside the release, holds d: the rollback's unpublishing of d warns of it.
    let g = item_referencing(app, &[&d]).await;
    for k in [&b, &e, &f, &g] {
        assert_eq!(app.publish("production", ADMIN, k, 1).await.0, StatusCode::OK);
    }
    let release = app
        .release(
            ADMIN,
            "R",
            &[
                (&a, "publish", Some(1)),
                (&c, "publish", Some(1)),
                (&b, "unpublish", None),
                (&d, "publish", Some(1)),
                (&e, "unpublish", None),
            ],
        )
        .await;
    Crossing { release, a, b, c, d, e, f, g }
}

/// R1 across pages: every page of a plan carries the warnings the whole plan gives its keys,
/// also where the other end of a reference is on another page, for a standard release and for
/// its rollback release.
#[actix_web::test]
async fn r1_b9_each_page_of_a_plan_warns_as_the_whole_plan_does() {
    let app = app().await;
    let Crossing { release, a, b, c, d, e, f, g } = crossing_release(&app).await;
    let mut conn = app.state.pool.get().unwrap();
    let admin = rewind::service::tokens::authenticate(&mut conn, ADMIN).unwrap();
    let id = rewind::domain::ids::ReleaseId::stored(release.clone());
    let whole =
        rewind::service::deployments::preview(&mut conn, &admin, &id, "production", &Default::default()).unwrap();
    // The plan's references cross pages of one key: a's target b, b's referrer a, c's target d.
    let warned: Vec<(String, Vec<String>)> = whole
        .iter()
        .map(|p| (p.key.item_id.clone(), p.warnings.iter().map(|w| format!("{} {}", w.code, w.item_id)).collect()))
        .collect();
    assert_eq!(
        warned,
        vec![
            (a.clone(), vec![format!("dangling_reference {b}")]),
            (c.clone(), vec![]),
            (b.clone(), vec![format!("still_referenced {a}")]),
            (d.clone(), vec![]),
            (e.clone(), vec![format!("still_referenced {f}")]),
        ]
    );
    for limit in 1..=5 {
        assert_eq!(plan_by_pages(&mut conn, &admin, &release, limit), whole, "pages of {limit}");
    }

    app.deploy_ok(&release, ADMIN, "production").await;
    let rollback = app.rollback_release_id(&release, ADMIN).await;
    let rb = rewind::domain::ids::ReleaseId::stored(rollback.clone());
    let whole =
        rewind::service::deployments::preview(&mut conn, &admin, &rb, "production", &Default::default()).unwrap();
    let d_plan = whole.iter().find(|p| p.key.item_id == d).unwrap();
    assert_eq!(d_plan.warnings.iter().map(|w| w.item_id.clone()).collect::<Vec<_>>(), vec![g.clone()], "{whole:?}");
    for limit in 1..=5 {
        assert_eq!(plan_by_pages(&mut conn, &admin, &rollback, limit), whole, "rollback pages of {limit}");
    }
}

/// L5, R1: a deployment plans and writes its keys a page at a time in its one transaction
/// (`REWIND_DEPLOY_PAGE`), each page planned after the pages before it were written, and carries
/// out exactly the plan previewed before it started, warnings included, where the references
/// cross pages: for a standard release and for its rollback release, in pages of one to three.
#[actix_web::test]
async fn l5_r1_a_deployment_written_a_page_at_a_time_carries_out_its_whole_preview() {
    for page in 1..=3 {
        let app = spawn_with(Settings { deploy_page: page, ..Settings::default() }).await;
        app.env("production").await;
        let Crossing { release, a, b, e, f, .. } = crossing_release(&app).await;
        let (d, items) = deploy_as_previewed(&app, &release).await;
        assert_eq!(d["status"], "succeeded", "pages of {page}: {d}");
        assert_eq!(d["counts"], json!({"published": 3, "unpublished": 2, "skipped": 0}), "pages of {page}: {d}");
        assert_eq!(d["progress"], json!({"done": 5, "total": 5}), "pages of {page}: {d}");
        assert_eq!(d["warned_items"], 3, "pages of {page}: {d}");
        let warned: Vec<_> = items.iter().map(warnings).collect();
        assert_eq!(
            warned,
            vec![
                vec![w("dangling_reference", &b)],
                vec![],
                vec![w("still_referenced", &a)],
                vec![],
                vec![w("still_referenced", &f)],
            ],
            "pages of {page}"
        );
        let rollback = app.rollback_release_id(&release, ADMIN).await;
        let (d, _) = deploy_as_previewed(&app, &rollback).await;
        assert_eq!(d["status"], "succeeded", "rollback in pages of {page}: {d}");
        assert_eq!(d["counts"], json!({"published": 2, "unpublished": 3, "skipped": 0}), "pages of {page}: {d}");
        for (item, version) in [(&a, None), (&b, Some(1)), (&e, Some(1))] {
            assert_eq!(app.state("production", item).await, version, "rollback in pages of {page}");
        }
    }
}

/// R1 across pages by key, not by item: a key a page's reference reaches is planned even when
/// another locale of its item is on the page. A/de references X (in `de`); the release
/// publishes A/de and X/en and unpublishes X/de, which falls on the next page of two: A/de warns
/// `dangling_reference` in the whole preview, in the preview sent in pages and in the
/// deployment written in pages.
#[actix_web::test]
async fn r1_a_reference_to_another_locale_of_an_item_on_the_page_warns_across_pages() {
    let app = spawn_with(Settings { deploy_page: 2, ..Settings::default() }).await;
    app.env("production").await;
    let x = item_referencing(&app, &[]).await;
    let (s, v) = app.post(&format!("/v1/items/{x}/versions"), ADMIN, json!({"locale": "de", "content": {}})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post(
            "/v1/items",
            ADMIN,
            json!({"kind": "entry", "content_type": "page", "locale": "de", "content": {}, "references": [x]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let a = v["data"]["id"].as_str().unwrap().to_string();
    let body = json!({"item_id": x, "locale": "de", "version": 1});
    let (s, v) = app.post("/v1/environments/production/publish", ADMIN, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.post("/v1/releases", ADMIN, json!({"name": "locales"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let release = v["data"]["id"].as_str().unwrap().to_string();
    let items = json!({"items": [
        {"item_id": a, "locale": "de", "action": "publish", "version": 1},
        {"item_id": x, "locale": "en", "action": "publish", "version": 1},
        {"item_id": x, "locale": "de", "action": "unpublish"},
    ]});
    let (s, v) = app.post(&format!("/v1/releases/{release}/items"), ADMIN, items).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let dangling = vec![w("dangling_reference", &x)];
    let mut conn = app.state.pool.get().unwrap();
    let admin = rewind::service::tokens::authenticate(&mut conn, ADMIN).unwrap();
    let id = rewind::domain::ids::ReleaseId::stored(release.clone());
    let whole =
        rewind::service::deployments::preview(&mut conn, &admin, &id, "production", &Default::default()).unwrap();
    let whole_a: Vec<_> = whole[0].warnings.iter().map(|w| (w.code.to_string(), w.item_id.clone())).collect();
    assert_eq!(whole_a, dangling, "the whole plan");
    drop(conn);
    let (_, items) = deploy_as_previewed(&app, &release).await;
    assert_eq!(items[0]["warnings"], json!([{"code": "dangling_reference", "item_id": x, "locale": "de"}]), "in pages");
}
