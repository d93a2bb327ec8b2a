//! U1: the console's session (a server-side row behind an `HttpOnly`, `SameSite=Strict`
//! cookie), sign-in and sign-out, and the CSRF check every form goes through: the session's
//! token in the form, and the request's `Origin` (or `Referer`) being the console's own.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{awaiting, html, see_other, Page, Problem};
use crate::error::AppError;
use crate::runtime::db;
use crate::runtime::AppState;
use crate::service::console_sessions::{self, ConsoleSession};
use crate::service::Caller;

/// The session cookie's name.
pub const COOKIE: &str = "rewind_session";

/// A signed-in request: the session of its cookie (else a redirect to the sign-in page).
pub struct Session {
    id: String,
    session: ConsoleSession,
    /// U5: how many deployments await the user's approval (the navigation shows it).
    awaiting_approval: usize,
}

impl Session {
    /// The session's id (the cookie's value), to check it again later (a stream's heartbeat).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Who the session acts for.
    pub fn caller(&self) -> &Caller {
        &self.session.caller
    }

    /// The CSRF token its forms carry.
    pub fn csrf(&self) -> &str {
        &self.session.csrf_token
    }

    /// How many deployments await the user's approval, read with the session.
    pub fn awaiting_approval(&self) -> usize {
        self.awaiting_approval
    }
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, Problem> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| Problem::App(AppError::internal("no app state")))
}

impl FromRequest for Session {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Session, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req.cookie(COOKIE).map(|c| c.value().to_string()).filter(|v| !v.is_empty() && v.len() <= 128);
        let state = state_of(req);
        Box::pin(async move {
            let (id, state) = (id.ok_or(Problem::App(AppError::Unauthorized))?, state?);
            let (session, awaiting_approval) = db(&state, {
                let id = id.clone();
                move |c| {
                    let session = console_sessions::by_id(c, &id)?;
                    let awaiting = awaiting::mine(c, &session.caller)?.len();
                    Ok((session, awaiting))
                }
            })
            .await?;
            Ok(Session { id, session, awaiting_approval })
        })
    }
}

/// A form posted from a console page: signed in, from the console's own origin, carrying the
/// session's CSRF token. Anything else is refused before the handler runs, so nothing is written.
pub struct Form<T> {
    pub session: Session,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

fn sha(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

fn csrf_failed() -> Problem {
    Problem::CsrfFailed
}

/// Whether the request comes from a page of this server: its `Origin` (scheme, host and port) is
/// the console's own origin; or, where the browser sends `Origin: null` (it does for a form posted
/// from a page with `Referrer-Policy: no-referrer`) or none, its Fetch Metadata says
/// `same-origin`, or failing that its `Referer` has the console's origin. The console's origin is
/// `REWIND_PUBLIC_URL`'s when set, else the connection's own scheme and `Host` header: never a
/// `Forwarded` or `X-Forwarded-*` header, which any client can send.
pub fn same_origin(req: &HttpRequest) -> bool {
    let Some(own) = own_origin(req) else { return false };
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let origin_of = |url: &str| url::Url::parse(url).ok().map(|u| u.origin());
    match header("origin").filter(|o| *o != "null") {
        Some(origin) => origin_of(origin).is_some_and(|o| o == own),
        None => match header("sec-fetch-site") {
            Some(site) => site == "same-origin",
            None => header("origin").is_none() && header("referer").and_then(origin_of).is_some_and(|r| r == own),
        },
    }
}

/// The console's own origin (see [`same_origin`]); `None` without a `Host` to build it from.
fn own_origin(req: &HttpRequest) -> Option<url::Origin> {
    let configured = req.app_data::<web::Data<AppState>>().and_then(|s| s.settings.console.public_origin.clone());
    if configured.is_some() {
        return configured;
    }
    // Behind a proxy that ends TLS the connection is plain HTTP, but a `Secure` cookie says the
    // console is served over HTTPS.
    let secure_cookie = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.settings.console.secure_cookie);
    let scheme = if req.app_config().secure() || secure_cookie { "https" } else { "http" };
    let host = match req.headers().get(actix_web::http::header::HOST) {
        Some(h) => h.to_str().ok()?.to_string(),
        None => req.uri().authority()?.to_string(),
    };
    let url = url::Url::parse(&format!("{scheme}://{host}/")).ok()?;
    // A Host with a path, user or query in it is no host.
    (url.path() == "/" && url.username().is_empty() && url.query().is_none()).then(|| url.origin())
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Form<T>, Problem>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = Session::from_request(req, payload);
        let body = web::Bytes::from_request(req, payload);
        let origin_ok = same_origin(req);
        Box::pin(async move {
            let session = session.await?;
            let body =
                body.await.map_err(|_| Problem::App(AppError::PayloadTooLarge("the form is too large".into())))?;
            let sent: CsrfField = serde_html_form::from_bytes(&body).map_err(|_| csrf_failed())?;
            if !origin_ok || sha(&sent.csrf) != sha(session.csrf()) {
                return Err(csrf_failed());
            }
            let form = serde_html_form::from_bytes(&body)
                .map_err(|e| Problem::App(AppError::invalid(format!("invalid form: {e}"))))?;
            Ok(Form { session, form })
        })
    }
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage {
    failed: bool,
}

/// U1: the sign-in form.
pub async fn sign_in_page() -> Page {
    Ok(html(StatusCode::OK, &SignInPage { failed: false }))
}

/// What the sign-in form posts.
#[derive(Deserialize)]
pub struct SignIn {
    token: String,
}

/// U1: opens a session for a valid token and sets its cookie; the token itself is never stored
/// in the session, a URL or a log line.
pub async fn sign_in(state: web::Data<AppState>, req: HttpRequest, form: web::Form<SignIn>) -> Page {
    if !same_origin(&req) {
        return Err(csrf_failed());
    }
    let token = form.into_inner().token.trim().to_string();
    let lifetime = state.settings.console.session_lifetime;
    let opened = db(&state, move |c| console_sessions::sign_in(c, &token, lifetime)).await;
    let (id, _) = match opened {
        Ok(s) => s,
        Err(AppError::Unauthorized) => return Ok(html(StatusCode::UNAUTHORIZED, &SignInPage { failed: true })),
        Err(e) => return Err(e.into()),
    };
    let cookie = Cookie::build(COOKIE, id)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.console.secure_cookie)
        .max_age(time::Duration::seconds(lifetime.num_seconds()))
        .finish();
    let mut res = see_other("/console/");
    res.add_cookie(&cookie).map_err(|e| Problem::App(AppError::internal(e)))?;
    Ok(res)
}

/// What the sign-out form posts: only its CSRF token.
#[derive(Deserialize)]
pub struct SignOut {}

/// U1: ends the session and clears its cookie.
pub async fn sign_out(state: web::Data<AppState>, f: Form<SignOut>) -> Page {
    let id = f.session.id.clone();
    db(&state, move |c| console_sessions::sign_out(c, &id)).await?;
    let mut gone = Cookie::build(COOKIE, "").path("/console").http_only(true).same_site(SameSite::Strict).finish();
    gone.make_removal();
    let mut res: HttpResponse = see_other("/console/sign-in");
    res.add_cookie(&gone).map_err(|e| Problem::App(AppError::internal(e)))?;
    Ok(res)
}
