//! U1–U4 over HTTP: the console's sign-in, session and CSRF rules, its headers, content shown as
//! text, what each role is offered and what the server refuses anyway. On both backends.

mod common;
mod signed_in;

use std::time::Duration;

use actix_web::http::StatusCode;
use common::{spawn, spawn_with, ADMIN};
use rewind::settings::{ConsoleSettings, Settings};
use serde_json::json;
use signed_in::{get, post, sign_in, submit, ORIGIN};

#[actix_web::test]
async fn u1_sign_in_sets_a_session_cookie_with_its_flags() {
    let app = spawn().await;
    let a = post(&app, "/console/sign-in", None, Some(ORIGIN), &[("token", ADMIN)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), "/console/");
    let cookie = a.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age=43200"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(!cookie.contains(ADMIN), "the token is not the cookie: {cookie}");
}

#[actix_web::test]
async fn u1_the_cookie_is_secure_when_configured() {
    let console = ConsoleSettings { secure_cookie: true, ..ConsoleSettings::default() };
    let app = spawn_with(Settings { console, ..Settings::default() }).await;
    // A `Secure` cookie means the console is reached over HTTPS: its origin is https.
    let https = ORIGIN.replacen("http://", "https://", 1);
    let a = post(&app, "/console/sign-in", None, Some(&https), &[("token", ADMIN)]).await;
    let cookie = a.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[actix_web::test]
async fn u1_a_bad_token_opens_no_session() {
    let app = spawn().await;
    let a = post(&app, "/console/sign-in", None, Some(ORIGIN), &[("token", "not-a-token")]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.headers.get("set-cookie").is_none());
    assert!(a.body.contains("id=\"sign-in-failed\""));
    // From another site, even a good token opens nothing (login CSRF).
    let a = post(&app, "/console/sign-in", None, Some("http://evil.example"), &[("token", ADMIN)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.headers.get("set-cookie").is_none());
}

#[actix_web::test]
async fn u1_pages_without_a_session_go_to_sign_in() {
    let app = spawn().await;
    for path in ["/console/", "/console/releases", "/console/items", "/console/users"] {
        let a = get(&app, path, None).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(a.location(), "/console/sign-in", "{path}");
    }
    let forged = signed_in::Browser { cookie: "rw_forged".into(), csrf: String::new() };
    assert_eq!(get(&app, "/console/", Some(&forged)).await.location(), "/console/sign-in");
}

#[actix_web::test]
async fn u1_a_post_without_the_csrf_token_or_from_another_origin_writes_nothing() {
    let app = spawn().await;
    let b = sign_in(&app, ADMIN).await;
    // No token.
    let a = post(&app, "/console/environments", Some(&b), Some(ORIGIN), &[("name", "one")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("data-code=\"csrf_failed\""), "{}", a.body);
    // A wrong token.
    let a = post(&app, "/console/environments", Some(&b), Some(ORIGIN), &[("csrf", "rw_nope"), ("name", "two")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // The right token from another origin, and with neither Origin nor Referer.
    let fields = [("csrf", b.csrf.as_str()), ("name", "three")];
    assert_eq!(post(&app, "/console/environments", Some(&b), Some("http://evil.example"), &fields).await.status, 403);
    assert_eq!(post(&app, "/console/environments", Some(&b), None, &fields).await.status, 403);
    // An opaque origin (a sandboxed frame, a page elsewhere) is refused; a page of the console
    // that sends `Origin: null` (its Referrer-Policy is no-referrer) is known by Fetch Metadata.
    let req = actix_web::test::TestRequest::post()
        .uri("/console/environments")
        .insert_header(("cookie", format!("rewind_session={}", b.cookie)))
        .insert_header(("origin", "null"))
        .insert_header(("sec-fetch-site", "cross-site"))
        .set_form(fields);
    assert_eq!(signed_in::send(&app, req).await.status, 403);
    for name in ["one", "two", "three"] {
        let (s, _) = app.get(&format!("/v1/environments/{name}"), ADMIN).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{name} must not exist");
    }
    // With both, it is written.
    let a = submit(&app, "/console/environments", &b, &[("name", "four")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(app.get("/v1/environments/four", ADMIN).await.0, StatusCode::OK);
    let req = actix_web::test::TestRequest::post()
        .uri("/console/environments")
        .insert_header(("cookie", format!("rewind_session={}", b.cookie)))
        .insert_header(("origin", "null"))
        .insert_header(("sec-fetch-site", "same-origin"))
        .set_form([("csrf", b.csrf.as_str()), ("name", "five")]);
    assert_eq!(signed_in::send(&app, req).await.status, StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn u1_every_console_answer_has_the_csp_and_frame_headers() {
    let app = spawn().await;
    app.env("prod").await;
    let item = app.item(2).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(2))]).await;
    let d = app.deploy_ok(&release, ADMIN, "prod").await;
    let b = sign_in(&app, ADMIN).await;
    let id = d["id"].as_str().unwrap();
    let pages = [
        "/console/sign-in".to_string(),
        "/console/".into(),
        "/console/environments/prod".into(),
        "/console/environments/prod?tab=log".into(),
        "/console/environments/prod?tab=history".into(),
        "/console/releases".into(),
        format!("/console/releases/{release}"),
        format!("/console/releases/{release}/plan?environment=prod"),
        format!("/console/deployments/{id}"),
        "/console/items".into(),
        format!("/console/items/{item}"),
        format!("/console/items/{item}/diff?locale=en&from=1&to=2"),
        "/console/users".into(),
        "/console/webhooks".into(),
        "/console/no-such-page".into(),
        "/console/assets/console.css".into(),
    ];
    for p in &pages {
        let a = get(&app, p, Some(&b)).await;
        assert!(a.status.is_success() || a.status == StatusCode::NOT_FOUND, "{p}: {}", a.status);
        assert_eq!(a.headers.get("content-security-policy").unwrap(), rewind::console::CONTENT_SECURITY_POLICY, "{p}");
        assert_eq!(a.headers.get("x-frame-options").unwrap(), "DENY", "{p}");
        assert_eq!(a.headers.get("referrer-policy").unwrap(), "no-referrer", "{p}");
        assert!(!a.body.contains("style=\""), "{p}: no inline style");
        assert!(!a.body.contains("<script>"), "{p}: no inline script");
    }
    // Redirects and refusals carry them too.
    let a = get(&app, "/console/", None).await;
    assert_eq!(a.headers.get("x-frame-options").unwrap(), "DENY");
    let a = post(&app, "/console/environments", Some(&b), Some(ORIGIN), &[("name", "x")]).await;
    assert!(a.headers.get("content-security-policy").is_some());
}

#[actix_web::test]
async fn u1_item_content_is_shown_as_text() {
    let app = spawn().await;
    let (s, v) = app
        .post(
            "/v1/items",
            ADMIN,
            json!({"kind": "entry", "content_type": "<b>type</b>", "locale": "en",
                   "content": {"title": "<script>alert(1)</script>", "x": "\" onmouseover=\"alert(2)"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_str().unwrap();
    let b = sign_in(&app, ADMIN).await;
    for p in
        [format!("/console/items/{id}"), "/console/items".into(), format!("/console/items/{id}/diff?locale=en&to=1")]
    {
        let a = get(&app, &p, Some(&b)).await;
        assert_eq!(a.status, StatusCode::OK, "{p}");
        assert!(!a.body.contains("<script>alert"), "{p}: {}", a.body);
        assert!(!a.body.contains("<b>type</b>"), "{p}");
        assert!(!a.body.contains("\" onmouseover=\"alert"), "{p}");
    }
    let a = get(&app, &format!("/console/items/{id}"), Some(&b)).await;
    assert!(a.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{}", a.body);
}

#[actix_web::test]
async fn u1_an_expired_session_goes_back_to_sign_in() {
    let console = ConsoleSettings { session_lifetime: chrono::TimeDelta::seconds(1), ..ConsoleSettings::default() };
    let app = spawn_with(Settings { console, ..Settings::default() }).await;
    let b = sign_in(&app, ADMIN).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let a = get(&app, "/console/", Some(&b)).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.location(), "/console/sign-in");
    let a = submit(&app, "/console/environments", &b, &[("name", "late")]).await;
    assert_eq!(a.location(), "/console/sign-in");
    assert_eq!(app.get("/v1/environments/late", ADMIN).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn u1_a_revoked_token_or_a_deactivated_user_ends_its_sessions() {
    let app = spawn().await;
    let (id, token) = app.user("ed", "editor").await;
    let b = sign_in(&app, &token).await;
    let (_, list) = app.get(&format!("/v1/users/{id}/tokens"), ADMIN).await;
    let token_id = list["data"][0]["id"].as_str().unwrap().to_string();
    let (s, _) = app.req("DELETE", &format!("/v1/users/{id}/tokens/{token_id}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(get(&app, "/console/", Some(&b)).await.location(), "/console/sign-in");

    let (id, token) = app.user("ed2", "editor").await;
    let b = sign_in(&app, &token).await;
    assert_eq!(get(&app, "/console/", Some(&b)).await.status, StatusCode::OK);
    let (s, _) = app.req("DELETE", &format!("/v1/users/{id}"), ADMIN, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(get(&app, "/console/", Some(&b)).await.location(), "/console/sign-in");
}

#[actix_web::test]
async fn u1_sign_out_ends_the_session() {
    let app = spawn().await;
    let b = sign_in(&app, ADMIN).await;
    let a = submit(&app, "/console/sign-out", &b, &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let cleared = a.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cleared.starts_with("rewind_session=;"), "{cleared}");
    assert_eq!(get(&app, "/console/", Some(&b)).await.location(), "/console/sign-in");
}

#[actix_web::test]
async fn u2_the_overview_shows_kept_published_counts_and_the_timeline() {
    let app = spawn().await;
    app.env("prod").await;
    app.env("stage").await;
    let (a1, a2, a3) = (app.item(2).await, app.item(1).await, app.item(1).await);
    let release = app.release(ADMIN, "r", &[(&a1, "publish", Some(1)), (&a2, "publish", Some(1))]).await;
    let first = app.deploy_ok(&release, ADMIN, "prod").await;
    assert_eq!(app.publish("prod", ADMIN, &a1, 2).await.0, StatusCode::OK);
    assert_eq!(app.publish("prod", ADMIN, &a3, 1).await.0, StatusCode::OK);
    assert_eq!(app.unpublish("prod", ADMIN, &a2).await.0, StatusCode::OK);
    let b = sign_in(&app, ADMIN).await;
    let page = get(&app, "/console/", Some(&b)).await;
    assert!(page.body.contains("data-published-keys=\"2\""), "{}", page.body);
    assert!(page.body.contains("data-published-keys=\"0\""), "stage has none");
    let id = first["id"].as_str().unwrap();
    assert!(page.body.contains(&format!("data-deployment=\"{id}\"")), "a mark for the deployment");
    assert!(page.body.contains("<svg class=\"timeline\""));
}

#[actix_web::test]
async fn u3_a_release_plan_has_a_row_per_key_linked_to_its_diff_and_writes_nothing() {
    let app = spawn().await;
    app.env("prod").await;
    let a = app.item(3).await;
    assert_eq!(app.publish("prod", ADMIN, &a, 1).await.0, StatusCode::OK);
    let release = app.release(ADMIN, "r", &[(&a, "publish", Some(3))]).await;
    let events = app.event_count("prod").await;
    let b = sign_in(&app, ADMIN).await;
    let p = get(&app, &format!("/console/releases/{release}/plan?environment=prod"), Some(&b)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(&format!("data-item=\"{a}\" data-outcome=\"published\"")), "{}", p.body);
    assert!(p.body.contains(&format!("/console/items/{a}/diff?locale=en&#38;from=1&#38;to=3")), "{}", p.body);
    assert_eq!(app.event_count("prod").await, events, "a plan writes nothing");
    let d = get(&app, &format!("/console/items/{a}/diff?locale=en&from=1&to=3"), Some(&b)).await;
    assert!(d.body.contains("<td class=\"replace\">replace</td>"), "{}", d.body);
}

#[actix_web::test]
async fn u3_an_environment_rollback_shows_its_plan_before_anything_is_written() {
    let app = spawn().await;
    app.env("prod").await;
    let (x, y) = (app.item(2).await, app.item(2).await);
    let r1 = app.release(ADMIN, "one", &[(&x, "publish", Some(1)), (&y, "publish", Some(1))]).await;
    app.deploy_ok(&r1, ADMIN, "prod").await;
    let r2 = app.release(ADMIN, "two", &[(&x, "publish", Some(2)), (&y, "publish", Some(2))]).await;
    app.deploy_ok(&r2, ADMIN, "prod").await;
    // y is changed by hand after the deployment: the rollback skips it.
    assert_eq!(app.unpublish("prod", ADMIN, &y).await.0, StatusCode::OK);
    let events = app.event_count("prod").await;
    let b = sign_in(&app, ADMIN).await;
    let p = get(&app, "/console/environments/prod/rollback", Some(&b)).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains(&format!("data-item=\"{x}\" data-outcome=\"published\"")), "{}", p.body);
    assert!(p.body.contains(&format!(
        "data-item=\"{y}\" data-outcome=\"skipped\" data-skip-reason=\"changed_after_deployment\""
    )));
    assert_eq!(app.event_count("prod").await, events, "the plan writes nothing");
    let target = signed_in::input_value(&p.body, "target").unwrap();
    let a =
        submit(&app, "/console/environments/prod/rollback", &b, &[("target", &target), ("on_conflict", "skip")]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id = a.location().rsplit('/').next().unwrap().to_string();
    let d = app.finished(&id).await;
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(app.state("prod", &x).await, Some(1));
    assert_eq!(app.state("prod", &y).await, None);
    // The overview draws the rollback to its target, linked to it.
    let page = get(&app, "/console/", Some(&b)).await;
    assert!(
        page.body.contains(&format!("<a href=\"/console/deployments/{target}\"><path class=\"rollback\"")),
        "{}",
        page.body
    );
    let p = get(&app, "/console/environments/prod", Some(&b)).await;
    assert!(p.body.contains("data-published-keys=\"1\""), "the kept count after the rollback: {}", p.body);
}

#[actix_web::test]
async fn u4_a_viewer_is_offered_no_write_control() {
    let app = spawn().await;
    app.env("prod").await;
    let item = app.item(2).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(2))]).await;
    let d = app.deploy_ok(&release, ADMIN, "prod").await;
    let (_, token) = app.user("vera", "viewer").await;
    let b = sign_in(&app, &token).await;
    let id = d["id"].as_str().unwrap();
    for p in [
        "/console/".to_string(),
        "/console/environments/prod".into(),
        "/console/releases".into(),
        format!("/console/releases/{release}"),
        format!("/console/deployments/{id}"),
        "/console/items".into(),
        format!("/console/items/{item}"),
    ] {
        let a = get(&app, &p, Some(&b)).await;
        assert_eq!(a.status, StatusCode::OK, "{p}");
        assert!(!a.body.contains("data-write"), "{p} offers a write control to a viewer: {}", a.body);
        assert_eq!(a.body.matches("method=\"post\"").count(), 1, "{p}: only the sign-out form");
    }
}

#[actix_web::test]
async fn u4_the_server_refuses_what_is_not_offered_with_the_rules_message() {
    let app = spawn().await;
    app.env("prod").await;
    app.env("stage").await;
    let item = app.item(2).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(2))]).await;
    let (_, viewer) = app.user("vera", "viewer").await;
    let (_, editor) = app.editor("eddie", &["stage"]).await;
    let events = app.event_count("prod").await;
    let v = sign_in(&app, &viewer).await;
    let a = submit(
        &app,
        &format!("/console/items/{item}/publish"),
        &v,
        &[("environment", "prod"), ("locale", "en"), ("version", "1")],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("data-code=\"forbidden\""));
    assert!(a.body.contains("You are not allowed to do this"), "{}", a.body);
    let e = sign_in(&app, &editor).await;
    // The editor may deploy to stage only: prod is not offered, and refused.
    let page = get(&app, &format!("/console/releases/{release}"), Some(&e)).await;
    assert!(page.body.contains("deploy-env-stage") && !page.body.contains("deploy-env-prod"), "{}", page.body);
    let a = submit(&app, &format!("/console/releases/{release}/deploy"), &e, &[("environments", "prod")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = submit(&app, "/console/environments/prod/rollback", &e, &[]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(get(&app, "/console/users", Some(&e)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.event_count("prod").await, events);
    let (_, list) = app.get(&format!("/v1/releases/{release}/deployments"), ADMIN).await;
    assert!(list["data"].as_array().unwrap().is_empty());
    // A rule's refusal reads as the rule: an empty release cannot be deployed.
    let empty = app.release(&editor, "empty", &[]).await;
    let a = submit(&app, &format!("/console/releases/{empty}/deploy"), &e, &[("environments", "stage")]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("The release has no items to deploy."), "{}", a.body);
}

#[actix_web::test]
async fn u4_a_release_plan_opens_a_page_at_a_time_and_links_the_next() {
    let app = spawn().await;
    app.env("prod").await;
    let items = [app.item(1).await, app.item(1).await, app.item(1).await];
    let release =
        app.release(ADMIN, "r", &items.iter().map(|i| (i.as_str(), "publish", Some(1))).collect::<Vec<_>>()).await;
    let b = sign_in(&app, ADMIN).await;
    let first = get(&app, &format!("/console/releases/{release}/plan?environment=prod&limit=2"), Some(&b)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let shown = |body: &str| items.iter().map(|i| body.contains(&format!("data-item=\"{i}\""))).collect::<Vec<_>>();
    assert_eq!(shown(&first.body), [true, true, false], "{}", first.body);
    assert!(first.body.contains("This page's 2 of the release's 3 keys"), "{}", first.body);
    let next = first.body.split("<a href=\"").find_map(|s| s.split_once("\" rel=\"next\"")).map(|(href, _)| href);
    let next = next.unwrap_or_else(|| panic!("no link to the next page: {}", first.body)).replace("&#38;", "&");
    let second = get(&app, &next, Some(&b)).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(shown(&second.body), [false, false, true], "{}", second.body);
    assert!(!second.body.contains("rel=\"next\""), "the last page links no next: {}", second.body);
    let bad = get(&app, &format!("/console/releases/{release}/plan?environment=prod&cursor=x"), Some(&b)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}
