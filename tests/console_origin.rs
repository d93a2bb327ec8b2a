//! U1: the console's CSRF check compares a form's `Origin` (scheme, host and port) with the
//! console's own origin: `REWIND_PUBLIC_URL` when set, else the connection's scheme and `Host`,
//! never a forwarded header.

mod common;
mod signed_in;

use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use common::{spawn, spawn_with, ADMIN};
use rewind::settings::{ConsoleSettings, Settings};
use signed_in::{send, sign_in, Browser, ORIGIN};

fn form(b: &Browser, origin: &str, name: &str) -> TestRequest {
    TestRequest::post()
        .uri("/console/environments")
        .insert_header(("cookie", format!("rewind_session={}", b.cookie)))
        .insert_header(("origin", origin.to_string()))
        .set_form([("csrf", b.csrf.as_str()), ("name", name)])
}

#[actix_web::test]
async fn u1_a_form_from_another_origin_is_refused_whatever_forwarded_headers_say() {
    let app = spawn().await;
    let b = sign_in(&app, ADMIN).await;
    let evil = "http://evil.example";
    let refused = [
        form(&b, evil, "one").insert_header(("x-forwarded-host", "evil.example")),
        form(&b, evil, "two").insert_header(("forwarded", "host=evil.example")),
        form(&b, evil, "three").insert_header(("forwarded", "host=evil.example;proto=http")),
        form(&b, "https://localhost:8080", "four"),
        form(&b, "http://localhost:8081", "five"),
        form(&b, "https://localhost:8080", "six").insert_header(("x-forwarded-proto", "https")),
    ];
    for (n, req) in refused.into_iter().enumerate() {
        let a = send(&app, req).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "case {n}: {}", a.body);
    }
    let (_, envs) = app.get("/v1/environments", ADMIN).await;
    assert_eq!(envs["data"], serde_json::json!([]), "{envs}");
    // The console's own origin, with the default port spelled or not.
    let a = send(&app, form(&b, ORIGIN, "own")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
}

#[actix_web::test]
async fn u1_behind_a_proxy_the_console_s_origin_is_rewind_public_url() {
    let public = url::Url::parse("https://cms.example.com").unwrap().origin();
    let console = ConsoleSettings { public_origin: Some(public), ..ConsoleSettings::default() };
    let app = spawn_with(Settings { console, ..Settings::default() }).await;
    let a =
        signed_in::post(&app, "/console/sign-in", None, Some("https://cms.example.com:443"), &[("token", ADMIN)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = signed_in::post(&app, "/console/sign-in", None, Some(ORIGIN), &[("token", ADMIN)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "the Host is not the origin behind a proxy: {}", a.body);
    let a = signed_in::post(&app, "/console/sign-in", None, Some("http://cms.example.com"), &[("token", ADMIN)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "another scheme: {}", a.body);
}

#[actix_web::test]
async fn u1_with_a_secure_cookie_and_no_public_url_the_console_s_origin_is_https() {
    // Behind a proxy that ends TLS the connection is plain HTTP; a `Secure` cookie says browsers
    // reach the console over HTTPS, at the `Host` they asked for.
    let console = ConsoleSettings { secure_cookie: true, ..ConsoleSettings::default() };
    let app = spawn_with(Settings { console, ..Settings::default() }).await;
    let https = ORIGIN.replacen("http://", "https://", 1);
    let a = signed_in::post(&app, "/console/sign-in", None, Some(&https), &[("token", ADMIN)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = signed_in::post(&app, "/console/sign-in", None, Some(ORIGIN), &[("token", ADMIN)]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "plain HTTP is another origin: {}", a.body);
}
