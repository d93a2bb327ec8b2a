//! U1–U4: the operator console at `/console/`, server-rendered. Handlers are as thin as the
//! API's: parse the form, check the session and its CSRF token (`session`), call the same
//! `service/` use case, render an askama template (checked and embedded at compile time,
//! escaped by default). The one script is `assets/console.js`, served from the binary.

pub mod admin;
pub mod approvals;
pub mod awaiting;
pub mod content;
pub mod content_marks;
pub mod deployments;
pub mod environments;
pub mod holds;
pub mod items;
pub mod overview;
pub mod plan;
pub mod promotions;
pub mod release_search;
pub mod releases;
pub mod session;
pub mod timeline;
pub mod views;
pub mod webhooks;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};
use askama::Template;

use crate::error::{AppError, ProblemCode};
pub use session::{Form, Session};

/// U1: the policy of every console response: nothing inline, nothing from another origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// What every page's frame shows: who is signed in, and the CSRF token of the sign-out form.
pub struct Chrome {
    pub user: String,
    pub role: String,
    pub is_admin: bool,
    pub csrf: String,
    /// U5: how many deployments await the user's approval.
    pub awaiting_approval: usize,
}

impl From<&Session> for Chrome {
    fn from(s: &Session) -> Chrome {
        Chrome {
            user: s.caller().name.clone(),
            role: s.caller().role.as_str().into(),
            is_admin: s.caller().is_admin(),
            csrf: s.csrf().into(),
            awaiting_approval: s.awaiting_approval(),
        }
    }
}

/// A console failure: a rule's refusal shown as a page with its readable message, a form
/// whose CSRF check failed (403 `csrf_failed`), or a redirect to the sign-in page when the
/// session is missing or gone.
#[derive(Debug)]
pub enum Problem {
    App(AppError),
    CsrfFailed,
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Problem {
        Problem::App(e)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::App(e) => e.fmt(f),
            Problem::CsrfFailed => f.write_str("the form's origin or CSRF token did not match this session"),
        }
    }
}

/// The page of a refusal.
#[derive(Template)]
#[template(path = "console/problem.html")]
struct ProblemPage<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
    detail: String,
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        match self {
            Problem::App(e) => e.status_code(),
            Problem::CsrfFailed => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let code = match self {
            Problem::App(AppError::Unauthorized) => return see_other("/console/sign-in"),
            // Its cause was logged where it arose (`AppError::internal`).
            Problem::App(AppError::Internal) => ProblemCode::InternalError,
            Problem::App(e) => e.code(),
            Problem::CsrfFailed => ProblemCode::CsrfFailed,
        };
        let page = ProblemPage {
            status: self.status_code().as_u16(),
            code: code.as_str(),
            message: readable(code),
            detail: self.to_string(),
        };
        html(self.status_code(), &page)
    }
}

/// Console handlers answer a page or a problem.
pub type Page = Result<HttpResponse, Problem>;

