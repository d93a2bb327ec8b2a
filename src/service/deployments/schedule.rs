//! Q1: every deployment across environments in one list, filtered; scheduled ones soonest first.

use chrono::NaiveDateTime;

use super::super::{environments, Page, PageParams};
use super::views::{views, DeploymentView};
use crate::db::deployment_list::{self as list, After, DeploymentFilter, ListOrder};
use crate::db::DbConn;
use crate::domain::ids::DeploymentId;
use crate::domain::{DeploymentStatus, Trigger};
use crate::error::{AppError, AppResult};

/// Q1's filters as a request gives them: environments by name.
#[derive(Debug, Clone, Default)]
pub struct ScheduleQuery {
    pub statuses: Vec<DeploymentStatus>,
    pub environment: Option<String>,
    pub release_id: Option<String>,
    pub trigger: Option<Trigger>,
    pub scheduled_before: Option<NaiveDateTime>,
    pub scheduled_after: Option<NaiveDateTime>,
}

/// Soonest first when every status asked for is `scheduled`, else newest first (Q1).
pub(crate) fn order_of(statuses: &[DeploymentStatus]) -> ListOrder {
    if !statuses.is_empty() && statuses.iter().all(|s| *s == DeploymentStatus::Scheduled) {
        ListOrder::Soonest
    } else {
        ListOrder::Newest
    }
}

/// The cursor of a page: the id of its last deployment, in either order.
fn cursor_text(after: &After) -> String {
    match after {
        After::Id(id) | After::Scheduled(_, id) => id.clone(),
    }
}

/// Where the page after the deployment `id` starts: soonest first, after its `scheduled_at`
/// (read on the primary key; 404 when there is no such deployment, or it was never scheduled).
fn parse_cursor(conn: &mut DbConn, order: ListOrder, cursor: &str) -> AppResult<After> {
    let id = super::super::parse_id::<DeploymentId>("cursor", cursor)?.into_string();
    match order {
        ListOrder::Newest => {
            let page = PageParams { limit: 1, cursor: Some(id.clone()) };
            super::super::own_cursor(conn, super::super::CursorTable::Deployments, &page)?;
            Ok(After::Id(id))
        }
        ListOrder::Soonest => {
            let none = || AppError::NotFound("the cursor names no scheduled deployment".into());
            let at = crate::db::deployments::by_id(conn, &id)?.and_then(|row| row.scheduled_at);
            Ok(After::Scheduled(at.ok_or_else(none)?, id))
        }
    }
}

/// Q1: one page of deployments across environments. Every deployment is visible to every
/// authenticated user, those of rollback releases too (B5); an unknown environment is 404.
pub fn list(conn: &mut DbConn, q: ScheduleQuery, page: &PageParams) -> AppResult<Page<DeploymentView>> {
    let order = order_of(&q.statuses);
    let after = page.cursor.as_deref().map(|c| parse_cursor(conn, order, c)).transpose()?;
    let environment_id = q.environment.map(|name| environments::by_name(conn, &name).map(|e| e.id)).transpose()?;
    let filter = DeploymentFilter {
        statuses: q.statuses,
        environment_id,
        release_id: q.release_id,
        trigger: q.trigger,
        scheduled_before: q.scheduled_before,
        scheduled_after: q.scheduled_after,
    };
    let (rows, next) = list::page(conn, &filter, order, after, page.limit)?;
    Ok(Page { data: views(conn, rows)?, next_cursor: next.as_ref().map(cursor_text) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q1_scheduled_only_lists_soonest_first() {
        use DeploymentStatus::*;
        assert_eq!(order_of(&[Scheduled]), ListOrder::Soonest);
        assert_eq!(order_of(&[Scheduled, Scheduled]), ListOrder::Soonest);
        assert_eq!(order_of(&[Scheduled, Queued]), ListOrder::Newest);
        assert_eq!(order_of(&[]), ListOrder::Newest);
    }
}
