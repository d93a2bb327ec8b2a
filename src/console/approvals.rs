//! U5 (A1, A2): approvals at the console: an environment's rule (set and removed by admins on
//! the environment page), what a deployment's page shows of its approvals and rejection, the
//! approve and reject forms, and the list of deployments awaiting the user's approval.
//! Approving and rejecting go through `change`, so the worker wakes for a deployment approved.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::views::{self, lines, DeploymentLine};
use super::{awaiting, page, see_other, Chrome, Form, Page, Session};
use crate::db::deployments::DeploymentView;
use crate::db::DbConn;
use crate::domain::ids::DeploymentId;
use crate::domain::DeploymentStatus;
use crate::error::AppResult;
use crate::runtime::AppState;
use crate::runtime::{change, db};
use crate::service::{approvals, Caller};

/// An approval or a rejection as the console shows it.
pub struct VerdictLine {
    pub user_id: String,
    pub at: String,
    pub comment: Option<String>,
}

impl From<&crate::db::approvals::VerdictRow> for VerdictLine {
    fn from(v: &crate::db::approvals::VerdictRow) -> VerdictLine {
        VerdictLine { user_id: v.user_id.clone(), at: views::time(v.at), comment: v.comment.clone() }
    }
}

/// What a deployment's page shows of approval: the approvals it needs and has, its rejection,
/// and which of the two buttons the user is offered (U4: only what A2 lets them do).
pub struct ApprovalPanel {
    /// The rule's count, when one applied to the deployment.
    pub required: Option<i32>,
    pub given: Vec<VerdictLine>,
    pub rejection: Option<VerdictLine>,
    pub awaiting: bool,
    pub can_approve: bool,
    pub can_reject: bool,
}

/// Reads what `caller` may do with `d` and makes its panel.
pub fn panel(c: &mut DbConn, caller: &Caller, d: &DeploymentView) -> AppResult<ApprovalPanel> {
    let awaiting = d.row.status == DeploymentStatus::AwaitingApproval;
    let granted = awaiting && awaiting::granted(c, caller, &d.row.environment_id, &d.environment)?;
    let approvals = d.approval.approvals.as_ref();
    Ok(ApprovalPanel {
        required: approvals.map(|a| a.required),
        given: approvals.map(|a| a.given.iter().map(VerdictLine::from).collect()).unwrap_or_default(),
        rejection: d.approval.rejection.as_ref().map(VerdictLine::from),
        awaiting,
        can_approve: awaiting::may_approve(caller, d, granted),
        can_reject: granted,
    })
}

fn back_to_environment(env: &str) -> Page {
    Ok(see_other(&format!("/console/environments/{}", views::url_component(env))))
}

/// The admin's rule form: the count and the self-approval checkbox (absent when unchecked).
#[derive(Deserialize)]
pub struct RuleForm {
    required: Option<String>,
    allow_self_approval: Option<String>,
}

/// A1: sets the environment's approval rule (admins; 400 for a count outside 1 to 5).
pub async fn set_rule(state: web::Data<AppState>, f: Form<RuleForm>, env: web::Path<String>) -> Page {
    let caller = f.session.caller().clone();
    let required = super::releases::number("required", &f.form.required)?.unwrap_or(0);
    let allow_self = f.form.allow_self_approval.is_some();
    let env = env.into_inner();
    db(&state, {
        let env = env.clone();
        move |c| approvals::set_rule(c, &caller, &env, required, allow_self)
    })
    .await?;
    back_to_environment(&env)
}

/// What the remove button posts: only its CSRF token.
#[derive(Deserialize)]
pub struct DeleteRuleForm {}

/// A1: removes the environment's approval rule (admins).
pub async fn delete_rule(state: web::Data<AppState>, f: Form<DeleteRuleForm>, env: web::Path<String>) -> Page {
    let caller = f.session.caller().clone();
    let env = env.into_inner();
    db(&state, {
        let env = env.clone();
        move |c| approvals::delete_rule(c, &caller, &env)
    })
    .await?;
    back_to_environment(&env)
}

/// The approve and reject forms: a comment (an approval's may be empty).
#[derive(Deserialize)]
pub struct VerdictForm {
    #[serde(default)]
    comment: String,
}

/// A2: approves the deployment; the approval that completes it lets it run.
pub async fn approve(state: web::Data<AppState>, f: Form<VerdictForm>, id: web::Path<String>) -> Page {
    let id: DeploymentId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let comment = Some(f.form.comment.trim().to_string()).filter(|c| !c.is_empty());
    change(&state, {
        let id = id.clone();
        move |c| approvals::approve(c, &caller, &id, comment)
    })
    .await?;
    Ok(see_other(&format!("/console/deployments/{id}")))
}

/// A2: rejects the deployment with a comment (400 without one): it ends cancelled.
pub async fn reject(state: web::Data<AppState>, f: Form<VerdictForm>, id: web::Path<String>) -> Page {
    let id: DeploymentId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let comment = f.form.comment.trim().to_string();
    change(&state, {
        let id = id.clone();
        move |c| approvals::reject(c, &caller, &id, comment)
    })
    .await?;
    Ok(see_other(&format!("/console/deployments/{id}")))
}

#[derive(Template)]
#[template(path = "console/approvals.html")]
struct AwaitingPage {
    c: Chrome,
    deployments: Vec<DeploymentLine>,
}

/// U5: the deployments awaiting the user's approval, newest first.
pub async fn awaiting(state: web::Data<AppState>, s: Session) -> Page {
    let caller = s.caller().clone();
    let mine = db(&state, move |c| awaiting::mine(c, &caller)).await?;
    page(&AwaitingPage { c: Chrome::from(&s), deployments: lines(&mine) })
}
