//! U2: items: the list (and creating one), an item's versions per locale with where each is
//! published, publishing one by hand, and the D1 diff of any two versions. Content is always
//! shown as text: the templates escape it like every other value.

use std::collections::BTreeMap;

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::releases::number;
use super::views::{self, next_link, url_component, CursorQuery};
use super::{page, see_other, Chrome, Form, Page, Session};
use crate::domain::ids::ItemId;
use crate::domain::{ItemKind, Role};
use crate::error::{stored_json, AppError};
use crate::http::Cursor;
use crate::runtime::db;
use crate::runtime::AppState;
use crate::service::items::{self, NewContent};
use crate::service::{environments, publishing, users, PageParams};

const PAGE: i64 = 50;
/// How many environments the item page looks its keys up in.
const ENVIRONMENTS: i64 = 100;

/// An item in the list.
pub struct ItemLine {
    pub id: String,
    /// U6: the title of its latest version in its first locale.
    pub title: Option<String>,
    pub kind: String,
    pub content_type: Option<String>,
    pub locales: String,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "console/items.html")]
struct ItemsPage {
    c: Chrome,
    items: Vec<ItemLine>,
    next: Option<String>,
    can_write: bool,
}

/// Items, newest first.
pub async fn list(state: web::Data<AppState>, s: Session, q: web::Query<CursorQuery>) -> Page {
    let p = views::page(&q.cursor, PAGE, Cursor::Id)?;
    let list = db(&state, move |c| items::list(c, None, &p)).await?;
    page(&ItemsPage {
        can_write: s.caller().role != Role::Viewer,
        c: Chrome::from(&s),
        items: list
            .data
            .iter()
            .map(|i| ItemLine {
                id: i.row.id.clone(),
                title: i.row.title.clone(),
                kind: i.row.kind.to_string(),
                content_type: i.row.content_type.clone(),
                locales: i.locales.iter().map(|(l, v)| format!("{l} v{v}")).collect::<Vec<_>>().join(", "),
                created_at: views::time(i.row.created_at),
            })
            .collect(),
        next: next_link("/console/items?", &list.next_cursor),
    })
}

/// A JSON object typed in a form (400 when it is not JSON).
fn json_field(field: &str, s: &str) -> Result<serde_json::Value, AppError> {
    serde_json::from_str(s).map_err(|e| AppError::invalid_field(field, format!("must be JSON: {e}")))
}

