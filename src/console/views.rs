//! What the console's templates show of the service's views: plain strings and numbers, made
//! here once so every page shows a deployment, a time or an id the same way.

use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::db::deployments::DeploymentView;
use crate::domain::{DeploymentStatus, Trigger};
use crate::error::{AppError, AppResult};
use crate::http::Cursor;
use crate::service::PageParams;

/// A time as the console shows it (UTC, to the second).
pub fn time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The templates' own filters: `{{ t|time }}` shows a wire type's time as [`time`] does.
pub mod filters {
    use std::borrow::Borrow;

    use chrono::{DateTime, Utc};

    /// A time of the API's wire types as the console shows it (UTC, to the second).
    pub fn time(t: impl Borrow<DateTime<Utc>>, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(super::time(t.borrow().naive_utc()))
    }

    /// An optional time: the time, or nothing.
    pub fn maybe_time(t: impl Borrow<Option<DateTime<Utc>>>, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(t.borrow().map(|t| super::time(t.naive_utc())).unwrap_or_default())
    }
}

/// The first block of an id (UUID v7: its time), enough to tell deployments apart on a page.
pub fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

/// A deployment in a list or a timeline.
pub struct DeploymentLine {
    pub id: String,
    pub short: String,
    pub environment: String,
    pub release_id: Option<String>,
    /// U6: its release's name (none for an environment rollback).
    pub release_name: Option<String>,
    pub trigger: Trigger,
    pub status: DeploymentStatus,
    pub deployed_by: String,
    /// When it was scheduled for, started or created, whichever says most.
    pub when: String,
    pub done: i32,
    pub total: i32,
    pub published: i32,
    pub unpublished: i32,
    pub skipped: i32,
    pub error: Option<String>,
    pub rolled_back_to: Option<String>,
    pub cancellable: bool,
    /// H3: a standard release's deployment waiting because its environment is held or frozen.
    pub held: bool,
    /// A2: the approvals given and required, when a rule applies to it.
    pub approvals: Option<(usize, i32)>,
}

impl DeploymentLine {
    /// The status in words (`awaiting approval`, `in progress`); its class stays the status.
    pub fn status_text(&self) -> String {
        self.status.as_str().replace('_', " ")
    }
}

impl From<&DeploymentView> for DeploymentLine {
    fn from(d: &DeploymentView) -> DeploymentLine {
        let r = &d.row;
        let when = match (r.status, r.scheduled_at, r.started_at) {
            (DeploymentStatus::Scheduled | DeploymentStatus::AwaitingApproval, Some(s), _) => format!("at {}", time(s)),
            (_, _, Some(s)) => time(s),
            _ => time(r.created_at),
        };
        DeploymentLine {
            id: r.id.clone(),
            short: short(&r.id),
            environment: d.environment.clone(),
            release_id: r.release_id.clone(),
            release_name: d.release_name.clone(),
            trigger: r.trigger,
            status: r.status,
            deployed_by: r.deployed_by.clone(),
            when,
            done: r.progress_done,
            total: r.progress_total,
            published: r.published,
            unpublished: r.unpublished,
            skipped: r.skipped,
            error: r.error.clone(),
            rolled_back_to: r.rolled_back_to_deployment_id.clone(),
            cancellable: r.status.is_cancellable(),
            held: d.held,
            approvals: d.approval.approvals.as_ref().map(|a| (a.given.len(), a.required)),
        }
    }
}

/// A time typed in a form's `field`: `YYYY-MM-DDTHH:MM` (a `datetime-local` field, read as UTC)
/// or RFC 3339; empty is none (400 naming the field otherwise).
pub fn form_time(field: &str, s: &Option<String>) -> AppResult<Option<NaiveDateTime>> {
    let Some(s) = s.as_deref().map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    let t = chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| AppError::invalid_field(field, "must be a time like 2026-12-24T18:00 (UTC)"))?;
    crate::domain::validate::no_leap_second(&t).map_err(|rule| AppError::invalid_field(field, rule))?;
    Ok(Some(t))
}

/// The lines of a list of deployments.
pub fn lines(ds: &[DeploymentView]) -> Vec<DeploymentLine> {
    ds.iter().map(DeploymentLine::from).collect()
}

/// A list page's query string: the cursor of the link that led to it.
#[derive(Deserialize)]
pub struct CursorQuery {
    pub cursor: Option<String>,
}

/// One page of a console list: `limit` rows from the `cursor` of the link that led here,
/// checked as the API checks it (400 when it is not a cursor of the list's kind).
pub fn page(cursor: &Option<String>, limit: i64, kind: Cursor) -> AppResult<PageParams> {
    crate::http::page_params(Some(limit), cursor.clone().filter(|c| !c.is_empty()), kind)
}

/// The link to the next page of `base` (which ends in `?` or `&`), if there is one.
pub fn next_link(base: &str, next_cursor: &Option<String>) -> Option<String> {
    next_cursor.as_ref().map(|c| format!("{base}cursor={}", url_component(c)))
}

/// Percent-encodes a query value (cursors are ids or digits, but a link never trusts that).
pub fn url_component(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
