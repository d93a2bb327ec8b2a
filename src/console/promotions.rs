//! U5 (M1, M2): the compare page of two environments (the counts, the differing keys a page at a
//! time, each linked to the D1 diff of its two versions) and "promote", which makes the
//! promotion's release and opens its plan in the target environment before anything is deployed.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::plan::diff_link;
use super::views::{self, next_link};
use super::{awaiting, page, see_other, Chrome, Form, Page, Session};
use crate::db::promotions::DifferenceRow;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::http::Cursor;
use crate::runtime::{db, AppState};
use crate::service::promotions::{self, Promotion};
use crate::service::{environments, PageParams};

/// Keys a page of the difference shows.
const PAGE: i64 = 50;
/// How many environments the pickers offer.
const ENVIRONMENTS: i64 = 100;
/// The counts read the difference a page of 500 at a time, up to this many keys (past it the
/// page says "more than"), so that the page opens fast however far two environments drift.
const COUNT_UP_TO: usize = 10_000;

/// The compare page's query: the two environments and the page of the difference.
#[derive(Deserialize)]
pub struct CompareQuery {
    source: Option<String>,
    target: Option<String>,
    cursor: Option<String>,
}

/// One differing key.
pub struct DifferenceLine {
    pub item_id: String,
    pub locale: String,
    pub source_version: Option<i32>,
    pub target_version: Option<i32>,
    /// The D1 diff from the target's version to the source's, when both publish one.
    pub diff: Option<String>,
}

impl From<&DifferenceRow> for DifferenceLine {
    fn from(d: &DifferenceRow) -> DifferenceLine {
        let diff = match (d.target_version, d.source_version) {
            (Some(_), Some(_)) => diff_link(&d.item_id, &d.locale, d.target_version, d.source_version),
            _ => None,
        };
        DifferenceLine {
            item_id: d.item_id.clone(),
            locale: d.locale.clone(),
            source_version: d.source_version,
            target_version: d.target_version,
            diff,
        }
    }
}

/// How far the two environments differ: keys in all, keys the target lacks (the source
/// publishes them, the target does not), keys only the target publishes; `more` when there are
/// more than [`COUNT_UP_TO`] keys and the counts stop there.
#[derive(Default)]
pub struct Counts {
    pub differ: usize,
    pub target_lacks: usize,
    pub only_target: usize,
    pub more: bool,
}

/// Counts the difference of `source` and `target`, a page of 500 at a time (see [`Counts`]).
fn counts(c: &mut DbConn, source: &str, target: &str) -> AppResult<Counts> {
    let mut n = Counts::default();
    let mut cursor = None;
    loop {
        let p = promotions::compare(c, target, source, Ok(PageParams { limit: 500, cursor }))?;
        n.differ += p.data.len();
        n.target_lacks += p.data.iter().filter(|d| d.target_version.is_none()).count();
        n.only_target += p.data.iter().filter(|d| d.source_version.is_none()).count();
        match p.next_cursor {
            Some(next) if n.differ < COUNT_UP_TO => cursor = Some(next),
            Some(_) => return Ok(Counts { more: true, ..n }),
            None => return Ok(n),
        }
    }
}

/// The difference shown: its counts, one page of its keys, and whether the user may promote.
pub struct Comparison {
    pub source: String,
    pub target: String,
    pub counts: Counts,
    pub rows: Vec<DifferenceLine>,
    pub next: Option<String>,
    pub can_promote: bool,
}

#[derive(Template)]
#[template(path = "console/compare.html")]
struct ComparePage {
    c: Chrome,
    environments: Vec<String>,
    source: String,
    target: String,
    shown: Option<Comparison>,
}

fn chosen(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from)
}

/// U5, M1: picks two environments and shows how they differ (any user).
pub async fn compare(state: web::Data<AppState>, s: Session, q: web::Query<CompareQuery>) -> Page {
    let q = q.into_inner();
    let (source, target) = (chosen(&q.source), chosen(&q.target));
    let p = views::page(&q.cursor, PAGE, Cursor::Key)?;
    let caller = s.caller().clone();
    let (environments, difference) = db(&state, {
        let (source, target) = (source.clone(), target.clone());
        move |c| {
            let envs = environments::list(c, &PageParams { limit: ENVIRONMENTS, cursor: None })?;
            let names = envs.data.iter().map(|e| e.row.name.clone()).collect();
            let (Some(source), Some(target)) = (source, target) else { return Ok((names, None)) };
            let env = environments::by_name(c, &target)?;
            let shown = promotions::compare(c, &target, &source, Ok(p))?;
            let can_promote = awaiting::granted(c, &caller, &env.id, &env.name)?;
            Ok((names, Some((counts(c, &source, &target)?, shown, can_promote))))
        }
    })
    .await?;
    let shown = match (&source, &target, difference) {
        (Some(src), Some(tgt), Some((counts, rows, can_promote))) => {
            let base =
                format!("/console/compare?source={}&target={}&", views::url_component(src), views::url_component(tgt));
            Some(Comparison {
                source: src.clone(),
                target: tgt.clone(),
                counts,
                rows: rows.data.iter().map(DifferenceLine::from).collect(),
                next: next_link(&base, &rows.next_cursor),
                can_promote,
            })
        }
        _ => None,
    };
    page(&ComparePage {
        c: Chrome::from(&s),
        environments,
        source: source.unwrap_or_default(),
        target: target.unwrap_or_default(),
        shown,
    })
}

/// The promote form: the source, and the "also unpublish what the source lacks" checkbox.
#[derive(Deserialize)]
pub struct PromoteForm {
    source: String,
    unpublish_missing: Option<String>,
}

/// M2: makes the promotion's release, then opens its plan in the target environment (B9),
/// where it is deployed like any release.
pub async fn promote(state: web::Data<AppState>, f: Form<PromoteForm>, env: web::Path<String>) -> Page {
    let caller = f.session.caller().clone();
    let promotion = Promotion {
        source: f.form.source.trim().to_string(),
        name: None,
        unpublish_missing: f.form.unpublish_missing.is_some(),
        keys: None,
    };
    let max = state.settings.max_release_items;
    let env = env.into_inner();
    let r = db(&state, {
        let env = env.clone();
        move |c| promotions::promote(c, &caller, &env, Ok(promotion), max)
    })
    .await?;
    Ok(see_other(&format!("/console/releases/{}/plan?environment={}", r.row.id, views::url_component(&env))))
}
