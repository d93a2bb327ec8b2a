//! U5 over HTTP: the console's part of promotion and approvals (M1, M2, A1, A2), checked
//! through the API: the compare page's counts and rows, "promote" making the release and
//! opening its plan, the approval rule on the environment page (admins), and approving and
//! rejecting on a deployment's page, with the "awaiting my approval" list and its count.
//! Refusals show the rule's code and write nothing; a form without its CSRF token is refused.
//! On both backends.

mod common;
mod signed_in;

use actix_web::http::StatusCode;
use common::{spawn, ADMIN};
use serde_json::{json, Value};
use signed_in::{get, post, sign_in, submit, Answer, ORIGIN};

/// A refusal page: its status and the rule's code.
fn refused(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "{}", a.body);
    assert!(a.body.contains(&format!("data-code=\"{code}\"")), "the rule's code {code}: {}", a.body);
}

/// The navigation's count of deployments awaiting the user's approval.
fn awaiting_count(page: &Answer) -> String {
    let at = page.body.find("data-awaiting=\"").expect("the navigation's approvals link") + 15;
    page.body[at..].split('"').next().unwrap().to_string()
}

#[actix_web::test]
async fn u5_m1_m2_console_compares_two_environments_and_promotes_to_the_plan() {
    let app = spawn().await;
    app.env("staging").await;
    app.env("prod").await;
    let (_, ed) = app.editor("ed", &["staging"]).await;
    let (_, vi) = app.user("vi", "viewer").await;
    let (a, b, c) = (app.item(2).await, app.item(1).await, app.item(1).await);
    // staging: a v2, b v1; prod: a v1, c v1.
    for (env, item, v) in [("staging", &a, 2), ("staging", &b, 1), ("prod", &a, 1), ("prod", &c, 1)] {
        let (s, body) = app.publish(env, ADMIN, item, v).await;
        assert!(s.is_success(), "{body}");
    }
    let admin = sign_in(&app, ADMIN).await;
    let editor = sign_in(&app, &ed).await;
    let viewer = sign_in(&app, &vi).await;

    let picker = get(&app, "/console/compare", Some(&viewer)).await;
    assert_eq!(picker.status, StatusCode::OK, "{}", picker.body);
    assert!(picker.body.contains("<option value=\"staging\">") && !picker.body.contains("id=\"difference\""));
    let page = get(&app, "/console/compare?source=staging&target=prod", Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("data-differ=\"3\" data-target-lacks=\"1\" data-only-target=\"1\""),
        "three keys differ, prod lacks b, only prod publishes c: {}",
        page.body
    );
    assert!(page.body.contains(&format!("/console/items/{a}/diff?locale=en&#38;from=1&#38;to=2")), "a's two versions");
    for (item, n) in [(&b, 0), (&c, 0), (&a, 1)] {
        let row = page.body.split(&format!("<tr data-item=\"{item}\"")).nth(1).expect("a row per key");
        let row = row.split("</tr>").next().unwrap();
        assert_eq!(row.matches("diff-link").count(), n, "a diff only where both publish: {row}");
    }
    assert!(!page.body.contains("id=\"promote\""), "U4: a viewer is not offered promote");
    assert!(!get(&app, "/console/compare?source=staging&target=prod", Some(&editor))
        .await
        .body
        .contains("id=\"promote\""));
    refused(
        &get(&app, "/console/compare?source=nowhere&target=prod", Some(&viewer)).await,
        422,
        "environment_not_found",
    );

    let promote = "/console/environments/prod/promote";
    let form = [("source", "staging"), ("unpublish_missing", "true")];
    refused(&submit(&app, promote, &viewer, &form).await, 403, "forbidden");
    refused(&submit(&app, promote, &editor, &form).await, 403, "forbidden");
    refused(&post(&app, promote, Some(&admin), Some(ORIGIN), &form).await, 403, "csrf_failed");
    refused(&submit(&app, "/console/environments/staging/promote", &admin, &form).await, 422, "same_environment");
    let (_, releases) = app.get("/v1/releases", ADMIN).await;
    assert_eq!(releases["data"], json!([]), "a refused form writes nothing");

    let page = get(&app, "/console/compare?source=staging&target=prod", Some(&admin)).await;
    assert!(page.body.contains("id=\"promote\"") && page.body.contains("id=\"unpublish-missing\""), "{}", page.body);
    let made = submit(&app, promote, &admin, &form).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let release = made.location().strip_prefix("/console/releases/").expect("the release's plan").to_string();
    let (release, query) = release.split_once("/plan?").expect("its plan");
    assert_eq!(query, "environment=prod", "the plan in the target environment");
    let (_, r) = app.get(&format!("/v1/releases/{release}"), ADMIN).await;
    assert_eq!(
        (r["data"]["promotion"]["source"].as_str(), r["data"]["promotion"]["target"].as_str()),
        (Some("staging"), Some("prod"))
    );
    let (_, items) = app.get(&format!("/v1/releases/{release}/items"), ADMIN).await;
    let actions: Vec<(String, Value)> = items["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["action"].as_str().unwrap().to_string(), i["version"].clone()))
        .collect();
    let want = [("publish", json!(2)), ("publish", json!(1)), ("unpublish", Value::Null)];
    let want: Vec<(String, Value)> = want.into_iter().map(|(a, v)| (a.to_string(), v)).collect();
    assert_eq!(actions, want, "a, b and c in key order: {items}");
    let plan = get(&app, made.location(), Some(&admin)).await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
    assert!(
        plan.body.contains("id=\"confirm-deploy\"") && plan.body.contains("<strong>1</strong> to unpublish"),
        "{}",
        plan.body
    );
}

#[actix_web::test]
async fn u5_a1_console_sets_and_removes_the_approval_rule_admin_only() {
    let app = spawn().await;
    app.env("prod").await;
    let (_, ed) = app.editor("ed", &["prod"]).await;
    let admin = sign_in(&app, ADMIN).await;
    let editor = sign_in(&app, &ed).await;
    let rule = "/console/environments/prod/approval-rule";

    let page = get(&app, "/console/environments/prod", Some(&editor)).await;
    assert!(page.body.contains("id=\"no-rule\"") && !page.body.contains("id=\"save-rule\""), "{}", page.body);
    refused(&submit(&app, rule, &editor, &[("required", "2")]).await, 403, "forbidden");
    refused(&post(&app, rule, Some(&admin), Some(ORIGIN), &[("required", "2")]).await, 403, "csrf_failed");
    let a = submit(&app, rule, &admin, &[("required", "9")]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "1 to 5: {}", a.body);
    assert!(app.environment("prod").await["approval_rule"].is_null(), "nothing written");

    let a = submit(&app, rule, &admin, &[("required", "2"), ("allow_self_approval", "true")]).await;
    assert_eq!((a.status, a.location()), (StatusCode::SEE_OTHER, "/console/environments/prod"), "{}", a.body);
    assert_eq!(app.environment("prod").await["approval_rule"], json!({"required": 2, "allow_self_approval": true}));
    let page = get(&app, "/console/environments/prod", Some(&admin)).await;
    assert!(
        page.body.contains("id=\"rule-shown\"") && page.body.contains("<option value=\"2\" selected>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"rule-allow-self\" checked") && page.body.contains("id=\"remove-rule\""));
    let a = submit(&app, rule, &admin, &[("required", "1")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(app.environment("prod").await["approval_rule"], json!({"required": 1, "allow_self_approval": false}));

    refused(&submit(&app, &format!("{rule}/delete"), &editor, &[]).await, 403, "forbidden");
    let a = submit(&app, &format!("{rule}/delete"), &admin, &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(app.environment("prod").await["approval_rule"].is_null());
}

#[actix_web::test]
async fn u5_a2_console_approves_and_rejects_and_lists_what_awaits_my_approval() {
    let app = spawn().await;
    app.env("prod").await;
    app.env("dev").await;
    let (s, v) = app.req("PUT", "/v1/environments/prod/approval-rule", ADMIN, Some(json!({"required": 2}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, ed) = app.editor("ed", &["prod"]).await;
    let (_, eve) = app.editor("eve", &["prod"]).await;
    let (_, other) = app.editor("otto", &["dev"]).await;
    let (_, vi) = app.user("vi", "viewer").await;
    let item = app.item(2).await;
    let release = app.release(&ed, "needs two", &[(&item, "publish", Some(1))]).await;
    let (s, v) = app.deploy(&release, &ed, &["prod"]).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["data"][0]["status"], "awaiting_approval", "{v}");
    let d = v["data"][0]["id"].as_str().unwrap().to_string();
    let (admin, editor, second, stranger, viewer) = (
        sign_in(&app, ADMIN).await,
        sign_in(&app, &ed).await,
        sign_in(&app, &eve).await,
        sign_in(&app, &other).await,
        sign_in(&app, &vi).await,
    );
    let page_of = format!("/console/deployments/{d}");
    let (approve, reject) = (format!("{page_of}/approve"), format!("{page_of}/reject"));

    // Who is offered what: the deployer may only reject; a viewer and an editor without a grant
    // see neither button, and nothing awaits them.
    let own = get(&app, &page_of, Some(&editor)).await;
    assert!(
        own.body.contains("awaiting approval</span>") && own.body.contains("data-required=\"2\" data-given=\"0\""),
        "{}",
        own.body
    );
    assert!(!own.body.contains("id=\"approve\"") && own.body.contains("id=\"reject\""), "{}", own.body);
    assert_eq!(awaiting_count(&own), "0", "not their own");
    for b in [&viewer, &stranger] {
        let page = get(&app, &page_of, Some(b)).await;
        assert!(!page.body.contains("id=\"approve\"") && !page.body.contains("id=\"reject\""), "{}", page.body);
    }
    assert_eq!(awaiting_count(&get(&app, "/console/", Some(&stranger)).await), "0");
    let mine = get(&app, "/console/approvals", Some(&admin)).await;
    assert_eq!(awaiting_count(&mine), "1");
    assert!(
        mine.body.contains(&format!("data-deployment=\"{d}\"")) && mine.body.contains("0/2 approvals"),
        "{}",
        mine.body
    );

    refused(&submit(&app, &approve, &editor, &[]).await, 403, "self_approval");
    refused(&submit(&app, &approve, &viewer, &[]).await, 403, "forbidden");
    refused(&submit(&app, &approve, &stranger, &[]).await, 403, "forbidden");
    refused(&post(&app, &approve, Some(&admin), Some(ORIGIN), &[]).await, 403, "csrf_failed");
    assert_eq!(app.deployment(&d).await["approvals"]["given"], json!([]), "refusals write nothing");

    let a = submit(&app, &approve, &admin, &[("comment", "Looks <i>right</i>")]).await;
    assert_eq!((a.status, a.location()), (StatusCode::SEE_OTHER, page_of.as_str()), "{}", a.body);
    refused(&submit(&app, &approve, &admin, &[]).await, 409, "already_approved");
    let page = get(&app, &page_of, Some(&admin)).await;
    assert!(page.body.contains("Looks &#60;i&#62;right&#60;/i&#62;"), "the comment, as text: {}", page.body);
    assert!(!page.body.contains("id=\"approve\"") && awaiting_count(&page) == "0", "approved already");
    assert_eq!(awaiting_count(&get(&app, "/console/", Some(&second)).await), "1");
    let a = submit(&app, &approve, &second, &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let done = app.finished(&d).await;
    assert_eq!(done["status"], "succeeded", "two approvals: it runs");
    let given: Vec<&str> =
        done["approvals"]["given"].as_array().unwrap().iter().map(|g| g["comment"].as_str().unwrap_or("")).collect();
    assert_eq!(given, ["Looks <i>right</i>", ""]);
    assert_eq!(app.state("prod", &item).await, Some(1));
    refused(&submit(&app, &approve, &second, &[]).await, 409, "not_awaiting_approval");

    // A rejection needs a comment; the deployer may reject; the page shows it.
    let next = app.release(&ed, "rejected", &[(&item, "publish", Some(2))]).await;
    let (_, v) = app.deploy(&next, &ed, &["prod"]).await;
    let r = v["data"][0]["id"].as_str().unwrap().to_string();
    let reject_next = format!("/console/deployments/{r}/reject");
    let a = submit(&app, &reject_next, &editor, &[("comment", " ")]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "a rejection says why: {}", a.body);
    refused(&submit(&app, &reject_next, &viewer, &[("comment", "no")]).await, 403, "forbidden");
    let a = submit(&app, &reject_next, &editor, &[("comment", "Wrong version")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let rejected = app.deployment(&r).await;
    assert_eq!(
        (rejected["status"].as_str(), rejected["rejection"]["comment"].as_str()),
        (Some("cancelled"), Some("Wrong version"))
    );
    let page = get(&app, &format!("/console/deployments/{r}"), Some(&admin)).await;
    assert!(page.body.contains("id=\"rejection\"") && page.body.contains("Wrong version"), "{}", page.body);
    assert!(!page.body.contains("id=\"reject\""), "nothing left to decide");
    refused(&submit(&app, &reject, &admin, &[("comment", "late")]).await, 409, "not_awaiting_approval");
    assert_eq!(app.state("prod", &item).await, Some(1), "the rejected deployment never ran");
    assert_eq!(awaiting_count(&get(&app, "/console/approvals", Some(&admin)).await), "0");
}
