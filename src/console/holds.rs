//! U5 (H1–H4): an environment's hold and freeze windows at the console: what the environment
//! page and the overview show of them, and the forms that place and lift a hold (an admin, or a
//! user with a grant), set `hold_after_rollback` and add or remove a freeze window (admins).
//! Lifting goes through `change`, so the worker wakes for the deployments it releases.

use actix_web::web;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::views::{self, short};
use super::{see_other, Form, Page};
use crate::db::DbConn;
use crate::domain::ids::FreezeId;
use crate::error::{AppError, AppResult};
use crate::hold_document::Hold;
use crate::runtime::AppState;
use crate::runtime::{change, db};
use crate::service::environments::{EnvironmentView, FreezeView};
use crate::service::{holds, PageParams};

/// How many holds of its history the environment page shows, newest first.
const HISTORY: i64 = 10;

/// A hold as the console shows it.
pub struct HoldLine {
    pub id: String,
    pub cause: String,
    pub reason: String,
    pub held_by: String,
    pub held_at: String,
    /// The rollback deployment that placed it, and its short id.
    pub deployment: Option<(String, String)>,
    pub lifted_by: Option<String>,
    pub lifted_at: Option<String>,
}

impl From<&Hold> for HoldLine {
    fn from(h: &Hold) -> HoldLine {
        HoldLine {
            id: h.id.clone(),
            cause: h.cause.as_str().into(),
            reason: h.reason.clone(),
            held_by: h.held_by.clone(),
            held_at: views::time(h.held_at.naive_utc()),
            deployment: h.deployment_id.as_ref().map(|d| (d.clone(), short(d))),
            lifted_by: h.lifted_by.clone(),
            lifted_at: h.lifted_at.map(|t| views::time(t.naive_utc())),
        }
    }
}

/// A freeze window as the console shows it.
pub struct FreezeLine {
    pub id: String,
    pub starts_at: String,
    pub ends_at: String,
    pub reason: String,
    pub created_by: String,
    /// Whether it is open now.
    pub open: bool,
}

impl FreezeLine {
    fn of(f: &FreezeView, now: NaiveDateTime) -> FreezeLine {
        FreezeLine {
            id: f.row.id.clone(),
            starts_at: views::time(f.row.starts_at),
            ends_at: views::time(f.row.ends_at),
            reason: f.row.reason.clone(),
            created_by: f.row.created_by.clone(),
            open: f.row.starts_at <= now && now < f.row.ends_at,
        }
    }
}

impl From<&FreezeView> for FreezeLine {
    fn from(f: &FreezeView) -> FreezeLine {
        FreezeLine::of(f, crate::db::now())
    }
}

/// What the environment page shows of holds: the open hold and freeze window, the windows that
/// have not ended, the setting of H2 and the latest holds.
pub struct HoldPanel {
    pub hold: Option<HoldLine>,
    pub freeze: Option<FreezeLine>,
    pub freezes: Vec<FreezeLine>,
    pub hold_after_rollback: bool,
    pub history: Vec<HoldLine>,
}

/// Reads the panel of `env` (one of `environments::get`'s views).
pub fn panel(c: &mut DbConn, env: &EnvironmentView) -> AppResult<HoldPanel> {
    let freezes = holds::freezes(c, &env.row.name)?;
    let history = holds::history(c, &env.row.name, &PageParams { limit: HISTORY, cursor: None })?;
    Ok(HoldPanel {
        hold: env.hold.as_ref().map(HoldLine::from),
        freeze: env.freeze.as_ref().map(FreezeLine::from),
        freezes: freezes.iter().map(FreezeLine::from).collect(),
        hold_after_rollback: env.row.hold_after_rollback,
        history: history.data.iter().map(HoldLine::from).collect(),
    })
}

fn back_to(env: &str) -> Page {
    Ok(see_other(&format!("/console/environments/{}", views::url_component(env))))
}

/// The form that holds an environment: its reason.
#[derive(Deserialize)]
pub struct PlaceForm {
    #[serde(default)]
    reason: String,
}

/// H1: holds the environment (409 `already_held` when it is).
pub async fn place(state: web::Data<AppState>, f: Form<PlaceForm>, env: web::Path<String>) -> Page {
    let caller = f.session.caller().clone();
    let reason = f.form.reason.trim().to_string();
    let env = env.into_inner();
    db(&state, {
        let env = env.clone();
        move |c| holds::place(c, &caller, &env, &reason)
    })
    .await?;
    back_to(&env)
}

/// What the lift button posts: only its CSRF token.
#[derive(Deserialize)]
pub struct LiftForm {}

/// H1: lifts the hold (409 `not_held` when there is none); the deployments it held run.
pub async fn lift(state: web::Data<AppState>, f: Form<LiftForm>, env: web::Path<String>) -> Page {
    let caller = f.session.caller().clone();
    let env = env.into_inner();
    change(&state, {
        let env = env.clone();
        move |c| holds::lift(c, &caller, &env)
    })
    .await?;
    back_to(&env)
}

/// The admin's setting of H2: a checkbox, absent when unchecked.
#[derive(Deserialize)]
pub struct SettingForm {
    hold_after_rollback: Option<String>,
}

/// H2: whether a rollback that succeeds in the environment holds it (admins).
pub async fn set_hold_after_rollback(state: web::Data<AppState>, f: Form<SettingForm>, env: web::Path<String>) -> Page {
    let caller = f.session.caller().clone();
    let on = f.form.hold_after_rollback.is_some();
    let env = env.into_inner();
    db(&state, {
        let env = env.clone();
        move |c| holds::set_hold_after_rollback(c, &caller, &env, on)
    })
    .await?;
    back_to(&env)
}

/// The admin's form that adds a freeze window (times in UTC).
#[derive(Deserialize)]
pub struct FreezeForm {
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[serde(default)]
    reason: String,
}

/// H4: adds a freeze window (admins; 422 `invalid_window` for one H4 refuses). An empty start is now.
pub async fn create_freeze(state: web::Data<AppState>, f: Form<FreezeForm>, env: web::Path<String>) -> Page {
    let caller = f.session.caller().clone();
    let form = f.form;
    let starts_at = views::form_time("starts_at", &form.starts_at)?.unwrap_or_else(crate::db::now);
    let ends_at = views::form_time("ends_at", &form.ends_at)?
        .ok_or_else(|| AppError::invalid_field("ends_at", "must be given"))?;
    let reason = form.reason.trim().to_string();
    let env = env.into_inner();
    db(&state, {
        let env = env.clone();
        move |c| holds::create_freeze(c, &caller, &env, (starts_at, ends_at), &reason)
    })
    .await?;
    back_to(&env)
}

/// What a window's remove button posts: only its CSRF token.
#[derive(Deserialize)]
pub struct DeleteFreezeForm {}

/// H4: removes a freeze window, also an open one (admins).
pub async fn delete_freeze(
    state: web::Data<AppState>,
    f: Form<DeleteFreezeForm>,
    path: web::Path<(String, String)>,
) -> Page {
    let caller = f.session.caller().clone();
    let (env, id) = path.into_inner();
    let id: FreezeId = crate::http::path_id(&id)?;
    db(&state, {
        let env = env.clone();
        move |c| holds::delete_freeze(c, &caller, &env, &id)
    })
    .await?;
    back_to(&env)
}
