//! U5 (A2): the deployments awaiting the signed-in user's approval: those awaiting approval that
//! the user may approve (an admin, or an editor with a grant on the environment; not their own
//! unless the rule allows it; not one they approved already). The navigation shows their count;
//! the approvals page lists them.

use std::collections::HashMap;

use crate::db::deployments::DeploymentView;
use crate::db::DbConn;
use crate::domain::{DeploymentStatus, Role};
use crate::error::AppResult;
use crate::service::deployments::{self, ScheduleQuery};
use crate::service::{users, Caller, PageParams};

/// How many deployments awaiting approval are read, a page at a time, to find the caller's:
/// approvals are few, and the count stays cheap on every page.
const SCAN: usize = 500;
const SCAN_PAGE: i64 = 100;

/// Whether `caller` may approve `d` now (A2's rules, read from the deployment's view), with
/// `granted` saying whether the caller may act on the deployment's environment at all.
pub fn may_approve(caller: &Caller, d: &DeploymentView, granted: bool) -> bool {
    let own = d.row.deployed_by == caller.id.as_str();
    let approved =
        d.approval.approvals.as_ref().is_some_and(|a| a.given.iter().any(|v| v.user_id == caller.id.as_str()));
    granted && d.row.status == DeploymentStatus::AwaitingApproval && (!own || d.row.allow_self_approval) && !approved
}

/// Whether `caller` may approve or reject deployments of the environment `environment_id`
/// (an admin, or an editor with a grant on it).
pub fn granted(c: &mut DbConn, caller: &Caller, environment_id: &str, environment: &str) -> AppResult<bool> {
    Ok(caller.role != Role::Viewer && users::require_grant(c, caller, environment_id, environment).is_ok())
}

/// The deployments awaiting `caller`'s approval, newest first (none for a viewer).
pub fn mine(c: &mut DbConn, caller: &Caller) -> AppResult<Vec<DeploymentView>> {
    if caller.role == Role::Viewer {
        return Ok(vec![]);
    }
    let mut grants: HashMap<String, bool> = HashMap::new();
    let (mut found, mut read, mut cursor) = (Vec::new(), 0, None);
    loop {
        let q = ScheduleQuery { statuses: vec![DeploymentStatus::AwaitingApproval], ..Default::default() };
        let page = deployments::list(c, q, &PageParams { limit: SCAN_PAGE, cursor })?;
        read += page.data.len();
        for d in page.data {
            let granted = match grants.get(&d.row.environment_id) {
                Some(g) => *g,
                None => {
                    let g = granted(c, caller, &d.row.environment_id, &d.environment)?;
                    *grants.entry(d.row.environment_id.clone()).or_insert(g)
                }
            };
            if may_approve(caller, &d, granted) {
                found.push(d);
            }
        }
        match page.next_cursor {
            Some(next) if read < SCAN => cursor = Some(next),
            _ => return Ok(found),
        }
    }
}
