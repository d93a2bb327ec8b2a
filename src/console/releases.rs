//! U2, U3: releases: the list, one release (items paged, add and remove, its deployments per
//! environment, deploy now or at a time), its plan per environment before deploying, and
//! "roll back": the caller's rollback release, whose plan and deployment follow the same path.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::plan::{PlanRow, RollbackChoice};
use super::release_search::{self, Search};
use super::views::{self, filters, lines, next_link, CursorQuery, DeploymentLine};
use super::{page, see_other, Chrome, Form, Page, Session};
use crate::api::wire::Release;
use crate::db::DbConn;
use crate::domain::ids::{ItemId, ReleaseId};
use crate::domain::{Action, ConflictPolicy, Counts, DeploymentStatus, ReleaseKind, Role};
use crate::error::{AppError, AppResult};
use crate::http::Cursor;
use crate::runtime::AppState;
use crate::runtime::{change, db};
use crate::service::releases::{self, NewReleaseItem};
use crate::service::{deployments, environments, rollback, users, Caller, PageParams};

const PAGE: i64 = 50;
/// How many environments a deploy form offers.
const ENVIRONMENTS: i64 = 100;

#[derive(Template)]
#[template(path = "console/releases.html")]
struct ReleasesPage {
    c: Chrome,
    releases: Vec<Release>,
    next: Option<String>,
    can_write: bool,
}

/// L1, B5: the releases the caller may see.
pub async fn list(state: web::Data<AppState>, s: Session, q: web::Query<CursorQuery>) -> Page {
    let p = views::page(&q.cursor, PAGE, Cursor::Id)?;
    let caller = s.caller().clone();
    let list = db(&state, move |c| releases::list(c, &caller, None, &p)).await?;
    page(&ReleasesPage {
        can_write: s.caller().role != Role::Viewer,
        c: Chrome::from(&s),
        releases: list.data.into_iter().map(Release::from).collect(),
        next: next_link("/console/releases?", &list.next_cursor),
    })
}

/// The form that creates a release.
#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
    description: Option<String>,
}

/// Creates a standard release and opens it.
pub async fn create(state: web::Data<AppState>, f: Form<CreateForm>) -> Page {
    let caller = f.session.caller().clone();
    let CreateForm { name, description } = f.form;
    let description = description.filter(|d| !d.trim().is_empty());
    let r = db(&state, move |c| releases::create(c, &caller, &name, description)).await?;
    Ok(see_other(&format!("/console/releases/{}", r.row.id)))
}

/// One item of the release.
pub struct ItemLine {
    pub item_id: String,
    pub locale: String,
    /// U6: the title of the version it publishes, else the item's.
    pub title: Option<String>,
    pub action: Option<String>,
    pub version: Option<i32>,
}

#[derive(Template)]
#[template(path = "console/release.html")]
struct ReleasePage {
    c: Chrome,
    r: Release,
    items: Vec<ItemLine>,
    items_next: Option<String>,
    deployments: Vec<DeploymentLine>,
    deployments_next: Option<String>,
    /// The environments the caller may deploy to (U4: none for a viewer).
    deployable: Vec<String>,
    can_edit_items: bool,
    can_roll_back: bool,
    is_rollback: bool,
    /// U6: what the title search found, when one was asked for.
    search: Option<Search>,
}

/// The release page's two cursors, and U6's title search with its page.
#[derive(Deserialize)]
pub struct ShowQuery {
    items: Option<String>,
    deployments: Option<String>,
    q: Option<String>,
    found: Option<String>,
}

/// The environments `caller` may deploy to (P3), among the first `ENVIRONMENTS`.
fn deployable(c: &mut DbConn, caller: &Caller) -> AppResult<Vec<String>> {
    if caller.role == Role::Viewer {
        return Ok(vec![]);
    }
    let envs = environments::list(c, &PageParams { limit: ENVIRONMENTS, cursor: None })?;
    Ok(envs
        .data
        .into_iter()
        .filter(|e| users::require_grant(c, caller, &e.row.id, &e.row.name).is_ok())
        .map(|e| e.row.name)
        .collect())
}

