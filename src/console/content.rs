//! U5 (V1, V2): an environment's content as a person reads it: title, type, version, when it
//! was published and the content as text, a page at a time; now, as of a time, as of one of its
//! succeeded deployments, or as if a release were deployed. The last three are read beside the
//! content now, key by key, and each row is marked added, changed or removed against it.

use actix_web::web;
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::content_marks::{merge, Mark};
use super::views::{self, next_link, url_component};
use super::{page, Chrome, Page, Session};
use crate::db::content::ContentRow;
use crate::db::DbConn;
use crate::domain::content_cursor::Stage;
use crate::domain::{DeploymentStatus, Role};
use crate::error::{AppError, AppResult, ProblemCode};
use crate::runtime::{db, AppState};
use crate::service::content::{self, AsOf, ContentFilters, Resolved};
use crate::service::deployments::{self, ScheduleQuery};
use crate::service::{content_as_if, environments, releases, users, Caller, PageParams};

/// Keys a page.
const PAGE: i64 = 50;
/// How many deployments and releases the pickers offer, newest first.
const CHOICES: i64 = 100;

/// The page's query: at most one of `at`, `deployment`, `release` (none: now), and the cursor.
#[derive(Deserialize)]
pub struct ContentQuery {
    at: Option<String>,
    deployment: Option<String>,
    release: Option<String>,
    cursor: Option<String>,
}

/// V2's point of view as the form gave it (400 for two, as the API answers).
fn as_of(q: &ContentQuery) -> AppResult<AsOf> {
    let given = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    match (views::form_time("at", &q.at)?, given(&q.deployment), given(&q.release)) {
        (None, None, None) => Ok(AsOf::Now),
        (Some(at), None, None) => Ok(AsOf::At(at)),
        (None, Some(d), None) => Ok(AsOf::Deployment(crate::service::parse_id("deployment", &d)?)),
        (None, None, Some(r)) => Ok(AsOf::Release(crate::service::parse_id("release", &r)?)),
        _ => Err(AppError::invalid("at most one of at, deployment and release")),
    }
}

/// One key as the page shows it.
pub struct ContentLine {
    pub item_id: String,
    pub locale: String,
    pub title: Option<String>,
    pub kind: String,
    pub content_type: Option<String>,
    /// The version shown (none: the key is not published in this view), and now's.
    pub version: Option<i32>,
    pub now_version: Option<i32>,
    pub published_at: String,
    /// The content, pretty-printed JSON, shown as text.
    pub content: String,
    pub mark: &'static str,
}

impl ContentLine {
    /// The line of a key shown (`view`) beside its row now; unmarked when not `compared`.
    fn of(view: Option<ContentRow>, now: Option<ContentRow>, compared: bool) -> Option<ContentLine> {
        let mark = match compared {
            true => Mark::of(view.as_ref().and_then(|r| r.version), now.as_ref().and_then(|r| r.version)),
            false => Mark::Same,
        };
        let now_version = now.as_ref().and_then(|r| r.version);
        let row = view.or(now)?;
        let content = row
            .content
            .as_deref()
            .map(|c| serde_json::from_str::<serde_json::Value>(c).and_then(|j| serde_json::to_string_pretty(&j)))
            .and_then(Result::ok)
            .unwrap_or_default();
        Some(ContentLine {
            version: if mark == Mark::Removed { None } else { row.version },
            now_version,
            published_at: row.published_at.map(views::time).unwrap_or_default(),
            item_id: row.item_id,
            locale: row.locale,
            title: row.title,
            kind: row.kind,
            content_type: row.content_type,
            content,
            mark: mark.as_str(),
        })
    }
}

/// An option of a picker.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "console/content.html")]
struct ContentPage {
    c: Chrome,
    name: String,
    /// `now`, `at`, `deployment` or `release`: what the rows are compared with now for.
    mode: &'static str,
    /// What the rows show, in words.
    showing: String,
    /// The time asked for, as the field shows it.
    at: String,
    deployments: Vec<Choice>,
    releases: Vec<Choice>,
    lines: Vec<ContentLine>,
    next: Option<String>,
}

/// One page of the view and, beside it, of now: the rows and the next page's cursor.
type Compared = (Vec<(Option<ContentRow>, Option<ContentRow>)>, Option<String>);

/// A page of the content now.
fn now_page(conn: &mut DbConn, env: &str, cursor: Option<&str>) -> AppResult<Compared> {
    let r = content::resolve(conn, env, &AsOf::Now, cursor)?;
    let page = content::page(conn, &r, &ContentFilters::default(), PAGE)?;
    Ok((page.data.into_iter().map(|row| (Some(row), None)).collect(), page.next_cursor))
}

