//! U5 and U6 in a real browser (the harness of tests/console_webdriver): R1 is deployed, then R2,
//! then R1 is rolled back; the environment's content page, as of R1's deployment, shows R1's
//! versions marked against now. Then an item is found by its title on a release's page and
//! added with its latest version. The content page is saved as `docs/console-content.png`.

#[path = "common/browser.rs"]
mod browser;
mod common;
mod serve;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use browser::{api, browser, click, css, fill, path, shoot, sign_in, Driver};
use fantoccini::Locator;
use serde_json::{json, Value};

#[tokio::test]
async fn u5_v2_u6_content_as_of_the_deployment_before_a_rollback_and_an_item_found_by_its_title() {
    let db = common::TestDb::new();
    let server = serve::Server::start(&db.url_string(), 1, &[]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let post = |path: &str, body: Value, want: u16| server.call("POST", path, Some(&body), want)["data"].clone();
    post("/v1/environments", json!({"name": "production"}), 201);
    let item = |content: Value| {
        let body = json!({"kind": "entry", "content_type": "page", "locale": "en", "content": content});
        post("/v1/items", body, 201)["id"].as_str().unwrap().to_string()
    };
    let version = |id: &str, content: Value| {
        post(&format!("/v1/items/{id}/versions"), json!({"locale": "en", "content": content}), 201);
    };
    let home = item(json!({"title": "Home", "body": "Welcome."}));
    version(&home, json!({"title": "Home, spring edition", "body": "Welcome to spring."}));
    let about = item(json!({"title": "About us", "body": "Who we are."}));
    let pricing = item(json!({"title": "Pricing plans", "plans": ["basic"]}));
    version(&pricing, json!({"title": "Pricing plans", "plans": ["basic", "pro"]}));
    let release = |name: &str, items: Value| {
        let id = post("/v1/releases", json!({"name": name}), 201)["id"].as_str().unwrap().to_string();
        if items != json!([]) {
            post(&format!("/v1/releases/{id}/items"), json!({"items": items}), 200);
        }
        id
    };
    let key = |id: &str, v: i32| json!({"item_id": id, "locale": "en", "action": "publish", "version": v});
    let deploy = |release: &str| {
        let d = post(&format!("/v1/releases/{release}/deploy"), json!({"environments": ["production"]}), 202);
        let id = d[0]["id"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        while api(&server, &format!("/v1/deployments/{id}"))["status"] != "succeeded" {
            assert!(Instant::now() < deadline, "deployment {id} did not succeed");
            std::thread::sleep(Duration::from_millis(25));
        }
        id
    };
    let r1 = release("Launch", json!([key(&home, 1), key(&about, 1)]));
    let d1 = deploy(&r1);
    deploy(&release("Spring refresh", json!([key(&home, 2)])));
    // Rolling R1 back unpublishes "About us"; "Home" changed after R1 (R2) and is skipped.
    let rollback = post(&format!("/v1/releases/{r1}/rollback"), json!({}), 201)["id"].as_str().unwrap().to_string();
    deploy(&rollback);
    let state = |id: &str| {
        api(&server, &format!("/v1/environments/production/publish-state?item_id={id}"))[0]["version"].clone()
    };
    assert_eq!((state(&home), state(&about)), (json!(2), Value::Null), "the rollback as B7 says");

    let driver = Driver::start();
    let c = browser(&driver).await;
    sign_in(&c, &base, serve::TOKEN).await;
    c.goto(&format!("{base}/console/environments/production")).await.unwrap();
    click(&c, "#environment-content").await;
    css(&c, "#content-mode[data-mode='now']").await;
    css(&c, &format!("#content tr[data-item='{home}'][data-version='2'][data-mark='']")).await;

    // As of R1's deployment, picked from the environment's succeeded deployments.
    c.find(Locator::Css("#content-deployment")).await.unwrap().select_by_value(&d1).await.expect("R1's deployment");
    click(&c, "#show-deployment").await;
    css(&c, "#content-mode[data-mode='deployment']").await;
    let row = |id: &str| format!("#content tr[data-item='{id}']");
    css(&c, &format!("{}[data-version='1'][data-mark='changed']", row(&home))).await;
    css(&c, &format!("{}[data-version='1'][data-mark='added']", row(&about))).await;
    let label = css(&c, &format!("{} .mark", row(&home))).await.text().await.unwrap();
    assert_eq!(label, "changed, now v2");
    click(&c, &format!("{} summary", row(&home))).await;
    let shown = css(&c, &format!("{} pre.content", row(&home))).await.text().await.unwrap();
    assert!(shown.contains("\"title\": \"Home\"") && shown.contains("Welcome."), "R1's version, as text: {shown}");
    c.set_window_size(1280, 900).await.expect("window size");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/console-content.png"), png).expect("save");
    shoot(&c, "content-as-of-deployment").await;

    // An item found by its title and added to a release at its latest version.
    let r3 = release("Pricing update", json!([]));
    let page = format!("/console/releases/{r3}");
    c.goto(&format!("{base}{page}")).await.unwrap();
    fill(&c, "#search-q", "pricing").await;
    click(&c, "#search-items").await;
    let found = format!("#search-results tr[data-item='{pricing}'][data-locale='en']");
    css(&c, &found).await;
    assert_eq!(css(&c, &format!("{found} .found-version")).await.prop("value").await.unwrap().as_deref(), Some("2"));
    shoot(&c, "release-search").await;
    click(&c, &format!("{found} button.add-found")).await;
    css(&c, &format!("#release-items tr[data-item='{pricing}']")).await;
    assert_eq!(path(&c).await, page, "back on the release's page");
    let items = api(&server, &format!("/v1/releases/{r3}/items"));
    assert_eq!((items[0]["item_id"].as_str(), items[0]["version"].as_i64()), (Some(pricing.as_str()), Some(2)));
    assert_eq!(items[0]["title"], "Pricing plans");
    c.close().await.unwrap();
}
