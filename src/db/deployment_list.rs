//! Q1: one list of deployments across environments, filtered, newest first or (for scheduled
//! deployments) soonest first. Each status asked for is read on its own index in the list's
//! order and the runs are merged, so a page costs O(limit × statuses) however large the table.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::QueryResult;

use super::page::Page;
use super::rows::DeploymentRow;
use super::schema::deployments;
use super::{DbConn, MultiBackend};
use crate::domain::{DeploymentStatus, Trigger};

/// What Q1's list keeps.
#[derive(Debug, Clone, Default)]
pub struct DeploymentFilter {
    /// Any of these statuses; all when empty.
    pub statuses: Vec<DeploymentStatus>,
    pub environment_id: Option<String>,
    pub release_id: Option<String>,
    pub trigger: Option<Trigger>,
    /// `scheduled_at` strictly before this.
    pub scheduled_before: Option<NaiveDateTime>,
    /// `scheduled_at` at or after this.
    pub scheduled_after: Option<NaiveDateTime>,
}

/// Where a page of Q1's list goes on from: past the last row of the page before.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    /// Newest first: ids below this one.
    Id(String),
    /// Soonest first: later than this `(scheduled_at, id)`.
    Scheduled(NaiveDateTime, String),
}

/// The order of Q1's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// By id, descending (creation, newest first).
    Newest,
    /// By `(scheduled_at, id)`, ascending: every status asked for is `scheduled`.
    Soonest,
}

type Boxed<'a> = deployments::BoxedQuery<'a, MultiBackend>;

fn filtered<'a>(f: &'a DeploymentFilter, status: Option<DeploymentStatus>) -> Boxed<'a> {
    let mut q = deployments::table.into_boxed();
    if let Some(s) = status {
        q = q.filter(deployments::status.eq(s.as_str()));
    }
    if let Some(e) = &f.environment_id {
        q = q.filter(deployments::environment_id.eq(e));
    }
    if let Some(r) = &f.release_id {
        q = q.filter(deployments::release_id.eq(r));
    }
    if let Some(t) = f.trigger {
        q = q.filter(deployments::trigger.eq(t.as_str()));
    }
    if let Some(b) = f.scheduled_before {
        q = q.filter(deployments::scheduled_at.lt(b));
    }
    if let Some(a) = f.scheduled_after {
        q = q.filter(deployments::scheduled_at.ge(a));
    }
    q
}

/// The cursor a row leaves in this order.
pub(crate) fn after_of(order: ListOrder, d: &DeploymentRow) -> After {
    match order {
        ListOrder::Newest => After::Id(d.id.clone()),
        ListOrder::Soonest => After::Scheduled(d.scheduled_at.unwrap_or_default(), d.id.clone()),
    }
}

fn run(
    conn: &mut DbConn,
    f: &DeploymentFilter,
    status: Option<DeploymentStatus>,
    order: ListOrder,
    after: &Option<After>,
    limit: i64,
) -> QueryResult<Vec<DeploymentRow>> {
    let mut q = filtered(f, status);
    q = match (order, after) {
        (ListOrder::Newest, Some(After::Id(id))) => q.filter(deployments::id.lt(id.clone())),
        // The range on `scheduled_at` lets the index start at the cursor; the rest breaks ties.
        (ListOrder::Soonest, Some(After::Scheduled(at, id))) => q.filter(deployments::scheduled_at.ge(*at)).filter(
            deployments::scheduled_at.gt(*at).or(deployments::scheduled_at.eq(*at).and(deployments::id.gt(id.clone()))),
        ),
        _ => q,
    };
    q = match order {
        ListOrder::Newest => q.order(deployments::id.desc()),
        ListOrder::Soonest => q.order((deployments::scheduled_at.asc(), deployments::id.asc())),
    };
    q.limit(limit).load(conn)
}

/// One page of Q1's list: up to `limit` rows after `after`, and the cursor of the next page.
pub fn page(
    conn: &mut DbConn,
    f: &DeploymentFilter,
    order: ListOrder,
    after: Option<After>,
    limit: i64,
) -> QueryResult<(Vec<DeploymentRow>, Option<After>)> {
    let mut statuses = f.statuses.clone();
    statuses.sort_by_key(|s| s.as_str());
    statuses.dedup();
    let mut rows = Vec::new();
    if statuses.is_empty() {
        rows = run(conn, f, None, order, &after, limit + 1)?;
    } else {
        for s in statuses {
            rows.extend(run(conn, f, Some(s), order, &after, limit + 1)?);
        }
        match order {
            ListOrder::Newest => rows.sort_by(|a, b| b.id.cmp(&a.id)),
            ListOrder::Soonest => rows.sort_by(|a, b| (a.scheduled_at, &a.id).cmp(&(b.scheduled_at, &b.id))),
        }
    }
    let page = Page::from_rows(rows, limit, |_| String::new());
    let next = page.next_cursor.as_ref().and(page.data.last()).map(|d| after_of(order, d));
    Ok((page.data, next))
}