/// A page of the view (as of a point, or as if a release were deployed) beside the same keys
/// now; the cursor names the last key shown, and the view's point.
fn compared_page(
    conn: &mut DbConn,
    caller: &Caller,
    env: &str,
    as_of: &AsOf,
    cursor: Option<&str>,
) -> AppResult<Compared> {
    let f = ContentFilters::default();
    let mut now = content::resolve(conn, env, &AsOf::Now, None)?;
    let secret = content::cursor_secret(conn)?;
    let (view, view_next, resolved) = match as_of {
        AsOf::Release(release) => {
            let after = match cursor.map(|c| content::own_cursor(c, &now.environment, &secret)).transpose()? {
                None => None,
                Some(c) => match c.stage {
                    Stage::Content { point: None, item_key, locale } => Some((item_key, locale)),
                    _ => return Err(AppError::Rule(ProblemCode::InvalidCursor, "not a cursor of this list".into())),
                },
            };
            let page = content_as_if::page(conn, caller, env, release, &f, cursor, PAGE)?;
            let resolved = Resolved { point: None, after, ..now.clone() };
            (page.data, page.next_cursor, resolved)
        }
        _ => {
            let r = content::resolve(conn, env, as_of, cursor)?;
            let page = content::page(conn, &r, &f, PAGE)?;
            (page.data, page.next_cursor, r)
        }
    };
    now.after = resolved.after.clone();
    let current = content::page(conn, &now, &f, PAGE)?;
    let mut more = view_next.is_some() || current.next_cursor.is_some();
    let mut rows = merge(view, current.data, |r| (r.item_key, r.locale.clone()), PAGE as usize + 1);
    if rows.len() > PAGE as usize {
        rows.truncate(PAGE as usize);
        more = true;
    }
    let next = match rows.last() {
        Some((v, n)) if more => v
            .as_ref()
            .or(n.as_ref())
            .map(|row| content::page_cursor(&resolved.environment, resolved.point, row, &secret)),
        _ => None,
    };
    Ok((rows, next))
}

/// The pickers: the environment's succeeded deployments, and the releases the caller may see
/// when they may preview a deployment to it (B9, U4: none for a viewer or without a grant).
fn choices(conn: &mut DbConn, caller: &Caller, env: &str, as_of: &AsOf) -> AppResult<(Vec<Choice>, Vec<Choice>)> {
    let first = PageParams { limit: CHOICES, cursor: None };
    let q = ScheduleQuery {
        statuses: vec![DeploymentStatus::Succeeded],
        environment: Some(env.to_string()),
        ..ScheduleQuery::default()
    };
    let chosen_deployment = match as_of {
        AsOf::Deployment(d) => Some(d.to_string()),
        _ => None,
    };
    let deployments: Vec<Choice> = deployments::list(conn, q, &first)?
        .data
        .into_iter()
        .map(|d| {
            let finished = d.row.finished_at.map(views::time).unwrap_or_default();
            let what = d.release_name.clone().unwrap_or_else(|| d.row.trigger.to_string());
            Choice {
                selected: chosen_deployment.as_deref() == Some(d.row.id.as_str()),
                label: format!("{} · {what} · {finished}", views::short(&d.row.id)),
                value: d.row.id,
            }
        })
        .collect();
    let chosen_release = match as_of {
        AsOf::Release(r) => Some(r.to_string()),
        _ => None,
    };
    let row = environments::by_name(conn, env)?;
    if caller.role == Role::Viewer || users::require_grant(conn, caller, &row.id, &row.name).is_err() {
        return Ok((deployments, vec![]));
    }
    let releases = releases::list(conn, caller, None, &first)?
        .data
        .into_iter()
        .map(|r| Choice {
            selected: chosen_release.as_deref() == Some(r.row.id.as_str()),
            label: format!("{} ({})", r.row.name, r.row.kind),
            value: r.row.id,
        })
        .collect();
    Ok((deployments, releases))
}

/// U5: the environment's content, now or as of / as if, paged; differences from now marked.
pub async fn show(state: web::Data<AppState>, s: Session, env: web::Path<String>, q: web::Query<ContentQuery>) -> Page {
    let name = env.into_inner();
    let q = q.into_inner();
    let as_of = as_of(&q)?;
    let cursor = q.cursor.filter(|c| !c.is_empty());
    let caller = s.caller().clone();
    let (rows, next_cursor, (deployments, releases)) = db(&state, {
        let (name, as_of) = (name.clone(), as_of.clone());
        move |c| {
            let (rows, next) = match &as_of {
                AsOf::Now => now_page(c, &name, cursor.as_deref())?,
                _ => compared_page(c, &caller, &name, &as_of, cursor.as_deref())?,
            };
            Ok((rows, next, choices(c, &caller, &name, &as_of)?))
        }
    })
    .await?;
    let chosen = |cs: &[Choice]| cs.iter().find(|c| c.selected).map(|c| c.label.clone()).unwrap_or_default();
    let (mode, at, query, showing) = match &as_of {
        AsOf::Now => ("now", String::new(), String::new(), "the content now".to_string()),
        AsOf::At(t) => (
            "at",
            field_time(t),
            format!("at={}&", url_component(&field_time(t))),
            format!("the content as of {}", views::time(*t)),
        ),
        AsOf::Deployment(d) => (
            "deployment",
            String::new(),
            format!("deployment={d}&"),
            format!("the content right after deployment {}", chosen(&deployments)),
        ),
        AsOf::Release(r) => (
            "release",
            String::new(),
            format!("release={r}&"),
            format!("the content as if release {} were deployed now", chosen(&releases)),
        ),
    };
    page(&ContentPage {
        showing,
        c: Chrome::from(&s),
        lines: rows.into_iter().filter_map(|(v, n)| ContentLine::of(v, n, mode != "now")).collect(),
        next: next_link(&format!("/console/environments/{name}/content?{query}"), &next_cursor),
        name,
        mode,
        at,
        deployments,
        releases,
    })
}

/// A time as a `datetime-local` field holds it (UTC, to the second).
fn field_time(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}
