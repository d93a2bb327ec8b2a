//! The console's test helpers: signing in over HTTP, the session cookie and the CSRF token of a
//! page, pages and forms as a browser sends them (tests/console.rs, tests/console_authz.rs).
#![allow(dead_code)]

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

use crate::common::TestApp;

/// The host the test service answers as, and the origin of its pages.
pub const HOST: &str = "localhost:8080";
pub const ORIGIN: &str = "http://localhost:8080";

/// A signed-in browser: its session cookie and the session's CSRF token.
#[derive(Clone, Debug)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

/// An answer: status, headers and the body as text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// The `Location` of a redirect.
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// The value of the session cookie set by an answer.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all("set-cookie").filter_map(|v| v.to_str().ok()).find_map(|c| {
        c.strip_prefix("rewind_session=").map(|rest| rest.split(';').next().unwrap_or_default().to_string())
    })
}

/// The value of the first hidden input `name` in a page.
pub fn input_value(body: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let at = body.find(&needle)? + needle.len();
    Some(body[at..].split('"').next()?.to_string())
}

/// The CSRF token in a page's forms.
pub fn csrf_of(body: &str) -> Option<String> {
    input_value(body, "csrf")
}

/// Sends a request and reads the whole answer (pages end; streams are not read here).
pub async fn send<S>(app: &TestApp<S>, req: TestRequest) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let (status, headers, body) = app.call(req.insert_header(("host", HOST))).await;
    let body = match body {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    Answer { status, headers, body }
}

/// A GET of a console page with the browser's cookie (or none).
pub async fn get<S>(app: &TestApp<S>, path: &str, b: Option<&Browser>) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let mut req = TestRequest::get().uri(path);
    if let Some(b) = b {
        req = req.insert_header(("cookie", format!("rewind_session={}", b.cookie)));
    }
    send(app, req).await
}

/// A form POST as a page of the console sends it: the cookie, the console's `Origin`, and
/// `fields` (the CSRF token is added by the caller when wanted).
pub async fn post<S>(
    app: &TestApp<S>,
    path: &str,
    b: Option<&Browser>,
    origin: Option<&str>,
    fields: &[(&str, &str)],
) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let mut req = TestRequest::post().uri(path).set_form(fields);
    if let Some(b) = b {
        req = req.insert_header(("cookie", format!("rewind_session={}", b.cookie)));
    }
    if let Some(o) = origin {
        req = req.insert_header(("origin", o));
    }
    send(app, req).await
}

/// A form POST with the session's CSRF token and the console's origin.
pub async fn submit<S>(app: &TestApp<S>, path: &str, b: &Browser, fields: &[(&str, &str)]) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let mut all = vec![("csrf", b.csrf.as_str())];
    all.extend_from_slice(fields);
    post(app, path, Some(b), Some(ORIGIN), &all).await
}

/// Signs in with a token and reads the CSRF token from the overview.
pub async fn sign_in<S>(app: &TestApp<S>, token: &str) -> Browser
where
    S: Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    let a = post(app, "/console/sign-in", None, Some(ORIGIN), &[("token", token)]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let cookie = session_cookie(&a.headers).expect("a session cookie");
    let page = get(app, "/console/", Some(&Browser { cookie: cookie.clone(), csrf: String::new() })).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    Browser { cookie, csrf: csrf_of(&page.body).expect("a CSRF token in the page") }
}