/// U2: a release with its items, its deployments and what the caller may do with it.
pub async fn show(state: web::Data<AppState>, s: Session, id: web::Path<String>, q: web::Query<ShowQuery>) -> Page {
    let id: ReleaseId = crate::http::path_id(&id)?;
    let items_page = views::page(&q.items, PAGE, Cursor::Position)?;
    let deployments_page = views::page(&q.deployments, PAGE, Cursor::Id)?;
    let caller = s.caller().clone();
    let q = q.into_inner();
    let text = q.q.filter(|t| !t.trim().is_empty());
    let base = format!("/console/releases/{id}?");
    let (release, items, ds, envs, search) = db(&state, {
        let (id, base) = (id.clone(), base.clone());
        move |c| {
            let row = releases::visible(c, &caller, &id)?;
            let release = releases::view(c, row)?;
            let items = releases::list_items(c, &caller, &id, &items_page)?;
            let ds = deployments::list_for_release(c, &caller, &id, &deployments_page)?;
            let search = text.map(|t| release_search::search(c, &t, &q.found, &base)).transpose()?;
            Ok((release, items, ds, deployable(c, &caller)?, search))
        }
    })
    .await?;
    let writer = s.caller().role != Role::Viewer;
    let is_rollback = release.row.kind == ReleaseKind::Rollback;
    let deployed_by_me =
        ds.data.iter().any(|d| d.row.deployed_by == s.caller().id && d.row.status == DeploymentStatus::Succeeded);
    page(&ReleasePage {
        can_edit_items: writer && !release.locked && !is_rollback,
        can_roll_back: writer && !is_rollback && deployed_by_me,
        is_rollback,
        c: Chrome::from(&s),
        r: Release::from(release.clone()),
        items: items
            .data
            .into_iter()
            .map(|i| ItemLine {
                title: i.title(),
                item_id: i.item_id,
                locale: i.locale,
                action: i.action.map(|a| a.to_string()),
                version: i.version,
            })
            .collect(),
        items_next: items.next_cursor.map(|n| format!("{base}items={}", views::url_component(&n))),
        deployments: lines(&ds.data),
        deployments_next: ds.next_cursor.map(|n| format!("{base}deployments={}", views::url_component(&n))),
        deployable: envs,
        search,
    })
}

/// The form that adds one key to a release.
#[derive(Deserialize)]
pub struct AddForm {
    item_id: String,
    locale: String,
    action: Action,
    version: Option<String>,
    include_references: Option<String>,
    /// U6: the title search the key was found by, shown again after it is added.
    q: Option<String>,
}

/// A number typed in a form; empty is none (400 when it is not a number).
pub fn number(field: &str, s: &Option<String>) -> AppResult<Option<i32>> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i32>().map_err(|_| AppError::invalid_field(field, "must be a whole number")))
        .transpose()
}

/// L2: adds a key (and, when asked, what it references).
pub async fn add_item(state: web::Data<AppState>, f: Form<AddForm>, id: web::Path<String>) -> Page {
    let id: ReleaseId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let form = f.form;
    let item = NewReleaseItem {
        item_id: crate::service::parse_id::<ItemId>("item_id", form.item_id.trim())?.into_string(),
        locale: form.locale.trim().to_string(),
        action: form.action,
        version: number("version", &form.version)?,
    };
    let max = state.settings.max_release_items;
    let refs = form.include_references.is_some();
    db(&state, {
        let id = id.clone();
        move |c| releases::add_items(c, &caller, &id, vec![item], refs, max)
    })
    .await?;
    Ok(see_other(&match form.q.filter(|q| !q.trim().is_empty()) {
        Some(q) => format!("/console/releases/{id}?q={}#search", views::url_component(&q)),
        None => format!("/console/releases/{id}"),
    }))
}

/// The form that removes one key.
#[derive(Deserialize)]
pub struct RemoveForm {
    item_id: String,
    locale: String,
}

/// Removes a key from a release (L3: not once deployed).
pub async fn remove_item(state: web::Data<AppState>, f: Form<RemoveForm>, id: web::Path<String>) -> Page {
    let id: ReleaseId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let RemoveForm { item_id, locale } = f.form;
    let item_id = crate::service::parse_id("item_id", &item_id)?;
    db(&state, {
        let id = id.clone();
        move |c| releases::remove_item(c, &caller, &id, &item_id, &locale)
    })
    .await?;
    Ok(see_other(&format!("/console/releases/{id}")))
}

/// The plan page's environment.
#[derive(Deserialize)]
pub struct PlanQuery {
    environment: String,
    /// The cursor of the link that led here: the release position the page starts after.
    cursor: Option<String>,
    /// Keys a page, 1 to 500 (500 when not given).
    limit: Option<i64>,
}

