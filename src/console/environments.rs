//! U2: an environment: its publish state (paged, filtered by item), its log and its history;
//! rolling it back shows the plan first (U3) and writes only on confirmation.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::holds::{self, HoldPanel};
use super::plan::{PlanRow, RollbackChoice};
use super::views::{self, filters, lines, next_link, DeploymentLine};
use super::{page, see_other, Chrome, Form, Page, Session};
use crate::api::wire::{PublishEvent, PublishState};
use crate::domain::ids::{DeploymentId, ItemId};
use crate::domain::{ConflictPolicy, Counts};
use crate::error::AppError;
use crate::http::Cursor;
use crate::runtime::AppState;
use crate::runtime::{change, db};
use crate::service::{deployments, environments, items, publishing};

const PAGE: i64 = 50;

/// The admin's form that creates an environment.
#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
}

/// Admin: creates an environment, then shows it.
pub async fn create(state: web::Data<AppState>, f: Form<CreateForm>) -> Page {
    let caller = f.session.caller().clone();
    let name = f.form.name.trim().to_string();
    let env = db(&state, move |c| environments::create(c, &caller, &name)).await?;
    Ok(see_other(&format!("/console/environments/{}", env.row.name)))
}

/// Which part of the environment the page shows, its filter and its page.
#[derive(Deserialize)]
pub struct ShowQuery {
    tab: Option<String>,
    item_id: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "console/environment.html")]
struct EnvironmentPage {
    c: Chrome,
    name: String,
    published_keys: i64,
    active: Option<DeploymentLine>,
    tab: String,
    item_id: String,
    states: Vec<PublishState>,
    /// The log's events, each with the title of the version it names (U6).
    events: Vec<(PublishEvent, Option<String>)>,
    history: Vec<DeploymentLine>,
    next: Option<String>,
    can_roll_back: bool,
    /// U5: the hold, the freeze windows, H2's setting and the latest holds.
    p: HoldPanel,
    /// A1: the approval rule, when there is one.
    approvals_required: Option<i32>,
    allow_self_approval: bool,
}

fn item_filter(item_id: &Option<String>) -> Result<Option<String>, AppError> {
    item_id
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(|i| crate::service::parse_id::<ItemId>("item_id", i).map(ItemId::into_string))
        .transpose()
}

/// U2: an environment's publish state, log (`tab=log`) or history (`tab=history`).
pub async fn show(state: web::Data<AppState>, s: Session, env: web::Path<String>, q: web::Query<ShowQuery>) -> Page {
    let q = q.into_inner();
    let name = env.into_inner();
    let tab = match q.tab.as_deref() {
        Some("log") => "log",
        Some("history") => "history",
        _ => "state",
    };
    let item = item_filter(&q.item_id)?;
    let kind = if tab == "history" { Cursor::Id } else { Cursor::EventId };
    let p = views::page(&q.cursor, PAGE, kind)?;
    let caller = s.caller().clone();
    let (env_view, panel, can_roll_back, states, events, history, next_cursor) = db(&state, {
        let (name, item) = (name.clone(), item.clone());
        move |c| {
            let env = environments::get(c, &name)?;
            let may = caller.role != crate::domain::Role::Viewer
                && crate::service::users::require_grant(c, &caller, &env.row.id, &env.row.name).is_ok();
            let (mut st, mut ev, mut hi) = (vec![], vec![], vec![]);
            let next = match tab {
                "log" => {
                    let pg = publishing::events(c, &name, item.as_deref(), &p)?;
                    let keys: Vec<_> = pg
                        .data
                        .iter()
                        .map(|e| (e.item_id.clone(), e.locale.clone(), e.to_version.or(e.from_version)))
                        .collect();
                    let mut titles = items::titles_of(c, &keys)?;
                    ev = pg.data.into_iter().zip(keys).map(|(e, k)| (e, titles.remove(&k))).collect();
                    pg.next_cursor
                }
                "history" => {
                    let pg = deployments::list_for_environment(c, &name, &p)?;
                    hi = pg.data;
                    pg.next_cursor
                }
                _ => {
                    let pg = publishing::states(c, &name, item.as_deref(), None, &p)?;
                    st = pg.data;
                    pg.next_cursor
                }
            };
            let panel = holds::panel(c, &env)?;
            Ok((env, panel, may, st, ev, hi, next))
        }
    })
    .await?;
    let item_id = item.unwrap_or_default();
    let base = format!("/console/environments/{name}?tab={tab}&item_id={}&", views::url_component(&item_id));
    page(&EnvironmentPage {
        c: Chrome::from(&s),
        published_keys: env_view.published_keys,
        active: env_view.active_deployment.as_ref().map(DeploymentLine::from),
        name,
        tab: tab.into(),
        item_id,
        states: states.into_iter().map(PublishState::from).collect(),
        events: events.into_iter().map(|(e, title)| (PublishEvent::from(e), title)).collect(),
        history: lines(&history),
        next: next_link(&base, &next_cursor),
        can_roll_back,
        p: panel,
        approvals_required: env_view.row.approvals_required,
        allow_self_approval: env_view.row.allow_self_approval,
    })
}

