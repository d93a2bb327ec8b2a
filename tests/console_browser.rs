//! U1–U4 in a real browser: Debian's `chromium`, driven over WebDriver (`chromium-driver`,
//! through fantoccini), against `rewind serve` on a fresh database. The walk is a person's:
//! sign in; create an environment, items and a release; deploy and watch the progress bar
//! reach 100%; publish one item by hand; roll back, where the plan shows that item as
//! `changed_after_deployment` and the others with their diffs; deploy the rollback; check the
//! publish state through the API. Then a viewer finds no write control. Each page is saved as
//! a screenshot at 1280 and 390 px wide under `target/console-screenshots/`.

#[path = "common/browser.rs"]
mod browser;
mod common;
mod serve;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use browser::{api, browser, click, css, fill, js, left, path, shoot, sign_in, wait_for_100, Driver};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

/// Creates an item from the items page and answers its id.
async fn create_item(c: &Client, base: &str, content: &str) -> String {
    c.goto(&format!("{base}/console/items")).await.unwrap();
    fill(c, "#item-content", content).await;
    click(c, "#create-item").await;
    let id = css(c, "#item-title").await.attr("data-item").await.unwrap().expect("the item's id");
    assert_eq!(path(c).await, format!("/console/items/{id}"));
    id
}

#[tokio::test]
async fn u1_u2_u3_u4_a_person_deploys_and_rolls_back_in_the_browser_and_a_viewer_finds_no_write_control() {
    let db = common::TestDb::new();
    // Each deployment is held 1.5 s before it commits (with the test-only failpoints), so the
    // page opens while it runs and its progress bar follows the stream.
    let server = serve::Server::start(&db.url_string(), 1, &[("FAILPOINTS", "deployment_before_commit=return(1500)")]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let driver = Driver::start();
    let c = browser(&driver).await;

    c.goto(&format!("{base}/console/")).await.unwrap();
    assert_eq!(path(&c).await, "/console/sign-in", "no session: the sign-in page");
    shoot(&c, "sign-in").await;
    sign_in(&c, &base, serve::TOKEN).await;

    fill(&c, "#environment-name", "production").await;
    click(&c, "#create-environment").await;
    assert_eq!(left(&c, "/console/").await, "/console/environments/production");

    let a = create_item(&c, &base, r#"{"title": "<script>window.pwned = 1</script>Home"}"#).await;
    assert_eq!(js(&c, "return typeof window.pwned;").await, "undefined", "content is text: no script runs");
    let shown = css(&c, "pre.content").await.text().await.unwrap();
    assert!(shown.contains("<script>window.pwned = 1</script>"), "shown as text: {shown}");
    shoot(&c, "item").await;
    let b = create_item(&c, &base, r#"{"title": "About"}"#).await;
    let d = create_item(&c, &base, r#"{"title": "Contact"}"#).await;
    shoot(&c, "items").await;

    c.goto(&format!("{base}/console/releases")).await.unwrap();
    fill(&c, "#release-name", "Spring launch").await;
    click(&c, "#create-release").await;
    let release = css(&c, "#release-title").await.attr("data-release").await.unwrap().unwrap();
    for id in [&a, &b, &d] {
        click(&c, "#add-by-id summary").await;
        fill(&c, "#add-item-id", id).await;
        fill(&c, "#add-item-version", "1").await;
        click(&c, "#add-item").await;
        css(&c, &format!("#release-items tr[data-item='{id}']")).await;
    }
    shoot(&c, "release").await;

    click(&c, "#deploy-env-production").await;
    click(&c, "#deploy").await;
    assert!(left(&c, &format!("/console/releases/{release}")).await.starts_with("/console/deployments/"));
    css(&c, "#progress").await;
    let opened = c.source().await.unwrap();
    assert!(opened.contains("data-stream="), "the page opened while the deployment ran");
    assert_eq!(wait_for_100(&c).await, "succeeded");
    shoot(&c, "deployment").await;

    // One item published again by hand: a change after the deployment.
    c.goto(&format!("{base}/console/items/{a}")).await.unwrap();
    let last_event = |server: &serve::Server| {
        server.call("GET", &format!("/v1/environments/production/publish-state?item_id={a}"), None, 200)["data"][0]
            ["last_event_id"]
            .clone()
    };
    let before = last_event(&server);
    fill(&c, "#publish-version", "1").await;
    click(&c, "#publish").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while last_event(&server) == before {
        assert!(Instant::now() < deadline, "the manual publish was not written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    c.goto(&format!("{base}/console/")).await.unwrap();
    css(&c, "#timeline circle.succeeded").await;
    shoot(&c, "overview").await;
    c.goto(&format!("{base}/console/environments/production")).await.unwrap();
    shoot(&c, "environment").await;

    c.goto(&format!("{base}/console/releases/{release}")).await.unwrap();
    click(&c, "#roll-back").await;
    let rollback_release = left(&c, &format!("/console/releases/{release}")).await;
    css(&c, "#release-title").await;
    assert_ne!(rollback_release, format!("/console/releases/{release}"), "the rollback release opens");
    click(&c, "a.plan-link[data-environment='production']").await;
    css(&c, "#plan").await;
    let row = |id: &str| format!("#plan tr[data-item='{id}']");
    assert_eq!(
        css(&c, &row(&a)).await.attr("data-skip-reason").await.unwrap().as_deref(),
        Some("changed_after_deployment")
    );
    for id in [&b, &d] {
        assert_eq!(css(&c, &row(id)).await.attr("data-outcome").await.unwrap().as_deref(), Some("unpublished"));
        css(&c, &format!("{} a.diff-link", row(id))).await;
    }
    shoot(&c, "rollback-plan").await;
    // A diff from the plan.
    let href = css(&c, &format!("{} a.diff-link", row(&b))).await.attr("href").await.unwrap().unwrap();
    c.goto(&format!("{base}{href}")).await.unwrap();
    css(&c, "#patch").await;
    shoot(&c, "diff").await;
    c.back().await.unwrap();
    css(&c, "#on-conflict").await;
    click(&c, "#confirm-deploy").await;
    assert_eq!(wait_for_100(&c).await, "succeeded");
    shoot(&c, "rollback-deployment").await;
    // With two succeeded deployments, the environment can be rolled back: its plan first.
    c.goto(&format!("{base}/console/environments/production/rollback")).await.unwrap();
    css(&c, "#confirm-rollback").await;
    shoot(&c, "environment-rollback-plan").await;
    c.goto(&format!("{base}/console/environments/production?tab=history")).await.unwrap();
    shoot(&c, "environment-history").await;
    c.goto(&format!("{base}/console/releases")).await.unwrap();
    shoot(&c, "releases").await;

    // The publish state, through the API.
    let state =
        |id: &str| server.call("GET", &format!("/v1/environments/production/publish-state?item_id={id}"), None, 200);
    assert_eq!(state(&a)["data"][0]["version"], 1, "changed after the deployment: left as it is");
    assert_eq!(state(&b)["data"][0]["version"], Value::Null, "rolled back: unpublished");
    assert_eq!(state(&d)["data"][0]["version"], Value::Null, "rolled back: unpublished");

    // The admin pages, and a viewer made from them.
    c.goto(&format!("{base}/console/users")).await.unwrap();
    shoot(&c, "users").await;
    fill(&c, "#user-name", "vera").await;
    c.find(Locator::Css("#user-role")).await.unwrap().select_by_value("viewer").await.unwrap();
    click(&c, "#create-user").await;
    click(&c, "#create-token").await;
    let viewer_token = css(&c, "#new-token").await.text().await.unwrap();
    shoot(&c, "user").await;
    c.goto(&format!("{base}/console/webhooks")).await.unwrap();
    shoot(&c, "webhooks").await;
    let at = path(&c).await;
    click(&c, "header.top form button").await;
    assert_eq!(left(&c, &at).await, "/console/sign-in");

    sign_in(&c, &base, viewer_token.trim()).await;
    for p in [
        "/console/".to_string(),
        "/console/environments/production".into(),
        "/console/releases".into(),
        format!("/console/releases/{release}"),
        "/console/items".into(),
        format!("/console/items/{a}"),
    ] {
        c.goto(&format!("{base}{p}")).await.unwrap();
        css(&c, "main h1").await;
        let writes = js(&c, "return document.querySelectorAll('[data-write]').length;").await;
        let posts = js(&c, "return document.querySelectorAll('form[method=post]').length;").await;
        assert_eq!(writes, 0, "{p}: a write control shown to a viewer");
        assert_eq!(posts, 1, "{p}: only the sign-out form");
    }
    // The admin's rollback release is not the viewer's: to them it does not exist (B5).
    c.goto(&format!("{base}{rollback_release}")).await.unwrap();
    assert!(c.source().await.unwrap().contains("data-code=\"not_found\""));
    c.goto(&format!("{base}/console/releases/{release}")).await.unwrap();
    shoot(&c, "release-as-viewer").await;
    c.close().await.unwrap();
}

/// U5 in the browser: a standard release is scheduled; a partial rollback from the plan's
/// checkboxes rolls back only the checked key and, with its hold checkbox, holds the
/// environment; a release deployed now is refused, the scheduled one comes due and waits
/// marked held; lifting the hold from the environment page lets it run. The environment page
/// with its hold is saved as `docs/console-hold.png`.
#[tokio::test]
async fn u5_h1_h3_b10_a_hold_after_a_rollback_keeps_a_scheduled_deployment_waiting_until_lifted() {
    let db = common::TestDb::new();
    let server = serve::Server::start(&db.url_string(), 1, &[]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let post = |path: &str, body: Value, want: u16| server.call("POST", path, Some(&body), want)["data"].clone();
    post("/v1/environments", json!({"name": "production"}), 201);
    let item = |title: &str| {
        post(
            "/v1/items",
            json!({"kind": "entry", "content_type": "page", "locale": "en", "content": {"title": title}}),
            201,
        )["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (a, b, d) = (item("Home"), item("About"), item("Contact"));
    post(&format!("/v1/items/{a}/versions"), json!({"locale": "en", "content": {"title": "Home, new"}}), 201);
    let release = |name: &str, items: Value| {
        let id = post("/v1/releases", json!({"name": name}), 201)["id"].as_str().unwrap().to_string();
        post(&format!("/v1/releases/{id}/items"), json!({"items": items}), 200);
        id
    };
    let key = |id: &str, v: i32| json!({"item_id": id, "locale": "en", "action": "publish", "version": v});
    let launch = release("Launch", json!([key(&a, 1), key(&b, 1), key(&d, 1)]));
    let next = release("Next", json!([key(&a, 2)]));
    let hotfix = release("Hotfix", json!([key(&d, 1)]));
    let first = post(&format!("/v1/releases/{launch}/deploy"), json!({"environments": ["production"]}), 202);
    let first = first[0]["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    while api(&server, &format!("/v1/deployments/{first}"))["status"] != "succeeded" {
        assert!(Instant::now() < deadline, "the first deployment did not succeed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let state = |id: &str| {
        api(&server, &format!("/v1/environments/production/publish-state?item_id={id}"))[0]["version"].clone()
    };

    let driver = Driver::start();
    let c = browser(&driver).await;
    sign_in(&c, &base, serve::TOKEN).await;

    // "Next" is scheduled from its page, due in 30 s (a time to the second, set as the field's
    // value; the field steps by minutes unless told otherwise).
    let mut due = chrono::Utc::now() + chrono::Duration::seconds(30);
    // The field shows a whole minute without its ":00": keep the time off one.
    if chrono::Timelike::second(&due) == 0 {
        due += chrono::Duration::seconds(1);
    }
    c.goto(&format!("{base}/console/releases/{next}")).await.unwrap();
    click(&c, "#deploy-env-production").await;
    let at = due.format("%Y-%m-%dT%H:%M:%S").to_string();
    let set = format!("var f = document.querySelector('#scheduled-at'); f.step = 1; f.value = '{at}'; return f.value;");
    assert_eq!(js(&c, &set).await, at.as_str(), "the field takes the time");
    click(&c, "#deploy").await;
    let waiting = left(&c, &format!("/console/releases/{next}")).await;
    let waiting = waiting.strip_prefix("/console/deployments/").expect("the deployment's page").to_string();
    assert_eq!(api(&server, &format!("/v1/deployments/{waiting}"))["status"], "scheduled");

    // The partial rollback: only "About" checked, and the environment held afterwards.
    c.goto(&format!("{base}/console/releases/{launch}")).await.unwrap();
    click(&c, "#roll-back").await;
    left(&c, &format!("/console/releases/{launch}")).await;
    click(&c, "a.plan-link[data-environment='production']").await;
    css(&c, "#plan").await;
    let boxes = js(&c, "return document.querySelectorAll('#plan input.key-select').length;").await;
    assert_eq!(boxes, 3, "a checkbox per key");
    click(&c, &format!("#plan tr[data-item='{b}'] input.key-select")).await;
    click(&c, "#rollback-hold").await;
    shoot(&c, "partial-rollback-plan").await;
    let plan_at = path(&c).await;
    click(&c, "#rollback-selected").await;
    let rollback = left(&c, &plan_at).await;
    let rollback = rollback.strip_prefix("/console/deployments/").expect("the rollback's page").to_string();
    assert_eq!(wait_for_100(&c).await, "succeeded");
    assert_eq!(state(&b), Value::Null, "the checked key is rolled back");
    assert_eq!((state(&a), state(&d)), (json!(1), json!(1)), "the others are not");
    let hold = api(&server, "/v1/environments/production")["hold"].clone();
    assert_eq!((hold["cause"].as_str(), hold["deployment_id"].as_str()), (Some("rollback"), Some(rollback.as_str())));
    let held_at = chrono::DateTime::parse_from_rfc3339(hold["held_at"].as_str().unwrap()).unwrap();
    assert!(held_at < due, "the hold came before the scheduled time (a slow machine: raise the 30 s)");

    // A standard release deployed now is refused, with the rule's message.
    c.goto(&format!("{base}/console/releases/{hotfix}")).await.unwrap();
    click(&c, "#deploy-env-production").await;
    click(&c, "#deploy").await;
    let problem = css(&c, "#problem").await;
    assert_eq!(problem.attr("data-code").await.unwrap().as_deref(), Some("environment_held"));
    shoot(&c, "deploy-refused-held").await;

    // The environment page shows the hold, placed by the rollback, with its lift button.
    c.goto(&format!("{base}/console/environments/production")).await.unwrap();
    css(&c, "#hold-banner[data-cause='rollback']").await;
    css(&c, &format!("#hold-deployment[href='/console/deployments/{rollback}']")).await;
    c.set_window_size(1280, 1250).await.expect("window size");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/console-hold.png"), png).expect("save");
    shoot(&c, "environment-held").await;
    c.goto(&format!("{base}/console/")).await.unwrap();
    css(&c, "#timeline g[data-environment='production'][data-held='held']").await;
    css(&c, &format!("tr[data-deployment='{waiting}'][data-held='true']")).await;
    shoot(&c, "overview-held").await;

    // Due, and waiting: still scheduled, marked held on its page.
    while chrono::Utc::now() < due + chrono::Duration::seconds(2) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let w = api(&server, &format!("/v1/deployments/{waiting}"));
    assert_eq!((w["status"].as_str(), w["held"].as_bool()), (Some("scheduled"), Some(true)), "{w}");
    c.goto(&format!("{base}/console/deployments/{waiting}")).await.unwrap();
    css(&c, "#held-note").await;
    shoot(&c, "deployment-held").await;

    // Lifted from the environment page: the deployment runs.
    c.goto(&format!("{base}/console/environments/production")).await.unwrap();
    click(&c, "#lift-hold").await;
    css(&c, "#not-held").await;
    c.goto(&format!("{base}/console/deployments/{waiting}")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = css(&c, "#status").await.text().await.unwrap();
        if status == "succeeded" {
            break;
        }
        assert!(Instant::now() < deadline, "the released deployment did not run: {status}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.refresh().await.unwrap();
    }
    assert_eq!(state(&a), json!(2), "\"Next\" published once the hold was lifted");
    assert!(api(&server, "/v1/environments/production")["hold"].is_null());
    c.close().await.unwrap();
}
