//! U5 over HTTP: the console's part of holds, freeze windows and partial rollback (H1–H4, B10),
//! checked through the API: placing and lifting a hold (a scheduled deployment waits, marked
//! held, and runs once lifted), H2's setting and a rollback form's hold checkbox, freeze
//! windows (admins only), and rolling back only the keys checked in a plan. Refusals show the
//! rule's readable message and write nothing. On both backends.

mod common;
mod signed_in;

use std::time::Duration;

use actix_web::http::StatusCode;
use common::{spawn, ADMIN};
use serde_json::{json, Value};
use signed_in::{get, sign_in, submit, Answer};

/// A refusal page: its status and the rule's code.
fn refused(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "{}", a.body);
    assert!(a.body.contains(&format!("data-code=\"{code}\"")), "the rule's code {code}: {}", a.body);
}

/// A form's fields as `submit` takes them.
fn fields<'a>(f: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    f.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The id at the end of a redirect to a deployment's page.
fn deployment_of(a: &Answer) -> String {
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let at = a.location();
    assert!(at.starts_with("/console/deployments/"), "{at}");
    at.rsplit('/').next().unwrap().to_string()
}

#[actix_web::test]
async fn u5_h1_console_places_and_lifts_a_hold() {
    let app = spawn().await;
    app.env("prod").await;
    let (_, ed) = app.editor("ed", &["prod"]).await;
    let (_, vi) = app.user("vi", "viewer").await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "waits", &[(&item, "publish", Some(1))]).await;
    // Due in three seconds: it comes due while the environment is held.
    let at = (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    let (s, v) = app
        .post(&format!("/v1/releases/{release}/deploy"), ADMIN, json!({"environments": ["prod"], "scheduled_at": at}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let waiting = v["data"][0]["id"].as_str().unwrap().to_string();
    let b = sign_in(&app, &ed).await;

    let page = get(&app, "/console/environments/prod", Some(&b)).await;
    assert!(page.body.contains("id=\"place-hold\""), "a writer with a grant may hold it: {}", page.body);
    assert!(!page.body.contains("id=\"add-freeze\""), "windows are the admins'");
    let a = submit(&app, "/console/environments/prod/hold", &b, &[("reason", "")]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "a hold needs a reason: {}", a.body);
    assert!(app.environment("prod").await["hold"].is_null(), "nothing written");
    let a = submit(&app, "/console/environments/prod/hold", &b, &[("reason", "Checking the <b>rollback</b>")]).await;
    assert_eq!((a.status, a.location()), (StatusCode::SEE_OTHER, "/console/environments/prod"), "{}", a.body);
    let hold = app.environment("prod").await["hold"].clone();
    assert_eq!(
        (hold["cause"].as_str(), hold["reason"].as_str()),
        (Some("manual"), Some("Checking the <b>rollback</b>"))
    );

    let page = get(&app, "/console/environments/prod", Some(&b)).await;
    assert!(page.body.contains("id=\"hold-banner\" data-cause=\"manual\""), "{}", page.body);
    assert!(page.body.contains("Checking the &#60;b&#62;rollback&#60;/b&#62;"), "the reason, as text");
    assert!(page.body.contains("id=\"lift-hold\"") && !page.body.contains("id=\"place-hold\""));
    let overview = get(&app, "/console/", Some(&b)).await;
    assert!(overview.body.contains("class=\"env is-held\" data-environment=\"prod\""), "{}", overview.body);
    assert!(overview.body.contains("data-held=\"held\""), "the lane is drawn held: {}", overview.body);
    assert!(overview.body.contains(&format!("<tr data-deployment=\"{waiting}\" data-held=\"true\">")));
    let release_page = get(&app, &format!("/console/releases/{release}"), Some(&b)).await;
    assert!(release_page.body.contains("data-held=\"true\""), "the release lists it held: {}", release_page.body);
    assert!(get(&app, &format!("/console/deployments/{waiting}"), Some(&b)).await.body.contains("id=\"held-note\""));

    let again = submit(&app, "/console/environments/prod/hold", &b, &[("reason", "twice")]).await;
    refused(&again, 409, "already_held");
    assert!(again.body.contains("This environment is held already."), "{}", again.body);
    let other = app.release(&ed, "refused", &[(&item, "publish", Some(1))]).await;
    let a = submit(&app, &format!("/console/releases/{other}/deploy"), &b, &[("environments", "prod")]).await;
    refused(&a, 409, "environment_held");
    assert!(a.body.contains("lift the hold before deploying"), "{}", a.body);

    // Due now, and waiting: still scheduled, marked held.
    actix_web::rt::time::sleep(Duration::from_millis(3500)).await;
    let d = app.deployment(&waiting).await;
    assert_eq!((d["status"].as_str(), d["held"].as_bool()), (Some("scheduled"), Some(true)), "{d}");

    let viewer = sign_in(&app, &vi).await;
    let page = get(&app, "/console/environments/prod", Some(&viewer)).await;
    assert!(!page.body.contains("id=\"lift-hold\""), "U4: not offered to a viewer");
    let a = submit(&app, "/console/environments/prod/hold/lift", &viewer, &[]).await;
    refused(&a, 403, "forbidden");

    let a = submit(&app, "/console/environments/prod/hold/lift", &b, &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let env = app.environment("prod").await;
    assert!(env["hold"].is_null(), "{env}");
    assert_eq!(app.finished(&waiting).await["status"], "succeeded", "it runs once the hold is lifted");
    assert_eq!(app.state("prod", &item).await, Some(1));
    let a = submit(&app, "/console/environments/prod/hold/lift", &b, &[]).await;
    refused(&a, 409, "not_held");
    let page = get(&app, "/console/environments/prod", Some(&b)).await;
    assert!(page.body.contains("id=\"not-held\"") && page.body.contains("Checking the &#60;b&#62;rollback"), "history");
}

#[actix_web::test]
async fn u5_h2_console_sets_hold_after_rollback_and_the_rollback_form_may_decline_it() {
    let app = spawn().await;
    app.env("prod").await;
    let (_, ed) = app.editor("ed", &["prod"]).await;
    let (item, _) = app.deployed_release(ADMIN, "prod").await;
    let second = app.release(ADMIN, "second", &[(&item, "unpublish", None)]).await;
    let unpublished = app.deploy_ok(&second, ADMIN, "prod").await;
    assert_eq!(app.state("prod", &item).await, None);
    let admin = sign_in(&app, ADMIN).await;
    let editor = sign_in(&app, &ed).await;

    let setting = "/console/environments/prod/hold-after-rollback";
    refused(&submit(&app, setting, &editor, &[("hold_after_rollback", "true")]).await, 403, "forbidden");
    assert!(!get(&app, "/console/environments/prod", Some(&editor)).await.body.contains("id=\"hold-after-rollback\""));
    let a = submit(&app, setting, &admin, &[("hold_after_rollback", "true")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(app.environment("prod").await["hold_after_rollback"], true);

    // The plan offers the hold checked; unchecked, the rollback does not hold the environment.
    let plan = get(&app, "/console/environments/prod/rollback", Some(&editor)).await;
    assert!(plan.body.contains("id=\"rollback-hold\" checked"), "{}", plan.body);
    assert!(plan.body.contains("name=\"hold_default\" value=\"true\""), "{}", plan.body);
    let a = submit(&app, "/console/environments/prod/rollback", &editor, &[("hold_default", "true")]).await;
    let d = deployment_of(&a);
    assert_eq!(app.finished(&d).await["status"], "succeeded");
    assert_eq!(app.state("prod", &item).await, Some(1), "rolled back");
    assert!(app.environment("prod").await["hold"].is_null(), "declined on the form");

    // Checked, it holds the environment, naming the rollback.
    let target = unpublished["id"].as_str().unwrap();
    let form = [("target", target), ("hold", "true"), ("hold_default", "true")];
    let d = deployment_of(&submit(&app, "/console/environments/prod/rollback", &editor, &form).await);
    assert_eq!(app.finished(&d).await["status"], "succeeded");
    let hold = app.environment("prod").await["hold"].clone();
    assert_eq!(
        (hold["cause"].as_str(), hold["deployment_id"].as_str()),
        (Some("rollback"), Some(d.as_str())),
        "{hold}"
    );
    let page = get(&app, "/console/environments/prod", Some(&editor)).await;
    assert!(page.body.contains("id=\"hold-banner\" data-cause=\"rollback\""), "{}", page.body);
    assert!(page.body.contains(&format!("<a href=\"/console/deployments/{d}\" id=\"hold-deployment\">")));

    let a = submit(&app, setting, &admin, &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(app.environment("prod").await["hold_after_rollback"], false, "unchecked turns it off");
}

#[actix_web::test]
async fn u5_h4_console_adds_and_removes_a_freeze_window_admin_only() {
    let app = spawn().await;
    app.env("prod").await;
    let (_, ed) = app.editor("ed", &["prod"]).await;
    let item = app.item(1).await;
    let release = app.release(ADMIN, "frozen out", &[(&item, "publish", Some(1))]).await;
    let admin = sign_in(&app, ADMIN).await;
    let editor = sign_in(&app, &ed).await;
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    let now = chrono::Utc::now();
    let in_two_hours = fmt(now + chrono::Duration::hours(2));

    let add = "/console/environments/prod/freezes";
    let a = submit(&app, add, &editor, &[("ends_at", &in_two_hours), ("reason", "launch")]).await;
    refused(&a, 403, "forbidden");
    let in_an_hour = fmt(now + chrono::Duration::hours(1));
    let backwards = [("starts_at", in_two_hours.as_str()), ("ends_at", &in_an_hour), ("reason", "backwards")];
    let a = submit(&app, add, &admin, &backwards).await;
    refused(&a, 422, "invalid_window");
    assert!(a.body.contains("must end after it starts"), "{}", a.body);
    let a = submit(&app, add, &admin, &[("ends_at", "soon"), ("reason", "typo")]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert_eq!(app.get("/v1/environments/prod/freezes", ADMIN).await.1["data"], json!([]), "nothing written");

    // An empty start is now: the window is open at once.
    let a =
        submit(&app, add, &admin, &[("starts_at", ""), ("ends_at", &in_two_hours), ("reason", "Launch week")]).await;
    assert_eq!((a.status, a.location()), (StatusCode::SEE_OTHER, "/console/environments/prod"), "{}", a.body);
    let (_, list) = app.get("/v1/environments/prod/freezes", ADMIN).await;
    let freeze = list["data"][0]["id"].as_str().expect("the window").to_string();
    assert_eq!(app.environment("prod").await["freeze"]["id"], freeze.as_str());
    let page = get(&app, "/console/environments/prod", Some(&admin)).await;
    assert!(page.body.contains("id=\"freeze-banner\"") && page.body.contains("Launch week"), "{}", page.body);
    assert!(page.body.contains(&format!("/console/environments/prod/freezes/{freeze}/delete")));
    let page = get(&app, "/console/environments/prod", Some(&editor)).await;
    assert!(page.body.contains("id=\"freeze-banner\""), "everyone sees the open window");
    assert!(!page.body.contains("/delete\""), "only admins remove windows: {}", page.body);
    let overview = get(&app, "/console/", Some(&editor)).await;
    assert!(overview.body.contains("data-held=\"frozen\"") && overview.body.contains("class=\"env-freeze\""));
    let deploy = format!("/console/releases/{release}/deploy");
    refused(&submit(&app, &deploy, &admin, &[("environments", "prod")]).await, 409, "environment_frozen");

    let remove = format!("/console/environments/prod/freezes/{freeze}/delete");
    refused(&submit(&app, &remove, &editor, &[]).await, 403, "forbidden");
    let a = submit(&app, &remove, &admin, &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(app.get("/v1/environments/prod/freezes", ADMIN).await.1["data"], json!([]));
    refused(&submit(&app, &remove, &admin, &[]).await, 404, "not_found");
    let d = deployment_of(&submit(&app, &deploy, &admin, &[("environments", "prod")]).await);
    assert_eq!(app.finished(&d).await["status"], "succeeded", "the window removed, releases deploy");
}

#[actix_web::test]
async fn u5_b10_console_rolls_back_only_the_checked_keys() {
    let app = spawn().await;
    app.env("prod").await;
    let (a, b, c) = (app.item(1).await, app.item(1).await, app.item(1).await);
    let items = [(a.as_str(), "publish", Some(1)), (b.as_str(), "publish", Some(1)), (c.as_str(), "publish", Some(1))];
    let release = app.release(ADMIN, "three", &items).await;
    app.deploy_ok(&release, ADMIN, "prod").await;
    let admin = sign_in(&app, ADMIN).await;
    let made = submit(&app, &format!("/console/releases/{release}/rollback"), &admin, &[]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let rollback = made.location().rsplit('/').next().unwrap().to_string();

    let plan = get(&app, &format!("/console/releases/{rollback}/plan?environment=prod"), Some(&admin)).await;
    for id in [&a, &b, &c] {
        let checkbox = format!("name=\"keys\" value=\"{id}:en\" form=\"rollback-form\"");
        assert!(plan.body.contains(&checkbox), "a checkbox per key: {}", plan.body);
    }
    assert!(plan.body.contains("id=\"rollback-selected\"") && plan.body.contains("id=\"rollback-hold\""));

    let deploy = format!("/console/releases/{rollback}/deploy");
    let selected = |keys: &[&str]| -> Vec<(&'static str, String)> {
        let mut f = vec![("environments", "prod".to_string()), ("scope", "selected".to_string())];
        f.extend(keys.iter().map(|k| ("keys", k.to_string())));
        f
    };
    let a2 = submit(&app, &deploy, &admin, &fields(&selected(&[]))).await;
    assert_eq!(a2.status, StatusCode::BAD_REQUEST, "none checked: {}", a2.body);
    let stranger = format!("{}:en", app.item(1).await);
    refused(&submit(&app, &deploy, &admin, &fields(&selected(&[&stranger]))).await, 422, "key_not_in_release");
    let (_, none) = app.get(&format!("/v1/releases/{rollback}/deployments"), ADMIN).await;
    assert_eq!(none["data"], json!([]), "a refused form writes nothing");

    let key_b = format!("{b}:en");
    let mut form = selected(&[&key_b]);
    form.push(("hold", "true".into()));
    let form = fields(&form);
    let d = deployment_of(&submit(&app, &deploy, &admin, &form).await);
    assert_eq!(app.finished(&d).await["status"], "succeeded");
    assert_eq!(app.state("prod", &b).await, None, "the checked key is rolled back");
    assert_eq!((app.state("prod", &a).await, app.state("prod", &c).await), (Some(1), Some(1)), "the others stay");
    let skipped: Vec<Value> =
        app.deployment_items(&d).await.into_iter().filter(|i| i["outcome"] == "skipped").collect();
    assert!(skipped.iter().all(|i| i["skip_reason"] == "not_selected") && skipped.len() == 2, "{skipped:?}");
    assert_eq!(app.environment("prod").await["hold"]["deployment_id"], d.as_str(), "held as asked");

    // The environment rollback's plan: the same checkboxes; only the checked key goes back.
    let plan = get(&app, "/console/environments/prod/rollback", Some(&admin)).await;
    assert!(plan.body.contains(&format!("value=\"{b}:en\" form=\"rollback-form\"")), "{}", plan.body);
    let form = [("scope", "selected"), ("keys", key_b.as_str())];
    let e = deployment_of(&submit(&app, "/console/environments/prod/rollback", &admin, &form).await);
    assert_eq!(app.finished(&e).await["status"], "succeeded");
    assert_eq!(app.state("prod", &b).await, Some(1), "back to the state before the partial rollback");
    let changed: Vec<Value> =
        app.deployment_items(&e).await.into_iter().filter(|i| i["outcome"] != "skipped").collect();
    assert_eq!(changed.len(), 1, "only the checked key: {changed:?}");
    assert_eq!((app.state("prod", &a).await, app.state("prod", &c).await), (Some(1), Some(1)));
}
