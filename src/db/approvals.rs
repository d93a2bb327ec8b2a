//! Approvals (A1, A2): every query of an environment's approval rule and of the verdicts given
//! on deployments, and the status changes an approval or a rejection makes.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::QueryResult;

use super::rows::DeploymentRow;
use super::schema::{deployment_verdicts, deployments, environments};
use super::DbConn;
use crate::domain::approvals::Verdict;
use crate::domain::DeploymentStatus;

/// An approval or a rejection as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = deployment_verdicts)]
pub struct VerdictRow {
    pub deployment_id: String,
    pub user_id: String,
    pub verdict: Verdict,
    pub comment: Option<String>,
    pub at: NaiveDateTime,
}

/// A1: sets the environment's rule (`None`: no approval needed).
pub(crate) fn set_rule(conn: &mut DbConn, environment_id: &str, rule: Option<(i32, bool)>) -> QueryResult<()> {
    let (required, allow_self) = match rule {
        Some((r, s)) => (Some(r), s),
        None => (None, false),
    };
    diesel::update(environments::table.find(environment_id))
        .set((environments::approvals_required.eq(required), environments::allow_self_approval.eq(allow_self)))
        .execute(conn)?;
    Ok(())
}

/// Locks the deployment's row until the transaction ends (PostgreSQL; SQLite's write
/// transactions run one at a time already), so that an approval, a rejection and a cancel of
/// one deployment happen one after the other.
pub(crate) fn lock_deployment(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    if matches!(conn, DbConn::Pg(_)) {
        super::sql(conn, "SELECT id FROM deployments WHERE id = $1 FOR UPDATE").bind::<Text, _>(id).execute(conn)?;
    }
    Ok(())
}

/// Stores a verdict.
pub(crate) fn insert(conn: &mut DbConn, row: &VerdictRow) -> QueryResult<()> {
    diesel::insert_into(deployment_verdicts::table).values(row).execute(conn)?;
    Ok(())
}

/// The verdicts given on these deployments, by deployment, each in the order given.
fn of_deployments(conn: &mut DbConn, ids: &[&str]) -> QueryResult<HashMap<String, Vec<VerdictRow>>> {
    let mut by_deployment: HashMap<String, Vec<VerdictRow>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<VerdictRow> = deployment_verdicts::table
            .filter(deployment_verdicts::deployment_id.eq_any(chunk))
            .order((deployment_verdicts::at, deployment_verdicts::user_id))
            .load(conn)?;
        for r in rows {
            by_deployment.entry(r.deployment_id.clone()).or_default().push(r);
        }
    }
    Ok(by_deployment)
}

/// A2: moves a deployment that awaits approval to `status` (scheduled or queued); whether it did.
pub(crate) fn approved(conn: &mut DbConn, id: &str, status: DeploymentStatus) -> QueryResult<bool> {
    let n = diesel::update(deployments::table.find(id))
        .filter(deployments::status.eq(DeploymentStatus::AwaitingApproval))
        .set(deployments::status.eq(status))
        .execute(conn)?;
    Ok(n > 0)
}

/// A2: ends a deployment that awaits approval `cancelled` at `at`; whether it did.
pub(crate) fn rejected(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(deployments::table.find(id))
        .filter(deployments::status.eq(DeploymentStatus::AwaitingApproval))
        .set((deployments::status.eq(DeploymentStatus::Cancelled), deployments::finished_at.eq(at)))
        .execute(conn)?;
    Ok(n > 0)
}

/// A2: the approvals a deployment needs and those given so far, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approvals {
    pub required: i32,
    pub given: Vec<VerdictRow>,
}

/// A2: where a deployment stands with approval: what it needs (none when no rule applied) and
/// its rejection, if it was rejected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprovalState {
    pub approvals: Option<Approvals>,
    pub rejection: Option<VerdictRow>,
}

/// The approval state of each of these deployments, by id; verdicts are read only for those a
/// rule applied to.
pub(crate) fn states(conn: &mut DbConn, rows: &[&DeploymentRow]) -> QueryResult<HashMap<String, ApprovalState>> {
    let ruled: Vec<&str> = rows.iter().filter(|r| r.approvals_required.is_some()).map(|r| r.id.as_str()).collect();
    if ruled.is_empty() {
        return Ok(HashMap::new());
    }
    let mut verdicts = of_deployments(conn, &ruled)?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((r, r.approvals_required?)))
        .map(|(r, required)| {
            let (given, rejections): (Vec<VerdictRow>, Vec<VerdictRow>) =
                verdicts.remove(&r.id).unwrap_or_default().into_iter().partition(|v| v.verdict == Verdict::Approved);
            let state = ApprovalState {
                approvals: Some(Approvals { required, given }),
                rejection: rejections.into_iter().next(),
            };
            (r.id.clone(), state)
        })
        .collect())
}
