//! U4: the console's authorization matrix. The console's routes are not in /openapi.json (so
//! not in tests/authz.rs): every route wired in src/console/mod.rs has a row here (a test fails
//! otherwise), and each row says what a visitor without a session, a viewer, an editor without
//! a grant and an admin get. Refusals write nothing; the rows run in an order where the
//! admin's writes do not change what later rows find. On both backends.

mod common;
mod signed_in;

use actix_web::http::StatusCode;
use common::{spawn_with, ADMIN};
use rewind::settings::{Settings, WebhookSettings};
use serde_json::json;
use signed_in::{get, post, sign_in, submit, Browser};

/// One row: method, the route's pattern as wired, the concrete path, the form, and the status
/// for no session, a viewer, an editor without a grant and an admin.
struct Row {
    method: &'static str,
    pattern: &'static str,
    path: String,
    form: Vec<(&'static str, String)>,
    want: [u16; 4],
}

fn row(
    method: &'static str,
    pattern: &'static str,
    path: String,
    form: &[(&'static str, &str)],
    want: [u16; 4],
) -> Row {
    Row { method, pattern, path, form: form.iter().map(|(k, v)| (*k, v.to_string())).collect(), want }
}

/// Every `.route("…", web::method()…)` of the console's scope.
fn wired_routes() -> Vec<(String, String)> {
    let src = include_str!("../src/console/mod.rs");
    src.lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix(".route(\"")?;
            let (pattern, rest) = l.split_once('"')?;
            let method = rest.split("web::").nth(1)?.split('(').next()?;
            Some((method.to_uppercase(), format!("/console{pattern}")))
        })
        .collect()
}

#[actix_web::test]
async fn u4_every_console_route_answers_each_role_as_its_row_says() {
    let webhooks = WebhookSettings { allow_private: true, ..WebhookSettings::default() };
    let app = spawn_with(Settings { webhooks, ..Settings::default() }).await;
    app.env("prod").await;
    let (s, w) = app
        .post("/v1/webhooks", ADMIN, json!({"url": "http://127.0.0.1:9/hook", "events": ["deployment.succeeded"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let webhook = w["data"]["id"].as_str().unwrap().to_string();
    let item = app.item(2).await;
    let release = app.release(ADMIN, "r", &[(&item, "publish", Some(1))]).await;
    let d = app.deploy_ok(&release, ADMIN, "prod").await;
    let deployment = d["id"].as_str().unwrap().to_string();
    let (_, list) = app.get(&format!("/v1/webhooks/{webhook}/deliveries"), ADMIN).await;
    let delivery = list["data"][0]["id"].as_str().expect("a delivery").to_string();
    let (user, _) = app.user("target", "editor").await;
    let (_, tokens) = app.get(&format!("/v1/users/{user}/tokens"), ADMIN).await;
    let user_token = tokens["data"][0]["id"].as_str().unwrap().to_string();
    let (_, viewer) = app.user("vera", "viewer").await;
    let (_, editor) = app.user("eddie", "editor").await;
    // U5: a window ahead (so it holds nothing while the rows run), for the remove button's row.
    let (starts, ends) =
        (chrono::Utc::now() + chrono::Duration::days(30), chrono::Utc::now() + chrono::Duration::days(31));
    let (s, f) = app
        .post(
            "/v1/environments/prod/freezes",
            ADMIN,
            json!({"starts_at": starts.to_rfc3339(), "ends_at": ends.to_rfc3339(), "reason": "later"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let freeze = f["data"]["id"].as_str().unwrap().to_string();
    let (later_start, later_end) = (
        (starts + chrono::Duration::days(2)).format("%Y-%m-%dT%H:%M").to_string(),
        (ends + chrono::Duration::days(2)).format("%Y-%m-%dT%H:%M").to_string(),
    );

    // U5: an environment to compare prod with and to promote prod onto.
    app.env("staging").await;

    let r = &release;
    let rows = vec![
        row("GET", "/console", "/console".into(), &[], [303, 303, 303, 303]),
        row("GET", "/console/", "/console/".into(), &[], [303, 200, 200, 200]),
        row("GET", "/console/assets/console.css", "/console/assets/console.css".into(), &[], [200; 4]),
        row("GET", "/console/assets/console.js", "/console/assets/console.js".into(), &[], [200; 4]),
        row("GET", "/console/sign-in", "/console/sign-in".into(), &[], [200; 4]),
        row("POST", "/console/sign-in", "/console/sign-in".into(), &[("token", "rw_wrong")], [401; 4]),
        row("GET", "/console/environments/{env}", "/console/environments/prod".into(), &[], [303, 200, 200, 200]),
        // U5: any signed-in user reads an environment's content, as of a deployment too.
        row(
            "GET",
            "/console/environments/{env}/content",
            format!("/console/environments/prod/content?deployment={deployment}"),
            &[],
            [303, 200, 200, 200],
        ),
        row(
            "GET",
            "/console/environments/{env}/rollback",
            "/console/environments/prod/rollback".into(),
            &[],
            [303, 403, 403, 422],
        ),
        row(
            "POST",
            "/console/environments/{env}/rollback",
            "/console/environments/prod/rollback".into(),
            &[],
            [303, 403, 403, 422],
        ),
        // U5: the admin's hold is lifted by the next row, so that later rows deploy as before;
        // the setting is posted unchecked (its default) and the window added lies ahead.
        row(
            "POST",
            "/console/environments/{env}/hold",
            "/console/environments/prod/hold".into(),
            &[("reason", "checking the matrix")],
            [303, 403, 403, 303],
        ),
        row(
            "POST",
            "/console/environments/{env}/hold/lift",
            "/console/environments/prod/hold/lift".into(),
            &[],
            [303, 403, 403, 303],
        ),
        row(
            "POST",
            "/console/environments/{env}/hold-after-rollback",
            "/console/environments/prod/hold-after-rollback".into(),
            &[],
            [303, 403, 403, 303],
        ),
        row(
            "POST",
            "/console/environments/{env}/freezes",
            "/console/environments/prod/freezes".into(),
            &[("starts_at", &later_start), ("ends_at", &later_end), ("reason", "made here")],
            [303, 403, 403, 303],
        ),
        row(
            "POST",
            "/console/environments/{env}/freezes/{id}/delete",
            format!("/console/environments/prod/freezes/{freeze}/delete"),
            &[],
            [303, 403, 403, 303],
        ),
        // U5: the admin's rule is removed by the next row, so that later deployments run at once.
        row(
            "POST",
            "/console/environments/{env}/approval-rule",
            "/console/environments/prod/approval-rule".into(),
            &[("required", "2")],
            [303, 403, 403, 303],
        ),
        row(
            "POST",
            "/console/environments/{env}/approval-rule/delete",
            "/console/environments/prod/approval-rule/delete".into(),
            &[],
            [303, 403, 403, 303],
        ),
        row("GET", "/console/compare", "/console/compare?source=prod&target=staging".into(), &[], [303, 200, 200, 200]),
        row(
            "POST",
            "/console/environments/{env}/promote",
            "/console/environments/staging/promote".into(),
            &[("source", "prod")],
            [303, 403, 403, 303],
        ),
        row("GET", "/console/approvals", "/console/approvals".into(), &[], [303, 200, 200, 200]),
        row(
            "POST",
            "/console/deployments/{id}/approve",
            format!("/console/deployments/{deployment}/approve"),
            &[("comment", "fine")],
            [303, 403, 403, 409],
        ),
        row(
            "POST",
            "/console/deployments/{id}/reject",
            format!("/console/deployments/{deployment}/reject"),
            &[("comment", "no")],
            [303, 403, 403, 409],
        ),
        row("GET", "/console/releases", "/console/releases".into(), &[], [303, 200, 200, 200]),
        row("GET", "/console/releases/{id}", format!("/console/releases/{r}"), &[], [303, 200, 200, 200]),
        row(
            "GET",
            "/console/releases/{id}/plan",
            format!("/console/releases/{r}/plan?environment=prod"),
            &[],
            [303, 403, 403, 200],
        ),
        row(
            "POST",
            "/console/releases/{id}/items",
            format!("/console/releases/{r}/items"),
            &[("item_id", &item), ("locale", "en"), ("action", "publish"), ("version", "2")],
            [303, 403, 409, 409],
        ),
        row(
            "POST",
            "/console/releases/{id}/items/remove",
            format!("/console/releases/{r}/items/remove"),
            &[("item_id", &item), ("locale", "en")],
            [303, 403, 409, 409],
        ),
        row(
            "POST",
            "/console/releases/{id}/rollback",
            format!("/console/releases/{r}/rollback"),
            &[],
            [303, 403, 422, 303],
        ),
        row(
            "GET",
            "/console/deployments/{id}",
            format!("/console/deployments/{deployment}"),
            &[],
            [303, 200, 200, 200],
        ),
        row(
            "GET",
            "/console/deployments/{id}/stream",
            format!("/console/deployments/{deployment}/stream"),
            &[],
            [303, 200, 200, 200],
        ),
        row(
            "POST",
            "/console/deployments/{id}/cancel",
            format!("/console/deployments/{deployment}/cancel"),
            &[],
            [303, 403, 403, 409],
        ),
        row("GET", "/console/items", "/console/items".into(), &[], [303, 200, 200, 200]),
        row(
            "POST",
            "/console/items",
            "/console/items".into(),
            &[("kind", "entry"), ("content_type", "page"), ("locale", "en"), ("content", "{}")],
            [303, 403, 303, 303],
        ),
        row("GET", "/console/items/{id}", format!("/console/items/{item}"), &[], [303, 200, 200, 200]),
        row(
            "GET",
            "/console/items/{id}/diff",
            format!("/console/items/{item}/diff?locale=en&from=1&to=2"),
            &[],
            [303, 200, 200, 200],
        ),
        row(
            "POST",
            "/console/items/{id}/versions",
            format!("/console/items/{item}/versions"),
            &[("locale", "en"), ("content", "{\"v\": 9}")],
            [303, 403, 303, 303],
        ),
        row(
            "POST",
            "/console/items/{id}/publish",
            format!("/console/items/{item}/publish"),
            &[("environment", "prod"), ("locale", "en"), ("version", "2")],
            [303, 403, 403, 303],
        ),
        row(
            "POST",
            "/console/items/{id}/unpublish",
            format!("/console/items/{item}/unpublish"),
            &[("environment", "prod"), ("locale", "en")],
            [303, 403, 403, 303],
        ),
        row("POST", "/console/releases", "/console/releases".into(), &[("name", "made here")], [303, 403, 303, 303]),
        row(
            "POST",
            "/console/releases/{id}/deploy",
            format!("/console/releases/{r}/deploy"),
            &[("environments", "prod")],
            [303, 403, 403, 303],
        ),
        row(
            "POST",
            "/console/environments",
            "/console/environments".into(),
            &[("name", "made-here")],
            [303, 403, 403, 303],
        ),
        row("GET", "/console/users", "/console/users".into(), &[], [303, 403, 403, 200]),
        row(
            "POST",
            "/console/users",
            "/console/users".into(),
            &[("name", "newcomer"), ("role", "viewer")],
            [303, 403, 403, 303],
        ),
        row("GET", "/console/users/{id}", format!("/console/users/{user}"), &[], [303, 403, 403, 200]),
        row(
            "POST",
            "/console/users/{id}/grants",
            format!("/console/users/{user}/grants"),
            &[("environment", "prod"), ("grant", "grant")],
            [303, 403, 403, 303],
        ),
        row(
            "POST",
            "/console/users/{id}/tokens",
            format!("/console/users/{user}/tokens"),
            &[("label", "x")],
            [303, 403, 403, 201],
        ),
        row(
            "POST",
            "/console/users/{id}/tokens/revoke",
            format!("/console/users/{user}/tokens/revoke"),
            &[("token_id", &user_token)],
            [303, 403, 403, 303],
        ),
        row(
            "POST",
            "/console/users/{id}/deactivate",
            format!("/console/users/{user}/deactivate"),
            &[],
            [303, 403, 403, 303],
        ),
        row("GET", "/console/webhooks", "/console/webhooks".into(), &[], [303, 403, 403, 200]),
        row(
            "POST",
            "/console/webhooks",
            "/console/webhooks".into(),
            &[("url", "http://127.0.0.1:9/other"), ("events", "deployment.failed")],
            [303, 403, 403, 201],
        ),
        row("GET", "/console/webhooks/{id}", format!("/console/webhooks/{webhook}"), &[], [303, 403, 403, 200]),
        row(
            "POST",
            "/console/webhooks/{id}/deliveries/{delivery}/retry",
            format!("/console/webhooks/{webhook}/deliveries/{delivery}/retry"),
            &[],
            [303, 403, 403, 409],
        ),
        row(
            "POST",
            "/console/webhooks/{id}/delete",
            format!("/console/webhooks/{webhook}/delete"),
            &[],
            [303, 403, 403, 303],
        ),
        row("POST", "/console/sign-out", "/console/sign-out".into(), &[], [303; 4]),
    ];

    let wired = wired_routes();
    for (m, p) in &wired {
        assert!(rows.iter().any(|r| r.method == m && r.pattern == p), "console route {m} {p} has no row in the matrix");
    }
    for r in &rows {
        assert!(
            wired.iter().any(|(m, p)| r.method == m && r.pattern == p),
            "row {} {} is not a console route",
            r.method,
            r.pattern
        );
    }

    let browsers: [Option<Browser>; 4] = [
        None,
        Some(sign_in(&app, &viewer).await),
        Some(sign_in(&app, &editor).await),
        Some(sign_in(&app, ADMIN).await),
    ];
    for r in &rows {
        for (who, b) in browsers.iter().enumerate() {
            let fields: Vec<(&str, &str)> = r.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let a = match (r.method, b) {
                ("GET", b) => get(&app, &r.path, b.as_ref()).await,
                (_, Some(b)) => submit(&app, &r.path, b, &fields).await,
                (_, None) => post(&app, &r.path, None, Some(signed_in::ORIGIN), &fields).await,
            };
            let role = ["no session", "viewer", "editor without a grant", "admin"][who];
            assert_eq!(a.status.as_u16(), r.want[who], "{} {} as {role}: {}", r.method, r.path, a.body);
            if r.want[who] == 303 && b.is_none() && r.pattern != "/console" {
                assert_eq!(a.location(), "/console/sign-in", "{} {}", r.method, r.path);
            }
        }
    }
}