/// U4: the rule behind a refusal, in words for the person at the console.
pub fn readable(code: ProblemCode) -> &'static str {
    use ProblemCode as C;
    match code {
        C::Forbidden => "You are not allowed to do this: your role or your grants do not cover it.",
        C::NotFound => "There is no such thing, or it is not visible to you.",
        C::InvalidRequest => "Something in the form is not valid.",
        C::CsrfFailed => {
            "This form has expired or came from another site; nothing was changed. Reload the page and try again."
        }
        C::NameTaken => "That name is taken.",
        C::ReleaseLocked => "This release has a succeeded deployment: its items can no longer be changed.",
        C::ReleaseEmpty => "The release has no items to deploy.",
        C::ReleaseBusy => "The release has a deployment scheduled or running.",
        C::ReleaseNotDeployed => "You have no succeeded deployment of this release to roll back.",
        C::ReleaseNotDeployedToEnvironment => "You have no succeeded deployment of this release in that environment.",
        C::RedeployRequired => "Your rollback release of this release was deleted: deploy the release again first.",
        C::RollbackOfRollback => "A rollback release cannot be rolled back.",
        C::RollbackCannotBeScheduled => "A rollback release is deployed now, never at a later time.",
        C::InvalidSchedule => "The time must be in the future and less than ten years ahead.",
        C::NotCancellable => "Only a deployment awaiting approval, scheduled or queued can be cancelled.",
        C::NotAwaitingApproval => "This deployment is not awaiting approval any more.",
        C::SelfApproval => "This environment's rule does not let you approve your own deployment: ask someone else.",
        C::AlreadyApproved => "You approved this deployment already.",
        C::SameEnvironment => "Choose two different environments.",
        C::NothingToPromote => "Nothing differs between the two environments: there is nothing to promote.",
        C::KeyNotInDifference => "A selected key does not differ between the two environments.",
        C::NotPublished | C::ContentNotPublished => "That key is not published.",
        C::InvalidCursor => "That link to a page is out of date or was changed: start from the first page.",
        C::DeploymentNotFinished => "That deployment has not ended yet.",
        C::VersionNotFound => "There is no such version.",
        C::ItemNotFound => "There is no such item.",
        C::EnvironmentNotFound => "There is no such environment.",
        C::TargetNotSuccessful => "Only a succeeded deployment can be rolled back to.",
        C::TargetWrongEnvironment => "That deployment is of another environment.",
        C::NoRollbackTarget => "There is no succeeded deployment before the active one to roll back to.",
        C::OnConflictNotApplicable => "A conflict policy applies only to rollbacks.",
        C::ReleaseTooLarge => "The release would hold too many items.",
        C::LastAdmin => "The last active admin cannot be deactivated.",
        C::AlreadyHeld => "This environment is held already.",
        C::NotHeld => "This environment is not held.",
        C::EnvironmentHeld => "That environment is held: lift the hold before deploying a release to it.",
        C::EnvironmentFrozen => "That environment is in a freeze window: releases deploy to it once the window ends.",
        C::InvalidWindow => "A window must end after it starts, in the future, and last at most 366 days.",
        C::KeyNotInRelease => "A selected key is not in the rollback release.",
        C::RollbackOptionNotApplicable => "Holding afterwards and selecting keys apply to rollbacks only.",
        C::NotRetryable => "Only a failed delivery can be retried.",
        C::WebhookUrlNotAllowed => "That webhook address is not allowed.",
        C::PayloadTooLarge => "That is too large.",
        C::Unavailable => "The database is unavailable; try again in a moment.",
        C::Unauthorized => "Sign in again: your session has ended.",
        C::MethodNotAllowed => "The server does not take this here.",
        C::IdempotencyKeyInUse => "The same request is still being answered; try again in a moment.",
        C::IdempotencyKeyReused => "That request key was used for another request.",
        C::GrantNotApplicable => "A viewer cannot publish, so takes no grant.",
        C::UserNameNotAllowed => "That user name could look like another's: use letters, digits and single spaces.",
        C::InternalError => "Something went wrong on the server; it has been logged.",
    }
}

/// Renders a template as an HTML answer with `status`.
pub fn html(status: StatusCode, t: &impl Template) -> HttpResponse {
    match t.render() {
        Ok(body) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            HttpResponse::InternalServerError().content_type("text/plain; charset=utf-8").body("internal error")
        }
    }
}

/// A 200 page.
pub fn page(t: &impl Template) -> Page {
    Ok(html(StatusCode::OK, t))
}

/// 303 to `location`: every successful form answers this, so a reload never posts twice.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

const CONSOLE_CSS: &str = include_str!("assets/console.css");
const CONSOLE_JS: &str = include_str!("assets/console.js");

async fn css() -> HttpResponse {
    HttpResponse::Ok().content_type("text/css; charset=utf-8").body(CONSOLE_CSS)
}

async fn js() -> HttpResponse {
    HttpResponse::Ok().content_type("text/javascript; charset=utf-8").body(CONSOLE_JS)
}

async fn no_page() -> Page {
    Err(AppError::NotFound("no such page".into()).into())
}

/// U1: the headers of every console answer, pages, redirects and refusals alike.
async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    for (name, value) in PAGE_HEADERS {
        h.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    Ok(res)
}