/// Item ids typed in a form, separated by commas or white space.
fn ids(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .unwrap_or_default()
        .split([',', ' ', '\n', '\r', '\t'])
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The form that creates an item with its version 1.
#[derive(Deserialize)]
pub struct CreateForm {
    kind: ItemKind,
    content_type: Option<String>,
    locale: String,
    content: String,
    references: Option<String>,
}

/// Creates an item and opens it.
pub async fn create(state: web::Data<AppState>, f: Form<CreateForm>) -> Page {
    let caller = f.session.caller().clone();
    let form = f.form;
    let first = NewContent {
        locale: form.locale.trim().into(),
        content: json_field("content", &form.content)?,
        references: ids(&form.references),
    };
    let content_type = form.content_type.filter(|t| !t.trim().is_empty());
    let item = db(&state, move |c| items::create(c, &caller, form.kind, content_type, first)).await?;
    Ok(see_other(&format!("/console/items/{}", item.row.id)))
}

/// One version, with the environments it is published in; its content is shown one at a time.
pub struct VersionLine {
    pub locale: String,
    pub version: i32,
    /// U6: the version's title.
    pub title: Option<String>,
    /// The link that shows this version's content.
    pub show: String,
    pub references: String,
    pub created_at: String,
    pub published_in: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/item.html")]
struct ItemPage {
    c: Chrome,
    id: String,
    /// U6: the item's title (its first locale's latest version's).
    title: Option<String>,
    kind: String,
    content_type: Option<String>,
    locales: Vec<(String, i32)>,
    versions: Vec<VersionLine>,
    /// The one version whose content the page shows: `(locale, version, content)`.
    shown: Option<(String, i32, String)>,
    next: Option<String>,
    /// U4: the environments where the caller may publish this item.
    publishable: Vec<String>,
    can_write: bool,
}

/// The item page's query: the page of versions, and the one version whose content is shown.
#[derive(Deserialize)]
pub struct ItemQuery {
    cursor: Option<String>,
    locale: Option<String>,
    version: Option<i32>,
}

/// U2: an item's versions (newest first, paged), where each is published, and its forms. The
/// page shows one version's content (the one asked for, else the newest on the page), so that
/// it stays small however large the item's versions are (X4).
pub async fn show(state: web::Data<AppState>, s: Session, id: web::Path<String>, q: web::Query<ItemQuery>) -> Page {
    let id: ItemId = crate::http::path_id(&id)?;
    let q = q.into_inner();
    let p = views::page(&q.cursor, PAGE, Cursor::Position)?;
    let caller = s.caller().clone();
    let (item, versions, shown, published, publishable) = db(&state, {
        let id = id.clone();
        move |c| {
            let item = items::get(c, &id)?;
            let versions = items::versions(c, &id, &p)?;
            let shown = match (&q.locale, q.version) {
                (Some(locale), Some(n)) => Some(items::version(c, &id, locale, n)?),
                _ => versions.data.first().cloned(),
            };
            let envs = environments::list(c, &PageParams { limit: ENVIRONMENTS, cursor: None })?;
            let mut published: BTreeMap<(String, i32), Vec<String>> = BTreeMap::new();
            let mut publishable = vec![];
            let all = PageParams { limit: 500, cursor: None };
            for e in envs.data {
                for st in publishing::states(c, &e.row.name, Some(&id), None, &all)?.data {
                    if let Some(v) = st.version {
                        published.entry((st.locale, v)).or_default().push(e.row.name.clone());
                    }
                }
                if caller.role != Role::Viewer && users::require_grant(c, &caller, &e.row.id, &e.row.name).is_ok() {
                    publishable.push(e.row.name);
                }
            }
            Ok((item, versions, shown, published, publishable))
        }
    })
    .await?;
    let base = format!("/console/items/{id}?");
    let here = q.cursor.as_ref().map(|c| format!("cursor={}&", url_component(c))).unwrap_or_default();
    page(&ItemPage {
        can_write: s.caller().role != Role::Viewer,
        c: Chrome::from(&s),
        title: item.row.title.clone(),
        kind: item.row.kind.to_string(),
        content_type: item.row.content_type.clone(),
        locales: item.locales.into_iter().collect(),
        versions: versions
            .data
            .into_iter()
            .map(|v| VersionLine {
                published_in: published.get(&(v.locale.clone(), v.version)).cloned().unwrap_or_default(),
                references: stored_json::<Vec<String>>(&v.refs, "version references").join(", "),
                show: format!("{base}{here}locale={}&version={}#shown-version", url_component(&v.locale), v.version),
                locale: v.locale,
                version: v.version,
                title: v.title,
                created_at: views::time(v.created_at),
            })
            .collect(),
        shown: shown.map(|v| {
            let content = serde_json::from_str::<serde_json::Value>(&v.content)
                .and_then(|j| serde_json::to_string_pretty(&j))
                .unwrap_or(v.content);
            (v.locale, v.version, content)
        }),
        next: next_link(&base, &versions.next_cursor),
        publishable,
        id: id.into_string(),
    })
}

/// The form that adds a version in a locale.
#[derive(Deserialize)]
pub struct VersionForm {
    locale: String,
    content: String,
    references: Option<String>,
}

/// Adds the next version of the item in a locale.
pub async fn add_version(state: web::Data<AppState>, f: Form<VersionForm>, id: web::Path<String>) -> Page {
    let id: ItemId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let form = f.form;
    let content = NewContent {
        locale: form.locale.trim().into(),
        content: json_field("content", &form.content)?,
        references: ids(&form.references),
    };
    db(&state, {
        let id = id.clone();
        move |c| items::add_version(c, &caller, Ok(id), content)
    })
    .await?;
    Ok(see_other(&format!("/console/items/{id}")))
}

/// The form that publishes a version by hand (P1) or unpublishes a key (P2).
#[derive(Deserialize)]
pub struct PublishForm {
    environment: String,
    locale: String,
    version: Option<String>,
}

/// P1: publishes a version of the item by hand.
pub async fn publish(state: web::Data<AppState>, f: Form<PublishForm>, id: web::Path<String>) -> Page {
    let id: ItemId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let form = f.form;
    let version = number("version", &form.version)?.ok_or_else(|| AppError::invalid_field("version", "is required"))?;
    db(&state, {
        let id = id.clone();
        move |c| publishing::publish(c, &caller, &form.environment, Ok(id), form.locale.trim(), version)
    })
    .await?;
    Ok(see_other(&format!("/console/items/{id}")))
}

/// P2: unpublishes the item's key in an environment.
pub async fn unpublish(state: web::Data<AppState>, f: Form<PublishForm>, id: web::Path<String>) -> Page {
    let id: ItemId = crate::http::path_id(&id)?;
    let caller = f.session.caller().clone();
    let form = f.form;
    db(&state, {
        let id = id.clone();
        move |c| publishing::unpublish(c, &caller, &form.environment, Ok(id), form.locale.trim())
    })
    .await?;
    Ok(see_other(&format!("/console/items/{id}")))
}

/// The diff's two versions.
#[derive(Deserialize)]
pub struct DiffQuery {
    locale: String,
    from: Option<String>,
    to: Option<String>,
}

/// One operation of the patch, as text.
pub struct PatchLine {
    pub op: String,
    pub path: String,
    pub value: String,
}

#[derive(Template)]
#[template(path = "console/diff.html")]
struct DiffPage {
    c: Chrome,
    id: String,
    locale: String,
    from: Option<i32>,
    to: i32,
    ops: Vec<PatchLine>,
    added: Vec<String>,
    removed: Vec<String>,
}

/// D1: the readable patch from one version to another (from nothing when `from` is empty).
pub async fn diff(state: web::Data<AppState>, s: Session, id: web::Path<String>, q: web::Query<DiffQuery>) -> Page {
    let id: ItemId = crate::http::path_id(&id)?;
    let q = q.into_inner();
    let from = number("from", &q.from)?;
    let to = number("to", &q.to)?.ok_or_else(|| AppError::invalid_field("to", "is required"))?;
    if from.is_some_and(|n| n < 1) || to < 1 {
        return Err(AppError::invalid_field("to", "versions are numbered from 1").into());
    }
    let d = db(&state, {
        let (id, locale) = (id.clone(), q.locale.clone());
        move |c| items::diff(c, &id, &locale, from, to)
    })
    .await?;
    let ops = d
        .patch
        .0
        .iter()
        .map(|op| {
            let v = serde_json::to_value(op).unwrap_or_default();
            let text = |k: &str| v.get(k).map(|x| x.as_str().map(String::from).unwrap_or_else(|| x.to_string()));
            let value = v.get("value").map(|x| serde_json::to_string_pretty(x).unwrap_or_default());
            PatchLine {
                op: text("op").unwrap_or_default(),
                path: text("path").unwrap_or_default(),
                value: value.or_else(|| text("from").map(|f| format!("from {f}"))).unwrap_or_default(),
            }
        })
        .collect();
    page(&DiffPage {
        c: Chrome::from(&s),
        id: id.into_string(),
        locale: q.locale,
        from,
        to,
        ops,
        added: d.added,
        removed: d.removed,
    })
}
