//! U5 in a real browser (M1, M2, A1, A2): production needs an approval; staging publishes newer
//! content. The admin compares staging with production, promotes, reads the plan and deploys: the
//! deployment awaits approval, and its deployer is offered no approve button. A second user sees
//! it in "awaiting my approval", approves it with a comment, and it runs to `succeeded`.
//! The compare page is saved as `docs/console-promote.png`.

#[path = "common/browser.rs"]
mod browser;
mod common;
mod serve;

use std::path::PathBuf;
use std::time::Duration;

use browser::{browser, click, css, fill, js, left, path, shoot, sign_in, wait_for_100, Driver};
use fantoccini::Locator;
use serde_json::{json, Value};

#[tokio::test]
async fn u5_m1_m2_a2_compare_promote_and_a_second_user_approves_in_the_browser() {
    let db = common::TestDb::new();
    let server = serve::Server::start(&db.url_string(), 1, &[]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let call =
        |method: &str, path: &str, body: Value, want: u16| server.call(method, path, Some(&body), want)["data"].clone();
    for env in ["staging", "production"] {
        call("POST", "/v1/environments", json!({"name": env}), 201);
    }
    let item = |title: &str| {
        let v = call(
            "POST",
            "/v1/items",
            json!({"kind": "entry", "content_type": "page", "locale": "en", "content": {"title": title}}),
            201,
        );
        v["id"].as_str().unwrap().to_string()
    };
    let (home, about) = (item("Home"), item("About"));
    call(
        "POST",
        &format!("/v1/items/{home}/versions"),
        json!({"locale": "en", "content": {"title": "Home, new"}}),
        201,
    );
    let publish = |env: &str, id: &str, v: i32| {
        call(
            "POST",
            &format!("/v1/environments/{env}/publish"),
            json!({"item_id": id, "locale": "en", "version": v}),
            200,
        )
    };
    publish("staging", &home, 2);
    publish("staging", &about, 1);
    publish("production", &home, 1);
    let reviewer =
        call("POST", "/v1/users", json!({"name": "rita", "role": "editor"}), 201)["id"].as_str().unwrap().to_string();
    server.call("PUT", &format!("/v1/users/{reviewer}/grants/production"), None, 204);
    let token =
        call("POST", &format!("/v1/users/{reviewer}/tokens"), json!({}), 201)["token"].as_str().unwrap().to_string();

    let driver = Driver::start();
    let c = browser(&driver).await;
    sign_in(&c, &base, serve::TOKEN).await;

    // The admin requires one approval on production, from its page.
    c.goto(&format!("{base}/console/environments/production")).await.unwrap();
    c.find(Locator::Css("#rule-required")).await.unwrap().select_by_value("1").await.unwrap();
    click(&c, "#save-rule").await;
    css(&c, "#rule-shown").await;
    js(&c, "document.querySelector('#approval-rule').scrollIntoView(); return 0;").await;
    shoot(&c, "environment-approval-rule").await;
    assert_eq!(server.call("GET", "/v1/environments/production", None, 200)["data"]["approval_rule"]["required"], 1);

    // Compare staging with production, from the pickers.
    click(&c, "#compare-with").await;
    c.find(Locator::Css("#compare-source")).await.unwrap().select_by_value("staging").await.unwrap();
    click(&c, "#compare").await;
    let diff = css(&c, "#difference").await;
    assert_eq!(diff.attr("data-differ").await.unwrap().as_deref(), Some("2"));
    assert_eq!(diff.attr("data-target-lacks").await.unwrap().as_deref(), Some("1"));
    css(&c, &format!("#differences tr[data-item='{home}'] a.diff-link")).await;
    let links = js(
        &c,
        &format!("return document.querySelectorAll(\"#differences tr[data-item='{about}'] a.diff-link\").length;"),
    )
    .await;
    assert_eq!(links, 0, "production has no version of About to diff against");
    c.set_window_size(1280, 900).await.expect("window size");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/console-promote.png"), png).expect("save");
    shoot(&c, "compare").await;

    // Promote: the release's plan in production, then deploy it; it awaits approval.
    let compare_at = path(&c).await;
    click(&c, "#promote").await;
    let plan = left(&c, &compare_at).await;
    assert!(plan.starts_with("/console/releases/") && plan.ends_with("/plan"), "{plan}");
    css(&c, "#plan").await;
    css(&c, "#needs-approval").await;
    shoot(&c, "promotion-plan").await;
    click(&c, "#confirm-deploy").await;
    let deployment = left(&c, &plan).await;
    let deployment = deployment.strip_prefix("/console/deployments/").expect("the deployment's page").to_string();
    css(&c, "#approval[data-required='1'][data-given='0']").await;
    assert_eq!(css(&c, "#status").await.text().await.unwrap(), "awaiting approval");
    let approve = js(&c, "return document.querySelectorAll('#approve').length;").await;
    assert_eq!(approve, 0, "the deployer is not offered approve");
    css(&c, "#reject").await;
    shoot(&c, "deployment-awaiting-approval").await;
    let at = path(&c).await;
    click(&c, "header.top form button").await;
    assert_eq!(left(&c, &at).await, "/console/sign-in");

    // The second user finds it awaiting their approval and approves it: it runs.
    sign_in(&c, &base, &token).await;
    assert_eq!(css(&c, "#nav-approvals").await.attr("data-awaiting").await.unwrap().as_deref(), Some("1"));
    click(&c, "#nav-approvals").await;
    css(&c, &format!("#awaiting tr[data-deployment='{deployment}']")).await;
    shoot(&c, "awaiting-my-approval").await;
    click(&c, &format!("#awaiting tr[data-deployment='{deployment}'] a")).await;
    fill(&c, "#verdict-comment", "Checked on staging").await;
    shoot(&c, "deployment-to-approve").await;
    click(&c, "#approve").await;
    assert_eq!(wait_for_100(&c).await, "succeeded");
    css(&c, "#approvals tr[data-approver]").await;
    shoot(&c, "deployment-approved").await;
    let d = server.call("GET", &format!("/v1/deployments/{deployment}"), None, 200)["data"].clone();
    assert_eq!(d["approvals"]["given"][0]["user_id"], reviewer.as_str());
    assert_eq!(d["approvals"]["given"][0]["comment"], "Checked on staging");
    let state = |id: &str| {
        server.call("GET", &format!("/v1/environments/production/publish-state?item_id={id}"), None, 200)["data"][0]
            ["version"]
            .clone()
    };
    assert_eq!((state(&home), state(&about)), (json!(2), json!(1)), "production publishes what staging does");
    c.close().await.unwrap();
}