/// U1: the security headers of every console answer, and of the API's `/docs` pages.
pub const PAGE_HEADERS: [(&str, &str); 5] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    ("cache-control", "no-store"),
];

/// Wires the console's routes, under `/console`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .route("", web::get().to(|| async { see_other("/console/") }))
            .route("/", web::get().to(overview::overview))
            .route("/assets/console.css", web::get().to(css))
            .route("/assets/console.js", web::get().to(js))
            .route("/sign-in", web::get().to(session::sign_in_page))
            .route("/sign-in", web::post().to(session::sign_in))
            .route("/sign-out", web::post().to(session::sign_out))
            .route("/environments", web::post().to(environments::create))
            .route("/environments/{env}", web::get().to(environments::show))
            .route("/environments/{env}/content", web::get().to(content::show))
            .route("/environments/{env}/rollback", web::get().to(environments::rollback_plan))
            .route("/environments/{env}/rollback", web::post().to(environments::rollback))
            .route("/environments/{env}/hold", web::post().to(holds::place))
            .route("/environments/{env}/hold/lift", web::post().to(holds::lift))
            .route("/environments/{env}/hold-after-rollback", web::post().to(holds::set_hold_after_rollback))
            .route("/environments/{env}/freezes", web::post().to(holds::create_freeze))
            .route("/environments/{env}/freezes/{id}/delete", web::post().to(holds::delete_freeze))
            .route("/environments/{env}/approval-rule", web::post().to(approvals::set_rule))
            .route("/environments/{env}/approval-rule/delete", web::post().to(approvals::delete_rule))
            .route("/environments/{env}/promote", web::post().to(promotions::promote))
            .route("/compare", web::get().to(promotions::compare))
            .route("/approvals", web::get().to(approvals::awaiting))
            .route("/releases", web::get().to(releases::list))
            .route("/releases", web::post().to(releases::create))
            .route("/releases/{id}", web::get().to(releases::show))
            .route("/releases/{id}/items", web::post().to(releases::add_item))
            .route("/releases/{id}/items/remove", web::post().to(releases::remove_item))
            .route("/releases/{id}/plan", web::get().to(releases::plan))
            .route("/releases/{id}/deploy", web::post().to(releases::deploy))
            .route("/releases/{id}/rollback", web::post().to(releases::rollback))
            .route("/deployments/{id}", web::get().to(deployments::show))
            .route("/deployments/{id}/stream", web::get().to(deployments::stream))
            .route("/deployments/{id}/cancel", web::post().to(deployments::cancel))
            .route("/deployments/{id}/approve", web::post().to(approvals::approve))
            .route("/deployments/{id}/reject", web::post().to(approvals::reject))
            .route("/items", web::get().to(items::list))
            .route("/items", web::post().to(items::create))
            .route("/items/{id}", web::get().to(items::show))
            .route("/items/{id}/versions", web::post().to(items::add_version))
            .route("/items/{id}/publish", web::post().to(items::publish))
            .route("/items/{id}/unpublish", web::post().to(items::unpublish))
            .route("/items/{id}/diff", web::get().to(items::diff))
            .route("/users", web::get().to(admin::users))
            .route("/users", web::post().to(admin::create_user))
            .route("/users/{id}", web::get().to(admin::user))
            .route("/users/{id}/grants", web::post().to(admin::set_grant))
            .route("/users/{id}/tokens", web::post().to(admin::create_token))
            .route("/users/{id}/tokens/revoke", web::post().to(admin::revoke_token))
            .route("/users/{id}/deactivate", web::post().to(admin::deactivate))
            .route("/webhooks", web::get().to(webhooks::webhooks))
            .route("/webhooks", web::post().to(webhooks::create_webhook))
            .route("/webhooks/{id}", web::get().to(webhooks::webhook))
            .route("/webhooks/{id}/delete", web::post().to(webhooks::delete_webhook))
            .route("/webhooks/{id}/deliveries/{delivery}/retry", web::post().to(webhooks::retry_delivery))
            .default_service(web::to(no_page))
            .wrap(actix_web::middleware::from_fn(security_headers)),
    );
}
