//! U2: a deployment: a progress bar fed by S1 (over the session cookie), its counts, its items
//! filtered by outcome and paged, and cancelling it (L7).

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::approvals::{self, ApprovalPanel};
use super::plan::PlanRow;
use super::views::{self, DeploymentLine};
use super::{page, see_other, Chrome, Form, Page, Session};
use crate::domain::ids::DeploymentId;
use crate::domain::{DeploymentStatus, Outcome};
use crate::error::AppError;
use crate::http::stream::{follow, Credential};
use crate::http::Cursor;
use crate::runtime::AppState;
use crate::runtime::{change, db};

const PAGE: i64 = 100;

#[derive(Template)]
#[template(path = "console/deployment.html")]
struct DeploymentPage {
    c: Chrome,
    d: DeploymentLine,
    percent: i32,
    finished: bool,
    can_cancel: bool,
    outcome: String,
    rows: Vec<PlanRow>,
    next: Option<String>,
    /// The plan table's checkboxes (B10): none on a deployment's items.
    select: bool,
    /// A2: its approvals and rejection, and the buttons the user is offered.
    ap: ApprovalPanel,
}

/// The items' filter and page.
#[derive(Deserialize)]
pub struct ShowQuery {
    outcome: Option<String>,
    cursor: Option<String>,
}

/// U2: the deployment, live while it runs.
pub async fn show(state: web::Data<AppState>, s: Session, id: web::Path<String>, q: web::Query<ShowQuery>) -> Page {
    let id: DeploymentId = crate::http::path_id(&id)?;
    let q = q.into_inner();
    let p = views::page(&q.cursor, PAGE, Cursor::Position)?;
    let outcome = match q.outcome.as_deref().filter(|o| !o.is_empty()) {
        None => None,
        Some(o) => Some(
            Outcome::parse(o)
                .ok_or_else(|| AppError::invalid_field("outcome", "must be published, unpublished or skipped"))?,
        ),
    };
    let caller = s.caller().clone();
    let (d, items, ap) = db(&state, {
        let id = id.clone();
        move |c| {
            let d = crate::service::deployments::get(c, &id)?;
            let ap = approvals::panel(c, &caller, &d)?;
            Ok((d, crate::service::deployments::items(c, &id, outcome, &p)?, ap))
        }
    })
    .await?;
    let finished = d.is_finished();
    let line = DeploymentLine::from(&d);
    let percent = match (line.total, line.status) {
        (0, DeploymentStatus::Succeeded) => 100,
        (0, _) => 0,
        (t, _) => line.done * 100 / t,
    };
    let caller = s.caller();
    let can_cancel = line.cancellable && (caller.is_admin() || caller.id == line.deployed_by);
    let outcome = outcome.map(|o| o.as_str().to_string()).unwrap_or_default();
    let base = format!("/console/deployments/{id}?outcome={outcome}&");
    page(&DeploymentPage {
        c: Chrome::from(&s),
        d: line,
        percent,
        finished,
        can_cancel,
        rows: items.data.iter().map(PlanRow::from).collect(),
        next: views::next_link(&base, &items.next_cursor),
        outcome,
        select: false,
        ap,
    })
}

/// S1 for the console: the same stream as `/v1/deployments/{id}/stream`, authorized by the
/// session cookie (the spec allows it; no token in a URL).
pub async fn stream(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<String>,
) -> Result<HttpResponse, super::Problem> {
    let id: DeploymentId = crate::http::path_id(&id)?;
    let credential = Credential::ConsoleSession(s.id().to_string());
    Ok(follow(state, id, credential).await?)
}

/// What the cancel button posts: only its CSRF token.
#[derive(Deserialize)]
pub struct CancelForm {}

/// L7: cancels a scheduled or queued deployment (its deployer or an admin).
pub async fn cancel(state: web::Data<AppState>, f: Form<CancelForm>, id: web::Path<String>) -> Page {
    let id: DeploymentId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    change(&state, {
        let id = id.clone();
        move |c| crate::service::deployments::cancel(c, &caller, &id)
    })
    .await?;
    Ok(see_other(&format!("/console/deployments/{id}")))
}