#[derive(Template)]
#[template(path = "console/release_plan.html")]
struct PlanPage {
    c: Chrome,
    r: Release,
    environment: String,
    is_rollback: bool,
    rows: Vec<PlanRow>,
    /// The outcomes of this page's keys.
    tally: Counts,
    /// Whether the plan takes more than this page, and how many keys the release has.
    paged: bool,
    total: i64,
    next: Option<String>,
    /// B10: a rollback release's rows have checkboxes; H2: whether the hold box starts checked.
    select: bool,
    hold_after_rollback: bool,
    /// A2: the approvals a deployment of this standard release to the environment will wait for.
    approvals_required: Option<i32>,
}

/// How many keys of a plan a page shows.
const PLAN_ROWS: i64 = 500;

/// B9, U3, U4: what deploying the release to the environment now would do to each key, a page
/// at a time (so a 100,000-key release opens as fast as a small one), with the button that
/// confirms it (and, for a rollback release, the conflict policy to choose).
pub async fn plan(state: web::Data<AppState>, s: Session, id: web::Path<String>, q: web::Query<PlanQuery>) -> Page {
    let id: ReleaseId = crate::http::path_id(&id)?;
    let PlanQuery { environment, cursor, limit } = q.into_inner();
    let p = views::page(&cursor, limit.unwrap_or(PLAN_ROWS), Cursor::Position)?;
    let after = crate::service::numeric_cursor(&p.cursor)?;
    let caller = s.caller().clone();
    let (release, plan, env) = db(&state, {
        let environment = environment.clone();
        move |c| {
            let plan = deployments::preview_page(c, &caller, &id, &environment, after, p.limit)?;
            let env = environments::by_name(c, &environment)?;
            Ok((releases::view(c, plan.release.clone())?, plan, env))
        }
    })
    .await?;
    let is_rollback = release.row.kind == ReleaseKind::Rollback;
    let base = format!(
        "/console/releases/{}/plan?environment={}&limit={}&",
        release.row.id,
        views::url_component(&environment),
        p.limit
    );
    page(&PlanPage {
        c: Chrome::from(&s),
        is_rollback,
        select: is_rollback,
        hold_after_rollback: env.hold_after_rollback,
        approvals_required: env.approvals_required.filter(|_| !is_rollback),
        r: Release::from(release),
        environment,
        rows: plan.items.iter().map(PlanRow::from).collect(),
        tally: Counts::of(&plan.items),
        paged: after.is_some() || plan.next_after.is_some(),
        total: plan.total,
        next: next_link(&base, &plan.next_after.map(|a| a.to_string())),
    })
}

/// The deploy form: environments, an optional time (UTC), and for a rollback release the
/// conflict policy, the keys checked in its plan and the hold checkbox ([`RollbackChoice`]).
#[derive(Deserialize)]
pub struct DeployForm {
    #[serde(default)]
    environments: Vec<String>,
    scheduled_at: Option<String>,
    on_conflict: Option<ConflictPolicy>,
    scope: Option<String>,
    #[serde(default)]
    keys: Vec<String>,
    hold: Option<String>,
    hold_default: Option<String>,
}

/// L4, B6 (B10: a rollback release's checked keys only, when asked): deploys, now or at a time;
/// one environment goes on to its deployment's page.
pub async fn deploy(state: web::Data<AppState>, f: Form<DeployForm>, id: web::Path<String>) -> Page {
    let id: ReleaseId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let form = f.form;
    let at = views::form_time("scheduled_at", &form.scheduled_at)?;
    let options = RollbackChoice {
        on_conflict: form.on_conflict,
        scope: form.scope,
        keys: form.keys,
        hold: form.hold,
        hold_default: form.hold_default,
    }
    .options()?;
    let created = change(&state, {
        let id = id.clone();
        move |c| deployments::create_for_release(c, &caller, &id, &form.environments, at, &options)
    })
    .await?;
    match &created[..] {
        [one] => Ok(see_other(&format!("/console/deployments/{}", one.row.id))),
        _ => Ok(see_other(&format!("/console/releases/{id}"))),
    }
}

/// What the roll-back button posts: only its CSRF token.
#[derive(Deserialize)]
pub struct RollbackForm {}

/// B1–B4: the caller's rollback release of this release (made, or the one they have), opened
/// so that its plan per environment can be looked at before it is deployed.
pub async fn rollback(state: web::Data<AppState>, f: Form<RollbackForm>, id: web::Path<String>) -> Page {
    let id: ReleaseId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let (r, _) = db(&state, move |c| rollback::create(c, &caller, &id)).await?;
    Ok(see_other(&format!("/console/releases/{}", r.row.id)))
}