/// The rollback page's query: an optional target and the conflict policy to show.
#[derive(Deserialize)]
pub struct RollbackQuery {
    target: Option<String>,
}

#[derive(Template)]
#[template(path = "console/environment_rollback.html")]
struct RollbackPage {
    c: Chrome,
    name: String,
    target: DeploymentLine,
    rows: Vec<PlanRow>,
    tally: Counts,
    shown: usize,
    total: usize,
    /// B10: each row has a checkbox; H2: whether the hold checkbox starts checked.
    select: bool,
    hold_after_rollback: bool,
}

/// How many rows of a plan the page shows; the tally counts them all.
const PLAN_ROWS: usize = 500;

fn target_filter(t: &Option<String>) -> Result<Option<String>, AppError> {
    t.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| crate::service::parse_id::<DeploymentId>("target_deployment_id", t).map(DeploymentId::into_string))
        .transpose()
}

/// U2, U3: the plan of rolling the environment back (E3's last good state, or a target), with
/// the conflict policy to choose and the button that confirms it.
pub async fn rollback_plan(
    state: web::Data<AppState>,
    s: Session,
    env: web::Path<String>,
    q: web::Query<RollbackQuery>,
) -> Page {
    let name = env.into_inner();
    let target = target_filter(&q.target)?;
    let caller = s.caller().clone();
    let (target, plan, hold_after_rollback) = db(&state, {
        let name = name.clone();
        move |c| {
            let (target, plan) = deployments::preview_environment_rollback(c, &caller, &name, target.as_deref(), None)?;
            Ok((target, plan, environments::by_name(c, &name)?.hold_after_rollback))
        }
    })
    .await?;
    let total = plan.len();
    page(&RollbackPage {
        c: Chrome::from(&s),
        name,
        target: DeploymentLine::from(&target),
        rows: plan.iter().take(PLAN_ROWS).map(PlanRow::from).collect(),
        tally: Counts::of(&plan),
        shown: total.min(PLAN_ROWS),
        total,
        select: true,
        hold_after_rollback,
    })
}

/// The confirmation of an environment rollback: its target, policy and reason, and (B10, H2)
/// the keys checked in its plan and the hold checkbox (see [`RollbackChoice`]).
#[derive(Deserialize)]
pub struct RollbackForm {
    target: Option<String>,
    on_conflict: Option<ConflictPolicy>,
    reason: Option<String>,
    scope: Option<String>,
    #[serde(default)]
    keys: Vec<String>,
    hold: Option<String>,
    hold_default: Option<String>,
}

/// E1 (B10: only the checked keys, when asked): starts the rollback the plan showed, then
/// follows it on its deployment's page.
pub async fn rollback(state: web::Data<AppState>, f: Form<RollbackForm>, env: web::Path<String>) -> Page {
    let caller = f.session.caller().clone();
    let form = f.form;
    let target = target_filter(&form.target)?;
    let reason = form.reason.filter(|r| !r.trim().is_empty());
    let options = RollbackChoice {
        on_conflict: form.on_conflict,
        scope: form.scope,
        keys: form.keys,
        hold: form.hold,
        hold_default: form.hold_default,
    }
    .options()?;
    let d = change(&state, move |c| {
        deployments::create_environment_rollback(c, &caller, &env, target.as_deref(), reason, &options)
    })
    .await?;
    Ok(see_other(&format!("/console/deployments/{}", d.row.id)))
}
