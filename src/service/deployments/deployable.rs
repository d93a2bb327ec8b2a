//! Whether a release may be deployed (L4, B6, P3, C1), the same checks in the same order for a
//! deployment and its preview (B9), and the release as its deployments carry it out.

use std::collections::HashSet;

use super::super::rollback::OwnerHistory;
use super::super::{environments, releases, users, Caller};
use super::selection::{in_release, RollbackOptions, Selection};
use crate::db::rows::{EnvironmentRow, ReleaseRow};
use crate::db::DbConn;
use crate::domain::ids::ReleaseId;
use crate::domain::{ConflictPolicy, Key, ReleaseKind};
use crate::error::{AppError, AppResult, ProblemCode};

/// A release as its deployments carry it out, read once however many environments it goes to:
/// for a rollback release, its owner's history too (B7).
#[derive(Debug, Clone)]
pub(crate) struct ReleaseWork {
    pub release: ReleaseRow,
    /// A rollback release's owner's deployments of the original release (`None`: a standard release).
    pub(super) history: Option<OwnerHistory>,
    /// B10: the keys a partial rollback rolls back (`None`: all of them).
    pub(super) selected: Option<HashSet<Key>>,
}

impl ReleaseWork {
    /// The work of `release`.
    pub fn of(conn: &mut DbConn, release: ReleaseRow) -> AppResult<ReleaseWork> {
        let history = match release.kind {
            ReleaseKind::Rollback => Some(OwnerHistory::of(conn, &release)?),
            ReleaseKind::Standard => None,
        };
        Ok(ReleaseWork { release, history, selected: None })
    }

    /// B6, B7: a rollback release's F and L in `env`, refused where its owner has no succeeded
    /// deployment of the release there; `None` for a standard release.
    pub(crate) fn first_and_latest(&self, env: &EnvironmentRow) -> AppResult<Option<(&str, &str)>> {
        match &self.history {
            None => Ok(None),
            Some(h) => h.first_and_latest(&env.id).map(Some).ok_or_else(|| not_deployed_to(env)),
        }
    }
}

/// B6: a rollback release goes only where its owner deployed the release: the one wording of the
/// refusal, at create and at plan.
fn not_deployed_to(env: &EnvironmentRow) -> AppError {
    AppError::Rule(
        ProblemCode::ReleaseNotDeployedToEnvironment,
        format!("the owner has no succeeded deployment of the release to '{}'", env.name),
    )
}

/// L4, B6, P3: checks that `work`'s release may be deployed to `env` by `caller` now; preview
/// (B9) refuses exactly the same.
pub(crate) fn check_release_deployable(
    conn: &mut DbConn,
    caller: &Caller,
    work: &ReleaseWork,
    env: &EnvironmentRow,
) -> AppResult<()> {
    // The order of `create_for_release`: the grant, the deployer, then the target.
    users::require_grant(conn, caller, &env.id, &env.name)?;
    check_deployer(caller, &work.release)?;
    check_target(work, env)
}

/// P3, B6: whether `caller` may deploy `release` at all: a writer, and for a rollback release its
/// owner or an admin.
pub(super) fn check_deployer(caller: &Caller, release: &ReleaseRow) -> AppResult<()> {
    caller.require_writer()?;
    if release.kind == ReleaseKind::Rollback && release.owner != caller.id && !caller.is_admin() {
        return Err(AppError::Forbidden("only the owner or an admin can deploy a rollback release".into()));
    }
    Ok(())
}

/// L4, B6: whether the release has something to deploy to `env`: items, and for a rollback
/// release its owner's succeeded deployment there.
pub(super) fn check_target(work: &ReleaseWork, env: &EnvironmentRow) -> AppResult<()> {
    if work.release.item_count == 0 {
        return Err(AppError::Rule(ProblemCode::ReleaseEmpty, "the release has no items".into()));
    }
    work.first_and_latest(env).map(drop)
}

/// C1: the policy a deployment or preview of `release` asked for; only a rollback release takes
/// one (422 `on_conflict_not_applicable` on a standard release), and only it takes H2's `hold`
/// and B10's `keys` (422 `rollback_option_not_applicable`).
pub(super) fn conflict_policy(release: &ReleaseRow, asked: &RollbackOptions) -> AppResult<ConflictPolicy> {
    match asked.on_conflict {
        Some(_) if release.kind != ReleaseKind::Rollback => Err(AppError::Rule(
            ProblemCode::OnConflictNotApplicable,
            "on_conflict applies to rollback releases and environment rollbacks only".into(),
        )),
        _ if release.kind != ReleaseKind::Rollback => asked.rollback_only().map(|()| ConflictPolicy::default()),
        policy => Ok(policy.unwrap_or_default()),
    }
}

/// B10: `work` with the keys `asked` selects, checked against its rollback release; the
/// selection as its deployment stores it.
pub(super) fn select(
    conn: &mut DbConn,
    mut work: ReleaseWork,
    asked: &RollbackOptions,
) -> AppResult<(ReleaseWork, Option<Selection>)> {
    let Some(keys) = &asked.keys else { return Ok((work, None)) };
    let selection = in_release(conn, &work.release.id, keys)?;
    work.selected = Some(selection.keys.clone());
    Ok((work, Some(selection)))
}

/// B9's preamble: the release (as `caller` may see it) and the environment, refused exactly as
/// a deployment of it to that environment would be.
pub(super) fn deployable(
    conn: &mut DbConn,
    caller: &Caller,
    release_id: &ReleaseId,
    environment: &str,
) -> AppResult<(ReleaseWork, EnvironmentRow)> {
    let release = releases::visible(conn, caller, release_id)?;
    let env = environments::named_in_body(conn, environment)?;
    let work = ReleaseWork::of(conn, release)?;
    check_release_deployable(conn, caller, &work, &env)?;
    Ok((work, env))
}
